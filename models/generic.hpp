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

}  // namespace pgmapcheck::models::generic
