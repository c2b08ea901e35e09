// The MEMORY_DEVICE_PRIVATE page lifecycle (mm/memremap.c, mm/migrate.c, mm/memory.c).
//
// A page is free on the driver's free list, "cache" once the driver took it
// off (and while a process maps it through a device-private swap entry),
// pinned while a thread holds a reference (the driver's allocation in v5.10,
// a CPU fault from v6.1, an eviction). page_free puts it back on the list.
#pragma once

#include "models/lifecycle.hpp"

namespace pgmapcheck::models::device_private {

using machine::event;
using enum page_state;
using namespace events;
using monitor_rows::held_by_others;

// The page lifecycle as model code drives it (docs/language.md, Lifecycle
// monitors): the primitives fire these events and change the kernel counters
// themselves; the rows say which moves a page of this type may make, and a
// move with no row is a `lifecycle` violation. No actions: the table keeps
// only the page's state.
// clang-format off
inline constexpr auto table = machine::make_table(
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

static_assert(machine::validate_unique(machine::describe(table)), "device_private: duplicate (src, event, guard) row");
static_assert(machine::validate_reachable(machine::describe(table)), "device_private: a state is unreachable from free");
static_assert(machine::validate_allowed(machine::describe(table)), "device_private: a forbidden edge or event");

}  // namespace pgmapcheck::models::device_private
