// The interpreter: executes one thread's instructions on one state, each
// primitive by its own function (or its family's), the checks firing
// wherever code runs. Internal to lang: runtime.cpp and state_view.cpp use it.
#pragma once

#include "lang/error.hpp"
#include "lang/layout.hpp"
#include "lang/monitor.hpp"
#include "lang/primitives.hpp"
#include "lang/runtime.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

namespace pgmapcheck::lang {

using namespace layout;  // the state's bytes: src/lang/layout.hpp

// Executes instructions of one thread on one state: the interpreter.
class executor {
 public:
  executor(code_model const& m, code_state& s, code_step& st, int thread)
      : m_(m), s_(s), st_(st), t_(thread), prog_(m.threads_[static_cast<std::size_t>(thread)]),
        lay_(m.layout_[static_cast<std::size_t>(thread)]) {}

  std::uint8_t* b() { return s_.bytes.data(); }
  std::uint16_t pc() const {
    return record_pc(s_.bytes.data() + lay_.base);
  }
  void set_pc(std::uint16_t pc) {
    b()[lay_.base + t_pc] = static_cast<std::uint8_t>(pc & 0xff);
    b()[lay_.base + t_pc + 1] = static_cast<std::uint8_t>(pc >> 8);
  }
  std::uint8_t& tflags() { return b()[lay_.base + t_flags]; }
  std::uint8_t& twait() { return b()[lay_.base + t_wait]; }
  std::uint8_t& trcu() { return b()[lay_.base + t_rcu]; }
  std::int8_t& slot(int i) { return reinterpret_cast<std::int8_t&>(b()[lay_.locals + static_cast<std::size_t>(i)]); }
  std::uint8_t& wflags() { return b()[w_flags]; }
  std::int8_t& ref() { return reinterpret_cast<std::int8_t&>(b()[w_ref]); }
  std::uint8_t* page(int p) { return b() + m_.pages_at_ + p_size * static_cast<std::size_t>(p); }
  std::int8_t& refcount(int p) { return reinterpret_cast<std::int8_t&>(page(p)[p_refcount]); }

  void violate(property p, reason why) {
    st_.violated = static_cast<std::uint16_t>(st_.violated | (1u << static_cast<unsigned>(p)));
    if (st_.why == reason::none) {
      st_.why = why;
      st_.fired = running_;
    }
  }
  // v as the state stores it, in a byte: a value outside -128..127 is past
  // what the model can hold (model-range), never a silent wrap.
  std::int8_t fit(std::int64_t v) {
    if (v < -128 || v > 127) violate(property::model_range, reason::out_of_range);
    return static_cast<std::int8_t>(v);
  }

  // --- expressions ------------------------------------------------------
  // An intermediate result as C computes it, in an int: one past what an
  // int holds is past the model (model-range), never a silent wrap.
  int arith(std::int64_t v) {
    if (v < INT32_MIN || v > INT32_MAX) {
      violate(property::model_range, reason::out_of_range);
      return 0;
    }
    return static_cast<int>(v);
  }

  int binary(binop op, std::int64_t a, std::int64_t c) {
    switch (op) {
      case binop::add: return arith(a + c);
      case binop::sub: return arith(a - c);
      case binop::mul: return arith(a * c);
      case binop::div:
      case binop::mod:
        if (c == 0 || (a == INT32_MIN && c == -1)) {  // the CPU's divide error: an oops
          violate(property::kernel_bug, reason::divide_error);
          return 0;
        }
        return arith(op == binop::div ? a / c : a % c);
      case binop::shl:
      case binop::shr:
        if (c < 0 || c >= 32) {  // undefined in C: past what the model computes
          violate(property::model_range, reason::out_of_range);
          return 0;
        }
        return arith(op == binop::shl ? a * (std::int64_t{1} << c) : a >> c);
      case binop::lt: return a < c;
      case binop::le: return a <= c;
      case binop::gt: return a > c;
      case binop::ge: return a >= c;
      case binop::eq: return a == c;
      case binop::ne: return a != c;
      case binop::band: return static_cast<int>(a & c);
      case binop::bor: return static_cast<int>(a | c);
      case binop::bxor: return static_cast<int>(a ^ c);
    }
    return 0;
  }

  int eval(std::uint16_t id) {
    auto const& e = prog_.exprs[id];
    switch (e.k) {
      case cexpr::kind::constant: return e.value;
      case cexpr::kind::local: return slot(e.value);
      case cexpr::kind::unary: {
        int v = eval(e.args[0]);
        return e.op == '!' ? !v : e.op == '-' ? arith(-std::int64_t{v}) : ~v;
      }
      case cexpr::kind::logical_and: return eval(e.args[0]) && eval(e.args[1]);
      case cexpr::kind::logical_or: return eval(e.args[0]) || eval(e.args[1]);
      case cexpr::kind::ternary: return eval(e.args[0]) ? eval(e.args[1]) : eval(e.args[2]);
      case cexpr::kind::binary: {
        int a = eval(e.args[0]), c = eval(e.args[1]);
        return binary(static_cast<binop>(e.op), a, c);
      }
      case cexpr::kind::read: return read(e);
      case cexpr::kind::member: {
        int base = eval(e.args[0]);
        auto const& r = field_rules[static_cast<std::size_t>(e.value)];
        if (base == 0) {
          violate(property::kernel_bug, reason::null_deref);
          return 0;
        }
        if (!e.op) return static_cast<int>(r.result);
        if (r.result == object::p2pdma) return (wflags() & wf_p2pdma) ? static_cast<int>(object::p2pdma) : 0;
        if (r.result == object::pgmap_ref) return (wflags() & wf_ref_null) ? 0 : static_cast<int>(object::pgmap_ref);
        return static_cast<int>(r.result);
      }
    }
    return 0;
  }

  // A page argument: page index + 1 in the value; NULL is a model error the
  // kernel would oops on.
  int page_arg(int v) {
    if (v < 1 || v > m_.setup_.facts.pages) {
      violate(property::kernel_bug, reason::bug_fired);  // a NULL or stray struct page dereference
      return -1;
    }
    return v - 1;
  }

  // A step reads or writes struct page p.
  void touch_page(int p) {
    st_.page = static_cast<std::int8_t>(p);
    if (wflags() & wf_pages_freed) violate(property::use_after_free, reason::struct_pages_freed);
  }
  // Which struct holding pgmap->ref was freed: v5.10 FS_DAX's ref is the
  // block queue's q_usage_counter; otherwise p2p_pgmap embeds the pgmap.
  reason struct_freed_reason() const {
    return m_.setup_.facts.pagemap_type == 3 ? reason::queue_freed : reason::pgmap_freed;
  }

