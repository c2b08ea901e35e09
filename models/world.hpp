// The modelled world: pgmap, pages and actors as one packed state, and the
// kernel primitives (page refcounts, percpu_ref, touches) every model shares.
#pragma once

#include "models/kernels.hpp"
#include "models/lifecycle.hpp"
#include "models/mutants.hpp"
#include "models/variants.hpp"
#include "pgmapcheck/machine.hpp"
#include "pgmapcheck/model.hpp"

#include <array>
#include <cstdint>
#include <string_view>

namespace pgmapcheck::models {

inline constexpr int max_pages = 4;
inline constexpr int max_actors = 8;

// pgmap->ref's percpu_ref mode.
enum class pgmap_mode : std::uint8_t { live, killed, exited };

enum page_flag : std::uint8_t {
  pf_mapped = 1,      // a process PTE maps it
  pf_associated = 2,  // FS_DAX: in a file's mapping (dax_associate_entry)
};

enum pgmap_flag : std::uint8_t {
  gf_published = 1,       // get_dev_pagemap can find it in the pgmap xarray
  gf_released = 2,        // the percpu_ref release ran: memunmap's completion is done
  gf_counters_freed = 4,  // percpu_ref_exit freed the per-CPU counters
  gf_pages_freed = 8,     // pageunmap_range freed the struct pages
  gf_struct_freed = 16,   // the struct embedding the pgmap was freed (P2PDMA devm kfree)
  gf_pool_gone = 32,      // pci_p2pdma_release cleared pdev->p2pdma and destroyed the pool
  gf_file_mapped = 64,    // a process VMA covers the memory (FS_DAX: mapping_mapped)
};

struct page_rec {
  page_state state;
  std::int8_t refcount;
  std::int8_t mapcount;
  std::uint8_t pins;     // outstanding get_page/pin references held by actors
  std::uint8_t holders;  // bit per actor that maps, pins or owns it
  std::uint8_t flags;    // page_flag
};

struct actor_rec {
  std::uint8_t pc;  // 0: not started; done: finished
  std::int8_t page;
  std::uint8_t aux;
};
inline constexpr std::uint8_t pc_done = 0xff;

// One explored state: trivially copyable, no padding, hashed as bytes.
struct world {
  std::int8_t ref;  // pgmap->ref as an integer
  pgmap_mode mode;
  std::uint8_t flags;  // pgmap_flag
  std::uint8_t mmaplock;  // FS_DAX: bit per actor holding the file's MMAPLOCK (truncate)
  std::array<page_rec, max_pages> pages;
  std::array<actor_rec, max_actors> actors;
};
static_assert(sizeof(world) == 4 + 6 * max_pages + 3 * max_actors);
static_assert(std::has_unique_object_representations_v<world>);

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
};
inline constexpr std::array<std::string_view, 12> actor_names{
    "memunmap", "p2p_alloc", "stray_put", "stray_get_put", "fault",        "gup",
    "truncate", "user",      "driver",    "cpu_fault",     "pgmap_lookup", "p2p_mmap",
};
inline constexpr std::array<std::string_view, 12> actor_meanings{
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
    case actor_kind::gup: return t == fs_dax || t == generic || t == p2pdma;
    case actor_kind::truncate: return t == fs_dax;
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
  era kernel = era::v5_10;
  rules rule{};
  int pages = 1;
  int actor_count = 0;
  std::array<actor_kind, max_actors> actors{};
  std::uint8_t variants = 0;  // bit per models::variant switched on

  // Returns true iff variant v is switched on.
  bool has(variant v) const { return (variants & bit(v)) != 0; }
};

