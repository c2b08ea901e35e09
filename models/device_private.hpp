// The MEMORY_DEVICE_PRIVATE page lifecycle (mm/memremap.c, mm/migrate.c, mm/memory.c).
//
// A page is free on the driver's free list, "cache" while the driver owns it
// or a process maps it through a device-private swap entry, pinned while a
// CPU fault holds a reference (v6.1+). When the refcount reaches the era's
// free point (2->1 in v5.10 through free_devmap_managed_page, 1->0 later)
// page_free hands it back to the driver.
#pragma once

#include "models/page_rows.hpp"

namespace pgmapcheck::models::device_private {

using machine::event;
using enum page_state;
using namespace events;
using namespace rows;
using monitor_rows::held_by_others;

// The driver allocates a free device page, by era (docs/kernel-model.md#private_alloc):
// v5.10 get_page 1->2 + lock_page; rfc-v3 init_page_count 0->1; v5.18 lock
// only (the count is already 1); v6.1 zone_device_page_init: tryget_live on
// pgmap->ref (+1, WARN_ON_ONCE on failure, and the page is handed out anyway),
// set_page_count(1), lock_page.
inline constexpr auto driver_alloc = machine::action("driver_alloc", [](ctx& c, int p) {
  c.touch_page(p);
  auto& pg = c.page(p);
  switch (static_cast<private_alloc>(c.rule().private_alloc)) {
    case private_alloc::get_page_lock:
      if (pg.refcount == 0) c.violate(property::get_from_zero);
      pg.refcount = static_cast<std::int8_t>(pg.refcount + 1);
      break;
    case private_alloc::init_page_count: pg.refcount = 1; break;
    case private_alloc::lock_only: break;
    case private_alloc::zone_device_page_init:
      if (!c.tryget_live()) c.effect(fx_tryget_failed);
      pg.refcount = 1;
      break;
  }
  c.hold(p);
});

// clang-format off
inline constexpr auto table = machine::make_table(
  free   + event<alloc>                   / driver_alloc = cache,   // driver allocation
  cache  + event<map>                     / map_ref      = cache,   // migrate_vma_pages: +1, mapped
  cache  + event<put_page> [put_frees]    / drop_hold    = free,    // migrate_vma_finalize, last ref
  cache  + event<put_page>                / drop_hold    = cache,   // migrate_vma_finalize
  cache  + event<get_page>                / get_ref      = pinned,  // do_swap_page get_page (v6.1+)
  pinned + event<get_page>                / get_ref      = pinned,
  pinned + event<put_page> [put_frees]    / drop_pin     = free,    // the fault's put frees it
  pinned + event<put_page> [more_pins]    / drop_pin     = pinned,
  pinned + event<put_page>                / drop_pin     = cache,
  free   + event<put_page>                / drop_pin     = free,    // a ref that outlived page_free
  cache  + event<unmap>    [put_frees]    / unmap_ref    = free,    // zap / migrate back: page_free
  cache  + event<unmap>                   / unmap_ref    = cache,
  pinned + event<unmap>    [put_frees]    / unmap_ref    = free,
  pinned + event<unmap>                   / unmap_ref    = pinned,
  free   + event<put_base>                / drop_base    = free,    // memunmap's put loop (v5.10)
  cache  + event<put_base> [put_frees]    / drop_base    = free,    // V9: page_free under a mapping
  cache  + event<put_base>                / drop_base    = cache,
  pinned + event<put_base> [put_frees]    / drop_base    = free,
  pinned + event<put_base>                / drop_base    = pinned
);
// clang-format on

static_assert(machine::validate_unique(machine::describe(table)), "device_private: duplicate (src, event, guard) row");
static_assert(machine::validate_reachable(machine::describe(table)), "device_private: a state is unreachable from free");
static_assert(machine::validate_allowed(machine::describe(table)), "device_private: a forbidden edge or event");

// The lifecycle as model code drives it (docs/language.md, Lifecycle
// monitors): the primitives fire these events and change the kernel counters
// themselves; the rows say which moves a page of this type may make, and a
// move with no row is a `lifecycle` violation. No action: the monitor keeps
// only the page's state.
// clang-format off
inline constexpr auto monitor = machine::make_table(
  free   + event<alloc>                     = cache,    // devmem_free_list_pop: the driver allocates
  cache  + event<get_page>                  = pinned,   // get_page: the allocation (v5.10), a fault (v6.1), eviction
  pinned + event<get_page>                  = pinned,
  pinned + event<put_page> [held_by_others] = pinned,
  pinned + event<put_page>                  = cache,
  free   + event<put_page>                  = free,     // a reference that outlived page_free (free-while-used)
  cache  + event<map>                       = cache,    // set_pte_device_private: migrate_vma_pages
  pinned + event<map>                       = pinned,
  cache  + event<unmap>                     = cache,    // zap_pte: MADV_DONTNEED, migration back
  pinned + event<unmap>                     = pinned,
  free   + event<put_base>                  = free,     // memunmap's put loop (v5.10)
  cache  + event<put_base>                  = cache,
  pinned + event<put_base>                  = pinned,
  cache  + event<release>                   = free,     // page_free: devmem_free_list_add
  pinned + event<release>                   = free      // ... under a reference: free-while-used (V9)
);
// clang-format on

static_assert(machine::validate_unique(machine::describe(monitor)), "device_private: duplicate (src, event, guard) monitor row");
static_assert(machine::validate_reachable(machine::describe(monitor)), "device_private: a monitor state is unreachable from free");
static_assert(machine::validate_allowed(machine::describe(monitor)), "device_private: a forbidden monitor edge or event");

}  // namespace pgmapcheck::models::device_private
