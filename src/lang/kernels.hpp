// The kernels (any release from v5.0, and named patch stacks), the pagemap
// types, and the values of each release that model code reads, as named
// knobs (docs/kernel-model.md, Releases).
//
// preset(kernel, type) resolves a kernel's values for one pagemap type; a
// spec's [patch] table or a patch file's [knobs] then override them by name.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pgmapcheck::models {

// A kernel release as the preprocessor compares it: V6_1 is 601, V5_10 is 510.
constexpr int kernel_release(int major, int minor) { return major * 100 + minor; }

// The releases the library resolves: v5.0 to v5.19, v6.0 to v6.19, v7.0.
inline constexpr int oldest_release = kernel_release(5, 0);
inline constexpr int newest_release = kernel_release(7, 0);
constexpr bool is_release(int r) {
  int const major = r / 100, minor = r % 100;
  return (major == 5 || major == 6) ? minor <= 19 : r == newest_release;
}

// The oldest release whose code the library was read in (5.10.7): a kernel
// before it runs the library's v5.10 code wherever no era block says
// otherwise, and says so (docs/kernel-model.md, Releases).
inline constexpr int oldest_read_release = kernel_release(5, 10);

// A kernel: a release, or a patch stack on one (rfc-v3 is v5.10 with the
// RFC's patches in models/patches/rfc-v3/). Ordered by release, then stack.
struct kernel_version {
  std::uint16_t release = 510;
  std::uint8_t stack = 0;  // 0: the release as it shipped; otherwise named_kernels[stack_index]'s stack

  constexpr auto operator<=>(kernel_version const&) const = default;
  constexpr bool operator==(kernel_version const&) const = default;
  constexpr bool before(int r) const { return release < r; }
};

namespace kernels {
inline constexpr kernel_version v5_10{kernel_release(5, 10), 0};
inline constexpr kernel_version rfc_v3{kernel_release(5, 10), 1};
inline constexpr kernel_version v5_18{kernel_release(5, 18), 0};
inline constexpr kernel_version v6_1{kernel_release(6, 1), 0};
inline constexpr kernel_version v6_15{kernel_release(6, 15), 0};
inline constexpr kernel_version v7_0{kernel_release(7, 0), 0};
}  // namespace kernels

// The kernels that have names: the five releases the catalog was first
// written for, and the RFC as a patch stack. Any other release is "vX.Y".
struct named_kernel {
  std::string_view name;
  kernel_version kernel;
  std::string_view meaning;
};
inline constexpr std::array<named_kernel, 6> named_kernels{{
    {"v5.10", kernels::v5_10, "Linux v5.10: 1-based ZONE_DEVICE refcounts, put_page -> put_dev_pagemap"},
    {"rfc-v3", kernels::rfc_v3,
     "RFC v3 'mm: remove extra ZONE_DEVICE struct page refcount' (20201001181715.17416-3-rcampbell@nvidia.com) on v5.10"},
    {"v5.18", kernels::v5_18, "Linux v5.18: 27674ef6c73f 'mm: remove the extra ZONE_DEVICE struct page refcount'"},
    {"v6.1", kernels::v6_1, "Linux v6.1: ef233450898f + 0dc45ca1ce18 (device private frees at 0, pgmap ref per allocation)"},
    {"v6.15", kernels::v6_15, "Linux v6.15: 38607c62b34b 'fs/dax: properly refcount fs dax pages'"},
    {"v7.0", kernels::v7_0, "Linux v7.0: the P2PDMA mmap error-path fixes 6220694c52a5, cb500023a752, 83014d82a110"},
}};

// The patch stack's name (its folder under models/patches/), or empty.
constexpr std::string_view stack_name(kernel_version k) {
  for (auto const& n : named_kernels)
    if (n.kernel.stack != 0 && n.kernel == k) return n.name;
  return {};
}

// The newest kernel the library holds: what show and draw read by default.
inline constexpr kernel_version newest_kernel = kernels::v7_0;

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

// "v5.10", "rfc-v3", "v5.15".
std::string name_of(kernel_version k);
constexpr std::string_view name_of(pagemap t) { return pagemap_names[static_cast<std::size_t>(t)]; }

// The values of a kernel that model code reads: what a free page's refcount is
// and how many pgmap references memremap_pages takes (the initial state), and
// the refcounts and pgmap references a page at rest holds at the end (the
// ref-leak baseline). Everything else a release changes is code, in the
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

// The values of kernel k for pagemap type t, release by release, each
// boundary beside its commit (docs/kernel-model.md, Releases).
constexpr rules preset(kernel_version k, pagemap t) {
  using enum pagemap;
  bool const priv_or_coh = t == device_private || t == device_coherent;
  int const v = k.release;
  rules r;
  if (k.stack == kernels::rfc_v3.stack && k.release == kernels::rfc_v3.release) {
    // The RFC: free pages at 0 (memmap_init_zone_device); a mapped FS_DAX or
    // device-dax page holds no reference, a driver's page init_page_count's.
    r.free_refcount = 0;
    r.mapped_refcount = t == fs_dax || t == generic ? 0 : 1;
    return r;
  }
  if (v < kernel_release(5, 18)) {
    // Up to 27674ef6c73f (v5.18), a driver's page holds the base reference
    // and the PTE's (test_hmm's get_page on allocation).
    if (t == device_private) r.mapped_refcount = 2;
    return r;
  }
  if (v < kernel_release(6, 1)) return r;
  // ef233450898f, 0dc45ca1ce18 (v6.1): device private and coherent pages
  // free at 0, and an allocated page holds a pgmap reference.
  r.free_refcount = priv_or_coh ? 0 : 1;
  r.memremap_pgmap_refs = !priv_or_coh;
  r.allocated_pgmap_ref = priv_or_coh;
  // 7e9c7ef83d78 (v6.2): a page p2pmem_alloc_mmap maps holds a pgmap ref.
  r.mapped_pgmap_ref = v >= kernel_release(6, 2) && t == p2pdma;
  if (v >= kernel_release(6, 15)) {
    // 38607c62b34b, aed877c2b425 (v6.15): FS_DAX and P2PDMA pages are
    // 0-based and a mapping holds a reference (GENERIC stays 1-based, so a
    // mapped page rests at 2).
    r.free_refcount = t == generic ? 1 : 0;
    r.mapped_refcount = t == generic ? 2 : 1;
  }
  return r;
}

// Why the library cannot run type t at kernel k, or empty when it can.
constexpr std::string_view type_refusal(pagemap t, kernel_version k) {
  if (t != pagemap::device_coherent) return {};
  if (k.release < kernel_release(6, 0)) return "MEMORY_DEVICE_COHERENT came in v6.0 (f25cbb7a95a2)";
  if (k.release < kernel_release(6, 1))
    return "the library models MEMORY_DEVICE_COHERENT from v6.1: v6.0's coherent pages (f25cbb7a95a2), "
           "1-based before ef233450898f, are not modelled";
  return {};
}

// Returns true iff the library runs type t at kernel k.
constexpr bool exists_in(pagemap t, kernel_version k) { return type_refusal(t, k).empty(); }

// "v5.15" (any release from v5.0 to v7.0) or a named kernel ("rfc-v3").
std::optional<kernel_version> parse_kernel(std::string_view name);
// What parse_kernel accepts, for error messages.
inline constexpr std::string_view kernel_expected =
    "a release from v5.0 to v7.0 (such as 'v5.15'), or 'rfc-v3'";
std::optional<pagemap> parse_pagemap(std::string_view name);

}  // namespace pgmapcheck::models
