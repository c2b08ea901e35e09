// Guards and actions shared by the page lifecycle tables of several pagemap types.
#pragma once

#include "models/world.hpp"

namespace pgmapcheck::models::rows {

// Returns true iff the page has another pin besides the one being dropped.
inline constexpr auto more_pins = machine::guard("more_pins", [](ctx const& c, int p) { return c.page(p).pins > 1; });

// Returns true iff this put brings the refcount to the era's free point, so a
// free callback returns the page to its allocator (docs/kernel-model.md#zero_put_frees).
inline constexpr auto put_frees =
    machine::guard("put_frees", [](ctx const& c, int p) { return c.page(p).refcount - 1 == c.free_point(); });

// get_page / try_grab_page (include/linux/mm.h): +1, VM_BUG_ON at refcount 0.
inline constexpr auto get_ref = machine::action("get_ref", [](ctx& c, int p) { c.get_ref(p); });

// The holder drops its reference with the era's put_page semantics.
inline constexpr auto drop_pin = machine::action("put_ref", [](ctx& c, int p) { c.drop_pin(p); });

// put_page on a reference no actor holds (memunmap's loop, a stray put).
inline constexpr auto drop_base = machine::action("put_ref", [](ctx& c, int p) { c.put_ref(p); });

// The owner (a driver between allocation and migrate_vma_finalize) drops its reference.
inline constexpr auto drop_hold = machine::action("put_ref", [](ctx& c, int p) { c.drop_hold(p); });

// Returns true iff a process PTE still maps the page.
inline constexpr auto still_mapped =
    machine::guard("still_mapped", [](ctx const& c, int p) { return (c.page(p).flags & pf_mapped) != 0; });

// A PTE that holds a page reference is installed (migrate_vma_pages,
// vm_insert_page): +1, mapped.
inline constexpr auto map_ref = machine::action("map_ref", [](ctx& c, int p) {
  c.touch_page(p);
  c.page(p).flags = static_cast<std::uint8_t>(c.page(p).flags | pf_mapped);
  c.page(p).refcount = static_cast<std::int8_t>(c.page(p).refcount + 1);
});

// A PTE that holds no page reference is installed (vmf_insert_mixed, pte_devmap).
inline constexpr auto map_noref = machine::action("map_noref", [](ctx& c, int p) {
  c.page(p).flags = static_cast<std::uint8_t>(c.page(p).flags | pf_mapped);
});

// zap_pte_range / a migration drops a PTE that holds a page reference.
inline constexpr auto unmap_ref = machine::action("zap_put", [](ctx& c, int p) {
  c.page(p).flags = static_cast<std::uint8_t>(c.page(p).flags & ~pf_mapped);
  c.put_ref(p);
});

// zap_pte_range drops a PTE that holds no page reference.
inline constexpr auto unmap_noref = machine::action("zap", [](ctx& c, int p) {
  c.page(p).flags = static_cast<std::uint8_t>(c.page(p).flags & ~pf_mapped);
});

}  // namespace pgmapcheck::models::rows