  // A step reads or writes pgmap->ref's counters. After percpu_ref_exit a
  // get or put finds the ref in atomic mode (__PERCPU_REF_ATOMIC_DEAD) and
  // goes to ref->data->count, and exit has set ref->data to NULL and freed
  // it (2b0d3d3e4fcf, v5.10; lib/percpu-refcount.c): a NULL dereference.
  void touch_counters() {
    if (wflags() & wf_struct_freed)
      violate(property::use_after_free, struct_freed_reason());
    else if (wflags() & wf_counters_freed)
      violate(property::kernel_bug, reason::ref_data_null);
  }

  // The value of read or constant primitive e.prim.
  int read(cexpr const& e) {
    prim const id = static_cast<prim>(e.prim);
    int a0 = e.nargs > 0 ? eval(e.args[0]) : 0;
    switch (id) {
      case prim::page_var: return a0 >= 1 ? page_var(a0 - 1) : 0;
      case prim::page_waitqueue: return a0 >= 1 && a0 <= m_.setup_.facts.pages ? page_lock_var(a0 - 1) : 0;
      case prim::dax_entry_waitqueue: return a0 >= 1 && a0 <= m_.setup_.facts.pages ? dax_entry_var(a0 - 1) : 0;
      case prim::global_read: return static_cast<std::int8_t>(global(a0));
      case prim::static_branch_unlikely:
      case prim::static_branch_likely:
      case prim::static_key_enabled: return static_cast<std::int8_t>(global(a0)) > 0;
      case prim::pfn_to_page: return a0 >= 0 && a0 < m_.setup_.facts.pages ? a0 + 1 : 0;
      case prim::page_ref_count: {
        int p = page_arg(a0);
        if (p < 0) return 0;
        touch_page(p);
        return refcount(p);
      }
      case prim::percpu_ref_is_zero: return ref() == 0;
      case prim::percpu_ref_is_dying: return b()[w_mode] != 0;
      case prim::alloc_file_removed: return (b()[w_flags2] & wf2_file_removed) != 0;
      case prim::dmirror_page_data: {
        int p = page_arg(a0);
        if (p < 0) return 0;
        touch_page(p);
        if (page(p)[p_state] == ps_free) violate(property::use_after_free, reason::page_freed_by_other);
        return 1;
      }
      case prim::rcu_dereference:
      case prim::unlikely:
      case prim::likely: return a0;
      case prim::is_zone_device_page: return 1;
      case prim::is_device_private_page: return m_.setup_.facts.pagemap_type == 1;
      case prim::pgmap_nr_pages: return m_.setup_.facts.pages;
      case prim::dev_dax_align_pmd: return m_.setup_.facts.align_pmd;
      case prim::xa_load: return (wflags() & wf_published) ? static_cast<int>(object::pgmap) : 0;
      case prim::page_allocated:
      case prim::page_mapped:
      case prim::page_shared:
      case prim::page_associated:
      case prim::is_migration_entry:
      case prim::PageLocked:
      case prim::dax_is_locked:
      case prim::page_mapcount: {
        int p = page_arg(a0);
        if (p < 0) return 0;
        if (id == prim::page_allocated) return page(p)[p_state] != ps_free;
        if (id == prim::dax_is_locked) return (page(p)[p_flags] & pf_dax_locked) != 0;
        if (id == prim::PageLocked || id == prim::page_mapcount) {
          touch_page(p);
          if (id == prim::page_mapcount) return static_cast<std::int8_t>(page(p)[p_mapcount]);
          return (page(p)[p_flags] & pf_locked) != 0;
        }
        std::uint8_t const bit = id == prim::page_mapped    ? pf_mapped
                                 : id == prim::page_shared  ? pf_shared
                                 : id == prim::is_migration_entry ? pf_migration
                                                            : pf_associated;
        return (page(p)[p_flags] & bit) != 0;
      }
      case prim::mapping_mapped: return (wflags() & wf_file_mapped) != 0;
      case prim::dax_alive: return !(b()[w_flags2] & wf2_dax_dead);
      // Steps, not values: executor::action (-Wswitch: a value row with no
      // case above does not build).
      PGMAPCHECK_STEP_CASES
        break;
    }
    return 0;
  }

  // --- what threads hold ------------------------------------------------
  std::uint32_t held() {
    std::uint32_t h;
    std::memcpy(&h, b() + lay_.base + t_held, 4);
    return h;
  }
  int held_on(int p) { return static_cast<int>((held() >> (2 * p)) & 3u); }
  void set_held_on(int p, int n) {
    std::uint32_t h = held();
    h = (h & ~(3u << (2 * p))) | (static_cast<std::uint32_t>(n) << (2 * p));
    std::memcpy(b() + lay_.base + t_held, &h, 4);
  }
  // --- the lifecycle monitor ----------------------------------------------
  // Fires event E on page p's lifecycle table (models/<type>.hpp, monitor):
  // a move the table has no row for is a lifecycle violation.
  template <class E>
  void life(int p) {
    models::page_view const v{page(p)[p_pins], (page(p)[p_flags] & pf_mapped) != 0};
    auto const from = static_cast<models::page_state>(page(p)[p_life]);
    int const to = life_move_on<E>(m_.setup_.facts.pagemap_type, from, v);
    if (to < 0) {
      st_.page = static_cast<std::int8_t>(p);
      if (st_.why == reason::none) st_.life = static_cast<std::uint8_t>(E::id << 2 | static_cast<unsigned>(from));
      violate(property::lifecycle, reason::no_lifecycle_row);
      return;
    }
    page(p)[p_life] = static_cast<std::uint8_t>(to);
    auto& seen = m_.life_seen_[E::id * 16u + static_cast<unsigned>(from) * 4u + static_cast<unsigned>(to)];
    if (!std::atomic_ref(seen).load(std::memory_order_relaxed)) std::atomic_ref(seen).store(true, std::memory_order_relaxed);
  }
  // A thread's put on page p: its own reference if it holds one, else one no
  // thread holds (memunmap's loop, a stray put).
  void life_put(int p) {
    if (held_on(p) > 0)
      life<models::events::put_page>(p);
    else
      life<models::events::put_base>(p);
  }

  // This thread took a reference on page p: it holds one more.
  void hold(int p) {
    if (held_on(p) == 3) {  // two bits a page
      violate(property::model_range, reason::out_of_range);
      return;
    }
    set_held_on(p, held_on(p) + 1);
    ++page(p)[p_pins];
  }
  // This thread dropped a reference on page p: if it held one, one fewer.
  void unhold(int p) {
    if (held_on(p) == 0) return;
    set_held_on(p, held_on(p) - 1);
    --page(p)[p_pins];
  }
  // References on p held by threads other than this one.
  int others_pins(int p) { return page(p)[p_pins] - held_on(p); }

