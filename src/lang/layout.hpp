// The byte layout of a code_model state (docs/language.md, the state):
// what each byte of the world, of a page and of a thread record holds.
// Internal to the model code's runtime and to what reads its states
// directly (the Promela export).
#pragma once

#include "lang/program.hpp"

#include <array>
#include <cstddef>
#include <cstdint>

namespace pgmapcheck::lang::layout {

// World bytes: the pgmap and the other shared objects, before the pages.
enum : std::size_t {
  w_ref = 0,      // pgmap->ref as an integer
  w_mode = 1,     // 0 live, 1 killed, 2 exited
  w_flags = 2,    // world_flag
  w_done = 3,     // pgmap->done's count
  w_failures = 4, // failure budget left
  w_locks = 5,    // one byte per lock object: 0x80 write-held, else the reader count
  w_flags2 = 12,  // world_flag2
  w_met = 13,     // the spec's requirements a run has met, one bit each (code_setup::required)
  w_size = 14,
};
enum world_flag : std::uint8_t {
  wf_published = 1,       // the pgmap is in pgmap_array
  wf_pages_freed = 2,     // pageunmap_range freed the struct pages
  wf_struct_freed = 4,    // the struct embedding the pgmap was freed
  wf_counters_freed = 8,  // percpu_ref_exit freed the counters
  wf_pool_gone = 16,      // the p2pdma pool was destroyed
  wf_p2pdma = 32,         // pdev->p2pdma is published
  wf_file_mapped = 64,    // a process maps the file
  wf_ref_null = 128,      // pgmap->ref was set to NULL (dev_pagemap_cleanup, before v5.17)
};
enum world_flag2 : std::uint8_t {
  wf2_dax_dead = 1,       // kill_dax cleared DAXDEV_ALIVE
  wf2_driver_stopped = 2, // the device driver stopped allocating (its teardown began)
  wf2_file_removed = 4,   // the p2pmem allocate file was removed
};
// module_refcnt: a module's refcount kept as a lock's readers (try_module_get is a
// read trylock, module_put its unlock, delete_module's try_stop_module a write
// trylock that is never released): models/kernel/kernel/module.kc.
constexpr std::array<object, 7> lock_objects{object::mmap_lock, object::page_table_lock, object::invalidate_lock,
                                             object::lock_a,    object::lock_b,          object::i_pages,
                                             object::module_refcnt};
static_assert(w_locks + lock_objects.size() <= w_flags2, "a byte a lock, before w_flags2");
inline int lock_index(int obj) {
  for (std::size_t i = 0; i < lock_objects.size(); ++i)
    if (static_cast<int>(lock_objects[i]) == obj) return static_cast<int>(i);
  return -1;
}

// Page bytes: pins counts the references threads hold (what each thread
// holds is a bit in its own record).
// life: the page's state in its type's lifecycle monitor (models::page_state).
enum : std::size_t { p_refcount = 0, p_mapcount = 1, p_state = 2, p_flags = 3, p_pins = 4, p_io = 5, p_life = 6, p_size = 7 };
enum page_flag : std::uint8_t { pf_mapped = 1, pf_associated = 2, pf_shared = 4, pf_pte_ref = 8, pf_locked = 16, pf_migration = 32, pf_dax_locked = 64 };
// pf_locked: PG_locked; pf_migration: the page's PTE holds a migration entry for it;
// pf_dax_locked: DAX_LOCKED, the lock bit of the DAX entry at the page's index.
// A page out of its allocator: a driver's page (allocated: in use until the
// driver frees it), or a claimed extent (claimed: a p2pdma pool chunk, whose
// address the pool handed out with no struct page touched; a filesystem
// block; a device-dax extent): in use only while mapped, associated, handed
// out or held.
enum page_state : std::uint8_t { ps_free = 0, ps_allocated = 1, ps_claimed = 2 };

// Thread record bytes.
// held: two bits a page, the references this thread holds on it (0 to 3).
enum : std::size_t { t_pc = 0, t_wait = 2, t_flags = 3, t_rcu = 4, t_held = 5, t_fixed = 9 };
enum thread_flag : std::uint8_t { tf_woken = 1, tf_done = 2, tf_gp_started = 4, tf_gp_srcu = 8, tf_exclusive = 16 };
// tf_exclusive: the thread's wait is exclusive (prepare_to_wait_exclusive): a wake-up for one wakes one such waiter.

// The pc of the thread whose record starts at `record` (little-endian, two bytes).
inline std::uint16_t record_pc(std::uint8_t const* record) {
  return static_cast<std::uint16_t>(record[t_pc] | (record[t_pc + 1] << 8));
}
// Returns true iff the thread whose record starts at `record` has returned.
inline bool record_done(std::uint8_t const* record) { return (record[t_flags] & tf_done) != 0; }

// The page lifecycle monitor of pagemap type `type` (MEMORY_DEVICE_*, 1..5):
// where event `event` (models/lifecycle.hpp ids) moves a page in state `from`
// with `pins` thread references, mapped or not; -1 if the table has no row.
int life_move(int type, int event, int from, int pins, bool mapped);

}  // namespace pgmapcheck::lang::layout