// The kernel operation a step performs; each names the function it models.
enum class op : std::uint8_t {
  finds_nothing,
  kill,
  unmap_put_page,
  unmap_put_many,
  wait_ref_zero,
  ref_exit,
  pageunmap,
  p2p_kfree,
  p2pdma_release,
  pool_alloc,
  alloc_tryget,
  pool_free,
  alloc_ref_put,
  stray_put_page,
  stray_get_page,
  consumer_put_page,
  fs_fault,
  gup_pin,
  gup_unpin,
  busy_unmap,
  busy_wait,
  truncate_free,
  user_munmap,
  driver_alloc,
  driver_migrate,
  driver_finalize,
  cpu_read_pte,
  cpu_migrate,
  cpu_put,
  lookup_load,
  lookup_tryget,
  lookup_put,
  p2p_mmap_insert,
  dax_dev_fault,
};

struct op_info {
  std::string_view name;
  std::string_view function;  // file:function of the code it models
  std::array<std::string_view, 5> knobs{};  // the knobs whose value changes what the step does
};

// clang-format off
inline constexpr std::array<op_info, 34> ops{{
  {"finds nothing",            "-"},
  {"dev_pagemap_kill",         "mm/memremap.c:dev_pagemap_kill (percpu_ref_kill)", {"memremap_pgmap_refs"}},
  {"put_page",                 "mm/memremap.c:memunmap_pages (for_each_device_pfn put_page)", {"memunmap_drop", "zero_put_drops_pgmap", "free_refcount", "private_free_at", "zero_put_frees"}},
  {"percpu_ref_put_many",      "mm/memremap.c:memunmap_pages (percpu_ref_put_many)", {"memunmap_drop", "memremap_pgmap_refs"}},
  {"wait_for_completion",      "mm/memremap.c:dev_pagemap_cleanup (wait_for_completion)"},
  {"percpu_ref_exit",          "mm/memremap.c:dev_pagemap_cleanup (percpu_ref_exit)", {"exit_before_unpublish"}},
  {"pageunmap_range",          "mm/memremap.c:pageunmap_range (arch_remove_memory, pgmap_array_delete)", {"exit_before_unpublish"}},
  {"kfree(p2p_pgmap)",         "drivers/pci/p2pdma.c:pci_p2pdma_add_resource (devm_kzalloc release)"},
  {"pci_p2pdma_release",       "drivers/pci/p2pdma.c:pci_p2pdma_release"},
  {"gen_pool_alloc_owner",     "drivers/pci/p2pdma.c:pci_alloc_p2pmem (gen_pool_alloc_owner)", {"free_refcount"}},
  {"percpu_ref_tryget_live",   "drivers/pci/p2pdma.c:pci_alloc_p2pmem (percpu_ref_tryget_live)", {"p2p_alloc_ref"}},
  {"gen_pool_free_owner",      "drivers/pci/p2pdma.c:pci_free_p2pmem (gen_pool_free_owner)", {"zero_put_frees"}},
  {"percpu_ref_put",           "drivers/pci/p2pdma.c:pci_free_p2pmem (percpu_ref_put)", {"p2p_alloc_ref"}},
  {"put_page",                 "include/linux/mm.h:put_page (consumer, unbalanced)", {"zero_put_drops_pgmap", "zero_put_frees", "free_refcount", "reset_after_free"}},
  {"get_page",                 "include/linux/mm.h:get_page (consumer)", {"free_refcount"}},
  {"put_page",                 "include/linux/mm.h:put_page (consumer, balanced)", {"zero_put_drops_pgmap", "zero_put_frees", "free_refcount", "reset_after_free"}},
  {"dax_iomap_pte_fault",      "fs/dax.c:dax_iomap_pte_fault (dax_associate_entry, vmf_insert_mixed)", {"fs_dax_map_ref", "fs_dax_cache_ref", "free_refcount"}},
  {"gup pin",                  "mm/gup.c:gup_pte_range (get_dev_pagemap, try_grab_page, put_dev_pagemap)", {"free_refcount", "fs_dax_map_ref"}},
  {"unpin_user_page",          "mm/gup.c:unpin_user_page (put_page)", {"fs_dax_idle", "zero_put_drops_pgmap", "zero_put_frees"}},
  {"dax_layout_busy_page",     "fs/dax.c:dax_layout_busy_page_range (unmap_mapping_pages)", {"truncate_skips_unmapped", "fs_dax_map_ref"}},
  {"wait_var_event",           "fs/ext4/inode.c:ext4_break_layouts (wait_var_event, rescan)", {"truncate_waits_idle", "fs_dax_idle"}},
  {"dax_disassociate_entry",   "fs/dax.c:dax_disassociate_entry (truncate frees the blocks)", {"fs_dax_cache_ref"}},
  {"zap_pte_range",            "mm/memory.c:zap_pte_range (munmap)", {"fs_dax_map_ref", "zero_put_frees", "zero_put_drops_pgmap", "private_free_at"}},
  {"driver alloc",             "driver page allocation (get_page+lock_page v5.10; init_page_count rfc-v3; lock_page v5.18; mm/memremap.c:zone_device_page_init v6.1)", {"private_alloc", "free_refcount"}},
  {"migrate_vma_pages",        "mm/migrate_device.c:migrate_vma_pages (mm/migrate.c before v6.1)"},
  {"migrate_vma_finalize",     "mm/migrate_device.c:migrate_vma_finalize (put_page, unlock_page)", {"private_free_at", "zero_put_frees", "zero_put_drops_pgmap"}},
  {"do_swap_page",             "mm/memory.c:do_swap_page (device-private entry under the PTL)", {"cpu_fault_page_ref"}},
  {"migrate_to_ram",           "mm/memory.c:do_swap_page -> pgmap->ops->migrate_to_ram", {"cpu_fault_page_ref", "private_free_at", "zero_put_frees"}},
  {"put_page",                 "mm/memory.c:do_swap_page (put_page after migrate_to_ram, 16ce101db85d)", {"cpu_fault_page_ref"}},
  {"xa_load",                  "mm/memremap.c:get_dev_pagemap (rcu_read_lock, xa_load)", {"exit_before_unpublish"}},
  {"percpu_ref_tryget_live",   "mm/memremap.c:get_dev_pagemap (percpu_ref_tryget_live)", {"exit_before_unpublish"}},
  {"put_dev_pagemap",          "include/linux/memremap.h:put_dev_pagemap"},
  {"p2pmem_alloc_mmap",        "drivers/pci/p2pdma.c:p2pmem_alloc_mmap (vm_insert_page, percpu_ref_get)", {"p2p_mmap_ref"}},
  {"dev_dax_huge_fault",       "drivers/dax/device.c:dev_dax_huge_fault (vmf_insert_mixed)", {"free_refcount"}},
}};
// clang-format on