  // A page goes back to its allocator: free-while-used if it is still mapped
  // or another thread holds it, or if it is already free (a double free).
  void release_page(int p, bool touches_struct_page = true) {
    if (touches_struct_page)
      touch_page(p);
    else
      st_.page = static_cast<std::int8_t>(p);
    if (page(p)[p_state] == ps_free) {
      violate(property::free_while_used, reason::double_free);
    } else {
      if ((page(p)[p_flags] & pf_mapped) || others_pins(p) > 0) violate(property::free_while_used, reason::still_used);
      life<models::events::release>(p);  // the table has the row under a reference too: the monitor follows the allocator
    }
    page(p)[p_state] = ps_free;
  }

  // --- wait queues ------------------------------------------------------
  // Wakes every thread queued on `target`: each looks at its condition again.
  void wake_all(std::uint8_t target) {
    for (std::size_t u = 0; u < m_.threads_.size(); ++u) {
      auto const& l = m_.layout_[u];
      if (b()[l.base + t_wait] == target) {
        b()[l.base + t_wait] = 0;
        b()[l.base + t_flags] = static_cast<std::uint8_t>(b()[l.base + t_flags] | tf_woken);
      }
    }
  }
  // Returns true iff this thread is queued on a wait queue and not yet woken.
  bool asleep() { return twait() != 0 && !(tflags() & tf_woken); }

  // One more completion done (a byte: 255 at most, past it model-range).
  void complete_one() {
    if (b()[w_done] == 255) violate(property::model_range, reason::out_of_range);
    else ++b()[w_done];
  }

  // percpu_ref_put_many: the release (memunmap's completion) runs when the
  // count of a killed ref reaches exactly 0.
  void ref_put(int n) {
    touch_counters();
    ref() = fit(std::int64_t{ref()} - n);
    if (ref() < 0) violate(property::refcount_underflow, reason::underflow);
    if (ref() == 0 && b()[w_mode] != 0) {
      complete_one();
      wake_all(static_cast<std::uint8_t>(object::pgmap_done));
    }
  }

  // --- enabledness ------------------------------------------------------
  // Returns true iff instruction `in` can run now (a lock free, a sleeper woken).
  bool enabled(instr const& in) {
    if (in.k != instr::kind::action) return true;
    prim const id = static_cast<prim>(in.prim);
    if (id == prim::schedule) return !asleep();
    if (id == prim::pgmapcheck_io_done) {
      int p = eval(in.args[0]) - 1;
      return p < 0 || p >= m_.setup_.facts.pages || (others_pins(p) == 0 && page(p)[p_io] == 0);
    }
    if (id == prim::wait_for_completion) return b()[w_done] > 0 || !asleep();
    if (id == prim::lock_page) {  // asleep until PG_locked is clear
      int p = eval(in.args[0]) - 1;
      return p < 0 || p >= m_.setup_.facts.pages || !(page(p)[p_flags] & pf_locked);
    }
    if (id == prim::synchronize_rcu || id == prim::kill_dax) {
      if (!(tflags() & tf_gp_started)) return true;
      std::uint32_t mask;
      std::memcpy(&mask, b() + lay_.gp, 4);
      return mask == 0;
    }
    int lock = -1;
    if (id == prim::spin_lock || id == prim::mutex_lock || id == prim::down_write || id == prim::down_read)
      lock = lock_index(eval(in.args[0]));
    if (id == prim::vmf_insert_mixed || id == prim::dax_insert_pfn || id == prim::vm_insert_page)
      return b()[w_locks + static_cast<std::size_t>(lock_index(static_cast<int>(object::page_table_lock)))] == 0;
    if (lock < 0) return true;
    std::uint8_t const v = b()[w_locks + static_cast<std::size_t>(lock)];
    return id == prim::down_read ? !(v & 0x80) : v == 0;
  }

  // How many outcomes instruction `in` has here.
  int outcomes(instr const& in) {
    if (in.k != instr::kind::action) return 1;
    prim const id = static_cast<prim>(in.prim);
    if (has(id, prim_trait::fails)) return b()[w_failures] > 0 ? 2 : 1;
    if (id == prim::wake_up || id == prim::wake_up_var || id == prim::__wake_up) return std::max(exclusive_waiters(in), 1);
    if (id == prim::choose_page) {
      int n = 0;
      for (int p = 0; p < m_.setup_.facts.pages; ++p) n += choose_matches(in, p);
      return std::max(n, 1);
    }
    return 1;
  }

  int choose_matches(instr const& in, int p) {
    slot(in.args[1]) = static_cast<std::int8_t>(p + 1);
    bool ok = eval(in.args[0]) != 0;
    slot(in.args[1]) = 0;
    return ok ? 1 : 0;
  }

  // --- instructions -----------------------------------------------------
  // Runs instruction `in` with outcome `o`; returns false iff the thread stays at it (went to sleep).
  bool run(instr const& in, int o) {
    running_ = static_cast<std::uint16_t>(&in - prog_.code.data());
    auto& mark = m_.ran_[static_cast<std::size_t>(t_)][running_];
    auto const bits = static_cast<std::uint8_t>(1 | (o == 1 ? 2 : 0));  // searches' workers share the marks
    if ((std::atomic_ref(mark).load(std::memory_order_relaxed) & bits) != bits)
      std::atomic_ref(mark).fetch_or(bits, std::memory_order_relaxed);
    for (std::size_t r = 0; r < m_.setup_.required.size(); ++r)
      if (m_.setup_.required[r].line > 0 &&
          m_.meets_[r][static_cast<std::size_t>(t_)][static_cast<std::size_t>(&in - prog_.code.data())])
        b()[w_met] = static_cast<std::uint8_t>(b()[w_met] | 1u << r);
    switch (in.k) {
      case instr::kind::assign: slot(in.dest) = fit(eval(in.a)); return true;
      case instr::kind::branch:
        if (!eval(in.a)) {
          set_pc(in.target);
          return false;  // pc already moved
        }
        return true;
      case instr::kind::jump: set_pc(in.target); return false;
      case instr::kind::clear:
        for (int i = 0; i < in.value; ++i) slot(in.dest + i) = 0;
        return true;
      case instr::kind::finish:
        tflags() = static_cast<std::uint8_t>(tflags() | tf_done);
        return false;
      case instr::kind::action: return action(in, o);
    }
    return true;
  }

  void result(instr const& in, int v) {
    if (in.dest >= 0) slot(in.dest) = fit(v);
  }

