// The state-machine DSL: rows, guards, actions, first-match firing, validation.
#include "models/lifecycle.hpp"
#include "machine/machine.hpp"

#include <catch2/catch.hpp>

namespace {

using pgmapcheck::machine::action;
using pgmapcheck::machine::event;
using pgmapcheck::machine::guard;
using pgmapcheck::machine::row_info;
using pgmapcheck::models::page_state;
constexpr auto cache = page_state::cache;
constexpr auto pinned = page_state::pinned;

struct poke {
  static constexpr std::string_view name = "poke";
};
struct prod {
  static constexpr std::string_view name = "prod";
};

struct counter {
  int value = 0;
  int actions = 0;
};

constexpr auto is_big = guard("is_big", [](counter const& c) { return c.value > 10; });
constexpr auto is_odd = guard("is_odd", [](counter const& c) { return c.value % 2 != 0; });
constexpr auto bump = action("bump", [](counter& c) { ++c.actions; });
constexpr auto double_bump = action("double_bump", [](counter& c) { c.actions += 2; });

// clang-format off
constexpr auto toy = pgmapcheck::machine::make_table(
  page_state::free   + event<poke> [is_big] / double_bump = pinned,
  page_state::free   + event<poke> [is_odd] / bump        = cache,
  page_state::free   + event<poke>                        = page_state::free,
  cache  + event<prod>          / bump        = pinned,
  pinned + event<prod>                        = cache
);
// clang-format on

}  // namespace

TEST_CASE("machine: describe lists every row with its names", "[machine]") {
  constexpr auto rows = pgmapcheck::machine::describe(toy);
  STATIC_REQUIRE(rows.size() == 5);
  CHECK(rows[0].src == page_state::free);
  CHECK(rows[0].event == "poke");
  CHECK(rows[0].guard == "is_big");
  CHECK(rows[0].action == "double_bump");
  CHECK(rows[0].dst == pinned);
  CHECK(rows[2].guard.empty());
  CHECK(rows[2].action.empty());
  CHECK(rows[4].src == pinned);
  CHECK(rows[4].dst == cache);
}

TEST_CASE("machine: the first row whose guard holds fires", "[machine]") {
  page_state s = page_state::free;
  counter c{11, 0};  // big and odd: the is_big row comes first
  CHECK(pgmapcheck::machine::fire<poke>(toy, s, c));
  CHECK(s == pinned);
  CHECK(c.actions == 2);

  s = page_state::free;
  c = {3, 0};  // odd only
  CHECK(pgmapcheck::machine::fire<poke>(toy, s, c));
  CHECK(s == cache);
  CHECK(c.actions == 1);

  s = page_state::free;
  c = {4, 0};  // neither: the unguarded row
  CHECK(pgmapcheck::machine::fire<poke>(toy, s, c));
  CHECK(s == page_state::free);
  CHECK(c.actions == 0);
}

TEST_CASE("machine: an event with no row for the state does not fire", "[machine]") {
  page_state s = page_state::free;
  counter c;
  CHECK_FALSE(pgmapcheck::machine::fire<prod>(toy, s, c));
  CHECK(s == page_state::free);
  s = cache;
  CHECK_FALSE(pgmapcheck::machine::fire<poke>(toy, s, c));
  CHECK(s == cache);
  CHECK(pgmapcheck::machine::fire<prod>(toy, s, c));
  CHECK(s == pinned);
  CHECK(pgmapcheck::machine::fire<prod>(toy, s, c));
  CHECK(s == cache);
}

TEST_CASE("machine: validation accepts a good table and rejects each bad one", "[machine]") {
  using info = row_info<page_state>;
  std::array<info, 3> good{{{page_state::free, "alloc", "", "", cache}, {cache, "pin", "", "", pinned}, {cache, "release", "", "", page_state::free}}};
  CHECK(pgmapcheck::machine::validate_unique(good));
  CHECK(pgmapcheck::machine::validate_reachable(good));
  CHECK(pgmapcheck::machine::validate_allowed(good));

  std::array<info, 3> duplicate{{{page_state::free, "alloc", "", "", cache}, {cache, "pin", "g", "", pinned}, {cache, "pin", "g", "", cache}}};
  CHECK_FALSE(pgmapcheck::machine::validate_unique(duplicate));
  std::array<info, 2> other_guard{{{cache, "pin", "g", "", pinned}, {cache, "pin", "h", "", cache}}};
  CHECK(pgmapcheck::machine::validate_unique(other_guard));

  std::array<info, 2> unreachable{{{page_state::free, "alloc", "", "", cache}, {pinned, "unpin", "", "", cache}}};
  CHECK_FALSE(pgmapcheck::machine::validate_reachable(unreachable));

  std::array<info, 2> free_to_pinned{{{page_state::free, "alloc", "", "", cache}, {page_state::free, "pin", "", "", pinned}}};
  CHECK_FALSE(pgmapcheck::machine::validate_allowed(free_to_pinned));
  std::array<info, 2> double_free{{{page_state::free, "alloc", "", "", cache}, {page_state::free, "release", "", "", page_state::free}}};
  CHECK_FALSE(pgmapcheck::machine::validate_allowed(double_free));
}