constexpr op_info const& info(op o) { return ops[static_cast<std::size_t>(o)]; }

// Side effects a step had, for the trace's sub-lines.
enum effect : std::uint16_t {
  fx_put_dev_pagemap = 1,
  fx_free_callback = 2,
  fx_wake = 4,
  fx_tryget_failed = 8,
  fx_reset = 16,
  fx_pool_give_back = 32,
  fx_no_wait = 64,
  fx_skipped_unmapped = 128,
  fx_get_dev_pagemap_failed = 256,
  fx_released = 512,
  fx_unmapped_all = 1024,
};

// What a use-after-free, early memunmap or bad free was about.
enum class why : std::uint8_t {
  none,
  struct_pages_freed,
  counters_freed,
  pgmap_freed,
  pool_gone,
  page_freed_by_other,
  double_free,
  still_used,
};

// One transition, as plain data; the trace derives its text from it.
struct step {
  std::uint16_t effects = 0;
  std::uint16_t violated = 0;  // property bits
  std::uint8_t actor = 0;
  std::int8_t page = -1;
  op what = op::finds_nothing;
  std::int8_t before = 0;  // the page's refcount (or pgmap->ref) before and after
  std::int8_t after = 0;
  why reason = why::none;
};
static_assert(std::has_unique_object_representations_v<step>);


