// The explorer on toy models whose state spaces are known by hand.
#include "search/explorer.hpp"
#include "tests/search/toy_properties.hpp"

#include <catch2/catch.hpp>
#include <vector>

using namespace pgmapcheck;

namespace {

// Two counters: actor 0 takes x from 0 to 3, actor 1 takes y from 0 to 2.
// 4 * 3 = 12 states; 3 * 3 + 2 * 4 = 17 transitions; (3, 2) is terminal.
struct grid : toy::properties {
  struct state {
    std::uint8_t x, y;
  };
  struct step {
    std::uint8_t actor;
    std::uint8_t bad;
  };
  std::uint8_t bad_x = 255, bad_y = 255;  // the step that reaches (bad_x, bad_y) violates

  state initial() const { return {0, 0}; }
  template <class F>
  void for_each_successor(state const& s, F&& f) const {
    if (s.x < 3) emit({static_cast<std::uint8_t>(s.x + 1), s.y}, 0, f);
    if (s.y < 2) emit({s.x, static_cast<std::uint8_t>(s.y + 1)}, 1, f);
  }
  template <class F>
  void emit(state n, std::uint8_t actor, F& f) const {
    f(step{actor, static_cast<std::uint8_t>(n.x == bad_x && n.y == bad_y)}, n);
  }
};
static_assert(model<grid>);

// 0 -> {1, 2}; 1 -> 3 by a violating step; 2 is terminal and violates.
// BFS expands 1 before 2, but the terminal violation (1 step) is shorter.
struct branchy {
  struct state {
    std::uint8_t n;
  };
  struct step {
    std::uint8_t to;
  };
  state initial() const { return {0}; }
  template <class F>
  void for_each_successor(state const& s, F&& f) const {
    if (s.n == 0) {
      f(step{1}, state{1});
      f(step{2}, state{2});
    } else if (s.n == 1) {
      f(step{3}, state{3});
    } else if (s.n == 3) {
      f(step{4}, state{4});
    }
  }
  property_set check(step const& st) const {
    property_set p;
    if (st.to == 3) p.add(property::use_after_free);
    return p;
  }
  property_set check_terminal(state const& s) const {
    property_set p;
    if (s.n == 2) p.add(property::deadlock);
    return p;
  }
};

}  // namespace

TEST_CASE("explorer: counts every reachable state and transition", "[explorer]") {
  grid g;
  auto r = explore(g, property_set::all());
  CHECK(r.result == verdict::holds);
  CHECK(r.states == 12);
  CHECK(r.transitions == 17);
  CHECK(r.depth == 5);
  CHECK(r.trace.empty());
}

TEST_CASE("explorer: the counterexample is a shortest one", "[explorer]") {
  grid g;
  g.bad_x = 2;
  g.bad_y = 1;
  auto r = explore(g, property_set::all());
  REQUIRE(r.result == verdict::violation);
  CHECK(r.violated == property::refcount_underflow);
  CHECK(r.violation_at_step);
  REQUIRE(r.trace.size() == 3);
  CHECK(r.shortest);
  CHECK(r.trace.back().after.x == 2);
  CHECK(r.trace.back().after.y == 1);
  int xs = 0;
  for (auto const& e : r.trace) xs += e.step.actor == 0;
  CHECK(xs == 2);
}

TEST_CASE("explorer: an unchecked property is not reported", "[explorer]") {
  grid g;
  g.bad_x = 2;
  g.bad_y = 1;
  property_set only_deadlock;
  only_deadlock.add(property::deadlock);
  auto r = explore(g, only_deadlock);
  CHECK(r.result == verdict::holds);
  CHECK(r.states == 12);
}

TEST_CASE("explorer: terminal violations are checked on states with no successor", "[explorer]") {
  grid g;
  g.terminal_is_deadlock = true;
  auto r = explore(g, property_set::all());
  REQUIRE(r.result == verdict::violation);
  CHECK(r.violated == property::deadlock);
  CHECK_FALSE(r.violation_at_step);
  CHECK(r.trace.size() == 5);
}

TEST_CASE("explorer: a shorter terminal violation beats a step violation of its level", "[explorer]") {
  auto r = explore(branchy{}, property_set::all());
  REQUIRE(r.result == verdict::violation);
  CHECK(r.violated == property::deadlock);
  CHECK(r.trace.size() == 1);
}

TEST_CASE("explorer: limits end the search as incomplete, never holds", "[explorer]") {
  grid g;
  limits lim;
  lim.max_states = 5;
  auto r = explore(g, property_set::all(), lim);
  CHECK(r.result == verdict::incomplete);
  CHECK(r.incomplete_reason == "state limit reached");
  CHECK(r.states <= 5);

  limits mem;
  mem.max_memory_bytes = 1;
  CHECK(explore(g, property_set::all(), mem).result == verdict::incomplete);

  std::atomic<bool> stop{true};
  limits cancel;
  cancel.cancel = &stop;
  auto c = explore(g, property_set::all(), cancel);
  CHECK(c.result == verdict::incomplete);
  CHECK(c.incomplete_reason == "interrupted");
}

TEST_CASE("explorer: a violation found before a limit is still reported", "[explorer]") {
  grid g;
  g.bad_x = 1;
  g.bad_y = 1;
  limits lim;
  lim.max_states = 4;  // hit while the level that finds (1, 1) is being expanded
  auto r = explore(g, property_set::all(), lim);
  CHECK(r.result == verdict::violation);
  CHECK(r.trace.size() == 2);
  CHECK(r.shortest);  // its level is expanded whole, though no more states are stored
  CHECK(r.states == 3);  // the states within one step

  std::atomic<bool> stop{true};
  limits cancel;
  cancel.cancel = &stop;
  g.bad_x = 0;  // the very first step violates, but the search is interrupted first
  CHECK(explore(g, property_set::all(), cancel).result == verdict::incomplete);
}

TEST_CASE("explorer: each step of the counterexample is the first a one-thread queue meets", "[explorer]") {
  // The queue holds (1,0) before (0,1), (2,0) before (1,1), and so on: the
  // first state of each level to reach the next state on the way to (3,2)
  // is the one with the most x, so the path takes x up first.
  grid g;
  g.terminal_is_deadlock = true;
  for (unsigned threads : {1u, 2u}) {
    INFO(threads << " workers");
    limits lim;
    lim.threads = threads;
    auto r = explore(g, property_set::all(), lim);
    REQUIRE(r.result == verdict::violation);
    std::vector<int> actors;
    for (auto const& e : r.trace) actors.push_back(e.step.actor);
    CHECK(actors == std::vector<int>{0, 0, 0, 1, 1});
  }
}
