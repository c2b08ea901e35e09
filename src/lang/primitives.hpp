// The primitives: the atomic kernel operations model code calls, one row
// each. Everything that needs a list of them reads this one: the table the
// compiler looks names up in (lang/primitives.cpp), the enum the executor and
// the Promela export dispatch on, the footprints the partial order reads.
// A row:
//   name, kind (prim_kind), result and parameter types (value_type),
//   traits (prim_trait),
//   reads and writes (loc): the shared state it touches, its arguments apart,
//   call: the kernel call it stands for, with the arguments the model keeps
//     named and the others '_' ("vm_insert_page(_, _, page)"; empty when it
//     is not one kernel call: harness state, a PTE store inside a function),
//   models: the kernel file and function, and what the model makes of it.
// docs/development.md, Adding a primitive.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pgmapcheck::lang {

// What a primitive does beyond its semantics, as the search, the coverage
// report and the Promela export need to know it: it can fail (a second
// outcome, within the failure budget), it can leave its thread asleep at
// it, it wakes sleepers, it waits for a grace period, its thread waits at it
// on a wait queue or a completion (what a trace says a blocked thread is
// asleep on).
enum class prim_trait : std::uint8_t { none = 0, fails = 1, sleeps = 2, wakes = 4, grace_period = 8, on_queue = 16 };
constexpr prim_trait operator|(prim_trait a, prim_trait b) {
  return static_cast<prim_trait>(static_cast<std::uint8_t>(a) | static_cast<std::uint8_t>(b));
}

// The shared state a primitive reads or writes (its footprint), one bit
// each: what the partial order's independence rests on. A wrong bit is a
// wrong reduction; tests/lang/partial_order_test.cpp audits every one
// against the executor on the catalog's reachable states.
enum class loc : std::uint32_t {
  pages = 1u << 0,                  // any byte of any struct page (refcount, state, pins, flags)
  ref = 1u << 1,                    // pgmap->ref's count and mode
  wait = 1u << 2,                   // every wait queue and completion, and the sleepers on them
  rcu = 1u << 3,                    // RCU and dax SRCU readers (a grace period waits on them)
  failures = 1u << 4,               // the failure budget
  lock_arg = 1u << 5,               // the lock its first argument names
  page_table_lock = 1u << 6,        // &mm->page_table_lock (the PTE helpers take it themselves)
  flag_pages_freed = 1u << 7,       // arch_remove_memory freed the struct pages
  flag_struct_freed = 1u << 8,      // the struct embedding the pgmap is freed
  flag_counters_freed = 1u << 9,    // percpu_ref_exit freed pgmap->ref's counters
  flag_published = 1u << 10,        // the pgmap is in pgmap_array
  flag_pool_gone = 1u << 11,        // the p2pdma gen_pool is destroyed
  flag_file_removed = 1u << 12,     // the p2pmem allocate file is gone
  flag_driver_stopped = 1u << 13,   // the driver's 'removing' flag
  flag_file_mapped = 1u << 14,      // a VMA maps the file
  flag_dax_dead = 1u << 15,         // kill_dax cleared DAXDEV_ALIVE
  ptr_p2pdma = 1u << 16,            // pdev->p2pdma
  ptr_ref = 1u << 17,               // pgmap->ref as a pointer (NULL after dev_pagemap_cleanup, v5.10)
  globals = 1u << 18,               // model code's file-scope variables and static keys
};
inline constexpr int loc_count = 19;  // the bits above: loc::globals is the last
static_assert(static_cast<std::uint32_t>(loc::globals) == 1u << (loc_count - 1));
template <class... L>
constexpr std::uint32_t locs(L... l) {
  return (std::uint32_t{0} | ... | static_cast<std::uint32_t>(l));
}

// A row that only tests/CMakeLists.txt's compile-fail test defines: a
// primitive no switch handles must not build.
#ifdef PGMAPCHECK_TEST_UNHANDLED_PRIMITIVE
#define PGMAPCHECK_TEST_ROW(X) X(unhandled_in_test, action, void_, (), none, (), (), "", "a row with no semantics")
#else
#define PGMAPCHECK_TEST_ROW(X)
#endif

