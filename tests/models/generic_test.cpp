// The GENERIC (device-dax) lifecycle table, row by row, and its refcounts by era.
#include "models/generic.hpp"
#include "tests/models/harness.hpp"

#include <catch2/catch.hpp>

using namespace pgmapcheck;
using namespace pgmapcheck::models;
using namespace pgmapcheck::testing;

TEST_CASE("generic: the table's rows", "[generic]") {
  constexpr auto rows = machine::describe(generic::table);
  std::array<machine::row_info<page_state>, 12> want{{
      {page_state::free, "alloc", "", "", cache},
      {cache, "map", "", "map_noref", cache},
      {cache, "unmap", "", "zap", page_state::free},
      {pinned, "unmap", "", "zap", pinned},
      {cache, "get_page", "", "get_ref", pinned},
      {pinned, "get_page", "", "get_ref", pinned},
      {pinned, "put_page", "more_pins", "put_ref", pinned},
      {pinned, "put_page", "still_mapped", "put_ref", cache},
      {pinned, "put_page", "", "put_ref", page_state::free},
      {page_state::free, "put_page(base)", "", "put_ref", page_state::free},
      {cache, "put_page(base)", "", "put_ref", cache},
      {pinned, "put_page(base)", "", "put_ref", pinned},
  }};
  check_rows(rows, want);
}

TEST_CASE("generic: mappings hold no ref; a pin outlives the mapping", "[generic]") {
  for (auto e : {era::v5_10, era::v5_18, era::v6_1, era::v6_15}) {
    rig r(pagemap::generic, e);
    r.fire<events::alloc>(0);
    r.fire<events::map>(0);
    CHECK(r.page().refcount == 1);
    CHECK(clean(r.fire<events::get_page>(0, 1)));
    CHECK(clean(r.fire<events::unmap>(0)));
    CHECK(r.page().state == pinned);
    CHECK(clean(r.fire<events::put_page>(0, 1)));
    CHECK(r.page().state == page_state::free);
    CHECK(r.page().refcount == 1);
  }
}

TEST_CASE("generic rfc-v3: pages at 0, so gup is get-from-zero", "[generic]") {
  rig r(pagemap::generic, era::rfc_v3);
  r.fire<events::alloc>(0);
  r.fire<events::map>(0);
  CHECK(violates(r.fire<events::get_page>(0, 1), property::get_from_zero));
}

TEST_CASE("generic v5.10: a put to 0 drops a pgmap ref; v5.18 does not", "[generic]") {
  rig old(pagemap::generic, era::v5_10);
  CHECK((old.fire<events::put_base>(0).effects & fx_put_dev_pagemap) != 0);
  rig later(pagemap::generic, era::v5_18);
  CHECK((later.fire<events::put_base>(0).effects & fx_put_dev_pagemap) == 0);
}