  int arg(instr const& in, int i) { return eval(in.args[static_cast<std::size_t>(i)]); }

  // Runs action primitive in.prim with outcome o: one function per
  // primitive or family, below. Returns false iff the thread sleeps at it.
  bool action(instr const& in, int o) {
    prim const id = static_cast<prim>(in.prim);
    switch (id) {
      case prim::page_ref_inc:
      case prim::get_page:
      case prim::page_ref_dec:
      case prim::page_ref_dec_return:
      case prim::put_page_testzero:
      case prim::set_page_count:
      case prim::try_get_page:
      case prim::page_ref_add:
      case prim::page_ref_add_unless: return page_count(id, in);
      case prim::percpu_ref_get:
      case prim::percpu_ref_get_many: return ref_get(in);
      case prim::percpu_ref_put:
      case prim::percpu_ref_put_many: return ref_put_step(in);
      case prim::percpu_ref_tryget_live: return ref_tryget_live(in);
      case prim::percpu_ref_kill: return ref_kill(in);
      case prim::percpu_ref_exit: return ref_exit(in);
      case prim::complete: return complete_step(in);
      case prim::wait_for_completion: return wait_for_completion_step(in);
      case prim::wake_up_var:
      case prim::wake_up:
      case prim::__wake_up: return wake_up_step(id, in, o);
      case prim::prepare_to_wait_event:
      case prim::prepare_to_wait:
      case prim::prepare_to_wait_exclusive: return prepare_to_wait(id, in);
      case prim::schedule: return schedule_step();
      case prim::finish_wait: return finish_wait_step();
      case prim::spin_lock:
      case prim::mutex_lock:
      case prim::down_write:
      case prim::down_read: return lock(id, in);
      case prim::spin_unlock:
      case prim::mutex_unlock:
      case prim::up_write:
      case prim::up_read: return unlock(id, in);
      case prim::spin_trylock:
      case prim::mutex_trylock:
      case prim::down_read_trylock:
      case prim::down_write_trylock: return trylock(id, in);
      case prim::lock_page:
      case prim::trylock_page:
      case prim::unlock_page: return page_lock(id, in);
      case prim::dax_lock_entry:
      case prim::xas_store_unlocked: return dax_entry_lock(id, in);
      case prim::global_write:
      case prim::static_branch_inc:
      case prim::static_branch_dec: return global_step(id, in);
      case prim::rcu_read_lock:
      case prim::dax_read_lock: return read_lock(id);
      case prim::rcu_read_unlock:
      case prim::dax_read_unlock: return read_unlock(id);
      case prim::synchronize_rcu:
      case prim::kill_dax: return grace_period(id);
      case prim::store_pointer: return store_pointer(in);
      case prim::kfree: return kfree(in);
      case prim::xa_store_range: return xa_store_range(in);
      case prim::arch_remove_memory: return arch_remove_memory();
      case prim::gen_pool_destroy: return pool_destroy(in);
      case prim::gen_pool_alloc_owner: return pool_alloc(in);
      case prim::gen_pool_free_owner:
      case prim::gen_pool_free: return pool_free(id, in);
      case prim::pgmapcheck_io_done:
      case prim::pgmapcheck_share:
      case prim::pgmapcheck_io_begin:
      case prim::pgmapcheck_io_end: return harness_io(id, in);
      case prim::devmem_free_list_add: return free_list_add(in);
      case prim::devmem_free_list_pop: return free_list_pop(in);
      case prim::vmf_insert_mixed:
      case prim::dax_insert_pfn:
      case prim::vm_insert_page:
      case prim::set_pte_device_private: return insert_pte(id, in, o);
      case prim::zap_pte: return zap_pte(in);
      case prim::set_pte_migration: return set_pte_migration(in);
      case prim::clear_pte_migration: return clear_pte_migration(in);
      case prim::kernfs_remove_alloc_file: return kernfs_remove_alloc_file();
      case prim::driver_stop: return driver_stop();
      case prim::unlink_file_vma: return unlink_file_vma();
      case prim::fs_block_alloc: return fs_block_alloc(in);
      case prim::fs_block_free: return fs_block_free(in);
      case prim::dax_associate_entry:
      case prim::dax_disassociate_entry: return dax_entry(id, in);
      case prim::should_fail: return should_fail(in, o);
      case prim::WARN_ON:
      case prim::BUG_ON: return check_macro(id, in);
      case prim::choose_page: return choose_page(in, o);
      // Values, not steps: executor::read (-Wswitch: a step row with no
      // case above does not build).
      PGMAPCHECK_VALUE_CASES
        break;
    }
    throw std::logic_error("model error: primitive '" + std::string(primitives()[in.prim].name) + "' has no semantics");
  }

  // The lowest free page, plus one (0: none): what first-fit allocators take.
  int lowest_free_page() {
    for (int p = 0; p < m_.setup_.facts.pages; ++p)
      if (page(p)[p_state] == ps_free) return p + 1;
    return 0;
  }

  // pgmap->ref: a NULL ref (pgmap->ref after dev_pagemap_cleanup, v5.10) is an oops.
  // Returns true iff it was (the step is done).
  bool null_ref(instr const& in) {
    if (arg(in, 0) != 0) return false;
    violate(property::kernel_bug, reason::null_deref);
    result(in, 0);
    return true;
  }

  // Page atomics.
  bool page_count(prim id, instr const& in) {
    int p = page_arg(arg(in, 0));
    if (p < 0) return true;
    touch_page(p);
    std::int8_t& c = refcount(p);
    if (id == prim::page_ref_inc) {
      c = fit(c + 1);
      life<models::events::get_page>(p);
      hold(p);
    } else if (id == prim::get_page) {
      if (c <= 0) violate(property::get_from_zero, reason::get_from_zero);
      c = fit(c + 1);
      life<models::events::get_page>(p);
      hold(p);
    } else if (id == prim::try_get_page) {
      if (c <= 0) {
        violate(property::kernel_warn, reason::warn_fired);
        result(in, 0);
      } else {
        c = fit(c + 1);
        life<models::events::get_page>(p);
        hold(p);
        result(in, 1);
      }
    } else if (id == prim::page_ref_add_unless) {
      int nr = arg(in, 1), u = arg(in, 2);
      bool ok = c != u;
      if (ok) {
        c = fit(std::int64_t{c} + nr);
        life<models::events::get_page>(p);
        hold(p);
      }
      result(in, ok);
    } else if (id == prim::set_page_count) {
      c = fit(arg(in, 1));
    } else if (id == prim::page_ref_add) {
      c = fit(std::int64_t{c} + arg(in, 1));
    } else {
      life_put(p);
      unhold(p);
      c = fit(c - 1);
      if (c < 0) violate(property::refcount_underflow, reason::underflow);
      if (id == prim::page_ref_dec_return) result(in, c);
      if (id == prim::put_page_testzero) result(in, c == 0);
    }
    return true;
  }