// clang-format off
#define PGMAPCHECK_PRIMITIVES(X) \
  /* Page refcount atomics (include/linux/page_ref.h, include/linux/mm.h). */ \
  X(page_ref_count, read, integer, (page), none, (pages, flag_pages_freed), (), "page_ref_count(page)", "include/linux/page_ref.h:page_ref_count") \
  X(page_ref_inc, action, void_, (page), none, (flag_pages_freed), (pages), "page_ref_inc(page)", "include/linux/page_ref.h:page_ref_inc") \
  X(page_ref_dec, action, void_, (page), none, (flag_pages_freed), (pages), "page_ref_dec(page)", "include/linux/page_ref.h:page_ref_dec") \
  X(page_ref_dec_return, action, integer, (page), none, (flag_pages_freed), (pages), "page_ref_dec_return(page)", "include/linux/page_ref.h:page_ref_dec_return") \
  X(put_page_testzero, action, boolean, (page), none, (flag_pages_freed), (pages), "put_page_testzero(page)", "include/linux/mm.h:put_page_testzero") \
  X(page_ref_add_unless, action, boolean, (page, integer, integer), none, (flag_pages_freed), (pages), "page_ref_add_unless(page, nr, u)", "include/linux/page_ref.h:page_ref_add_unless") \
  X(set_page_count, action, void_, (page, integer), none, (flag_pages_freed), (pages), "set_page_count(page, v)", "include/linux/page_ref.h:set_page_count") \
  X(page_ref_add, action, void_, (page, integer), none, (flag_pages_freed), (pages), "page_ref_add(page, nr)", "include/linux/page_ref.h:page_ref_add: references that belong to no thread (a structure's, as the page cache's would)") \
  X(get_page, action, void_, (page), none, (flag_pages_freed), (pages), "get_page(page)", "include/linux/mm.h:get_page (VM_BUG_ON_PAGE at 0)") \
  X(try_get_page, action, boolean, (page), none, (flag_pages_freed), (pages), "try_get_page(page)", "include/linux/mm.h:try_get_page (WARN_ON_ONCE at <= 0, fails)") \
  X(page_var, constant, object, (page), none, (), (), "", "&page->_refcount (a wait_var_event key)") \
  X(pfn_to_page, constant, page, (integer), none, (), (), "pfn_to_page(pfn)", "include/asm-generic/memory_model.h:pfn_to_page (pfn i of the pgmap: page i)") \
  /* pgmap->ref (include/linux/percpu-refcount.h, lib/percpu-refcount.c). */ \
  X(percpu_ref_get, action, void_, (object), none, (flag_struct_freed, flag_counters_freed), (ref), "percpu_ref_get(ref)", "include/linux/percpu-refcount.h:percpu_ref_get") \
  X(percpu_ref_get_many, action, void_, (object, integer), none, (flag_struct_freed, flag_counters_freed), (ref), "percpu_ref_get_many(ref, nr)", "include/linux/percpu-refcount.h:percpu_ref_get_many") \
  X(percpu_ref_put, action, void_, (object), none, (flag_struct_freed, flag_counters_freed), (ref, wait), "percpu_ref_put(ref)", "include/linux/percpu-refcount.h:percpu_ref_put") \
  X(percpu_ref_put_many, action, void_, (object, integer), none, (flag_struct_freed, flag_counters_freed), (ref, wait), "percpu_ref_put_many(ref, nr)", "include/linux/percpu-refcount.h:percpu_ref_put_many") \
  X(percpu_ref_tryget_live, action, boolean, (object), none, (flag_struct_freed, flag_counters_freed), (ref), "percpu_ref_tryget_live(ref)", "include/linux/percpu-refcount.h:percpu_ref_tryget_live") \
  X(percpu_ref_kill, action, void_, (object), none, (flag_struct_freed, flag_counters_freed), (ref, wait), "percpu_ref_kill(ref)", "lib/percpu-refcount.c:percpu_ref_kill_and_confirm") \
  X(percpu_ref_exit, action, void_, (object), none, (), (ref, flag_counters_freed), "percpu_ref_exit(ref)", "lib/percpu-refcount.c:percpu_ref_exit") \
  X(percpu_ref_is_zero, read, boolean, (object), none, (ref), (), "percpu_ref_is_zero(ref)", "lib/percpu-refcount.c:percpu_ref_is_zero") \
  /* Completions and wait queues (kernel/sched/completion.c, wait.c, wait_bit.c). */ \
  X(complete, action, void_, (object), wakes, (), (wait), "complete(x)", "kernel/sched/completion.c:complete") \
  X(wait_for_completion, action, void_, (object), sleeps | on_queue, (), (wait), "wait_for_completion(x)", "kernel/sched/completion.c:wait_for_completion") \
  X(wake_up_var, action, void_, (object), wakes, (), (wait), "wake_up_var(var)", "kernel/sched/wait_bit.c:wake_up_var") \
  X(wake_up, action, void_, (object), wakes, (), (wait), "wake_up(wq_head)", "kernel/sched/wait.c:__wake_up") \
  X(prepare_to_wait_event, action, void_, (object), none, (), (wait), "prepare_to_wait_event(wq_head, _, _)", "kernel/sched/wait.c:prepare_to_wait_event") \
  X(schedule, action, void_, (), on_queue, (), (wait), "schedule()", "kernel/sched/core.c:schedule (returns once woken)") \
  X(finish_wait, local, void_, (object), none, (), (wait), "finish_wait(wq_head, _)", "kernel/sched/wait.c:finish_wait") \
  /* Locks (a lock excludes other holders of that lock only). */ \
  X(spin_lock, action, void_, (object), none, (), (lock_arg), "spin_lock(lock)", "include/linux/spinlock.h:spin_lock") \
  X(spin_unlock, action, void_, (object), none, (), (lock_arg), "spin_unlock(lock)", "include/linux/spinlock.h:spin_unlock") \
  X(mutex_lock, action, void_, (object), none, (), (lock_arg), "mutex_lock(lock)", "kernel/locking/mutex.c:mutex_lock") \
  X(mutex_unlock, action, void_, (object), none, (), (lock_arg), "mutex_unlock(lock)", "kernel/locking/mutex.c:mutex_unlock") \
  X(down_read, action, void_, (object), none, (), (lock_arg), "down_read(sem)", "kernel/locking/rwsem.c:down_read") \
  X(up_read, action, void_, (object), none, (), (lock_arg), "up_read(sem)", "kernel/locking/rwsem.c:up_read") \
  X(down_write, action, void_, (object), none, (), (lock_arg), "down_write(sem)", "kernel/locking/rwsem.c:down_write") \
  X(up_write, action, void_, (object), none, (), (lock_arg), "up_write(sem)", "kernel/locking/rwsem.c:up_write") \
  X(spin_trylock, action, boolean, (object), none, (), (lock_arg), "spin_trylock(lock)", "include/linux/spinlock.h:spin_trylock (takes the lock if no one holds it; never spins)") \
  X(mutex_trylock, action, boolean, (object), none, (), (lock_arg), "mutex_trylock(lock)", "kernel/locking/mutex.c:mutex_trylock (takes the mutex if no one holds it; never sleeps)") \
  X(down_read_trylock, action, boolean, (object), none, (), (lock_arg), "down_read_trylock(sem)", "kernel/locking/rwsem.c:down_read_trylock (a reader's hold unless a writer holds it)") \
  X(down_write_trylock, action, boolean, (object), none, (), (lock_arg), "down_write_trylock(sem)", "kernel/locking/rwsem.c:down_write_trylock (the writer's hold if no one holds it)") \
  /* The page lock: PG_locked, one bit a page, no owner (include/linux/pagemap.h, mm/filemap.c). */ \
  X(lock_page, action, void_, (page), none, (flag_pages_freed), (pages), "lock_page(page)", "include/linux/pagemap.h:lock_page (sleeps in folio_wait_bit_common until PG_locked is clear, then sets it; every unlock wakes its waiters)") \
  X(trylock_page, action, boolean, (page), none, (flag_pages_freed), (pages), "trylock_page(page)", "include/linux/pagemap.h:trylock_page (sets PG_locked if it is clear, and says whether it did; never sleeps)") \
  X(unlock_page, action, void_, (page), wakes, (flag_pages_freed), (pages, wait), "unlock_page(page)", "mm/filemap.c:unlock_page (folio_unlock: clears PG_locked and wakes the waiters on page_waitqueue(page); VM_BUG_ON_FOLIO if it was clear)") \
  X(page_waitqueue, constant, object, (page), none, (), (), "page_waitqueue(page)", "mm/filemap.c:page_waitqueue (6.x folio_waitqueue): the wait queue a PG_locked waiter sleeps on, a wait key") \
  X(PageLocked, read, boolean, (page), none, (pages, flag_pages_freed), (), "PageLocked(page)", "include/linux/page-flags.h:PageLocked") \
  X(dax_is_locked, read, boolean, (page), none, (pages), (), "dax_is_locked(entry)", "fs/dax.c:dax_is_locked (the DAX entry at the page's index has DAX_LOCKED; the caller holds the i_pages lock)") \
  X(dax_lock_entry, action, void_, (page), none, (), (pages), "dax_lock_entry(_, entry)", "fs/dax.c:dax_lock_entry (xas_store of the entry with DAX_LOCKED, under the i_pages lock)") \
  X(xas_store_unlocked, action, boolean, (page), none, (), (pages), "xas_store(_, entry)", "fs/dax.c:dax_unlock_entry's xas_store of the entry without DAX_LOCKED; true iff the old entry had it") \
  X(dax_entry_waitqueue, constant, object, (page), none, (), (), "dax_entry_waitqueue(_, entry, _)", "fs/dax.c:dax_entry_waitqueue: the wait queue of the DAX entry at the page's index, a wait key") \
  X(prepare_to_wait_exclusive, action, void_, (object), none, (), (wait), "prepare_to_wait_exclusive(wq_head, _, _)", "kernel/sched/wait.c:prepare_to_wait_exclusive (an exclusive waiter: a wake-up for one wakes one of them)") \
  X(prepare_to_wait, action, void_, (object), none, (), (wait), "prepare_to_wait(wq_head, _, _)", "kernel/sched/wait.c:prepare_to_wait (a waiter that is not exclusive: every wake-up wakes it)") \
  X(__wake_up, action, void_, (object, integer), wakes, (), (wait), "__wake_up(wq_head, _, nr_exclusive, _)", "kernel/sched/wait.c:__wake_up (every waiter that is not exclusive, and nr_exclusive exclusive ones: 0 is all; the kernel wakes the first queued, the model any one)") \
  /* RCU (include/linux/rcupdate.h, kernel/rcu/tree.c). */ \
  X(rcu_read_lock, action, void_, (), none, (rcu), (), "rcu_read_lock()", "include/linux/rcupdate.h:rcu_read_lock") \
  X(rcu_read_unlock, action, void_, (), none, (rcu), (), "rcu_read_unlock()", "include/linux/rcupdate.h:rcu_read_unlock") \
  X(synchronize_rcu, action, void_, (), sleeps | grace_period, (), (rcu), "synchronize_rcu()", "kernel/rcu/tree.c:synchronize_rcu (waits for readers inside a section when it starts)") \
  /* File-scope variables and static keys (include/linux/jump_label.h). */ \
  X(global_read, read, integer, (integer), none, (globals), (), "", "a file-scope variable's value (model code names it: 'callocated')") \
  X(global_write, action, void_, (integer, integer), none, (), (globals), "", "a store to a file-scope variable ('callocated = v'; 'callocated++' reads it first, in a step of its own)") \
  X(static_branch_inc, action, void_, (integer), none, (globals), (globals), "static_branch_inc(&key)", "kernel/jump_label.c:static_key_slow_inc (the key's count, under jump_label_mutex: one step)") \
  X(static_branch_dec, action, void_, (integer), none, (globals), (globals), "static_branch_dec(&key)", "kernel/jump_label.c:static_key_slow_dec (WARNs if the count goes below 0)") \
  X(static_branch_unlikely, read, boolean, (integer), none, (globals), (), "static_branch_unlikely(&key)", "include/linux/jump_label.h:static_branch_unlikely (the key is enabled: its count is above 0)") \
  X(static_branch_likely, read, boolean, (integer), none, (globals), (), "static_branch_likely(&key)", "include/linux/jump_label.h:static_branch_likely") \
  X(static_key_enabled, read, boolean, (integer), none, (globals), (), "static_key_enabled(&key)", "include/linux/jump_label.h:static_key_enabled") \
  /* Failures outside the model, within the failure budget. */ \
  X(should_fail, action, boolean, (), fails, (), (failures), "", "an allocation, vm_insert_page, a page-table allocation: fails or not") \
  /* Pointers and objects. */ \
  X(store_pointer, action, void_, (object, any), none, (), (ptr_p2pdma, ptr_ref), "", "a plain or rcu_assign_pointer store to a shared pointer (pdev->p2pdma = NULL)") \
  X(rcu_dereference, constant, object, (object), none, (), (), "rcu_dereference(p)", "include/linux/rcupdate.h:rcu_dereference") \
  X(unlikely, constant, boolean, (integer), none, (), (), "unlikely(x)", "include/linux/compiler.h:unlikely") \
  X(likely, constant, boolean, (integer), none, (), (), "likely(x)", "include/linux/compiler.h:likely") \
  X(is_zone_device_page, constant, boolean, (page), none, (), (), "is_zone_device_page(page)", "include/linux/mm.h:is_zone_device_page") \
  X(is_device_private_page, constant, boolean, (page), none, (), (), "is_device_private_page(page)", "include/linux/mm.h:is_device_private_page") \
  X(pgmap_nr_pages, constant, integer, (object), none, (), (), "", "the pgmap's page count (one range)") \
  X(dev_dax_align_pmd, constant, boolean, (), none, (), (), "", "drivers/dax/device.c: dev_dax->align == PMD_SIZE (the scenario's align = \"pmd\"): the region faults in PMDs, each covering the pgmap's pages") \
  X(kfree, action, void_, (object), none, (), (flag_struct_freed), "kfree(objp)", "mm/slab_common.c:kfree (the struct embedding the pgmap)") \
  /* The pgmap xarray and the memory behind the struct pages (mm/memremap.c). */ \
  X(xa_load, read, object, (object, page), none, (flag_published), (), "xa_load(xa, index)", "lib/xarray.c:xa_load (pgmap_array)") \
  X(xa_store_range, action, void_, (object, any), none, (), (flag_published), "xa_store_range(xa, _, _, entry, _)", "lib/xarray.c:xa_store_range (pgmap_array_delete stores NULL)") \
  X(arch_remove_memory, action, void_, (object), none, (ref, pages), (flag_pages_freed), "", "mm/memory_hotplug.c:arch_remove_memory (the struct pages are freed: memunmap-early is checked here)") \
  /* The p2pdma gen_pool (lib/genalloc.c): one page per allocation. */ \
  X(gen_pool_alloc_owner, action, page, (object, integer, any), none, (flag_pool_gone), (pages), "gen_pool_alloc_owner(pool, size, owner)", "lib/genalloc.c:gen_pool_alloc_owner (the lowest free page; owner: &pgmap->ref)") \
  X(gen_pool_free_owner, action, void_, (object, page, integer, any), none, (flag_pool_gone), (pages), "gen_pool_free_owner(pool, addr, size, owner)", "lib/genalloc.c:gen_pool_free_owner") \
  X(gen_pool_free, action, void_, (object, page, integer), none, (flag_pool_gone), (pages), "gen_pool_free(pool, addr, size)", "lib/genalloc.c:gen_pool_free") \
  X(gen_pool_destroy, action, void_, (object), none, (pages), (flag_pool_gone), "gen_pool_destroy(pool)", "lib/genalloc.c:gen_pool_destroy") \
  /* Page tables (mm/memory.c). Each takes and drops the PTL itself, as one */ \
  /* step: it runs only while no other thread holds &mm->page_table_lock. */ \
  X(vmf_insert_mixed, action, integer, (page), none, (flag_pages_freed, page_table_lock), (pages), "vmf_insert_mixed(_, _, pfn)", "mm/memory.c:vmf_insert_mixed (a devmap PTE: no page reference)") \
  X(dax_insert_pfn, action, integer, (page), none, (flag_pages_freed, page_table_lock), (pages), "dax_insert_pfn(_, pfn, _)", "fs/dax.c:dax_insert_pfn (38607c62b34b, v6.15; device-dax vmf_insert_page_mkwrite, aed877c2b425): a PTE holding a page reference and a mapcount; a free 0-based page gets its first reference here") \
  X(vm_insert_page, action, integer, (page), fails, (flag_pages_freed, page_table_lock), (pages, failures), "vm_insert_page(_, _, page)", "mm/memory.c:vm_insert_page (a PTE holding a page reference and a mapcount; -EINVAL on a page at refcount 0: validate_page_before_insert)") \
  X(set_pte_device_private, action, void_, (page), none, (flag_pages_freed, page_table_lock), (pages), "", "mm/migrate.c:migrate_vma_insert_page's set_pte_at of a device-private entry, under the caller's PTL (the caller's page reference becomes the PTE's)") \
  X(dmirror_page_data, read, integer, (page), none, (pages, flag_pages_freed), (), "", "lib/test_hmm.c:dmirror_devmem_fault's vmf->page->zone_device_data (a use of a page its driver already freed is a use-after-free)") \
  X(kernfs_remove_alloc_file, action, void_, (), none, (), (flag_file_removed), "", "fs/kernfs/dir.c:kernfs_remove of the p2pmem allocate file (called with its active references drained)") \
  X(alloc_file_removed, read, boolean, (), none, (flag_file_removed), (), "", "the p2pmem allocate file is gone (kernfs_get_active would fail)") \
  X(driver_stop, action, void_, (), none, (), (flag_driver_stopped), "", "the driver's chunk is going: 'devmem->remove = true' and its free pages off the free list (lib/test_hmm.c: dmirror_device_remove_chunks)") \
  X(percpu_ref_is_dying, read, boolean, (object), none, (ref), (), "percpu_ref_is_dying(ref)", "include/linux/percpu-refcount.h:percpu_ref_is_dying") \
  X(zap_pte, action, boolean, (page), none, (), (pages), "", "mm/memory.c:zap_pte_range (clears the PTE, a migration entry too; true iff it held a page reference: vm_normal_page)") \
  X(set_pte_migration, action, boolean, (page), none, (flag_pages_freed), (pages), "", "mm/migrate_device.c:migrate_vma_collect_pmd's (and try_to_migrate_one's) swap of the page's entry for a migration entry, with page_remove_rmap, under the caller's PTL (the entry's reference passes to the thread; true iff it held one)") \
  X(clear_pte_migration, action, void_, (page), none, (flag_pages_freed), (pages), "", "mm/migrate.c:remove_migration_pte's removal of the page's migration entry, under the caller's PTL (the caller installs the entry that replaces it)") \
  X(is_migration_entry, read, boolean, (page), none, (pages), (), "is_migration_entry(entry)", "include/linux/swapops.h:is_migration_entry (the page's PTE holds a migration entry for it)") \
  X(page_mapcount, read, integer, (page), none, (pages, flag_pages_freed), (), "page_mapcount(page)", "include/linux/mm.h:page_mapcount") \
  X(mapping_mapped, read, boolean, (object), none, (flag_file_mapped), (), "mapping_mapped(mapping)", "include/linux/fs.h:mapping_mapped (a VMA maps the file)") \
  X(unlink_file_vma, action, void_, (object), none, (), (flag_file_mapped), "", "mm/mmap.c:unlink_file_vma (the VMA goes: mapping_mapped turns false)") \
  /* DAX (fs/dax.c) and the filesystem's blocks. */ \
  X(fs_block_alloc, action, page, (), none, (), (pages), "", "the filesystem's block allocator (ext4_iomap_begin): the lowest free block, or NULL") \
  X(fs_block_free, action, void_, (page), none, (), (pages), "", "the filesystem frees the block (ext4_ext_remove_space): it may be reused at once") \
  X(dax_associate_entry, action, void_, (page, object), none, (flag_pages_freed), (pages), "", "fs/dax.c:dax_associate_entry (page->mapping = mapping; WARN_ON_ONCE if set)") \
  X(dax_disassociate_entry, action, void_, (page, object), none, (flag_pages_freed), (pages), "", "fs/dax.c:dax_disassociate_entry (page->mapping = NULL)") \
  X(page_associated, read, boolean, (page), none, (pages), (), "", "page->mapping is set (a file's page cache holds the page)") \
  X(dax_alive, read, boolean, (), none, (flag_dax_dead), (), "dax_alive(_)", "drivers/dax/super.c:dax_alive") \
  X(kill_dax, action, void_, (), sleeps | grace_period, (), (rcu, flag_dax_dead), "kill_dax(_)", "drivers/dax/super.c:kill_dax (clears DAXDEV_ALIVE, then synchronize_srcu(&dax_srcu) waits for the readers inside)") \
  X(dax_read_lock, action, void_, (), none, (rcu), (), "dax_read_lock()", "drivers/dax/super.c:dax_read_lock (srcu_read_lock(&dax_srcu))") \
  X(dax_read_unlock, action, void_, (), none, (rcu), (), "dax_read_unlock(_)", "drivers/dax/super.c:dax_read_unlock") \
  /* Page facts for choose_page predicates and harness code. */ \
  X(page_allocated, read, boolean, (page), none, (pages), (), "", "the page is out of its allocator (lifecycle cache or pinned)") \
  X(page_mapped, read, boolean, (page), none, (pages), (), "page_mapped(page)", "include/linux/mm.h:page_mapped (a PTE maps it)") \
  X(page_shared, read, boolean, (page), none, (pages), (), "", "harness: an allocation handed the page to its consumers") \
  X(pgmapcheck_share, local, void_, (page), none, (), (pages), "", "harness: the allocation hands the page to its consumers (with the step before)") \
  X(pgmapcheck_io_begin, local, void_, (page), none, (), (pages), "", "harness: a consumer's I/O on the page begins (with the step that chose the page)") \
  X(pgmapcheck_io_end, local, void_, (page), none, (), (pages), "", "harness: that I/O ends (with the step before)") \
  X(pgmapcheck_io_done, action, void_, (page), none, (), (pages), "", "harness: the I/O an allocation serves completes (waits until no consumer is in I/O or holds the page)") \
  X(devmem_free_list_add, action, void_, (page), none, (flag_pages_freed), (pages), "", "a device driver's free list: the page goes back (lib/test_hmm.c:dmirror_devmem_free)") \
  X(devmem_free_list_pop, action, page, (), none, (flag_pages_freed, flag_driver_stopped), (pages), "", "a device driver's free list: the lowest free page, or NULL (none once driver_stop took them off)") \
  /* Checks and choices the compiler emits. */ \
  X(WARN_ON, local, boolean, (integer), none, (), (), "WARN_ON(condition)", "include/asm-generic/bug.h:WARN_ON") \
  X(BUG_ON, local, boolean, (integer), none, (), (), "BUG_ON(condition)", "include/asm-generic/bug.h:BUG_ON") \
  X(choose_page, action, page, (boolean, integer), none, (), (), "", "the search picks a page for which the predicate holds") \
  PGMAPCHECK_TEST_ROW(X)
