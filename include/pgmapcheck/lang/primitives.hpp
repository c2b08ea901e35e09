// The primitives: the atomic kernel operations model code calls, one row
// each. Everything that needs a list of them reads this one: the table the
// compiler and executor look names up in (lang/runtime.cpp), the enum the
// executor dispatches on. A row: the name, its kind (prim_kind), its result
// and parameter types (value_type), its traits (prim_trait), and the kernel
// function it stands for. docs/development.md, Adding a primitive.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pgmapcheck::lang {

// What a primitive does beyond its semantics, as the search, the coverage
// report and the Promela export need to know it: it can fail (a second
// outcome, within the failure budget), it can leave its thread asleep at
// it, it wakes sleepers, it waits for a grace period.
enum class prim_trait : std::uint8_t { none = 0, fails = 1, sleeps = 2, wakes = 4, grace_period = 8 };
constexpr prim_trait operator|(prim_trait a, prim_trait b) {
  return static_cast<prim_trait>(static_cast<std::uint8_t>(a) | static_cast<std::uint8_t>(b));
}

// A row that only tests/CMakeLists.txt's compile-fail test defines: a
// primitive no switch handles must not build.
#ifdef PGMAPCHECK_TEST_UNHANDLED_PRIMITIVE
#define PGMAPCHECK_TEST_ROW(X) X(unhandled_in_test, action, void_, (), none, "a row with no semantics")
#else
#define PGMAPCHECK_TEST_ROW(X)
#endif

