// The MEMORY_DEVICE_FS_DAX page lifecycle (fs/dax.c, include/linux/mm.h).
//
// A page is a filesystem block: free when unused, "cache" while associated
// with a file's mapping (and maybe mapped by a process), pinned while a gup/DMA
// reference is outstanding. Its idle refcount is the era's code (fs/dax.c).
#pragma once

#include "models/lifecycle.hpp"

namespace pgmapcheck::models::fs_dax {

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

static_assert(machine::validate_unique(machine::describe(table)), "fs_dax: duplicate (src, event, guard) row");
static_assert(machine::validate_reachable(machine::describe(table)), "fs_dax: a state is unreachable from free");
static_assert(machine::validate_allowed(machine::describe(table)), "fs_dax: a forbidden edge or event");

}  // namespace pgmapcheck::models::fs_dax