// clang-format on

// A primitive's id: its row in PGMAPCHECK_PRIMITIVES (instr::prim,
// cexpr::prim hold it as a number).
enum class prim : std::uint16_t {
#define PGMAPCHECK_PRIMITIVE_ID(name, kind, result, params, traits, reads, writes, call, models) name,
  PGMAPCHECK_PRIMITIVES(PGMAPCHECK_PRIMITIVE_ID)
#undef PGMAPCHECK_PRIMITIVE_ID
};

inline constexpr std::size_t prim_count = 0
#define PGMAPCHECK_PRIMITIVE_ONE(name, kind, result, params, traits, reads, writes, call, models) +1
    PGMAPCHECK_PRIMITIVES(PGMAPCHECK_PRIMITIVE_ONE);
#undef PGMAPCHECK_PRIMITIVE_ONE

// The traits of primitive id, from its row.
constexpr prim_trait traits_of(prim id) {
  using enum prim_trait;
  constexpr prim_trait table[] = {
#define PGMAPCHECK_PRIMITIVE_TRAITS(name, kind, result, params, traits, reads, writes, call, models) traits,
      PGMAPCHECK_PRIMITIVES(PGMAPCHECK_PRIMITIVE_TRAITS)
#undef PGMAPCHECK_PRIMITIVE_TRAITS
  };
  return table[static_cast<std::size_t>(id)];
}
constexpr bool has(prim id, prim_trait t) {
  return (static_cast<std::uint8_t>(traits_of(id)) & static_cast<std::uint8_t>(t)) != 0;
}

