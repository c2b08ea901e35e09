// The MEMORY_DEVICE_PCI_P2PDMA page lifecycle (drivers/pci/p2pdma.c, mm/memremap.c).
//
// A page is free in the p2pdma gen_pool, in "cache" while an allocation or a
// mapping owns it, and pinned while a consumer holds a get_page reference.
// A consumer's put with no reference of its own is put_page(base): where V1
// lives (docs/kernel-model.md#v1).
#pragma once

#include "models/lifecycle.hpp"

namespace pgmapcheck::models::p2pdma {

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
  free   + event<alloc>                     = cache,    // gen_pool_alloc_owner
  cache  + event<release>                   = free,     // gen_pool_free(_owner), p2pdma_page_free (v6.15)
  pinned + event<release>                   = free,     // ... under a consumer's ref: free-while-used
  cache  + event<map>                       = cache,    // p2pmem_alloc_mmap: vm_insert_page
  pinned + event<map>                       = pinned,
  cache  + event<unmap>                     = cache,    // zap_pte
  pinned + event<unmap>                     = pinned,
  cache  + event<get_page>                  = pinned,   // a consumer's get_page(sg_page())
  pinned + event<get_page>                  = pinned,
  pinned + event<put_page> [held_by_others] = pinned,
  pinned + event<put_page>                  = cache,
  free   + event<put_page>                  = free,     // a pin that outlived a free at 0
  free   + event<put_base>                  = free,     // memunmap's put loop (v5.10)
  cache  + event<put_base>                  = cache,    // V1: an unbalanced put_page
  pinned + event<put_base>                  = pinned
);
// clang-format on

static_assert(machine::validate_unique(machine::describe(table)), "p2pdma: duplicate (src, event, guard) row");
static_assert(machine::validate_reachable(machine::describe(table)), "p2pdma: a state is unreachable from free");
static_assert(machine::validate_allowed(machine::describe(table)), "p2pdma: a forbidden edge or event");

}  // namespace pgmapcheck::models::p2pdma
