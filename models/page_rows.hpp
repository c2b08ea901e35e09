// Guards and actions shared by the page lifecycle tables of several pagemap types.
#pragma once

#include "models/world.hpp"

namespace pgmapcheck::models::rows {

// Returns true iff the page has another pin besides the one being dropped.
inline constexpr auto more_pins = machine::guard("more_pins", [](ctx const& c, int p) { return c.page(p).pins > 1; });

// Returns true iff this put brings the refcount to the era's free point, so a
// free callback returns the page to its allocator (KERNEL.md 'a page's refcount 1->0').
inline constexpr auto put_frees =
    machine::guard("put_frees", [](ctx const& c, int p) { return c.page(p).refcount - 1 == c.free_point(); });

// get_page / try_grab_page (include/linux/mm.h): +1, VM_BUG_ON at refcount 0.
inline constexpr auto get_ref = machine::action("get_ref", [](ctx& c, int p) { c.get_ref(p); });

// The holder drops its reference with the era's put_page semantics.
inline constexpr auto drop_pin = machine::action("put_ref", [](ctx& c, int p) { c.drop_pin(p); });

// put_page on a reference no actor holds (memunmap's loop, a stray put).
inline constexpr auto drop_base = machine::action("put_ref", [](ctx& c, int p) { c.put_ref(p); });

}  // namespace pgmapcheck::models::rows