// A transition under construction: the next state, its step, and the kernel
// primitives that act on them. Page-table guards and actions take (ctx&, page).
class ctx {
  scenario const& sc_;

 public:
  ctx(scenario const& sc, world const& from, int actor, op what, int page)
      : sc_(sc), w(from) {
    st.actor = static_cast<std::uint8_t>(actor);
    st.what = what;
    st.page = static_cast<std::int8_t>(page);
    if (page >= 0) st.before = st.after = w.pages[static_cast<std::size_t>(page)].refcount;
  }

  scenario const& sc() const { return sc_; }
  rules const& rule() const { return sc_.rule; }
  int self() const { return st.actor; }
  std::uint8_t self_bit() const { return static_cast<std::uint8_t>(1u << st.actor); }
  page_rec& page(int i) { return w.pages[static_cast<std::size_t>(i)]; }
  page_rec const& page(int i) const { return w.pages[static_cast<std::size_t>(i)]; }
  actor_rec& me() { return w.actors[st.actor]; }
  bool has(pgmap_flag f) const { return (w.flags & f) != 0; }
  void set(pgmap_flag f) { w.flags = static_cast<std::uint8_t>(w.flags | f); }
  void clear(pgmap_flag f) { w.flags = static_cast<std::uint8_t>(w.flags & ~f); }

  void violate(property p, why reason = why::none) {
    st.violated = static_cast<std::uint16_t>(st.violated | (1u << static_cast<unsigned>(p)));
    if (st.reason == why::none) st.reason = reason;
  }
  void effect(effect e) { st.effects = static_cast<std::uint16_t>(st.effects | e); }
  void record_page_ref(int p, int before) {
    st.page = static_cast<std::int8_t>(p);
    st.before = static_cast<std::int8_t>(before);
    st.after = page(p).refcount;
  }
  void record_pgmap_ref(int before) {
    st.before = static_cast<std::int8_t>(before);
    st.after = w.ref;
  }

  // A step reads or writes struct page p (use-after-free once pageunmap_range ran).
  void touch_page(int) {
    if (has(gf_pages_freed)) violate(property::use_after_free, why::struct_pages_freed);
  }
  // A step reads or writes pgmap->ref's counters.
  void touch_counters() {
    if (has(gf_struct_freed))
      violate(property::use_after_free, why::pgmap_freed);
    else if (has(gf_counters_freed))
      violate(property::use_after_free, why::counters_freed);
  }
  // percpu_ref_get_many.
  void pgmap_get(int n) {
    touch_counters();
    w.ref = static_cast<std::int8_t>(w.ref + n);
  }
  // percpu_ref_put_many: the release (memunmap's completion) runs when an
  // atomic-mode count reaches exactly 0 (atomic_long_sub_and_test).
  void pgmap_put(int n) {
    touch_counters();
    w.ref = static_cast<std::int8_t>(w.ref - n);
    if (w.ref < 0) violate(property::refcount_underflow);
    if (w.ref == 0 && w.mode != pgmap_mode::live) {
      set(gf_released);
      effect(fx_released);
    }
  }
  // percpu_ref_tryget_live: fails without touching the counters once killed
  // (it reads only the DEAD flag, which percpu_ref_exit keeps set); reading a
  // freed struct is a use-after-free.
  bool tryget_live() {
    if (has(gf_struct_freed)) violate(property::use_after_free, why::pgmap_freed);
    if (w.mode != pgmap_mode::live) return false;
    w.ref = static_cast<std::int8_t>(w.ref + 1);
    return true;
  }