  // percpu_ref_get, percpu_ref_get_many.
  bool ref_get(instr const& in) {
    if (null_ref(in)) return true;
    touch_counters();
    ref() = fit(std::int64_t{ref()} + (in.nargs > 1 ? arg(in, 1) : 1));
    return true;
  }

  // percpu_ref_put, percpu_ref_put_many.
  bool ref_put_step(instr const& in) {
    if (null_ref(in)) return true;
    ref_put(in.nargs > 1 ? arg(in, 1) : 1);
    return true;
  }

  // percpu_ref_tryget_live.
  bool ref_tryget_live(instr const& in) {
    if (null_ref(in)) return true;
    // Fails without touching the counters once killed: it reads only the
    // DEAD flag (include/linux/percpu-refcount.h); a freed struct is a
    // use-after-free.
    if (wflags() & wf_struct_freed) violate(property::use_after_free, struct_freed_reason());
    bool ok = b()[w_mode] == 0;
    if (ok) ref() = fit(ref() + 1);
    result(in, ok);
    return true;
  }

  // percpu_ref_kill.
  bool ref_kill(instr const& in) {
    if (null_ref(in)) return true;
    b()[w_mode] = 1;
    ref_put(1);
    return true;
  }

  // percpu_ref_exit.
  bool ref_exit(instr const& in) {
    if (null_ref(in)) return true;
    b()[w_mode] = 2;
    wflags() = static_cast<std::uint8_t>(wflags() | wf_counters_freed);
    return true;
  }

  // Completions and waits.
  // complete() wakes one waiter in the kernel (swake_up_locked); waking
  // every thread queued on the completion only adds wake-ups after which
  // wait_for_completion finds done at 0 and sleeps again, which its loop
  // allows: no behaviour the kernel lacks.
  bool complete_step(instr const& in) {
    complete_one();
    wake_all(static_cast<std::uint8_t>(arg(in, 0)));
    return true;
  }

  // wait_for_completion.
  bool wait_for_completion_step(instr const& in) {
    if (b()[w_done] > 0) {
      b()[w_done] = static_cast<std::uint8_t>(b()[w_done] - 1);
      twait() = 0;
      tflags() = static_cast<std::uint8_t>(tflags() & ~(tf_woken | tf_exclusive));
      return true;
    }
    twait() = static_cast<std::uint8_t>(arg(in, 0));
    tflags() = static_cast<std::uint8_t>(tflags() & ~(tf_woken | tf_exclusive));
    return false;  // asleep until complete()
  }

  // wake_up_var, wake_up, __wake_up: every waiter queued on the target that
  // is not exclusive, and nr_exclusive exclusive ones (wake_up and
  // wake_up_var: 1; 0 is all). With one to wake, outcome o wakes the o-th
  // exclusive waiter: the kernel wakes the first queued, the model any one.
  bool wake_up_step(prim id, instr const& in, int o) {
    auto const target = static_cast<std::uint8_t>(arg(in, 0));
    int const nr = id == prim::__wake_up ? arg(in, 1) : 1;
    if (nr != 0 && nr != 1) {
      violate(property::model_range, reason::out_of_range);  // wake_up_nr past one: not modelled
      return true;
    }
    int k = 0;
    for_each_waiter(target, [&](std::uint8_t& wait, std::uint8_t& flags) {
      if ((flags & tf_exclusive) && nr == 1 && k++ != o) return;
      wait = 0;
      flags = static_cast<std::uint8_t>(flags | tf_woken);
    });
    return true;
  }

  // The exclusive waiters a wake-up for one could wake: its outcomes.
  int exclusive_waiters(instr const& in) {
    auto const target = static_cast<std::uint8_t>(arg(in, 0));
    if (static_cast<prim>(in.prim) == prim::__wake_up && arg(in, 1) != 1) return 0;
    int n = 0;
    for_each_waiter(target, [&](std::uint8_t&, std::uint8_t& flags) { n += (flags & tf_exclusive) != 0; });
    return n;
  }

  // fn(wait, flags) for each thread asleep on (or preparing to wait on)
  // target, in thread order.
  template <class Fn> void for_each_waiter(std::uint8_t target, Fn fn) {
    for (std::size_t u = 0; u < m_.threads_.size(); ++u) {
      auto const& l = m_.layout_[u];
      if (b()[l.base + t_wait] == target) fn(b()[l.base + t_wait], b()[l.base + t_flags]);
    }
  }

  // prepare_to_wait_event, prepare_to_wait, prepare_to_wait_exclusive.
  bool prepare_to_wait(prim id, instr const& in) {
    twait() = static_cast<std::uint8_t>(arg(in, 0));
    tflags() = static_cast<std::uint8_t>((tflags() & ~(tf_woken | tf_exclusive)) |
                                         (id == prim::prepare_to_wait_exclusive ? tf_exclusive : 0));
    return true;
  }

  // schedule.
  bool schedule_step() {
    tflags() = static_cast<std::uint8_t>(tflags() & ~tf_woken);
    return true;
  }

  // finish_wait.
  bool finish_wait_step() {
    twait() = 0;
    tflags() = static_cast<std::uint8_t>(tflags() & ~(tf_woken | tf_exclusive));
    return true;
  }

  // Locks.
  bool lock(prim id, instr const& in) {
    int const target = arg(in, 0);
    int const li = lock_index(target);
    if (li < 0) {  // a lock through NULL (the member read oopsed already), or no lock at all
      violate(property::kernel_bug, target == 0 ? reason::null_deref : reason::bug_fired);
      return true;
    }
    std::uint8_t& v = b()[w_locks + static_cast<std::size_t>(li)];
    v = id == prim::down_read ? static_cast<std::uint8_t>(v + 1) : std::uint8_t{0x80};
    return true;
  }

  // spin_trylock, mutex_trylock, down_read_trylock, down_write_trylock:
  // the lock if no one holds it (a reader's: if no writer does), and
  // whether it was taken; never waits.
  bool trylock(prim id, instr const& in) {
    int const target = arg(in, 0);
    int const li = lock_index(target);
    if (li < 0) {  // as lock() does
      violate(property::kernel_bug, target == 0 ? reason::null_deref : reason::bug_fired);
      result(in, 0);
      return true;
    }
    std::uint8_t& v = b()[w_locks + static_cast<std::size_t>(li)];
    bool const reader = id == prim::down_read_trylock;
    bool const taken = reader ? !(v & 0x80) : v == 0;
    if (taken) v = reader ? static_cast<std::uint8_t>(v + 1) : std::uint8_t{0x80};
    result(in, taken);
    return true;
  }

