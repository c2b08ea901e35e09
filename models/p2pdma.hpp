// The MEMORY_DEVICE_PCI_P2PDMA page lifecycle (drivers/pci/p2pdma.c, mm/memremap.c).
//
// A page is free in the p2pdma gen_pool, in "cache" while an allocation owns
// it, and pinned while a consumer holds a get_page reference. pgmap->ref is
// taken per allocation (pci_alloc_p2pmem), not per page: the puts below are
// where V1 lives (docs/kernel-model.md#v1).
#pragma once

#include "models/page_rows.hpp"

namespace pgmapcheck::models::p2pdma {

using machine::event;
using enum page_state;
using namespace events;
using namespace rows;
using monitor_rows::held_by_others;

// gen_pool_free_owner (pci_free_p2pmem): the page goes back to the pool;
// freeing a page another actor still references is free-while-used.
inline constexpr auto pool_free = machine::action("gen_pool_free", [](ctx& c, int p) {
  c.check_free(p);
  c.page(p).holders = 0;
});

// clang-format off
inline constexpr auto table = machine::make_table(
  free   + event<alloc>                                  = cache,   // gen_pool_alloc_owner
  cache  + event<release>               / pool_free      = free,    // gen_pool_free_owner
  pinned + event<release>               / pool_free      = free,    // ... under a consumer's ref: free-while-used
  cache  + event<map>                   / map_noref      = cache,   // p2pmem_alloc_mmap: vm_insert_page
  cache  + event<unmap> [put_frees]     / unmap_ref      = free,    // zap: p2pdma_page_free (v6.15)
  cache  + event<unmap>                 / unmap_ref      = cache,
  pinned + event<unmap>                 / unmap_ref      = pinned,
  cache  + event<get_page>              / get_ref        = pinned,  // consumer get_page(sg_page())
  pinned + event<get_page>              / get_ref        = pinned,
  pinned + event<put_page> [put_frees]  / drop_pin       = free,    // v6.15 p2pdma_page_free at 0
  pinned + event<put_page> [more_pins]  / drop_pin       = pinned,
  pinned + event<put_page>              / drop_pin       = cache,
  free   + event<put_page>              / drop_pin       = free,    // a pin outlived a free at 0
  free   + event<put_base>              / drop_base      = free,    // memunmap's put loop (v5.10)
  cache  + event<put_base> [put_frees]  / drop_base      = free,
  cache  + event<put_base>              / drop_base      = cache,   // V1: an unbalanced put_page
  pinned + event<put_base> [put_frees]  / drop_base      = free,
  pinned + event<put_base>              / drop_base      = pinned
);
// clang-format on

static_assert(machine::validate_unique(machine::describe(table)), "p2pdma: duplicate (src, event, guard) row");
static_assert(machine::validate_reachable(machine::describe(table)), "p2pdma: a state is unreachable from free");
static_assert(machine::validate_allowed(machine::describe(table)), "p2pdma: a forbidden edge or event");

// The lifecycle as model code drives it (docs/language.md, Lifecycle
// monitors): the primitives fire these events and change the kernel counters
// themselves; the rows say which moves a page of this type may make, and a
// move with no row is a `lifecycle` violation. No action: the monitor keeps
// only the page's state.
// clang-format off
inline constexpr auto monitor = machine::make_table(
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

static_assert(machine::validate_unique(machine::describe(monitor)), "p2pdma: duplicate (src, event, guard) monitor row");
static_assert(machine::validate_reachable(machine::describe(monitor)), "p2pdma: a monitor state is unreachable from free");
static_assert(machine::validate_allowed(machine::describe(monitor)), "p2pdma: a forbidden monitor edge or event");

}  // namespace pgmapcheck::models::p2pdma
