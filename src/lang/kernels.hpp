// The kernels (eras), the pagemap types, and the values of each era that
// model code reads, as named knobs (docs/kernel-model.md, Eras).
//
// preset(era, type) resolves an era's values for one pagemap type; a spec's
// [patch] table or a patch file's [knobs] then override them by name.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace pgmapcheck::models {

enum class era : std::uint8_t { v5_10, rfc_v3, v5_18, v6_1, v6_15, v7_0 };
inline constexpr std::array<std::string_view, 6> era_names{"v5.10", "rfc-v3", "v5.18", "v6.1", "v6.15", "v7.0"};
inline constexpr std::array<std::string_view, 6> era_meanings{
    "Linux v5.10: 1-based ZONE_DEVICE refcounts, put_page -> put_dev_pagemap",
    "RFC v3 'mm: remove extra ZONE_DEVICE struct page refcount' (20201001181715.17416-3-rcampbell@nvidia.com)",
    "Linux v5.18: 27674ef6c73f 'mm: remove the extra ZONE_DEVICE struct page refcount'",
    "Linux v6.1: ef233450898f + 0dc45ca1ce18 (device private frees at 0, pgmap ref per allocation)",
    "Linux v6.15: 38607c62b34b 'fs/dax: properly refcount fs dax pages'",
    "Linux v7.0: the P2PDMA mmap error-path fixes 6220694c52a5, cb500023a752, 83014d82a110",
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

// The newest kernel the library holds: what show and draw read by default.
inline constexpr era newest_era = era::v7_0;

constexpr std::string_view name_of(era e) { return era_names[static_cast<std::size_t>(e)]; }
constexpr std::string_view name_of(pagemap t) { return pagemap_names[static_cast<std::size_t>(t)]; }

// The values of an era that model code reads: what a free page's refcount is
// and how many pgmap references memremap_pages takes (the initial state), and
// the refcounts and pgmap references a page at rest holds at the end (the
// ref-leak baseline). Everything else an era changes is code, in the
// library beside the commit that changed it. Small integers, so a knob table
// can name them all.
struct rules {
  std::int8_t free_refcount = 1;
  std::int8_t memremap_pgmap_refs = 1;
  std::int8_t mapped_refcount = 1;
  std::int8_t cached_refcount = 0;
  std::int8_t allocated_pgmap_ref = 0;
  std::int8_t mapped_pgmap_ref = 0;

  constexpr bool operator==(rules const&) const = default;
};

enum class knob_kind : std::uint8_t { boolean, integer };

struct knob {
  std::string_view name;
  std::int8_t rules::*field;
  knob_kind kind;
  std::int8_t min, max;  // integer range
  std::string_view meaning;
  std::string_view source;
  std::array<pagemap, 5> concerns;  // the types whose model reads it
  std::uint8_t concerns_count;
};

inline constexpr auto all_types = std::array{pagemap::device_private, pagemap::device_coherent, pagemap::fs_dax,
                                             pagemap::generic, pagemap::p2pdma};

// clang-format off
inline constexpr std::array knobs{
  knob{"free_refcount", &rules::free_refcount, knob_kind::integer, 0, 1,
       "refcount of a free page (0- or 1-based)",
       "mm/page_alloc.c:memmap_init_zone_device (v5.10: 1); mm/memremap.c:zone_device_page_init (v6.1, ef233450898f); docs/kernel-model.md#free_refcount",
       all_types, 5},
  knob{"memremap_pgmap_refs", &rules::memremap_pgmap_refs, knob_kind::boolean, 0, 1,
       "memremap_pages takes one pgmap->ref per page (+N)",
       "mm/memremap.c:pagemap_range percpu_ref_get_many (v5.10; skipped for PRIVATE/COHERENT by 0dc45ca1ce18, v6.1); docs/kernel-model.md#memremap_pgmap_refs",
       all_types, 5},
  knob{"mapped_refcount", &rules::mapped_refcount, knob_kind::integer, 0, 2,
       "the refcount a page mapped into a process rests at, when nothing else holds it",
       "lib/test_hmm.c:dmirror_devmem_alloc_page get_page (v5.10: 2 for a device page); vm_insert_page; 38607c62b34b (v6.15); docs/kernel-model.md#mapped_refcount",
       all_types, 5},
  knob{"cached_refcount", &rules::cached_refcount, knob_kind::integer, 0, 1,
       "references a page in a file's page cache holds (none in any era; a patch may add one)",
       "fs/dax.c:dax_associate_entry (no reference in any era); docs/kernel-model.md#cached_refcount",
       {pagemap::fs_dax}, 1},
  knob{"allocated_pgmap_ref", &rules::allocated_pgmap_ref, knob_kind::boolean, 0, 1,
       "a page a driver allocated holds one pgmap->ref until it is freed",
       "mm/memremap.c:zone_device_page_init (0dc45ca1ce18, v6.1); docs/kernel-model.md#allocated_pgmap_ref",
       {pagemap::device_private, pagemap::device_coherent}, 2},
  knob{"mapped_pgmap_ref", &rules::mapped_pgmap_ref, knob_kind::boolean, 0, 1,
       "a page mapped into a process holds one pgmap->ref until it is freed",
       "drivers/pci/p2pdma.c:p2pmem_alloc_mmap (v6.2+, read in 6.12); docs/kernel-model.md#mapped_pgmap_ref",
       {pagemap::p2pdma}, 1},
};
// clang-format on

// Returns the knob named `name`, if any.
constexpr knob const* find_knob(std::string_view name) {
  for (auto const& k : knobs)
    if (k.name == name) return &k;
  return nullptr;
}

// Returns true iff knob k is read by the model of type t.
constexpr bool concerns(knob const& k, pagemap t) {
  for (std::uint8_t i = 0; i < k.concerns_count; ++i)
    if (k.concerns[i] == t) return true;
  return false;
}

// The values of `e` for pagemap type `t`, column by column from
// docs/kernel-model.md's era table.
constexpr rules preset(era e, pagemap t) {
  using enum pagemap;
  bool const priv_or_coh = t == device_private || t == device_coherent;
  rules r;
  switch (e) {
    case era::v5_10:
      // A driver's page: the base reference and the PTE's (get_page on allocation).
      if (t == device_private) r.mapped_refcount = 2;
      break;
    case era::rfc_v3:
      // Free pages at 0 (memmap_init_zone_device); a mapped FS_DAX or
      // device-dax page holds no reference, a driver's page init_page_count's.
      r.free_refcount = 0;
      r.mapped_refcount = t == fs_dax || t == generic ? 0 : 1;
      break;
    case era::v5_18:
      break;
    case era::v6_1:
    case era::v6_15:
    case era::v7_0:
      r.free_refcount = priv_or_coh ? 0 : 1;
      r.memremap_pgmap_refs = !priv_or_coh;
      r.allocated_pgmap_ref = priv_or_coh;
      if (e >= era::v6_15) {
        // 38607c62b34b, aed877c2b425: FS_DAX and P2PDMA pages are 0-based, a
        // mapping holds a reference (GENERIC stays 1-based, so rests at 2),
        // and the P2PDMA mmap path holds a pgmap ref per page.
        r.free_refcount = t == generic ? 1 : 0;
        r.mapped_refcount = t == generic ? 2 : 1;
        r.mapped_pgmap_ref = t == p2pdma;
      }
      break;
  }
  return r;
}

// Returns true iff type t existed in era e (MEMORY_DEVICE_COHERENT came in v6.1).
constexpr bool exists_in(pagemap t, era e) {
  return t != pagemap::device_coherent || e >= era::v6_1;
}

std::optional<era> parse_era(std::string_view name);
std::optional<pagemap> parse_pagemap(std::string_view name);

}  // namespace pgmapcheck::models
