// The FS_DAX page lifecycle table, row by row, under v5.10, rfc-v3 and knobs.
#include "models/fs_dax.hpp"
#include "tests/models/harness.hpp"

#include <catch2/catch.hpp>

using namespace pgmapcheck;
using namespace pgmapcheck::models;
using namespace pgmapcheck::testing;

TEST_CASE("fs_dax: the table's rows", "[fs_dax]") {
  constexpr auto rows = machine::describe(fs_dax::table);
  std::array<machine::row_info<page_state>, 15> want{{
      {page_state::free, "alloc", "", "dax_associate_entry", cache},
      {cache, "map", "", "insert_pte", cache},
      {cache, "unmap", "", "zap_pte", cache},
      {pinned, "unmap", "", "zap_pte", pinned},
      {cache, "get_page", "", "get_ref", pinned},
      {pinned, "get_page", "", "get_ref", pinned},
      {pinned, "put_page", "more_pins", "put_ref", pinned},
      {pinned, "put_page", "", "put_ref", cache},
      {page_state::free, "put_page", "", "put_ref", page_state::free},
      {cache, "put_page", "", "put_ref", cache},
      {cache, "release", "", "dax_disassociate_entry", page_state::free},
      {pinned, "release", "", "dax_disassociate_entry", page_state::free},
      {page_state::free, "put_page(base)", "", "put_ref", page_state::free},
      {cache, "put_page(base)", "", "put_ref", cache},
      {pinned, "put_page(base)", "", "put_ref", pinned},
  }};
  check_rows(rows, want);
}

TEST_CASE("fs_dax v5.10: fault, gup, unpin wake at 1, truncate frees", "[fs_dax]") {
  rig r(pagemap::fs_dax, era::v5_10);
  CHECK(clean(r.fire<events::alloc>(0)));
  CHECK((r.page().flags & pf_associated) != 0);
  CHECK(clean(r.fire<events::map>(0)));
  CHECK((r.page().flags & pf_mapped) != 0);
  CHECK(r.page().refcount == 1);  // vmf_insert_mixed takes no ref
  CHECK(clean(r.fire<events::get_page>(0, 1)));
  CHECK(r.page().state == pinned);
  CHECK(r.page().refcount == 2);
  auto st = r.fire<events::put_page>(0, 1);
  CHECK(clean(st));
  CHECK((st.effects & fx_wake) != 0);  // free_devmap_managed_page at 1
  CHECK((st.effects & fx_put_dev_pagemap) == 0);
  CHECK(r.page().state == cache);
  CHECK(clean(r.fire<events::unmap>(0)));
  CHECK(clean(r.fire<events::release>(0)));
  CHECK(r.page().state == page_state::free);
  CHECK((r.page().flags & pf_associated) == 0);
}

TEST_CASE("fs_dax v5.10: put_page 1->0 drops a pgmap ref", "[fs_dax]") {
  rig r(pagemap::fs_dax, era::v5_10, 2);
  CHECK(r.w.ref == 3);
  auto st = r.fire<events::put_base>(0);
  CHECK(clean(st));
  CHECK((st.effects & fx_put_dev_pagemap) != 0);
  CHECK(r.w.ref == 2);
}

TEST_CASE("fs_dax: freeing a pinned block is dax-truncate-busy", "[fs_dax]") {
  rig r(pagemap::fs_dax, era::v5_10);
  r.fire<events::alloc>(0);
  r.fire<events::map>(0);
  r.fire<events::get_page>(0, 1);
  auto st = r.fire<events::release>(0);
  CHECK(violates(st, property::dax_truncate_busy));
  CHECK(r.page().state == page_state::free);
  CHECK(clean(r.fire<events::put_page>(0, 1)));  // the pin outlives the block
  CHECK(r.page().state == page_state::free);
}

TEST_CASE("fs_dax rfc-v3: pages sit at 0, so gup's get_page is get-from-zero", "[fs_dax]") {
  rig r(pagemap::fs_dax, era::rfc_v3);
  r.fire<events::alloc>(0);
  r.fire<events::map>(0);
  CHECK(r.page().refcount == 0);
  CHECK(violates(r.fire<events::get_page>(0, 1), property::get_from_zero));
  auto st = r.fire<events::put_page>(0, 1);
  CHECK(clean(st));
  CHECK((st.effects & fx_wake) != 0);  // idle is 0 here
  CHECK((st.effects & fx_put_dev_pagemap) == 0);
}

TEST_CASE("fs_dax knobs: map and page-cache references", "[fs_dax]") {
  rig r(pagemap::fs_dax, era::v5_10);
  r.sc.rule.fs_dax_map_ref = 1;
  r.sc.rule.fs_dax_cache_ref = 1;
  r.fire<events::alloc>(0);
  CHECK(r.page().refcount == 2);
  r.fire<events::map>(0);
  CHECK(r.page().refcount == 3);
  CHECK(r.page().mapcount == 1);
  r.fire<events::unmap>(0);
  CHECK(r.page().refcount == 2);
  CHECK(r.page().mapcount == 0);
  CHECK(clean(r.fire<events::release>(0)));
  CHECK(r.page().refcount == 1);
}

TEST_CASE("fs_dax: fault, gup, unpin under each era", "[fs_dax]") {
  struct expected {
    era e;
    int mapped_rc;  // after fault
    bool gup_from_zero;
    bool wake_on_unpin;
  };
  for (auto const& x : {expected{era::v5_10, 1, false, true}, expected{era::rfc_v3, 0, true, true},
                        expected{era::v5_18, 1, false, true}, expected{era::v6_1, 1, false, true},
                        expected{era::v6_15, 1, false, false}}) {
    INFO(name_of(x.e));
    rig r(pagemap::fs_dax, x.e);
    r.fire<events::alloc>(0);
    r.fire<events::map>(0);
    CHECK(r.page().refcount == x.mapped_rc);
    CHECK(violates(r.fire<events::get_page>(0, 1), property::get_from_zero) == x.gup_from_zero);
    auto st = r.fire<events::put_page>(0, 1);
    CHECK(((st.effects & fx_wake) != 0) == x.wake_on_unpin);  // v6.15: 2->1 is not idle (0)
    CHECK((st.effects & fx_put_dev_pagemap) == 0);
  }
}
