// Kernel rules: one set of named knobs per era and pagemap type
// (docs/kernel-model.md, Eras).
//
// preset(era, type) resolves the era table's columns into a flat `rules` value for
// one pagemap type; a spec's [patch] table then overrides knobs by name.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace pgmapcheck::models {

enum class era : std::uint8_t { v5_10, rfc_v3, v5_18, v6_1, v6_15 };
inline constexpr std::array<std::string_view, 5> era_names{"v5.10", "rfc-v3", "v5.18", "v6.1", "v6.15"};
inline constexpr std::array<std::string_view, 5> era_meanings{
    "Linux v5.10: 1-based ZONE_DEVICE refcounts, put_page -> put_dev_pagemap",
    "RFC v3 'mm: remove extra ZONE_DEVICE struct page refcount' (20201001181715.17416-3-rcampbell@nvidia.com)",
    "Linux v5.18: 27674ef6c73f 'mm: remove the extra ZONE_DEVICE struct page refcount'",
    "Linux v6.1: ef233450898f + 0dc45ca1ce18 (device private frees at 0, pgmap ref per allocation)",
    "Linux v6.15: 38607c62b34b 'fs/dax: properly refcount fs dax pages'",
};

enum class pagemap : std::uint8_t { device_private, device_coherent, fs_dax, generic, p2pdma };
inline constexpr std::array<std::string_view, 5> pagemap_names{"device_private", "device_coherent", "fs_dax", "generic",
                                                               "p2pdma"};
inline constexpr std::array<std::string_view, 5> pagemap_meanings{
    "MEMORY_DEVICE_PRIVATE: device memory the CPU cannot address; pages migrate in and out",
    "MEMORY_DEVICE_COHERENT: CPU-coherent device memory (since v6.1)",
    "MEMORY_DEVICE_FS_DAX: persistent memory under a DAX filesystem",
    "MEMORY_DEVICE_GENERIC: device-dax and other plain ZONE_DEVICE memory",
    "MEMORY_DEVICE_PCI_P2PDMA: PCI BAR memory handed out by pci_alloc_p2pmem",
};

constexpr std::string_view name_of(era e) { return era_names[static_cast<std::size_t>(e)]; }
constexpr std::string_view name_of(pagemap t) { return pagemap_names[static_cast<std::size_t>(t)]; }

// How memunmap_pages drops the references memremap_pages took on pgmap->ref.
enum class memunmap_drop : std::int8_t { put_page, put_many, none };
// How a driver allocates a device-private page.
enum class private_alloc : std::int8_t { get_page_lock, init_page_count, lock_only, zone_device_page_init };

// The flat, resolved rules for one pagemap type under one era (plus patch).
// Every field is a knob: small integers so a knob table can name them all.
struct rules {
  std::int8_t free_refcount = 1;
  std::int8_t memremap_pgmap_refs = 1;
  std::int8_t memunmap_drop = 0;  // memunmap_drop
  std::int8_t zero_put_drops_pgmap = 1;
  std::int8_t zero_put_frees = 0;
  std::int8_t reset_after_free = 0;
  std::int8_t private_free_at = 1;
  std::int8_t private_alloc = 0;  // private_alloc
  std::int8_t fs_dax_idle = 1;
  std::int8_t fs_dax_map_ref = 0;
  std::int8_t fs_dax_cache_ref = 0;
  std::int8_t cpu_fault_page_ref = 0;
  std::int8_t exit_before_unpublish = 1;
  std::int8_t p2p_alloc_ref = 1;
  std::int8_t p2p_mmap_ref = 0;
  std::int8_t truncate_skips_unmapped = 1;
  std::int8_t truncate_waits_idle = 1;

  constexpr bool operator==(rules const&) const = default;
};

enum class knob_kind : std::uint8_t { boolean, integer, choice };

