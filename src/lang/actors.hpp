// A scenario as the checker runs it: its pagemap type, kernel, pages and the
// kinds of kernel code path (actors) that race in it, each of which the
// harness (models/harness/actors.kc) runs as a thread of model code.
#pragma once

#include "lang/kernels.hpp"

#include <array>
#include <cstdint>
#include <string_view>

namespace pgmapcheck::models {

inline constexpr int max_pages = 16;
inline constexpr int max_actors = 32;

enum class actor_kind : std::uint8_t {
  memunmap,
  p2p_alloc,
  stray_put,
  stray_get_put,
  fault,
  gup,
  truncate,
  user,
  driver,
  cpu_fault,
  pgmap_lookup,
  p2p_mmap,
  gup_fast_only,
  invalidate,
  madvise_hwpoison,
};
inline constexpr std::array<std::string_view, 15> actor_names{
    "memunmap", "p2p_alloc", "stray_put", "stray_get_put", "fault",    "gup",           "truncate",
    "user",     "driver",    "cpu_fault", "pgmap_lookup",  "p2p_mmap", "gup_fast_only", "invalidate",
    "madvise_hwpoison",
};
inline constexpr std::array<std::string_view, 15> actor_meanings{
    "memunmap_pages: kill, drop page refs, wait for pgmap->ref == 0, exit and unpublish",
    "pci_alloc_p2pmem ... pci_free_p2pmem: a P2PDMA allocation and its release",
    "a consumer's unbalanced put_page on a page it got from sg_page()",
    "a consumer's balanced get_page + put_page on a page it got from sg_page()",
    "the fs-dax/device-dax fault path: associate a free block and insert the PTE",
    "get_user_pages on a mapped page: get_dev_pagemap, pin, DMA, unpin",
    "FS_DAX truncate: dax_layout_busy_page, wait for idle, disassociate and free blocks",
    "the process unmaps the file (munmap: zap_pte_range)",
    "a device driver allocating device pages and migrating them into a process",
    "a CPU fault on a device-private PTE: migrate_to_ram",
    "get_dev_pagemap(pfn) ... put_dev_pagemap racing memunmap",
    "p2pmem_alloc_mmap (v6.2+): a P2PDMA page mapped into a process, one pgmap ref per page",
    "get_user_pages_fast_only over the mapping (the lockless walk, no lock held), then put_page each",
    "invalidate_inode_pages2 on an FS_DAX file: each entry's __dax_invalidate_entry, then unmap (FUSE/virtiofs)",
    "madvise(MADV_HWPOISON) on the mapping's first page: get_user_pages_fast, then memory_failure",
};
constexpr std::string_view name_of(actor_kind k) { return actor_names[static_cast<std::size_t>(k)]; }

// Returns true iff actor kind k runs against pagemap type t (docs/kernel-model.md,
// Actors; `user` unmaps whatever the other paths map, COHERENT and P2PDMA-mmap
// pages included).
constexpr bool applies(actor_kind k, pagemap t) {
  using enum pagemap;
  switch (k) {
    case actor_kind::memunmap:
    case actor_kind::pgmap_lookup:
    case actor_kind::user: return true;
    case actor_kind::driver: return t == device_private || t == device_coherent;
    case actor_kind::cpu_fault: return t == device_private;
    case actor_kind::p2p_alloc:
    case actor_kind::p2p_mmap: return t == p2pdma;
    case actor_kind::stray_put:
    case actor_kind::stray_get_put: return t == p2pdma || t == generic;
    case actor_kind::fault: return t == fs_dax || t == generic;
    case actor_kind::gup:
    case actor_kind::gup_fast_only:
    case actor_kind::madvise_hwpoison: return t == fs_dax || t == generic || t == p2pdma;
    case actor_kind::truncate:
    case actor_kind::invalidate: return t == fs_dax;
  }
  return false;
}

// Returns true iff actor kind k needs the process to map the file or device:
// a scenario with one starts with a VMA (mapping_mapped), one without has none.
constexpr bool maps_file(actor_kind k) {
  return k == actor_kind::fault || k == actor_kind::user || k == actor_kind::driver || k == actor_kind::p2p_mmap;
}

// A scenario, resolved: what the model runs.
struct scenario {
  pagemap type = pagemap::p2pdma;
  kernel_version kernel = kernels::v5_10;
  rules rule{};  // the era's values (and a patch's): free page counts, ref-leak baselines
  int pages = 1;
  bool align_pmd = false;  // align = "pmd": device-dax faults map PMDs, each the pgmap's whole range
  int actor_count = 0;
  std::array<actor_kind, max_actors> actors{};
};

}  // namespace pgmapcheck::models