  // lock_page, trylock_page, unlock_page: PG_locked, a bit of the page
  // with no owner (migration unlocks pages that another function locked).
  // lock_page runs only once the bit is clear (enabled()): the kernel's
  // unlock hands the lock to a sleeper or wakes it to try again, so none is
  // left behind. A thread that waits for the unlock without taking the lock
  // (migration_entry_wait_on_locked) queues on page_waitqueue(page), and
  // unlock_page wakes it.
  bool page_lock(prim id, instr const& in) {
    int p = page_arg(arg(in, 0));
    if (p < 0) return true;  // the oops ends the run
    touch_page(p);
    std::uint8_t& f = page(p)[p_flags];
    if (id == prim::unlock_page) {
      if (!(f & pf_locked)) violate(property::kernel_bug, reason::page_not_locked);
      f = static_cast<std::uint8_t>(f & ~pf_locked);
      wake_all(page_lock_var(p));  // folio_wake_bit: every waiter queued on the bit
      return true;
    }
    bool const taken = !(f & pf_locked);
    f = static_cast<std::uint8_t>(f | pf_locked);
    result(in, taken);
    return true;
  }

  // dax_lock_entry, xas_store_unlocked: DAX_LOCKED, the lock bit of the DAX
  // entry at the page's index (the entry lives in the file's i_pages, not in
  // the struct page: no use-after-free check). Callers hold the i_pages lock;
  // waiters queue on dax_entry_waitqueue(page), dax_wake_entry wakes them.
  bool dax_entry_lock(prim id, instr const& in) {
    int p = page_arg(arg(in, 0));
    if (p < 0) return true;  // the oops ends the run
    std::uint8_t& f = page(p)[p_flags];
    bool const was = (f & pf_dax_locked) != 0;
    if (id == prim::dax_lock_entry) {
      f = static_cast<std::uint8_t>(f | pf_dax_locked);
    } else {
      f = static_cast<std::uint8_t>(f & ~pf_dax_locked);
      result(in, was);
    }
    return true;
  }

  // A file-scope variable's byte: id is the compiler's (a constant), and the
  // model gave every variable a thread uses a byte.
  std::uint8_t& global(int id) {
    int const at = id < 0 ? -1 : m_.globals_.at(static_cast<std::size_t>(id)).at;
    if (at < 0) throw std::logic_error("a file-scope variable with no byte in the state");
    return b()[static_cast<std::size_t>(at)];
  }

  // global_write, static_branch_inc, static_branch_dec.
  bool global_step(prim id, instr const& in) {
    std::uint8_t& g = global(arg(in, 0));
    int const now = static_cast<std::int8_t>(g);
    int const v = id == prim::global_write ? arg(in, 1) : id == prim::static_branch_inc ? now + 1 : now - 1;
    if (id == prim::static_branch_dec && v < 0) violate(property::kernel_warn, reason::warn_fired);  // "negative count"
    g = static_cast<std::uint8_t>(fit(v));
    return true;
  }

  // spin_unlock, mutex_unlock, up_write, up_read.
  bool unlock(prim id, instr const& in) {
    int const li = lock_index(arg(in, 0));
    bool const writer = id != prim::up_read;
    std::uint8_t const v = li < 0 ? 0 : b()[w_locks + static_cast<std::size_t>(li)];
    if (li < 0 || (writer ? v != 0x80 : (v == 0 || v == 0x80))) {
      violate(property::kernel_bug, reason::unlock_unheld);
      return true;
    }
    b()[w_locks + static_cast<std::size_t>(li)] = writer ? 0 : static_cast<std::uint8_t>(v - 1);
    return true;
  }

  // RCU, and the dax device's SRCU: each a flavour of its own (a grace
  // period waits for readers of its flavour). The record's RCU byte holds
  // the RCU nesting in its low nibble, the dax SRCU nesting in its high.
  bool read_lock(prim id) {
    trcu() = static_cast<std::uint8_t>(trcu() + (id == prim::rcu_read_lock ? 0x01 : 0x10));
    return true;
  }

  // rcu_read_unlock, dax_read_unlock.
  bool read_unlock(prim id) {
    bool const rcu = id == prim::rcu_read_unlock;
    int const nesting = rcu ? (trcu() & 0x0f) : (trcu() >> 4);
    if (nesting == 0) {
      violate(property::kernel_bug, reason::unlock_unheld);
      return true;
    }
    trcu() = static_cast<std::uint8_t>(trcu() - (rcu ? 0x01 : 0x10));
    if (nesting == 1) {  // this reader leaves: no grace period of its flavour waits for it any more
      for (std::size_t u = 0; u < m_.layout_.size(); ++u) {
        auto const& l = m_.layout_[u];
        if (!l.gp || ((b()[l.base + t_flags] & tf_gp_srcu) != 0) == rcu) continue;
        std::uint32_t mask;
        std::memcpy(&mask, b() + l.gp, 4);
        mask &= ~(1u << t_);
        std::memcpy(b() + l.gp, &mask, 4);
      }
    }
    return true;
  }

  // synchronize_rcu, kill_dax.
  bool grace_period(prim id) {
    bool const rcu = id == prim::synchronize_rcu;
    if (tflags() & tf_gp_started) {  // enabled: every reader it waited for has left
      tflags() = static_cast<std::uint8_t>(tflags() & ~(tf_gp_started | tf_gp_srcu));
      return true;
    }
    // kill_dax: clear DAXDEV_ALIVE, then synchronize_srcu(&dax_srcu).
    if (!rcu) b()[w_flags2] = static_cast<std::uint8_t>(b()[w_flags2] | wf2_dax_dead);
    // The grace period starts: it waits for the readers inside a section now.
    std::uint32_t mask = 0;
    for (std::size_t u = 0; u < m_.threads_.size(); ++u) {
      std::uint8_t const n = b()[m_.layout_[u].base + t_rcu];
      if (u != static_cast<std::size_t>(t_) && (rcu ? (n & 0x0f) : (n >> 4)) > 0) mask |= 1u << u;
    }
    if (mask == 0) return true;
    std::memcpy(b() + lay_.gp, &mask, 4);
    tflags() = static_cast<std::uint8_t>(tflags() | tf_gp_started | (rcu ? 0 : tf_gp_srcu));
    return false;
  }