// Case labels for every step primitive (action, local) and for every value
// primitive (read, constant). A switch over the steps ends with
// PGMAPCHECK_VALUE_CASES and one over the values with PGMAPCHECK_STEP_CASES:
// each then names every primitive of its own sort itself, and -Wswitch
// (an error in the compile-fail test) catches a row it misses.
#define PGMAPCHECK_STEP_CASE_action(name) case prim::name:
#define PGMAPCHECK_STEP_CASE_local(name) case prim::name:
#define PGMAPCHECK_STEP_CASE_read(name)
#define PGMAPCHECK_STEP_CASE_constant(name)
#define PGMAPCHECK_VALUE_CASE_action(name)
#define PGMAPCHECK_VALUE_CASE_local(name)
#define PGMAPCHECK_VALUE_CASE_read(name) case prim::name:
#define PGMAPCHECK_VALUE_CASE_constant(name) case prim::name:
#define PGMAPCHECK_STEP_CASE(name, kind, result, params, traits, reads, writes, call, models) \
  PGMAPCHECK_STEP_CASE_##kind(name)
#define PGMAPCHECK_VALUE_CASE(name, kind, result, params, traits, reads, writes, call, models) \
  PGMAPCHECK_VALUE_CASE_##kind(name)
#define PGMAPCHECK_STEP_CASES PGMAPCHECK_PRIMITIVES(PGMAPCHECK_STEP_CASE)
#define PGMAPCHECK_VALUE_CASES PGMAPCHECK_PRIMITIVES(PGMAPCHECK_VALUE_CASE)

// The shared state primitive id reads and writes (loc bits), from its row.
struct prim_footprint {
  std::uint32_t reads = 0, writes = 0;
};
constexpr prim_footprint footprint_of(prim id) {
  using enum loc;
  constexpr prim_footprint table[] = {
#define PGMAPCHECK_PRIMITIVE_FOOTPRINT(name, kind, result, params, traits, reads, writes, call, models) \
  {locs reads, locs writes},
      PGMAPCHECK_PRIMITIVES(PGMAPCHECK_PRIMITIVE_FOOTPRINT)
#undef PGMAPCHECK_PRIMITIVE_FOOTPRINT
  };
  return table[static_cast<std::size_t>(id)];
}

}  // namespace pgmapcheck::lang
