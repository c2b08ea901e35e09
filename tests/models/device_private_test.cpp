// The DEVICE_PRIVATE (and COHERENT) lifecycle table, row by row, under every era.
#include "models/device_coherent.hpp"
#include "models/device_private.hpp"
#include "tests/models/harness.hpp"

#include <catch2/catch.hpp>

using namespace pgmapcheck;
using namespace pgmapcheck::models;
using namespace pgmapcheck::testing;

TEST_CASE("device_private: the table's rows", "[device_private]") {
  constexpr auto rows = machine::describe(device_private::table);
  std::array<machine::row_info<page_state>, 19> want{{
      {page_state::free, "alloc", "", "driver_alloc", cache},
      {cache, "map", "", "map_ref", cache},
      {cache, "put_page", "put_frees", "put_ref", page_state::free},
      {cache, "put_page", "", "put_ref", cache},
      {cache, "get_page", "", "get_ref", pinned},
      {pinned, "get_page", "", "get_ref", pinned},
      {pinned, "put_page", "put_frees", "put_ref", page_state::free},
      {pinned, "put_page", "more_pins", "put_ref", pinned},
      {pinned, "put_page", "", "put_ref", cache},
      {page_state::free, "put_page", "", "put_ref", page_state::free},
      {cache, "unmap", "put_frees", "zap_put", page_state::free},
      {cache, "unmap", "", "zap_put", cache},
      {pinned, "unmap", "put_frees", "zap_put", page_state::free},
      {pinned, "unmap", "", "zap_put", pinned},
      {page_state::free, "put_page(base)", "", "put_ref", page_state::free},
      {cache, "put_page(base)", "put_frees", "put_ref", page_state::free},
      {cache, "put_page(base)", "", "put_ref", cache},
      {pinned, "put_page(base)", "put_frees", "put_ref", page_state::free},
      {pinned, "put_page(base)", "", "put_ref", pinned},
  }};
  check_rows(rows, want);
  CHECK(&device_coherent::table == &device_private::table);
}

// Allocate, migrate into the process, finalize; then the process unmaps.
// Returns the refcount after each of the four steps.
std::array<int, 4> lifecycle(rig& r) {
  std::array<int, 4> rc{};
  r.fire<events::alloc>(0, 0);
  rc[0] = r.page().refcount;
  r.fire<events::map>(0, 0);
  rc[1] = r.page().refcount;
  r.fire<events::put_page>(0, 0);
  rc[2] = r.page().refcount;
  r.fire<events::unmap>(0, 1);
  rc[3] = r.page().refcount;
  return rc;
}

TEST_CASE("device_private v5.10: 1-based, page_free at 2->1", "[device_private]") {
  rig r(pagemap::device_private, era::v5_10);
  CHECK(lifecycle(r) == std::array<int, 4>{2, 3, 2, 1});
  CHECK(r.page().state == page_state::free);
  CHECK(r.w.ref == 2);  // no pgmap ref moves: the page never reached 0
}

TEST_CASE("device_private rfc-v3: init_page_count 0->1, page_free at 1->0", "[device_private]") {
  rig r(pagemap::device_private, era::rfc_v3);
  CHECK(lifecycle(r) == std::array<int, 4>{1, 2, 1, 0});
  CHECK(r.page().state == page_state::free);
  CHECK(r.w.ref == 2);
}

TEST_CASE("device_private v5.18: lock only, free at 0 then reset to 1", "[device_private]") {
  rig r(pagemap::device_private, era::v5_18);
  CHECK(lifecycle(r) == std::array<int, 4>{1, 2, 1, 1});
  CHECK(r.page().state == page_state::free);
  CHECK(r.w.ref == 2);
}

TEST_CASE("device_private v6.1: a pgmap ref per allocation, dropped at free", "[device_private]") {
  for (auto e : {era::v6_1, era::v6_15}) {
    rig r(pagemap::device_private, e);
    CHECK(r.w.ref == 1);  // memremap takes none
    r.fire<events::alloc>(0, 0);
    CHECK(r.w.ref == 2);  // zone_device_page_init: tryget_live
    r.fire<events::map>(0, 0);
    r.fire<events::put_page>(0, 0);
    auto st = r.fire<events::unmap>(0, 1);
    CHECK((st.effects & fx_free_callback) != 0);
    CHECK((st.effects & fx_put_dev_pagemap) != 0);
    CHECK(r.page().refcount == 0);
    CHECK(r.w.ref == 1);
  }
}

TEST_CASE("device_private: page_free under a mapping or an owner is free-while-used", "[device_private]") {
  rig r(pagemap::device_private, era::v5_10);
  r.fire<events::alloc>(0, 0);
  r.fire<events::map>(0, 0);
  r.fire<events::put_page>(0, 0);
  auto st = r.fire<events::put_base>(0, 1);  // memunmap's loop, 2->1
  CHECK(violates(st, property::free_while_used));
  CHECK(r.page().state == page_state::free);
}

TEST_CASE("device_private v6.1: the CPU fault's reference keeps the page", "[device_private]") {
  rig r(pagemap::device_private, era::v6_1, 1, 3);
  r.fire<events::alloc>(0, 0);
  r.fire<events::map>(0, 0);
  r.fire<events::put_page>(0, 0);
  CHECK(clean(r.fire<events::get_page>(0, 2)));  // do_swap_page get_page
  CHECK(clean(r.fire<events::unmap>(0, 1)));     // racing munmap
  CHECK(r.page().state == pinned);
  CHECK(r.page().refcount == 1);
  auto st = r.fire<events::put_page>(0, 2);
  CHECK(clean(st));
  CHECK(r.page().state == page_state::free);
}

TEST_CASE("device_coherent v6.1: page_free + put_dev_pagemap at 0", "[device_coherent]") {
  rig r(pagemap::device_coherent, era::v6_1);
  r.fire<events::alloc>(0, 0);
  r.fire<events::map>(0, 0);
  r.fire<events::put_page>(0, 0);
  auto st = r.fire<events::unmap>(0, 1);
  CHECK((st.effects & fx_put_dev_pagemap) != 0);
  CHECK(r.page().state == page_state::free);
  CHECK(r.w.ref == 1);
}