  // store_pointer.
  bool store_pointer(instr const& in) {
    auto const target = static_cast<object>(arg(in, 0));
    bool const null = arg(in, 1) == 0;
    std::uint8_t const bit = target == object::p2pdma ? wf_p2pdma : target == object::pgmap_ref ? wf_ref_null : 0;
    bool const set = target == object::pgmap_ref ? null : !null;
    wflags() = static_cast<std::uint8_t>(set ? (wflags() | bit) : (wflags() & ~bit));
    return true;
  }

  // kfree.
  bool kfree(instr const& in) {
    // The structs the pgmap's ref lives in: p2p_pgmap embeds the pgmap; v5.10
    // FS_DAX's ref is the block queue's q_usage_counter.
    auto const obj = static_cast<object>(arg(in, 0));
    if (obj == object::p2p_pgmap || obj == object::queue) wflags() = static_cast<std::uint8_t>(wflags() | wf_struct_freed);
    return true;
  }

  // xa_store_range.
  bool xa_store_range(instr const& in) {
    wflags() = static_cast<std::uint8_t>(arg(in, 1) ? (wflags() | wf_published) : (wflags() & ~wf_published));
    return true;
  }

  // arch_remove_memory.
  bool arch_remove_memory() {
    // The memory and its struct pages go: memunmap_pages is done with them,
    // so pgmap->ref must be 0 and no page still in use: mapped, in a file's
    // page cache, held by a thread, handed to consumers, or a driver's
    // allocated page. A claimed pool chunk is not in use: its tryget fails
    // on the killed ref and gives it back.
    if (ref() > 0) violate(property::memunmap_early, reason::ref_not_zero);
    for (int p = 0; p < m_.setup_.facts.pages; ++p)
      if ((page(p)[p_flags] & (pf_mapped | pf_associated | pf_shared)) || page(p)[p_pins] > 0 ||
          page(p)[p_state] == ps_allocated)
        violate(property::memunmap_early, reason::still_used);
    wflags() = static_cast<std::uint8_t>(wflags() | wf_pages_freed);
    return true;
  }

  // The gen_pool primitives read their pool argument like any other: in
  // v5.10 pci_alloc_p2pmem that is pdev->p2pdma->pool, read again after
  // the NULL check, and pci_p2pdma_release may have set pdev->p2pdma to
  // NULL in between (kernel-bug, a NULL dereference).
  bool pool_destroy(instr const& in) {
    (void)arg(in, 0);  // the pool argument is read like any other (pdev->p2pdma->pool: NULL is an oops)
    // lib/genalloc.c:gen_pool_destroy: "BUG_ON(bit < end_bit)" for a chunk
    // still allocated: an allocation that was never given back.
    for (int p = 0; p < m_.setup_.facts.pages; ++p)
      if (page(p)[p_state] != ps_free) violate(property::kernel_bug, reason::bug_fired);
    wflags() = static_cast<std::uint8_t>(wflags() | wf_pool_gone);
    return true;
  }

  // gen_pool_alloc_owner.
  bool pool_alloc(instr const& in) {
    (void)arg(in, 0);  // the pool argument is read like any other (pdev->p2pdma->pool: NULL is an oops)
    if (wflags() & wf_pool_gone) violate(property::use_after_free, reason::pool_gone);
    int const chosen = lowest_free_page();
    if (chosen) {
      st_.page = static_cast<std::int8_t>(chosen - 1);
      page(chosen - 1)[p_state] = ps_claimed;
      life<models::events::alloc>(chosen - 1);
    }
    slot(prog_.exprs[in.args[2]].value) = chosen ? static_cast<std::int8_t>(object::pgmap_ref) : 0;
    result(in, chosen);
    return true;
  }

  // gen_pool_free_owner, gen_pool_free.
  bool pool_free(prim id, instr const& in) {
    (void)arg(in, 0);  // the pool argument is read like any other (pdev->p2pdma->pool: NULL is an oops)
    if (wflags() & wf_pool_gone) violate(property::use_after_free, reason::pool_gone);
    int p = page_arg(arg(in, 1));
    if (p >= 0) release_page(p, false);  // the pool frees an address: no struct page is touched
    if (id == prim::gen_pool_free_owner) slot(prog_.exprs[in.args[3]].value) = static_cast<std::int8_t>(object::pgmap_ref);
    return true;
  }

  // pgmapcheck_io_done, pgmapcheck_share, pgmapcheck_io_begin, pgmapcheck_io_end.
  bool harness_io(prim id, instr const& in) {
    int p = page_arg(arg(in, 0));
    if (p < 0) return true;
    if (id == prim::pgmapcheck_share) page(p)[p_flags] = static_cast<std::uint8_t>(page(p)[p_flags] | pf_shared);
    if (id == prim::pgmapcheck_io_done) page(p)[p_flags] = static_cast<std::uint8_t>(page(p)[p_flags] & ~pf_shared);
    if (id == prim::pgmapcheck_io_begin) ++page(p)[p_io];
    if (id == prim::pgmapcheck_io_end) --page(p)[p_io];
    return true;
  }

  // devmem_free_list_add.
  bool free_list_add(instr const& in) {
    int p = page_arg(arg(in, 0));
    if (p >= 0) release_page(p);
    return true;
  }

  // devmem_free_list_pop: none once driver_stop took the chunk's pages off the list.
  bool free_list_pop(instr const& in) {
    int const chosen = (b()[w_flags2] & wf2_driver_stopped) ? 0 : lowest_free_page();
    if (chosen) {
      touch_page(chosen - 1);
      page(chosen - 1)[p_state] = ps_allocated;
      life<models::events::alloc>(chosen - 1);
    }
    result(in, chosen);
    return true;
  }

  // vmf_insert_mixed, dax_insert_pfn, vm_insert_page, set_pte_device_private.
  bool insert_pte(prim id, instr const& in, int o) {
    int p = page_arg(arg(in, 0));
    if (p < 0) return true;
    touch_page(p);
    if (id == prim::vm_insert_page && o == 1) {  // a page-table allocation fails: -ENOMEM
      b()[w_failures] = static_cast<std::uint8_t>(b()[w_failures] - 1);
      result(in, -12);
      return true;
    }
    if (id == prim::vm_insert_page && refcount(p) <= 0) {
      result(in, -22);  // -EINVAL: validate_page_before_insert
      return true;
    }
    life<models::events::map>(p);
    page(p)[p_flags] = static_cast<std::uint8_t>(page(p)[p_flags] | pf_mapped);
    if (id == prim::dax_insert_pfn || id == prim::vm_insert_page) {
      page(p)[p_flags] = static_cast<std::uint8_t>(page(p)[p_flags] | pf_pte_ref);
      refcount(p) = fit(refcount(p) + 1);
      page(p)[p_mapcount] = static_cast<std::uint8_t>(fit(static_cast<std::int8_t>(page(p)[p_mapcount]) + 1));
    }
    if (id == prim::vm_insert_page) {
      result(in, 0);
      return true;
    }
    if (id == prim::set_pte_device_private) {  // page_add_anon_rmap: a mapcount
      page(p)[p_flags] = static_cast<std::uint8_t>(page(p)[p_flags] | pf_pte_ref);
      page(p)[p_mapcount] = static_cast<std::uint8_t>(fit(static_cast<std::int8_t>(page(p)[p_mapcount]) + 1));
      if (held_on(p) > 0) life<models::events::put_page>(p);  // the thread's reference becomes the PTE's
      unhold(p);
    }
    result(in, 64);  // VM_FAULT_NOPAGE
    return true;
  }

