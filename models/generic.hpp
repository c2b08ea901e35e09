// The MEMORY_DEVICE_GENERIC page lifecycle (device-dax: drivers/dax/device.c).
//
// A page is free while no process maps it, "cache" while mapped (the PTE is
// pte_devmap and holds no page reference in any era), pinned while gup or a
// consumer holds a reference. Its refcount is 1 at rest in every era.
#pragma once

#include "models/page_rows.hpp"

namespace pgmapcheck::models::generic {

using machine::event;
using enum page_state;
using namespace events;
using namespace rows;
using monitor_rows::held_by_others;

// clang-format off
inline constexpr auto table = machine::make_table(
  free   + event<alloc>                                   = cache,   // dev_dax_huge_fault picks the pfn
  cache  + event<map>                     / map_noref     = cache,   // vmf_insert_mixed: no ref
  cache  + event<unmap>                   / unmap_noref   = free,    // zap_pte_range (munmap)
  pinned + event<unmap>                   / unmap_noref   = pinned,  // gup refs outlive the mapping
  cache  + event<get_page>                / get_ref       = pinned,  // gup / consumer get_page
  pinned + event<get_page>                / get_ref       = pinned,
  pinned + event<put_page> [more_pins]    / drop_pin      = pinned,
  pinned + event<put_page> [still_mapped] / drop_pin      = cache,
  pinned + event<put_page>                / drop_pin      = free,
  free   + event<put_base>                / drop_base     = free,    // memunmap's put loop (v5.10)
  cache  + event<put_base>                / drop_base     = cache,   // an unbalanced consumer put
  pinned + event<put_base>                / drop_base     = pinned
);
// clang-format on

static_assert(machine::validate_unique(machine::describe(table)), "generic: duplicate (src, event, guard) row");
static_assert(machine::validate_reachable(machine::describe(table)), "generic: a state is unreachable from free");
static_assert(machine::validate_allowed(machine::describe(table)), "generic: a forbidden edge or event");

// The lifecycle as model code drives it (docs/language.md, Lifecycle
// monitors): the primitives fire these events and change the kernel counters
// themselves; the rows say which moves a page of this type may make, and a
// move with no row is a `lifecycle` violation. No action: the monitor keeps
// only the page's state.
// clang-format off
inline constexpr auto monitor = machine::make_table(
  free   + event<alloc>                     = cache,    // dev_dax_huge_fault picks a free extent
  cache  + event<map>                       = cache,    // vmf_insert_mixed, vmf_insert_page_mkwrite (v6.15)
  pinned + event<map>                       = pinned,
  cache  + event<unmap>                     = cache,    // zap_pte (munmap, kill_dev_dax)
  pinned + event<unmap>                     = pinned,   // gup refs outlive the mapping
  cache  + event<get_page>                  = pinned,   // gup
  pinned + event<get_page>                  = pinned,
  pinned + event<put_page> [held_by_others] = pinned,
  pinned + event<put_page>                  = cache,
  free   + event<put_page>                  = free,     // a pin that outlived the extent
  cache  + event<put_page>                  = cache,    // ... whose extent was reused
  free   + event<put_base>                  = free,     // memunmap's put loop (v5.10)
  cache  + event<put_base>                  = cache,    // an unbalanced consumer put
  pinned + event<put_base>                  = pinned,
  cache  + event<release>                   = free,     // the extent goes back
  pinned + event<release>                   = free
);
// clang-format on

static_assert(machine::validate_unique(machine::describe(monitor)), "generic: duplicate (src, event, guard) monitor row");
static_assert(machine::validate_reachable(machine::describe(monitor)), "generic: a monitor state is unreachable from free");
static_assert(machine::validate_allowed(machine::describe(monitor)), "generic: a forbidden monitor edge or event");

}  // namespace pgmapcheck::models::generic
