// The P2PDMA page lifecycle table, row by row, under v5.10, rfc-v3 and patches.
#include "models/p2pdma.hpp"
#include "tests/models/harness.hpp"

#include <catch2/catch.hpp>

using namespace pgmapcheck;
using namespace pgmapcheck::models;
using namespace pgmapcheck::testing;

TEST_CASE("p2pdma: the table's rows", "[p2pdma]") {
  constexpr auto rows = machine::describe(p2pdma::table);
  std::array<machine::row_info<page_state>, 18> want{{
      {page_state::free, "alloc", "", "", cache},
      {cache, "release", "", "gen_pool_free", page_state::free},
      {pinned, "release", "", "gen_pool_free", page_state::free},
      {cache, "map", "", "map_noref", cache},
      {cache, "unmap", "put_frees", "zap_put", page_state::free},
      {cache, "unmap", "", "zap_put", cache},
      {pinned, "unmap", "", "zap_put", pinned},
      {cache, "get_page", "", "get_ref", pinned},
      {pinned, "get_page", "", "get_ref", pinned},
      {pinned, "put_page", "put_frees", "put_ref", page_state::free},
      {pinned, "put_page", "more_pins", "put_ref", pinned},
      {pinned, "put_page", "", "put_ref", cache},
      {page_state::free, "put_page", "", "put_ref", page_state::free},
      {page_state::free, "put_page(base)", "", "put_ref", page_state::free},
      {cache, "put_page(base)", "put_frees", "put_ref", page_state::free},
      {cache, "put_page(base)", "", "put_ref", cache},
      {pinned, "put_page(base)", "put_frees", "put_ref", page_state::free},
      {pinned, "put_page(base)", "", "put_ref", pinned},
  }};
  check_rows(rows, want);
}

TEST_CASE("p2pdma v5.10: allocation leaves the page at 1", "[p2pdma]") {
  rig r(pagemap::p2pdma, era::v5_10, 2);
  CHECK(r.w.ref == 3);  // initial ref + one per page (memremap_pages, v5.10)
  CHECK(clean(r.fire<events::alloc>(0)));
  CHECK(r.page().state == cache);
  CHECK(r.page().refcount == 1);
  CHECK(r.w.ref == 3);
}

TEST_CASE("p2pdma v5.10: put_page 1->0 drops a pgmap ref; below 0 underflows", "[p2pdma]") {
  rig r(pagemap::p2pdma, era::v5_10);
  r.fire<events::alloc>(0);
  auto st = r.fire<events::put_base>(0);
  CHECK(clean(st));
  CHECK((st.effects & fx_put_dev_pagemap) != 0);
  CHECK(r.page().state == cache);
  CHECK(r.page().refcount == 0);
  CHECK(r.w.ref == 1);
  st = r.fire<events::put_base>(0);
  CHECK(violates(st, property::refcount_underflow));
  CHECK(r.page().refcount == -1);
  CHECK(r.w.ref == 1);
}

TEST_CASE("p2pdma v5.10: get_page/put_page pin and unpin", "[p2pdma]") {
  rig r(pagemap::p2pdma, era::v5_10, 1, 3);
  r.fire<events::alloc>(0);
  CHECK(clean(r.fire<events::get_page>(0, 1)));
  CHECK(r.page().state == pinned);
  CHECK(r.page().refcount == 2);
  CHECK(clean(r.fire<events::get_page>(0, 2)));
  CHECK(r.page().pins == 2);
  CHECK(clean(r.fire<events::put_page>(0, 1)));  // more_pins
  CHECK(r.page().state == pinned);
  CHECK(clean(r.fire<events::put_page>(0, 2)));
  CHECK(r.page().state == cache);
  CHECK(r.page().refcount == 1);
  CHECK(r.page().holders == 0);
  CHECK(r.w.ref == 2);
}