struct knob {
  std::string_view name;
  std::int8_t rules::*field;
  knob_kind kind;
  std::int8_t min, max;                   // integer range (choice: index range)
  std::array<std::string_view, 4> choices;  // choice names, by value
  std::string_view meaning;
  std::string_view source;
  std::array<pagemap, 5> concerns;  // the types whose model honours it
  std::uint8_t concerns_count;
};

inline constexpr auto all_types = std::array{pagemap::device_private, pagemap::device_coherent, pagemap::fs_dax,
                                             pagemap::generic, pagemap::p2pdma};

// clang-format off
inline constexpr std::array knobs{
  knob{"free_refcount", &rules::free_refcount, knob_kind::integer, 0, 1, {},
       "refcount of a free page (0- or 1-based)",
       "mm/page_alloc.c:memmap_init_zone_device (v5.10: 1); mm/memremap.c:zone_device_page_init (v6.1, ef233450898f); docs/kernel-model.md#free_refcount",
       all_types, 5},
  knob{"memremap_pgmap_refs", &rules::memremap_pgmap_refs, knob_kind::boolean, 0, 1, {},
       "memremap_pages takes one pgmap->ref per page (+N)",
       "mm/memremap.c:pagemap_range percpu_ref_get_many (v5.10; skipped for PRIVATE/COHERENT by 0dc45ca1ce18, v6.1); docs/kernel-model.md#memremap_pgmap_refs",
       all_types, 5},
  knob{"memunmap_drop", &rules::memunmap_drop, knob_kind::choice, 0, 2, {"put_page", "put_many", "none"},
       "how memunmap_pages drops those refs: put_page on every pfn, one percpu_ref_put_many(N), or none",
       "mm/memremap.c:memunmap_pages (v5.10: for_each_device_pfn put_page; 27674ef6c73f, v5.18: put_many); docs/kernel-model.md#memunmap_drop",
       all_types, 5},
  knob{"zero_put_drops_pgmap", &rules::zero_put_drops_pgmap, knob_kind::boolean, 0, 1, {},
       "a page refcount reaching 0 calls put_dev_pagemap (-1 pgmap->ref)",
       "mm/swap.c:__put_page -> put_dev_pagemap (v5.10); mm/memremap.c:free_zone_device_page (v6.1); docs/kernel-model.md#zero_put_drops_pgmap",
       all_types, 5},
  knob{"zero_put_frees", &rules::zero_put_frees, knob_kind::boolean, 0, 1, {},
       "a page refcount reaching 0 returns the page to its allocator (page_free, folio_free, gen_pool free)",
       "mm/memremap.c:free_zone_device_page (v5.18 27674ef6c73f, v6.1); drivers/pci/p2pdma.c:p2pdma_page_free (v6.2); docs/kernel-model.md#zero_put_frees",
       {pagemap::device_private, pagemap::device_coherent, pagemap::p2pdma}, 3},
  knob{"reset_after_free", &rules::reset_after_free, knob_kind::boolean, 0, 1, {},
       "after the free at 0 the refcount is reset to 1 (set_page_count(page, 1))",
       "mm/memremap.c:free_zone_device_page set_page_count(page, 1) (v5.18, 27674ef6c73f); docs/kernel-model.md#reset_after_free",
       all_types, 5},
  knob{"private_free_at", &rules::private_free_at, knob_kind::integer, 0, 1, {},
       "device-private page_free fires when the refcount reaches this value (1: 2->1 via free_devmap_managed_page)",
       "mm/swap.c:put_devmap_managed_page -> mm/memremap.c:free_devmap_managed_page (v5.10); docs/kernel-model.md#private_free_at",
       {pagemap::device_private}, 1},
  knob{"private_alloc", &rules::private_alloc, knob_kind::choice, 0, 3,
       {"get_page_lock", "init_page_count", "lock_only", "zone_device_page_init"},
       "how a driver allocates a device-private page",
       "lib/test_hmm.c:dmirror_devmem_alloc_page (v5.10); mm/memremap.c:zone_device_page_init (v6.1, 0dc45ca1ce18); docs/kernel-model.md#private_alloc",
       {pagemap::device_private, pagemap::device_coherent}, 2},
  knob{"fs_dax_idle", &rules::fs_dax_idle, knob_kind::integer, 0, 1, {},
       "the refcount at which an FS_DAX page is idle (truncate's wait condition; wake_up_var fires there)",
       "fs/ext4/inode.c:ext4_break_layouts wait_var_event(refcount == 1) (v5.10); 38607c62b34b (v6.15): 0; docs/kernel-model.md#fs_dax_idle",
       {pagemap::fs_dax}, 1},
  knob{"fs_dax_map_ref", &rules::fs_dax_map_ref, knob_kind::boolean, 0, 1, {},
       "mapping an FS_DAX page into a process takes +1 ref and +1 mapcount (zap drops them)",
       "fs/dax.c:dax_iomap_pte_fault vmf_insert_mixed, no ref (v5.10); 38607c62b34b (v6.15) takes one; docs/kernel-model.md#fs_dax_map_ref",
       {pagemap::fs_dax}, 1},
  knob{"fs_dax_cache_ref", &rules::fs_dax_cache_ref, knob_kind::boolean, 0, 1, {},
       "associating an FS_DAX page with a file's mapping takes a page ref (dropped at disassociate)",
       "fs/dax.c:dax_associate_entry (no ref in any era); docs/kernel-model.md#fs_dax_cache_ref",
       {pagemap::fs_dax}, 1},
  knob{"cpu_fault_page_ref", &rules::cpu_fault_page_ref, knob_kind::boolean, 0, 1, {},
       "a CPU fault on a device-private page holds a page ref around migrate_to_ram",
       "mm/memory.c:do_swap_page (16ce101db85d, v6.1); docs/kernel-model.md#cpu_fault_page_ref",
       {pagemap::device_private}, 1},
  knob{"exit_before_unpublish", &rules::exit_before_unpublish, knob_kind::boolean, 0, 1, {},
       "memunmap_pages calls percpu_ref_exit before the pgmap leaves the xarray",
       "mm/memremap.c:memunmap_pages, dev_pagemap_cleanup (v5.10; 1e57ffb6e3fd reorders, v6.0); docs/kernel-model.md#exit_before_unpublish",
       all_types, 5},
  knob{"p2p_alloc_ref", &rules::p2p_alloc_ref, knob_kind::boolean, 0, 1, {},
       "pci_alloc_p2pmem takes one pgmap->ref per allocation (tryget_live), pci_free_p2pmem drops it",
       "drivers/pci/p2pdma.c:pci_alloc_p2pmem, pci_free_p2pmem (v5.10); docs/kernel-model.md#p2p_alloc_ref",
       {pagemap::p2pdma}, 1},
  knob{"p2p_mmap_ref", &rules::p2p_mmap_ref, knob_kind::boolean, 0, 1, {},
       "the P2PDMA mmap path takes +1 pgmap->ref per mapped page",
       "drivers/pci/p2pdma.c:p2pmem_alloc_mmap (v6.2+, read in 6.12); docs/kernel-model.md#p2p_mmap_ref",
       {pagemap::p2pdma}, 1},
  knob{"truncate_skips_unmapped", &rules::truncate_skips_unmapped, knob_kind::boolean, 0, 1, {},
       "dax_layout_busy_page returns at once when no process maps the file (!mapping_mapped)",
       "fs/dax.c:dax_layout_busy_page_range !mapping_mapped (v5.10 to v6.14); docs/kernel-model.md#truncate_skips_unmapped",
       {pagemap::fs_dax}, 1},
  knob{"truncate_waits_idle", &rules::truncate_waits_idle, knob_kind::boolean, 0, 1, {},
       "truncate waits for a busy FS_DAX page to go idle before freeing its block",
       "fs/ext4/inode.c:ext4_break_layouts ___wait_var_event (v5.10); docs/kernel-model.md#truncate_waits_idle",
       {pagemap::fs_dax}, 1},
};
// clang-format on