// clang-format off
#define PGMAPCHECK_PRIMITIVES(X) \
  /* Page refcount atomics (include/linux/page_ref.h, include/linux/mm.h). */ \
  X(page_ref_count, read, integer, (page), none, "include/linux/page_ref.h:page_ref_count") \
  X(page_ref_inc, action, void_, (page), none, "include/linux/page_ref.h:page_ref_inc") \
  X(page_ref_dec, action, void_, (page), none, "include/linux/page_ref.h:page_ref_dec") \
  X(page_ref_dec_return, action, integer, (page), none, "include/linux/page_ref.h:page_ref_dec_return") \
  X(put_page_testzero, action, boolean, (page), none, "include/linux/mm.h:put_page_testzero") \
  X(page_ref_add_unless, action, boolean, (page, integer, integer), none, "include/linux/page_ref.h:page_ref_add_unless") \
  X(set_page_count, action, void_, (page, integer), none, "include/linux/page_ref.h:set_page_count") \
  X(page_ref_add, action, void_, (page, integer), none, "include/linux/page_ref.h:page_ref_add: references that belong to no thread (a structure's, as the page cache's would)") \
  X(get_page, action, void_, (page), none, "include/linux/mm.h:get_page (VM_BUG_ON_PAGE at 0)") \
  X(try_get_page, action, boolean, (page), none, "include/linux/mm.h:try_get_page (WARN_ON_ONCE at <= 0, fails)") \
  X(page_var, constant, object, (page), none, "&page->_refcount (a wait_var_event key)") \
  X(pfn_to_page, constant, page, (integer), none, "include/asm-generic/memory_model.h:pfn_to_page (pfn i of the pgmap: page i)") \
  /* pgmap->ref (include/linux/percpu-refcount.h, lib/percpu-refcount.c). */ \
  X(percpu_ref_get, action, void_, (object), none, "include/linux/percpu-refcount.h:percpu_ref_get") \
  X(percpu_ref_get_many, action, void_, (object, integer), none, "include/linux/percpu-refcount.h:percpu_ref_get_many") \
  X(percpu_ref_put, action, void_, (object), none, "include/linux/percpu-refcount.h:percpu_ref_put") \
  X(percpu_ref_put_many, action, void_, (object, integer), none, "include/linux/percpu-refcount.h:percpu_ref_put_many") \
  X(percpu_ref_tryget_live, action, boolean, (object), none, "include/linux/percpu-refcount.h:percpu_ref_tryget_live") \
  X(percpu_ref_kill, action, void_, (object), none, "lib/percpu-refcount.c:percpu_ref_kill_and_confirm") \
  X(percpu_ref_exit, action, void_, (object), none, "lib/percpu-refcount.c:percpu_ref_exit") \
  X(percpu_ref_is_zero, read, boolean, (object), none, "lib/percpu-refcount.c:percpu_ref_is_zero") \
  /* Completions and wait queues (kernel/sched/completion.c, wait.c, wait_bit.c). */ \
  X(complete, action, void_, (object), wakes, "kernel/sched/completion.c:complete") \
  X(wait_for_completion, action, void_, (object), sleeps, "kernel/sched/completion.c:wait_for_completion") \
  X(wake_up_var, action, void_, (object), wakes, "kernel/sched/wait_bit.c:wake_up_var") \
  X(wake_up, action, void_, (object), wakes, "kernel/sched/wait.c:__wake_up") \
  X(prepare_to_wait_event, action, void_, (object), none, "kernel/sched/wait.c:prepare_to_wait_event") \
  X(schedule, action, void_, (), none, "kernel/sched/core.c:schedule (returns once woken)") \
  X(finish_wait, local, void_, (object), none, "kernel/sched/wait.c:finish_wait") \
  /* Locks (a lock excludes other holders of that lock only). */ \
  X(spin_lock, action, void_, (object), none, "include/linux/spinlock.h:spin_lock") \
  X(spin_unlock, action, void_, (object), none, "include/linux/spinlock.h:spin_unlock") \
  X(mutex_lock, action, void_, (object), none, "kernel/locking/mutex.c:mutex_lock") \
  X(mutex_unlock, action, void_, (object), none, "kernel/locking/mutex.c:mutex_unlock") \
  X(down_read, action, void_, (object), none, "kernel/locking/rwsem.c:down_read") \
  X(up_read, action, void_, (object), none, "kernel/locking/rwsem.c:up_read") \
  X(down_write, action, void_, (object), none, "kernel/locking/rwsem.c:down_write") \
  X(up_write, action, void_, (object), none, "kernel/locking/rwsem.c:up_write") \
  /* RCU (include/linux/rcupdate.h, kernel/rcu/tree.c). */ \
  X(rcu_read_lock, action, void_, (), none, "include/linux/rcupdate.h:rcu_read_lock") \
  X(rcu_read_unlock, action, void_, (), none, "include/linux/rcupdate.h:rcu_read_unlock") \
  X(synchronize_rcu, action, void_, (), sleeps | grace_period, "kernel/rcu/tree.c:synchronize_rcu (waits for readers inside a section when it starts)") \
  /* Failures outside the model, within the failure budget. */ \
  X(should_fail, action, boolean, (), fails, "an allocation, vm_insert_page, a page-table allocation: fails or not") \
  /* Pointers and objects. */ \
  X(store_pointer, action, void_, (object, any), none, "a plain or rcu_assign_pointer store to a shared pointer (pdev->p2pdma = NULL)") \
  X(rcu_dereference, constant, object, (object), none, "include/linux/rcupdate.h:rcu_dereference") \
  X(unlikely, constant, boolean, (integer), none, "include/linux/compiler.h:unlikely") \
  X(likely, constant, boolean, (integer), none, "include/linux/compiler.h:likely") \
  X(is_zone_device_page, constant, boolean, (page), none, "include/linux/mm.h:is_zone_device_page") \
  X(is_device_private_page, constant, boolean, (page), none, "include/linux/mm.h:is_device_private_page") \
  X(pgmap_nr_pages, constant, integer, (object), none, "the pgmap's page count (one range)") \
  X(kfree, action, void_, (object), none, "mm/slab_common.c:kfree (the struct embedding the pgmap)") \
  /* The pgmap xarray and the memory behind the struct pages (mm/memremap.c). */ \
  X(xa_load, read, object, (object, page), none, "lib/xarray.c:xa_load (pgmap_array)") \
  X(xa_store_range, action, void_, (object, any), none, "lib/xarray.c:xa_store_range (pgmap_array_delete stores NULL)") \
  X(arch_remove_memory, action, void_, (object), none, "mm/memory_hotplug.c:arch_remove_memory (the struct pages are freed: memunmap-early is checked here)") \
  /* The p2pdma gen_pool (lib/genalloc.c): one page per allocation. */ \
  X(gen_pool_alloc_owner, action, page, (object, integer, any), none, "lib/genalloc.c:gen_pool_alloc_owner (the lowest free page; owner: &pgmap->ref)") \
  X(gen_pool_free_owner, action, void_, (object, page, integer, any), none, "lib/genalloc.c:gen_pool_free_owner") \
  X(gen_pool_free, action, void_, (object, page, integer), none, "lib/genalloc.c:gen_pool_free") \
  X(gen_pool_destroy, action, void_, (object), none, "lib/genalloc.c:gen_pool_destroy") \
  /* Page tables (mm/memory.c). Each takes and drops the PTL itself, as one */ \
  /* step: it runs only while no other thread holds &mm->page_table_lock. */ \
  X(vmf_insert_mixed, action, integer, (page), none, "mm/memory.c:vmf_insert_mixed (a devmap PTE: no page reference)") \
  X(dax_insert_pfn, action, integer, (page), none, "fs/dax.c:dax_insert_pfn (38607c62b34b, v6.15; device-dax vmf_insert_page_mkwrite, aed877c2b425): a PTE holding a page reference and a mapcount; a free 0-based page gets its first reference here") \
  X(vm_insert_page, action, integer, (page), fails, "mm/memory.c:vm_insert_page (a PTE holding a page reference and a mapcount; -EINVAL on a page at refcount 0: validate_page_before_insert)") \
  X(set_pte_device_private, action, void_, (page), none, "mm/migrate.c:migrate_vma_insert_page's set_pte_at of a device-private entry, under the caller's PTL (the caller's page reference becomes the PTE's)") \
  X(dmirror_page_data, read, integer, (page), none, "lib/test_hmm.c:dmirror_devmem_fault's vmf->page->zone_device_data (a use of a page its driver already freed is a use-after-free)") \
  X(kernfs_remove_alloc_file, action, void_, (), none, "fs/kernfs/dir.c:kernfs_remove of the p2pmem allocate file (called with its active references drained)") \
  X(alloc_file_removed, read, boolean, (), none, "the p2pmem allocate file is gone (kernfs_get_active would fail)") \
  X(driver_stop, action, void_, (), none, "harness: the driver's own 'removing' flag is set (lib/test_hmm.c: the device is going: no new allocation)") \
  X(driver_stopped, read, boolean, (), none, "harness: the driver's 'removing' flag") \
  X(percpu_ref_is_dying, read, boolean, (object), none, "include/linux/percpu-refcount.h:percpu_ref_is_dying") \
  X(zap_pte, action, boolean, (page), none, "mm/memory.c:zap_pte_range (clears the PTE; true iff it held a page reference: vm_normal_page)") \
  X(mapping_mapped, read, boolean, (object), none, "include/linux/fs.h:mapping_mapped (a VMA maps the file)") \
  X(unlink_file_vma, action, void_, (object), none, "mm/mmap.c:unlink_file_vma (the VMA goes: mapping_mapped turns false)") \
  /* DAX (fs/dax.c) and the filesystem's blocks. */ \
  X(fs_block_alloc, action, page, (), none, "the filesystem's block allocator (ext4_iomap_begin): the lowest free block, or NULL") \
  X(fs_block_free, action, void_, (page), none, "the filesystem frees the block (ext4_ext_remove_space): it may be reused at once") \
  X(dax_associate_entry, action, void_, (page, object), none, "fs/dax.c:dax_associate_entry (page->mapping = mapping; WARN_ON_ONCE if set)") \
  X(dax_disassociate_entry, action, void_, (page, object), none, "fs/dax.c:dax_disassociate_entry (page->mapping = NULL)") \
  X(page_associated, read, boolean, (page), none, "page->mapping is set (a file's page cache holds the page)") \
  X(dax_alive, read, boolean, (), none, "drivers/dax/super.c:dax_alive") \
  X(kill_dax, action, void_, (), sleeps | grace_period, "drivers/dax/super.c:kill_dax (clears DAXDEV_ALIVE, then synchronize_srcu(&dax_srcu) waits for the readers inside)") \
  X(dax_read_lock, action, void_, (), none, "drivers/dax/super.c:dax_read_lock (srcu_read_lock(&dax_srcu))") \
  X(dax_read_unlock, action, void_, (), none, "drivers/dax/super.c:dax_read_unlock") \
  /* Page facts for choose_page predicates and harness code. */ \
  X(page_allocated, read, boolean, (page), none, "the page is out of its allocator (lifecycle cache or pinned)") \
  X(page_mapped, read, boolean, (page), none, "include/linux/mm.h:page_mapped (a PTE maps it)") \
  X(page_shared, read, boolean, (page), none, "harness: an allocation handed the page to its consumers") \
  X(pgmapcheck_share, local, void_, (page), none, "harness: the allocation hands the page to its consumers (with the step before)") \
  X(pgmapcheck_io_begin, local, void_, (page), none, "harness: a consumer's I/O on the page begins (with the step that chose the page)") \
  X(pgmapcheck_io_end, local, void_, (page), none, "harness: that I/O ends (with the step before)") \
  X(pgmapcheck_io_done, action, void_, (page), none, "harness: the I/O an allocation serves completes (waits until no consumer is in I/O or holds the page)") \
  X(devmem_free_list_add, action, void_, (page), none, "a device driver's free list: the page goes back (lib/test_hmm.c:dmirror_devmem_free)") \
  X(devmem_free_list_pop, action, page, (), none, "a device driver's free list: the lowest free page, or NULL") \
  /* Checks and choices the compiler emits. */ \
  X(WARN_ON, local, boolean, (integer), none, "include/asm-generic/bug.h:WARN_ON") \
  X(BUG_ON, local, boolean, (integer), none, "include/asm-generic/bug.h:BUG_ON") \
  X(choose_page, action, page, (boolean, integer), none, "the search picks a page for which the predicate holds") \
  PGMAPCHECK_TEST_ROW(X)
