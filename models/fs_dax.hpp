// The MEMORY_DEVICE_FS_DAX page lifecycle (fs/dax.c, include/linux/mm.h).
//
// A page is a filesystem block: free when unused, "cache" while associated
// with a file's mapping (and maybe mapped by a process), pinned while a gup/DMA
// reference is outstanding. Its idle refcount is era-dependent (fs_dax_idle).
#pragma once

#include "models/page_rows.hpp"

namespace pgmapcheck::models::fs_dax {

using machine::event;
using enum page_state;
using namespace events;
using namespace rows;
using monitor_rows::held_by_others;

// dax_associate_entry: page->mapping/index set; a page-cache ref only if a
// patch adds one (fs_dax_cache_ref; docs/kernel-model.md#fs_dax_cache_ref).
inline constexpr auto associate = machine::action("dax_associate_entry", [](ctx& c, int p) {
  c.touch_page(p);
  c.page(p).flags = static_cast<std::uint8_t>(c.page(p).flags | pf_associated);
  if (c.rule().fs_dax_cache_ref) c.page(p).refcount = static_cast<std::int8_t>(c.page(p).refcount + 1);
});

// Insert the PTE: v5.10 to v6.14 take no ref (vmf_insert_mixed, pte_devmap);
// v6.15 takes +1 ref and +1 mapcount (fs_dax_map_ref).
inline constexpr auto map_pte = machine::action("insert_pte", [](ctx& c, int p) {
  c.page(p).flags = static_cast<std::uint8_t>(c.page(p).flags | pf_mapped);
  if (c.rule().fs_dax_map_ref) {
    c.touch_page(p);
    c.page(p).refcount = static_cast<std::int8_t>(c.page(p).refcount + 1);
    c.page(p).mapcount = static_cast<std::int8_t>(c.page(p).mapcount + 1);
  }
});

// zap_pte_range: drop the mapping's ref where the era takes one.
inline constexpr auto unmap_pte = machine::action("zap_pte", [](ctx& c, int p) {
  c.page(p).flags = static_cast<std::uint8_t>(c.page(p).flags & ~pf_mapped);
  if (c.rule().fs_dax_map_ref) {
    c.page(p).mapcount = static_cast<std::int8_t>(c.page(p).mapcount - 1);
    c.put_ref(p);
  }
});

// dax_disassociate_entry and the block's free: freeing a block that a gup/DMA
// reference still pins is dax-truncate-busy (V7/V8).
inline constexpr auto disassociate = machine::action("dax_disassociate_entry", [](ctx& c, int p) {
  c.touch_page(p);
  if (c.page(p).pins > 0) c.violate(property::dax_truncate_busy);
  c.page(p).flags = static_cast<std::uint8_t>(c.page(p).flags & ~pf_associated);
  if (c.rule().fs_dax_cache_ref) c.put_ref(p);
});

// clang-format off
inline constexpr auto table = machine::make_table(
  free   + event<alloc>               / associate      = cache,   // fault: dax_associate_entry
  cache  + event<map>                  / map_pte        = cache,   // fault: insert the PTE
  cache  + event<unmap>                / unmap_pte      = cache,   // zap_pte_range
  pinned + event<unmap>                / unmap_pte      = pinned,
  cache  + event<get_page>             / get_ref        = pinned,  // gup: try_grab_page
  pinned + event<get_page>             / get_ref        = pinned,
  pinned + event<put_page> [more_pins] / drop_pin       = pinned,  // unpin_user_page
  pinned + event<put_page>             / drop_pin       = cache,
  free   + event<put_page>             / drop_pin       = free,    // a pin that outlived truncate
  cache  + event<put_page>             / drop_pin       = cache,   // ... whose block was reused
  cache  + event<release>              / disassociate   = free,    // truncate frees the block
  pinned + event<release>              / disassociate   = free,    // V7/V8: freed under DMA
  free   + event<put_base>             / drop_base      = free,    // memunmap's put loop (v5.10)
  cache  + event<put_base>             / drop_base      = cache,
  pinned + event<put_base>             / drop_base      = pinned
);
// clang-format on

static_assert(machine::validate_unique(machine::describe(table)), "fs_dax: duplicate (src, event, guard) row");
static_assert(machine::validate_reachable(machine::describe(table)), "fs_dax: a state is unreachable from free");
static_assert(machine::validate_allowed(machine::describe(table)), "fs_dax: a forbidden edge or event");

// The lifecycle as model code drives it (docs/language.md, Lifecycle
// monitors): the primitives fire these events and change the kernel counters
// themselves; the rows say which moves a page of this type may make, and a
// move with no row is a `lifecycle` violation. No action: the monitor keeps
// only the page's state.
// clang-format off
inline constexpr auto monitor = machine::make_table(
  free   + event<alloc>                     = cache,    // fs_block_alloc: the fault's block
  cache  + event<map>                       = cache,    // vmf_insert_mixed, dax_insert_pfn (v6.15)
  pinned + event<map>                       = pinned,
  cache  + event<unmap>                     = cache,    // zap_pte
  pinned + event<unmap>                     = pinned,
  cache  + event<get_page>                  = pinned,   // gup: try_grab_page
  pinned + event<get_page>                  = pinned,
  pinned + event<put_page> [held_by_others] = pinned,   // unpin_user_page
  pinned + event<put_page>                  = cache,
  free   + event<put_page>                  = free,     // a pin that outlived truncate (V7)
  cache  + event<put_page>                  = cache,    // ... whose block was reused
  free   + event<put_base>                  = free,     // memunmap's put loop (v5.10)
  cache  + event<put_base>                  = cache,
  pinned + event<put_base>                  = pinned,
  cache  + event<release>                   = free,     // fs_block_free: truncate frees the block
  pinned + event<release>                   = free      // ... under DMA: dax-truncate-busy (V7/V8)
);
// clang-format on

static_assert(machine::validate_unique(machine::describe(monitor)), "fs_dax: duplicate (src, event, guard) monitor row");
static_assert(machine::validate_reachable(machine::describe(monitor)), "fs_dax: a monitor state is unreachable from free");
static_assert(machine::validate_allowed(machine::describe(monitor)), "fs_dax: a forbidden monitor edge or event");

}  // namespace pgmapcheck::models::fs_dax
