// The visited set on its own: every state stored once and read back whole,
// plain and collapsed into 1 to 9 parts, with and
// without a parent hint, and within a memory limit.
#include "pgmapcheck/visited.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <map>
#include <random>

using namespace pgmapcheck::detail;

namespace {

using state = std::array<unsigned char, 40>;

// Parts of 40 bytes cut in `count` pieces (none: plain).
std::vector<std::pair<std::size_t, std::size_t>> cut(std::size_t count) {
  std::vector<std::pair<std::size_t, std::size_t>> parts;
  for (std::size_t k = 0; k < count; ++k) {
    std::size_t const begin = 40 * k / count, end = 40 * (k + 1) / count;
    parts.emplace_back(begin, end - begin);
  }
  return parts;
}

}  // namespace

TEST_CASE("visited: every state once, read back whole, plain and in 1 to 9 parts", "[visited]") {
  for (std::size_t count : {0u, 1u, 2u, 3u, 4u, 5u, 7u, 9u}) {
    INFO(count << " parts");
    visited_set<state> set(0, 40, cut(count));
    REQUIRE(set.grow());
    std::mt19937 random(7);
    std::map<state, std::uint32_t> seen;
    std::vector<state> stored;
    state s{};
    for (int n = 0; n < 20000; ++n) {
      // A walk: each state a small change of one stored before (its hint).
      std::uint32_t parent = stored.empty() ? set.none : static_cast<std::uint32_t>(random() % stored.size());
      if (!stored.empty()) s = stored[parent];
      s[random() % 40] = static_cast<unsigned char>(random() % 3);
      bool const hinted = random() % 2 == 0;
      auto const in = set.insert_growing(s.data(), set.link_of(parent == set.none ? 0 : parent, 1),
                                         hinted ? parent : set.none);
      REQUIRE(in.status != insert_status::no_memory);
      auto const it = seen.find(s);
      if (it == seen.end()) {
        CHECK(in.status == insert_status::fresh);
        CHECK(in.index == stored.size());
        seen.emplace(s, in.index);
        stored.push_back(s);
      } else {
        CHECK(in.status == insert_status::old);
        CHECK(in.index == it->second);
      }
    }
    CHECK(set.size() == stored.size());
    for (std::uint32_t i = 0; i < stored.size(); ++i) {
      auto const back = set[i];
      CHECK(back == stored[i]);
    }
  }
}

TEST_CASE("visited: the memory limit refuses, and what was stored stays", "[visited]") {
  visited_set<state> set(4 << 20, 40, cut(5));
  REQUIRE(set.grow());
  state s{};
  std::uint32_t stored = 0;
  for (std::uint32_t n = 0;; ++n) {
    std::memcpy(s.data(), &n, sizeof n);
    auto const in = set.insert_growing(s.data(), 0);
    if (in.status == insert_status::no_memory) break;
    REQUIRE(in.status == insert_status::fresh);
    ++stored;
  }
  CHECK(stored > 10000);
  CHECK(set.peak_bytes() <= 4u << 20);
  CHECK(set.peak_bytes() >= (4u << 20) * 8 / 10);  // the budget is used
  for (std::uint32_t n = 0; n < stored; ++n) {
    auto const back = set[n];
    std::uint32_t v;
    std::memcpy(&v, back.data(), sizeof v);
    CHECK(v == n);
  }
}