  // Returns true iff the page type is "devmap managed" here: put_page to 1
  // calls free_devmap_managed_page (include/linux/mm.h:put_page, v5.10).
  bool devmap_managed() const {
    return (sc_.type == pagemap::device_private && rule().private_free_at == 1) ||
           (sc_.type == pagemap::fs_dax && rule().fs_dax_idle == 1);
  }
  // The refcount at which a put returns the page to its allocator, or -1.
  int free_point() const {
    int point = -1;
    if (sc_.type == pagemap::device_private && rule().private_free_at == 1)
      point = 1;
    else if (rule().zero_put_frees)
      point = 0;
    return mutated(mutant::free_at_wrong_count) ? point + 1 : point;
  }

  // get_page / try_grab_page by this actor: +1, VM_BUG_ON at 0.
  void get_ref(int p) {
    touch_page(p);
    int before = page(p).refcount;
    if (before == 0) violate(property::get_from_zero);
    page(p).refcount = static_cast<std::int8_t>(before + 1);
    page(p).pins = static_cast<std::uint8_t>(page(p).pins + 1);
    page(p).holders = static_cast<std::uint8_t>(page(p).holders | self_bit());
    record_page_ref(p, before);
  }
  // This actor holds page p with a reference that is not a pin (an owner's).
  void hold(int p) { page(p).holders = static_cast<std::uint8_t>(page(p).holders | self_bit()); }
  // This actor drops the owner's reference it held.
  void drop_hold(int p) {
    page(p).holders = static_cast<std::uint8_t>(page(p).holders & ~self_bit());
    put_ref(p);
  }
  // This actor drops the reference it took.
  void drop_pin(int p) {
    page(p).pins = static_cast<std::uint8_t>(page(p).pins - 1);
    page(p).holders = static_cast<std::uint8_t>(page(p).holders & ~self_bit());
    if (!mutated(mutant::drop_put_page)) put_ref(p);
  }
  // put_page with the era's semantics (include/linux/mm.h:put_page,
  // mm/memremap.c:free_devmap_managed_page / free_zone_device_page).
  void put_ref(int p) {
    touch_page(p);
    int before = page(p).refcount;
    int v = before - 1;
    page(p).refcount = static_cast<std::int8_t>(v);
    record_page_ref(p, before);
    if (v < 0) {
      violate(property::refcount_underflow);
      return;
    }
    if (devmap_managed() && !mutated(mutant::free_at_wrong_count)) {
      if (v == 1) {
        if (sc_.type == pagemap::device_private)
          free_callback(p);
        else
          effect(fx_wake);
      } else if (v == 0 && rule().zero_put_drops_pgmap) {
        put_dev_pagemap();
      }
      return;
    }
    if (v == free_point() && v != 0) free_callback(p);  // only a mutant frees above 1->0 here
    if (v != 0) return;
    if (free_point() == 0) free_callback(p);
    if (rule().zero_put_drops_pgmap) put_dev_pagemap();
    // FS_DAX idle at 0 (rfc-v3, v6.15): the wake_up_var moves to 0 with the
    // idle value (docs/kernel-model.md#fs_dax_idle: v6.15 fsdax_folio_free wakes at 0;
    // rfc-v3 inferred from its idle value 0).
    if (sc_.type == pagemap::fs_dax) effect(fx_wake);
    if (rule().reset_after_free) {
      page(p).refcount = 1;
      effect(fx_reset);
    }
  }
  void put_dev_pagemap() {
    effect(fx_put_dev_pagemap);
    if (!mutated(mutant::drop_put_dev_pagemap)) pgmap_put(1);
  }
  // A free callback (page_free, folio_free, gen_pool free) returns page p.
  void free_callback(int p) {
    effect(fx_free_callback);
    check_free(p);
  }
  // free-while-used: another actor maps or references p, or p is already free.
  void check_free(int p) {
    if (page(p).state == page_state::free)
      violate(property::free_while_used, why::double_free);
    else if ((page(p).flags & pf_mapped) || (page(p).holders & ~self_bit()))
      violate(property::free_while_used, why::still_used);
  }

  world w;
  step st;
};

}  // namespace pgmapcheck::models