TEST_CASE("p2pdma: get_page at refcount 0 is get-from-zero", "[p2pdma]") {
  rig r(pagemap::p2pdma, era::rfc_v3);
  r.fire<events::alloc>(0);
  CHECK(r.page().refcount == 0);
  auto st = r.fire<events::get_page>(0, 1);
  CHECK(violates(st, property::get_from_zero));
  CHECK(r.page().refcount == 1);
}

TEST_CASE("p2pdma rfc-v3: a put to 0 leaves pgmap->ref alone", "[p2pdma]") {
  rig r(pagemap::p2pdma, era::rfc_v3, 2);
  CHECK(r.w.ref == 3);  // +N taken in bulk
  r.fire<events::alloc>(0);
  r.fire<events::get_page>(0, 1);
  auto st = r.fire<events::put_page>(0, 1);
  CHECK(clean(st));
  CHECK((st.effects & fx_put_dev_pagemap) == 0);
  CHECK(r.page().refcount == 0);
  CHECK(r.w.ref == 3);
  CHECK(violates(r.fire<events::put_base>(0), property::refcount_underflow));
}

TEST_CASE("p2pdma: the pool free checks for other users and double frees", "[p2pdma]") {
  rig r(pagemap::p2pdma, era::v5_10, 1, 3);
  r.fire<events::alloc>(0);
  r.w.pages[0].holders = 1;  // actor 0 owns the allocation
  r.fire<events::get_page>(0, 1);
  r.fire<events::put_page>(0, 1);
  CHECK(clean(r.fire<events::release>(0, 0)));
  CHECK(r.page().state == page_state::free);

  r.reset();
  r.fire<events::alloc>(0);
  r.w.pages[0].holders = 3;  // actor 1 still references it
  CHECK(violates(r.fire<events::release>(0, 0), property::free_while_used));
  CHECK(r.page().state == page_state::free);
}

TEST_CASE("p2pdma: a pool free under a consumer's reference is free-while-used", "[p2pdma]") {
  rig r(pagemap::p2pdma, era::v6_15, 1, 3);
  r.fire<events::alloc>(0);
  r.fire<events::get_page>(0, 1);
  CHECK(violates(r.fire<events::release>(0, 0), property::free_while_used));
  CHECK(r.page().state == page_state::free);
}

TEST_CASE("p2pdma patch zero_put_frees: the put to 0 frees the page", "[p2pdma]") {
  rig r(pagemap::p2pdma, era::v5_10, 1, 3);
  r.sc.rule.zero_put_frees = 1;
  r.fire<events::alloc>(0);
  r.w.pages[0].holders = 1;  // actor 0 owns the allocation
  auto st = r.fire<events::put_base>(0, 2);
  CHECK(r.page().state == page_state::free);
  CHECK((st.effects & fx_free_callback) != 0);
  CHECK(violates(st, property::free_while_used));
}

TEST_CASE("p2pdma: a put to 0 under each era", "[p2pdma]") {
  struct expected {
    era e;
    int free_refcount;
    bool drops_pgmap, frees;
  };
  for (auto const& x : {expected{era::v5_10, 1, true, false}, expected{era::rfc_v3, 0, false, false},
                        expected{era::v5_18, 1, false, false}, expected{era::v6_1, 1, false, false},
                        expected{era::v6_15, 0, true, true}}) {
    INFO(name_of(x.e));
    rig r(pagemap::p2pdma, x.e, 1, 3);
    CHECK(r.page().refcount == x.free_refcount);
    r.fire<events::alloc>(0);
    r.w.pages[0].refcount = 1;  // as after p2pmem_alloc_mmap's set_page_count(1), or a v5.10 allocation
    auto st = r.fire<events::put_base>(0, 2);
    CHECK(((st.effects & fx_put_dev_pagemap) != 0) == x.drops_pgmap);
    CHECK(((st.effects & fx_free_callback) != 0) == x.frees);
    CHECK((r.page().state == page_state::free) == x.frees);
  }
}