// Returns the knob named `name`, if any.
constexpr knob const* find_knob(std::string_view name) {
  for (auto const& k : knobs)
    if (k.name == name) return &k;
  return nullptr;
}

// Returns true iff knob k is honoured by the model of type t.
constexpr bool concerns(knob const& k, pagemap t) {
  for (std::uint8_t i = 0; i < k.concerns_count; ++i)
    if (k.concerns[i] == t) return true;
  return false;
}

// The rules of `e` for pagemap type `t`, column by column from docs/kernel-model.md's era table.
constexpr rules preset(era e, pagemap t) {
  using enum pagemap;
  bool const priv = t == device_private;
  bool const priv_or_coh = priv || t == device_coherent;
  rules r;
  switch (e) {
    case era::v5_10:
      break;  // the defaults are v5.10
    case era::rfc_v3:
      r.free_refcount = 0;
      r.memunmap_drop = static_cast<std::int8_t>(memunmap_drop::put_many);
      r.zero_put_drops_pgmap = 0;
      r.zero_put_frees = priv;
      r.private_free_at = 0;
      r.private_alloc = static_cast<std::int8_t>(private_alloc::init_page_count);
      r.fs_dax_idle = 0;
      break;
    case era::v5_18:
      r.memunmap_drop = static_cast<std::int8_t>(memunmap_drop::put_many);
      r.zero_put_drops_pgmap = 0;
      r.zero_put_frees = priv;
      r.reset_after_free = priv;
      r.private_free_at = 0;
      r.private_alloc = static_cast<std::int8_t>(private_alloc::lock_only);
      break;
    case era::v6_1:
    case era::v6_15:
      r.free_refcount = priv_or_coh ? 0 : 1;
      r.memremap_pgmap_refs = !priv_or_coh;
      r.memunmap_drop = static_cast<std::int8_t>(priv_or_coh ? memunmap_drop::none : memunmap_drop::put_many);
      // mm/memremap.c:free_zone_device_page (v6.1) calls put_dev_pagemap
      // for PRIVATE and COHERENT. Its reset to 1 for other
      // types sits after page_free, and in v6.1 no FS_DAX, GENERIC or P2PDMA
      // pgmap has a page_free op: the function WARNs and returns first, so
      // their count stays at 0 (P2PDMA gets page_free, and the reset, with
      // the v6.2 mmap path).
      r.zero_put_drops_pgmap = priv_or_coh;
      r.zero_put_frees = priv_or_coh;
      r.private_free_at = 0;
      r.private_alloc = static_cast<std::int8_t>(private_alloc::zone_device_page_init);
      r.cpu_fault_page_ref = 1;
      r.exit_before_unpublish = 0;
      // drivers/pci/p2pdma.c in v6.1 has no p2pmem_alloc_mmap (it came in v6.2).
      r.p2p_mmap_ref = e == era::v6_15;
      if (e == era::v6_15) {
        r.free_refcount = t == generic ? 1 : 0;
        r.zero_put_drops_pgmap = priv_or_coh || t == p2pdma;
        r.zero_put_frees = priv_or_coh || t == p2pdma;
        r.fs_dax_idle = 0;
        r.fs_dax_map_ref = 1;
        r.truncate_skips_unmapped = 0;
      }
      break;
  }
  return r;
}

// Returns true iff type t existed in era e (MEMORY_DEVICE_COHERENT came in v6.1).
constexpr bool exists_in(pagemap t, era e) {
  return t != pagemap::device_coherent || e == era::v6_1 || e == era::v6_15;
}

std::optional<era> parse_era(std::string_view name);
std::optional<pagemap> parse_pagemap(std::string_view name);

}  // namespace pgmapcheck::models
