// The page lifecycle tables, row by row: the moves model code may make on a
// page of each type, and the ones no type allows.
#include "models/device_coherent.hpp"
#include "models/fs_dax.hpp"
#include "models/generic.hpp"
#include "models/p2pdma.hpp"

#include <catch2/catch.hpp>

#include <optional>
#include <string_view>

using namespace pgmapcheck;
using models::page_state;

namespace {

// Returns the state event E takes a page of a table from `from` to, for a
// page `view`, or nothing when the table has no row.
template <class E, class Table>
std::optional<page_state> move(Table const& table, page_state from, models::page_view view = {}) {
  page_state s = from;
  if (!machine::fire<E>(table, s, view)) return std::nullopt;
  return s;
}

}  // namespace

TEST_CASE("tables: every type takes a page out and back, and refs in between", "[tables]") {
  using namespace models::events;
  auto check = [](auto const& table, std::string_view name) {
    INFO(name);
    CHECK(move<alloc>(table, page_state::free) == page_state::cache);
    CHECK(move<get_page>(table, page_state::cache) == page_state::pinned);
    CHECK(move<put_page>(table, page_state::pinned, {2, false}) == page_state::pinned);  // another holder
    CHECK(move<put_page>(table, page_state::pinned, {1, false}) == page_state::cache);
    CHECK(move<release>(table, page_state::cache) == page_state::free);
    // A page its allocator holds takes no reference, no PTE and no second alloc.
    CHECK_FALSE(move<get_page>(table, page_state::free));
    CHECK_FALSE(move<map>(table, page_state::free));
    CHECK_FALSE(move<release>(table, page_state::free));
    CHECK_FALSE(move<alloc>(table, page_state::cache));
    CHECK_FALSE(move<alloc>(table, page_state::pinned));
    // memunmap's put loop (v5.10) puts pages in any state.
    for (auto s : {page_state::free, page_state::cache, page_state::pinned}) CHECK(move<put_base>(table, s) == s);
  };
  check(models::device_private::table, "device_private");
  check(models::device_coherent::table, "device_coherent");
  check(models::fs_dax::table, "fs_dax");
  check(models::generic::table, "generic");
  check(models::p2pdma::table, "p2pdma");
}

TEST_CASE("tables: a put after the block was reused is FS_DAX's and device-dax's alone", "[tables]") {
  using models::events::put_page;
  CHECK(move<put_page>(models::fs_dax::table, page_state::cache) == page_state::cache);
  CHECK(move<put_page>(models::generic::table, page_state::cache) == page_state::cache);
  CHECK_FALSE(move<put_page>(models::p2pdma::table, page_state::cache));
  CHECK_FALSE(move<put_page>(models::device_private::table, page_state::cache));
}

TEST_CASE("tables: each row is drawn with its event and guard", "[tables]") {
  auto const rows = machine::describe(models::fs_dax::table);
  bool guarded = false;
  for (auto const& r : rows) guarded = guarded || (r.event == "put_page" && r.guard == "held_by_others");
  CHECK(guarded);
  CHECK(rows.size() == 16);
}
