// The parallel search gives the same result for any number of workers: on a
// toy model big enough that its tables grow in the middle of a level, and on
// the whole catalog with reductions on and off.
#include "search/explorer.hpp"
#include "tests/search/toy_properties.hpp"
#include "lang/spec.hpp"
#include "report/render.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <array>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <stdexcept>

using namespace pgmapcheck;

namespace {

// Six counters, each taken from 0 to 7 by its own actor: 8^6 = 262,144
// states. The step that makes the counters read `bad` violates; a state
// whose counters are all 7 is terminal, and a deadlock when asked.
struct counters : toy::properties {
  struct state {
    std::array<std::uint8_t, 6> c;
  };
  struct step {
    std::uint8_t actor;
    std::uint8_t bad;
  };
  std::array<std::uint8_t, 6> bad{255, 255, 255, 255, 255, 255};

  state initial() const { return {}; }
  template <class F>
  void for_each_successor(state const& s, F&& f) const {
    for (std::uint8_t a = 0; a < 6; ++a) {
      if (s.c[a] == 7) continue;
      state n = s;
      ++n.c[a];
      f(step{a, static_cast<std::uint8_t>(n.c == bad)}, n);
    }
  }
};
static_assert(model<counters>);

// One state fanning out to 5,000, each then taking one more step: the
// first level alone fills the visited set's first table several times over,
// so its tables grow in the middle of a level, with workers stopped and
// resumed.
struct fan {
  struct state {
    std::uint16_t v;
    std::uint8_t phase;
    std::uint8_t pad;
  };
  struct step {
    std::uint16_t v;
    std::uint8_t bad;
    std::uint8_t pad;
  };
  std::uint16_t bad = 0;  // the step that ends at (bad, 2) violates

  state initial() const { return {0, 0, 0}; }
  template <class F>
  void for_each_successor(state const& s, F&& f) const {
    if (s.phase == 0)
      for (std::uint16_t v = 1; v <= 5000; ++v) f(step{v, 0, 0}, state{v, 1, 0});
    else if (s.phase == 1)
      f(step{s.v, static_cast<std::uint8_t>(s.v == bad), 0}, state{s.v, 2, 0});
  }
  property_set check(step const& st) const {
    property_set p;
    if (st.bad) p.add(property::use_after_free);
    return p;
  }
  property_set check_terminal(state const&) const { return {}; }
};
static_assert(model<fan>);

template <class State, class Step>
void same(basic_search_result<State, Step> const& a, basic_search_result<State, Step> const& b) {
  CHECK(a.result == b.result);
  CHECK(a.violated == b.violated);
  CHECK(a.states == b.states);
  CHECK(a.transitions == b.transitions);
  CHECK(a.depth == b.depth);
  CHECK(a.shortest == b.shortest);
  CHECK(a.memory_bytes == b.memory_bytes);
  REQUIRE(a.trace.size() == b.trace.size());
  for (std::size_t i = 0; i < a.trace.size(); ++i) {
    CHECK(std::memcmp(&a.trace[i].step, &b.trace[i].step, sizeof a.trace[i].step) == 0);
    CHECK(std::memcmp(&a.trace[i].after, &b.trace[i].after, sizeof a.trace[i].after) == 0);
  }
}

// Searches m with 1, 2 and 4 workers and compares the results.
template <class M>
void same_for_any_workers(M const& m) {
  limits one;
  auto const a = explore(m, property_set::all(), one);
  for (unsigned n : {2u, 4u}) {
    INFO(n << " workers");
    limits many;
    many.threads = n;
    same(a, explore(m, property_set::all(), many));
  }
}

}  // namespace

TEST_CASE("threads: a toy search is the same with 1, 2 and 4 workers", "[explorer][threads]") {
  counters whole, violated, deadlock;
  violated.bad = {3, 0, 5, 1, 0, 2};
  deadlock.terminal_is_deadlock = true;
  for (auto const* m : {&whole, &violated, &deadlock}) same_for_any_workers(*m);
  limits one;
  auto const all = explore(whole, property_set::all(), one);
  CHECK(all.result == verdict::holds);
  CHECK(all.states == 262144);
  CHECK(all.transitions == 6 * 7 * 8 * 8 * 8 * 8 * 8);
  CHECK(all.depth == 42);
  auto const v = explore(violated, property_set::all(), one);
  REQUIRE(v.result == verdict::violation);
  CHECK(v.trace.size() == 11);
  // The first of the shortest runs in the one-thread queue's order: the
  // lowest actor that can step, first.
  CHECK(v.trace.front().step.actor == 0);
  CHECK(v.trace.back().step.actor == 5);
  auto const d = explore(deadlock, property_set::all(), one);
  CHECK(d.trace.size() == 42);
}

TEST_CASE("threads: tables that grow in the middle of a level change nothing", "[explorer][threads]") {
  fan whole, violated;
  violated.bad = 4321;
  for (auto const* m : {&whole, &violated}) same_for_any_workers(*m);
  auto const all = explore(whole, property_set::all());
  CHECK(all.result == verdict::holds);
  CHECK(all.states == 10001);
  CHECK(all.transitions == 10000);
  auto const v = explore(violated, property_set::all());
  REQUIRE(v.result == verdict::violation);
  REQUIRE(v.trace.size() == 2);
  CHECK(v.trace[0].step.v == 4321);
  CHECK(v.states == 10000);  // the violating level's successors are stored too, but for the violating step's
  CHECK(v.transitions == 10000);
}

TEST_CASE("threads: the catalog is the same with 1 and 2 workers, reductions on and off", "[threads][catalog]") {
  int compared = 0;
  for (auto const& file : catalog_files(std::filesystem::path(PGMAPCHECK_SOURCE_DIR) / "specs")) {
    spec const s = load_spec(file);
    INFO(s.path);
    for (bool reduce : {true, false}) {
      limits one, two;
      one.no_reduction = two.no_reduction = !reduce;
      two.threads = 2;
      auto const a = run_check(s, one);
      auto const b = run_check(s, two);
      CHECK(a.result == b.result);
      CHECK(a.violated == b.violated);
      CHECK(a.states == b.states);
      CHECK(a.transitions == b.transitions);
      CHECK(render_text(a) == render_text(b));  // the counterexample, byte for byte
      auto ja = nlohmann::json::parse(render_json(a)), jb = nlohmann::json::parse(render_json(b));
      ja.erase("timing");  // seconds and RSS: the one part that may differ
      jb.erase("timing");
      CHECK(ja == jb);
    }
    ++compared;
  }
  CHECK(compared >= 50);
}

TEST_CASE("threads: an exception in a worker reaches the caller", "[threads]") {
  pgmapcheck::detail::worker_pool pool(2);
  std::atomic<int> ran{0};
  CHECK_THROWS_WITH(pool.run([&](unsigned w) {
    ++ran;
    if (w == 1) throw std::runtime_error("worker 1");
  }),
                    "worker 1");
  CHECK(ran == 2);
  pool.run([&](unsigned) { ++ran; });  // the pool still works
  CHECK(ran == 4);
}