  // zap_pte: the page's PTE goes, or its migration entry.
  bool zap_pte(instr const& in) {
    int p = page_arg(arg(in, 0));
    if (p < 0) return true;
    result(in, clear_entry(p));
    page(p)[p_flags] = static_cast<std::uint8_t>(page(p)[p_flags] & ~pf_migration);
    return true;
  }

  // The page's PTE goes: true iff it held a reference, which passes to the
  // thread (it puts it).
  bool clear_entry(int p) {
    bool const had_ref = page(p)[p_flags] & pf_pte_ref;
    if (page(p)[p_flags] & pf_mapped) life<models::events::unmap>(p);
    page(p)[p_flags] = static_cast<std::uint8_t>(page(p)[p_flags] & ~(pf_mapped | pf_pte_ref));
    if (had_ref && page(p)[p_mapcount] > 0) --page(p)[p_mapcount];
    if (had_ref) {
      life<models::events::get_page>(p);
      hold(p);
    }
    return had_ref;
  }

  // set_pte_migration: a migration entry replaces the page's entry.
  bool set_pte_migration(instr const& in) {
    int p = page_arg(arg(in, 0));
    if (p < 0) return true;
    touch_page(p);
    result(in, clear_entry(p));
    page(p)[p_flags] = static_cast<std::uint8_t>(page(p)[p_flags] | pf_migration);
    return true;
  }

  // clear_pte_migration: the migration entry goes.
  bool clear_pte_migration(instr const& in) {
    int p = page_arg(arg(in, 0));
    if (p < 0) return true;
    touch_page(p);
    page(p)[p_flags] = static_cast<std::uint8_t>(page(p)[p_flags] & ~pf_migration);
    return true;
  }

  // kernfs_remove_alloc_file.
  bool kernfs_remove_alloc_file() {
    b()[w_flags2] = static_cast<std::uint8_t>(b()[w_flags2] | wf2_file_removed);
    return true;
  }

  // driver_stop.
  bool driver_stop() {
    b()[w_flags2] = static_cast<std::uint8_t>(b()[w_flags2] | wf2_driver_stopped);
    return true;
  }

  // unlink_file_vma.
  bool unlink_file_vma() {
    wflags() = static_cast<std::uint8_t>(wflags() & ~wf_file_mapped);
    return true;
  }

  // fs_block_alloc.
  bool fs_block_alloc(instr const& in) {
    int const chosen = lowest_free_page();
    if (chosen) {
      st_.page = static_cast<std::int8_t>(chosen - 1);
      page(chosen - 1)[p_state] = ps_claimed;
      life<models::events::alloc>(chosen - 1);
    }
    result(in, chosen);
    return true;
  }

  // fs_block_free.
  bool fs_block_free(instr const& in) {
    int p = page_arg(arg(in, 0));
    if (p < 0) return true;
    if (page(p)[p_pins] > 0) violate(property::dax_truncate_busy, reason::still_used);
    st_.page = static_cast<std::int8_t>(p);
    if (page(p)[p_state] == ps_free)
      violate(property::free_while_used, reason::double_free);
    else
      life<models::events::release>(p);
    page(p)[p_state] = ps_free;
    return true;
  }

  // dax_associate_entry, dax_disassociate_entry.
  bool dax_entry(prim id, instr const& in) {
    int p = page_arg(arg(in, 0));
    if (p < 0) return true;
    touch_page(p);
    bool const assoc = id == prim::dax_associate_entry;
    if (assoc && (page(p)[p_flags] & pf_associated)) violate(property::kernel_warn, reason::warn_fired);
    page(p)[p_flags] = static_cast<std::uint8_t>(assoc ? (page(p)[p_flags] | pf_associated)
                                                       : (page(p)[p_flags] & ~pf_associated));
    return true;
  }

  // should_fail.
  bool should_fail(instr const& in, int o) {
    if (o == 1) b()[w_failures] = static_cast<std::uint8_t>(b()[w_failures] - 1);
    result(in, o == 1);
    return true;
  }

  // WARN_ON, BUG_ON.
  bool check_macro(prim id, instr const& in) {
    int c = arg(in, 0);
    if (c) violate(id == prim::WARN_ON ? property::kernel_warn : property::kernel_bug,
                   id == prim::WARN_ON ? reason::warn_fired : reason::bug_fired);
    result(in, c != 0);
    return true;
  }

  // choose_page.
  bool choose_page(instr const& in, int o) {
    int k = 0;
    int chosen = 0;
    for (int p = 0; p < m_.setup_.facts.pages && !chosen; ++p)
      if (choose_matches(in, p) && k++ == o) chosen = p + 1;
    result(in, chosen);
    if (chosen) st_.page = static_cast<std::int8_t>(chosen - 1);
    return true;
  }

  // Runs the visible instruction at pc with outcome o, then the invisible
  // ones after it. Returns false iff a loop ran with no step in it.
  bool step(int o) {
    std::uint16_t pc = this->pc();
    instr const& first = prog_.code[pc];
    if (run(first, o)) set_pc(static_cast<std::uint16_t>(pc + 1));
    else if (first.k == instr::kind::action) return true;  // asleep at pc
    return run_invisible();
  }

  // Runs instructions until the next visible one (or the end).
  bool run_invisible() {
    for (int budget = 100000; budget > 0; --budget) {
      std::uint16_t pc = this->pc();
      instr const& in = prog_.code[pc];
      if (in.visible || (tflags() & tf_done)) return true;
      if (run(in, 0)) set_pc(static_cast<std::uint16_t>(pc + 1));
    }
    violate(property::livelock, reason::loop_without_step);
    return false;
  }

 private:
  code_model const& m_;
  code_state& s_;
  code_step& st_;
  int t_;
  program const& prog_;
  code_model::thread_layout const& lay_;
  std::uint16_t running_ = 0;  // the instruction run() runs
};

}  // namespace pgmapcheck::lang