// clang-format on

// A primitive's id: its row in PGMAPCHECK_PRIMITIVES (instr::prim,
// cexpr::prim hold it as a number).
enum class prim : std::uint16_t {
#define PGMAPCHECK_PRIMITIVE_ID(name, kind, result, params, traits, models) name,
  PGMAPCHECK_PRIMITIVES(PGMAPCHECK_PRIMITIVE_ID)
#undef PGMAPCHECK_PRIMITIVE_ID
};

inline constexpr std::size_t prim_count = 0
#define PGMAPCHECK_PRIMITIVE_ONE(name, kind, result, params, traits, models) +1
    PGMAPCHECK_PRIMITIVES(PGMAPCHECK_PRIMITIVE_ONE);
#undef PGMAPCHECK_PRIMITIVE_ONE

// The traits of primitive id, from its row.
constexpr prim_trait traits_of(prim id) {
  using enum prim_trait;
  constexpr prim_trait table[] = {
#define PGMAPCHECK_PRIMITIVE_TRAITS(name, kind, result, params, traits, models) traits,
      PGMAPCHECK_PRIMITIVES(PGMAPCHECK_PRIMITIVE_TRAITS)
#undef PGMAPCHECK_PRIMITIVE_TRAITS
  };
  return table[static_cast<std::size_t>(id)];
}
constexpr bool has(prim id, prim_trait t) {
  return (static_cast<std::uint8_t>(traits_of(id)) & static_cast<std::uint8_t>(t)) != 0;
}

}  // namespace pgmapcheck::lang
