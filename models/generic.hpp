// The MEMORY_DEVICE_GENERIC page lifecycle (device-dax: drivers/dax/device.c).
//
// A page is a device-dax extent: free until a fault picks it, "cache" while
// the device hands it out (mapped by a process, or after), pinned while gup
// or a consumer holds a reference.
#pragma once

#include "models/lifecycle.hpp"

namespace pgmapcheck::models::generic {

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

static_assert(machine::validate_unique(machine::describe(table)), "generic: duplicate (src, event, guard) row");
static_assert(machine::validate_reachable(machine::describe(table)), "generic: a state is unreachable from free");
static_assert(machine::validate_allowed(machine::describe(table)), "generic: a forbidden edge or event");

}  // namespace pgmapcheck::models::generic
