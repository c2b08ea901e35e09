// The visited set on its own: every state stored once and read back whole,
// plain and collapsed into 1 to 9 parts, with and
// without a parent hint, and within a memory limit.
#include "search/visited.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstring>
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
      auto const in = set.insert_growing(s.data(), 0, hinted ? parent : set.none);
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
    REQUIRE(set.settle());  // the full row chunks sealed
    for (std::uint32_t i = 0; i < stored.size(); ++i) {
      auto const back = set[i];
      CHECK(back == stored[i]);
      CHECK(set.holds(i, stored[i].data()));
      CHECK_FALSE(set.holds(i, stored[(i + 1) % stored.size()].data()));
    }
  }
}

TEST_CASE("visited: a level put in order is read and found at its new indices, plain and in parts", "[visited]") {
  // Levels of a search as its workers store them: tables that refuse an
  // insert grow between tries, so a level's row chunks are laid out at
  // several widths when it is put in order (part 0 takes ever more values).
  for (std::size_t count : {0u, 1u, 3u, 5u, 9u}) {
    INFO(count << " parts");
    visited_set<state> set(0, 40, cut(count));
    REQUIRE(set.grow());
    std::mt19937 random(13);
    std::vector<state> expected;
    std::uint32_t n = 0;
    for (std::uint32_t level_size : {1u, 3000u, 7000u, 1u, 9000u, 5000u}) {
      auto const first = static_cast<std::uint32_t>(set.size());
      std::vector<state> level;
      for (std::uint32_t i = 0; i < level_size; ++i, ++n) {
        state s{};
        std::uint32_t const wide = n / 2;
        std::memcpy(s.data(), &wide, sizeof wide);
        s[21] = static_cast<unsigned char>(random() % 50);
        s[37] = static_cast<unsigned char>(n % 2);
        for (;;) {
          auto const in = set.insert(s.data(), 0);
          REQUIRE(in.status != insert_status::no_memory);
          if (in.status == insert_status::fresh) level.push_back(s);
          if (in.status != insert_status::full) break;
          REQUIRE(set.grow_refused());
        }
      }
      std::vector<std::uint32_t> order(level.size());
      for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = first + i;
      // In another order but for its first 100 states (kept where they are).
      std::shuffle(order.begin() + std::min<std::ptrdiff_t>(100, static_cast<std::ptrdiff_t>(order.size())), order.end(),
                   random);
      REQUIRE(set.reorder(first, order));
      for (std::uint32_t const i : order) expected.push_back(level[i - first]);
      REQUIRE(set.grow());
    }
    REQUIRE(set.settle());
    REQUIRE(set.size() == expected.size());
    for (std::uint32_t i = 0; i < expected.size(); ++i) {
      auto const back = set[i];
      CHECK(back == expected[i]);
      auto const in = set.insert(expected[i].data(), 0);
      CHECK(in.status == insert_status::old);
      CHECK(in.index == i);
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

TEST_CASE("visited: a packed row reads back at every width, and refuses an index too wide", "[visited]") {
  using head = packed_rows::head;
  std::mt19937 random(11);
  for (std::uint32_t parts : {1u, 2u, 3u, 9u, 33u, 64u}) {
    for (int round = 0; round < 200; ++round) {
      head h;
      h.parts = h.fields = parts;
      std::uint32_t bits = 0;
      std::array<std::uint32_t, max_parts> row{}, back{};
      for (std::uint32_t k = 0; k < parts; ++k) {
        h.width[k] = static_cast<std::uint8_t>(1 + random() % 32);
        bits += h.width[k];
        std::uint64_t const top = std::uint64_t{1} << h.width[k];
        row[k] = static_cast<std::uint32_t>(random() % 2 ? top - 1 : random() % top);  // the widest value, often
      }
      h.stride = (bits + 7) / 8;
      std::array<unsigned char, max_parts * 4 + 8> packed;
      packed.fill(0xa5);
      REQUIRE(packed_rows::pack(h, row.data(), packed.data()));
      CHECK(packed[h.stride] == 0xa5);  // nothing written past the row
      packed_rows::unpack(h, packed.data(), back.data());
      for (std::uint32_t k = 0; k < parts; ++k) CHECK(back[k] == row[k]);
      auto const k = random() % parts;
      if (h.width[k] < 32) {
        row[k] = std::uint32_t{1} << h.width[k];
        CHECK_FALSE(packed_rows::pack(h, row.data(), packed.data()));
      }
    }
  }
}

// Inserts the states of `order` as a parallel search's workers would: into
// tables that never grow under an insert, growing the ones that refused
// (grow_refused) and trying again, with grow() every `level` states as at a
// level's end; then settles. Returns the memory held.
static std::uint64_t fill(visited_set<state>& set, std::vector<state> const& order, std::size_t level) {
  REQUIRE(set.grow());
  for (std::size_t i = 0; i < order.size(); ++i) {
    for (;;) {
      auto const in = set.insert(order[i].data(), 0);
      REQUIRE(in.status != insert_status::no_memory);
      if (in.status != insert_status::full) break;
      REQUIRE(set.grow_refused());
    }
    if ((i + 1) % level == 0) REQUIRE(set.grow());
  }
  set.settle();
  return set.memory_bytes();
}

TEST_CASE("visited: packed rows widen as the parts' tables grow, and hold the same memory in any order", "[visited]") {
  // Part 0's values grow from one to 6,667, so its width grows in the
  // middle of row chunks, past 13 bits in the last level, where the row
  // grows from 4 bytes to 5; part 2 keeps 60 values (7 bits), the others
  // a few (4 bits).
  std::vector<state> states;
  std::mt19937 random(5);
  for (std::uint32_t n = 0; n < 20000; ++n) {
    state s{};
    std::uint32_t const wide = n / 3;
    std::memcpy(s.data(), &wide, sizeof wide);
    s[18] = static_cast<unsigned char>(n % 60);
    s[33] = static_cast<unsigned char>(random() % 3);
    states.push_back(s);
  }
  std::size_t const level = 12000;
  visited_set<state> a(0, 40, cut(5));
  std::uint64_t const held = fill(a, states, level);
  for (std::uint32_t i = 0; i < states.size(); ++i) {
    auto const back = a[i];
    CHECK(back == states[i]);
  }
  CHECK(a.row_bytes() == 5);  // 14 + 7 + 3 x 4 bits, where 4-byte indices take 20 bytes
  // The same states, each level's in another order: the same memory.
  std::vector<state> shuffled = states;
  for (std::size_t from = 0; from < shuffled.size(); from += level)
    std::shuffle(shuffled.begin() + static_cast<std::ptrdiff_t>(from),
                 shuffled.begin() + static_cast<std::ptrdiff_t>(std::min(from + level, shuffled.size())), random);
  visited_set<state> b(0, 40, cut(5));
  CHECK(fill(b, shuffled, level) == held);
  for (std::uint32_t i = 0; i < shuffled.size(); ++i) {
    auto const in = b.insert(states[i].data(), 0);
    CHECK(in.status == insert_status::old);
  }
}

TEST_CASE("visited: a table grows past records it could not store, and finds the others", "[visited]") {
  // Room for the first chunk of 4,096 records of 40 bytes (160 KiB) and
  // for 8,192 and then 32,768 slots of 4 bytes beside it, not for a second
  // chunk: the records from 4,096 on leave tombstones.
  std::size_t const chunk = chunk_records * 40;
  memory_account memory(chunk + 4 * 8192 + 4 * 32768 + 8192);
  byte_table table(memory, fixed_records(40, false));
  REQUIRE(table.grow());
  auto record = [](std::uint32_t n) {
    state s{};
    std::memcpy(s.data() + 3, &n, sizeof n);
    return s;
  };
  auto insert = [&](std::uint32_t n) {
    auto const s = record(n);
    for (;;) {
      auto const in = table.find_or_insert(s.data(), hash_bytes(s.data(), s.size()));
      if (in.status != insert_status::full) return in;
      REQUIRE(table.grow());
    }
  };
  for (std::uint32_t n = 0; n < chunk_records; ++n) REQUIRE(insert(n).status == insert_status::fresh);
  for (std::uint32_t n = chunk_records; n < chunk_records + 5; ++n) CHECK(insert(n).status == insert_status::no_memory);
  CHECK(table.size() == chunk_records + 5);
  REQUIRE(table.capacity() == 8192);
  REQUIRE(table.grow(0.25));  // rehashes, the five records under tombstones left out
  CHECK(table.capacity() == 32768);
  for (std::uint32_t n = 0; n < chunk_records; ++n) {
    auto const in = insert(n);
    CHECK(in.status == insert_status::old);
    CHECK(in.index == n);
  }
  CHECK(insert(chunk_records + 2).status == insert_status::no_memory);
}
