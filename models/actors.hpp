// The actors: each kernel code path as a small state machine (a program
// counter plus the page it holds) whose every step fires events on a page or
// on the pgmap. successors() enumerates every enabled step of every actor.
#pragma once

#include "models/fs_dax.hpp"
#include "models/p2pdma.hpp"

#include <stdexcept>
#include <string>

namespace pgmapcheck::models {

// Fires page event E on page p through the lifecycle table of the scenario's type.
template <class E>
void fire(ctx& c, int p) {
  auto& s = c.page(p).state;
  page_state const from = s;
  bool fired = false;
  switch (c.sc().type) {
    case pagemap::p2pdma: fired = machine::fire<E>(p2pdma::table, s, c, p); break;
    case pagemap::fs_dax: fired = machine::fire<E>(fs_dax::table, s, c, p); break;
    default: break;
  }
  if (!fired)
    throw std::logic_error("model error: no row for " + std::string(E::name) + " from state " +
                           std::string(machine::state_traits<page_state>::names[static_cast<std::size_t>(from)]));
}

inline int lowest_page(ctx const& c, auto pred) {
  for (int p = 0; p < c.sc().pages; ++p)
    if (pred(c.page(p))) return p;
  return -1;
}

// Returns the actor-mask of the scenario's actors of kind k.
inline std::uint8_t mask_of(scenario const& sc, actor_kind k) {
  std::uint8_t m = 0;
  for (int a = 0; a < sc.actor_count; ++a)
    if (sc.actors[static_cast<std::size_t>(a)] == k) m = static_cast<std::uint8_t>(m | (1u << a));
  return m;
}

// The expected refcount of a page no actor pins: the era's free value plus
// what its association and mappings hold (KERNEL.md table).
inline int baseline_refcount(scenario const& sc, page_rec const& pg) {
  int v = sc.rule.free_refcount + pg.mapcount;
  if (sc.type == pagemap::fs_dax && sc.rule.fs_dax_cache_ref && (pg.flags & pf_associated)) ++v;
  return v;
}

// Returns true iff page p is busy for truncate: above its idle refcount
// (fs/dax.c:dax_layout_busy_page_range, 'page_ref_count(page) > 1' in v5.10).
inline bool dax_busy(scenario const& sc, page_rec const& pg) {
  if (!(pg.flags & pf_associated)) return false;
  int idle = sc.rule.fs_dax_idle + (sc.rule.fs_dax_cache_ref ? 1 : 0) + pg.mapcount;
  return pg.refcount > idle;
}

// The step generator of one state: emit(step, next) for every enabled step.
template <class Emit>
class stepper {
 public:
  stepper(scenario const& sc, world const& from, Emit& emit) : sc_(sc), from_(from), emit_(emit) {}

  void run() {
    for (int a = 0; a < sc_.actor_count; ++a) {
      if (from_.actors[static_cast<std::size_t>(a)].pc == pc_done) continue;
      switch (sc_.actors[static_cast<std::size_t>(a)]) {
        case actor_kind::memunmap: memunmap(a); break;
        case actor_kind::p2p_alloc: p2p_alloc(a); break;
        case actor_kind::stray_put: stray_put(a); break;
        case actor_kind::stray_get_put: stray_get_put(a); break;
        case actor_kind::fault: fault(a); break;
        case actor_kind::gup: gup(a); break;
        case actor_kind::truncate: truncate(a); break;
        case actor_kind::user: user(a); break;
        default: throw std::logic_error("model error: actor kind not modelled");
      }
    }
  }

 private:
  ctx begin(int a, op what, int page = -1) const { return ctx(sc_, from_, a, what, page); }
  void emit(ctx& c, std::uint8_t next_pc) {
    c.me().pc = next_pc;
    emit_(c.st, c.w);
  }
  void finish_without_acting(int a) {
    ctx c = begin(a, op::finds_nothing);
    emit(c, pc_done);
  }
  actor_rec const& actor(int a) const { return from_.actors[static_cast<std::size_t>(a)]; }
  bool has(pgmap_flag f) const { return (from_.flags & f) != 0; }

  // mm/memremap.c:memunmap_pages (v5.10): kill, drop page refs, wait,
  // exit/unpublish in the era's order; P2PDMA adds its devm teardown.
  void memunmap(int a) {
    auto const& me = actor(a);
    auto const drop = static_cast<memunmap_drop>(sc_.rule.memunmap_drop);
    switch (me.pc) {
      case 0: {
        ctx c = begin(a, op::kill);
        int before = c.w.ref;
        c.w.mode = pgmap_mode::killed;
        c.pgmap_put(1);
        c.record_pgmap_ref(before);
        emit(c, drop == memunmap_drop::none ? 2 : 1);
        return;
      }
      case 1: {
        if (drop == memunmap_drop::put_page) {
          int p = me.aux;
          ctx c = begin(a, op::unmap_put_page, p);
          fire<events::put_base>(c, p);
          c.me().aux = static_cast<std::uint8_t>(p + 1);
          emit(c, p + 1 == sc_.pages ? 2 : 1);
        } else {
          ctx c = begin(a, op::unmap_put_many);
          int before = c.w.ref;
          c.pgmap_put(sc_.pages);
          c.record_pgmap_ref(before);
          emit(c, 2);
        }
        return;
      }
      case 2: {
        if (!has(gf_released)) return;  // asleep in wait_for_completion
        ctx c = begin(a, op::wait_ref_zero);
        emit(c, 3);
        return;
      }
      case 3:
      case 4: {
        bool const exit_now = (me.pc == 3) == (sc_.rule.exit_before_unpublish != 0);
        ctx c = begin(a, exit_now ? op::ref_exit : op::pageunmap);
        if (exit_now) {
          c.w.mode = pgmap_mode::exited;
          c.set(gf_counters_freed);
        } else {
          c.set(gf_pages_freed);
          c.clear(gf_published);
        }
        if (me.pc == 4) check_memunmap_done(c);
        emit(c, me.pc == 3 ? 4 : sc_.type == pagemap::p2pdma ? 5 : pc_done);
        return;
      }
      case 5: {
        ctx c = begin(a, op::p2p_kfree);
        c.set(gf_struct_freed);
        emit(c, 6);
        return;
      }
      case 6: {
        // synchronize_rcu: waits for every pci_alloc_p2pmem inside its RCU section.
        auto allocs = mask_of(sc_, actor_kind::p2p_alloc);
        for (int b = 0; b < sc_.actor_count; ++b)
          if ((allocs & (1u << b)) && actor(b).pc == 1) return;
        ctx c = begin(a, op::p2pdma_release);
        c.set(gf_pool_gone);
        emit(c, pc_done);
        return;
      }
      default: return;
    }
  }

  // memunmap_pages returns: pgmap->ref must be 0 and no page still in use.
  void check_memunmap_done(ctx& c) {
    if (c.w.ref > 0) c.violate(property::memunmap_early);
    for (int p = 0; p < sc_.pages; ++p) {
      auto const& pg = c.page(p);
      if ((pg.flags & pf_mapped) || pg.pins > 0 || pg.holders != 0) c.violate(property::memunmap_early, why::still_used);
    }
  }

  // drivers/pci/p2pdma.c:pci_alloc_p2pmem ... pci_free_p2pmem (v5.10).
  void p2p_alloc(int a) {
    auto const& me = actor(a);
    switch (me.pc) {
      case 0: {
        if (has(gf_pool_gone)) return finish_without_acting(a);  // !pdev->p2pdma
        ctx c = begin(a, op::pool_alloc);
        int p = lowest_page(c, [](page_rec const& pg) { return pg.state == page_state::free; });
        if (p < 0) return finish_without_acting(a);
        c.st.page = static_cast<std::int8_t>(p);
        fire<events::alloc>(c, p);
        c.me().page = static_cast<std::int8_t>(p);
        emit(c, 1);
        return;
      }
      case 1: {
        int p = me.page;
        ctx c = begin(a, op::alloc_tryget, p);
        int before = c.w.ref;
        bool ok = !sc_.rule.p2p_alloc_ref || c.tryget_live();
        c.record_pgmap_ref(before);
        if (ok) {
          c.page(p).holders = static_cast<std::uint8_t>(c.page(p).holders | c.self_bit());
          emit(c, 2);
        } else {
          c.effect(fx_tryget_failed);
          c.effect(fx_pool_give_back);
          release(c, p);
          emit(c, pc_done);
        }
        return;
      }
      case 2: {
        int p = me.page;
        if (from_.pages[static_cast<std::size_t>(p)].holders & ~(1u << a)) return;  // the I/O is still running
        ctx c = begin(a, op::pool_free, p);
        if (has(gf_pool_gone)) c.violate(property::use_after_free, why::pool_gone);
        c.page(p).holders = static_cast<std::uint8_t>(c.page(p).holders & ~c.self_bit());
        release(c, p);
        emit(c, 3);
        return;
      }
      case 3: {
        ctx c = begin(a, op::alloc_ref_put, me.page);
        int before = c.w.ref;
        if (sc_.rule.p2p_alloc_ref) c.pgmap_put(1);
        c.record_pgmap_ref(before);
        emit(c, pc_done);
        return;
      }
      default: return;
    }
  }

  // A free back to the allocator; a page already free is a double free.
  static void release(ctx& c, int p) {
    if (c.page(p).state == page_state::free)
      c.violate(property::free_while_used, why::double_free);
    else
      fire<events::release>(c, p);
  }

  // Pages an allocation owns (what a consumer can get from sg_page()).
  template <class F>
  void for_each_owned_page(F&& f) {
    auto owners = mask_of(sc_, actor_kind::p2p_alloc);
    bool any = false;
    for (int p = 0; p < sc_.pages; ++p) {
      auto const& pg = from_.pages[static_cast<std::size_t>(p)];
      if ((pg.holders & owners) && pg.state != page_state::free) {
        any = true;
        f(p);
      }
    }
    if (!any) f(-1);
  }

  // A consumer's unbalanced put_page on a page it got from sg_page() (V1).
  void stray_put(int a) {
    for_each_owned_page([&](int p) {
      if (p < 0) return finish_without_acting(a);
      ctx c = begin(a, op::stray_put_page, p);
      fire<events::put_base>(c, p);
      emit(c, pc_done);
    });
  }

  // A consumer's balanced get_page + put_page (V1, balanced form).
  void stray_get_put(int a) {
    auto const& me = actor(a);
    if (me.pc == 0) {
      for_each_owned_page([&](int p) {
        if (p < 0) return finish_without_acting(a);
        ctx c = begin(a, op::stray_get_page, p);
        fire<events::get_page>(c, p);
        c.me().page = static_cast<std::int8_t>(p);
        emit(c, 1);
      });
    } else {
      ctx c = begin(a, op::consumer_put_page, me.page);
      fire<events::put_page>(c, me.page);
      emit(c, pc_done);
    }
  }

  // fs/dax.c:dax_iomap_pte_fault: associate a free block, insert the PTE.
  // It sleeps on the file's MMAPLOCK while a truncate holds it.
  void fault(int a) {
    if (from_.mmaplock) return;
    if (!has(gf_file_mapped)) return finish_without_acting(a);
    ctx c = begin(a, op::fs_fault);
    int p = lowest_page(c, [](page_rec const& pg) { return pg.state == page_state::free; });
    if (p < 0) return finish_without_acting(a);
    c.st.page = static_cast<std::int8_t>(p);
    fire<events::alloc>(c, p);
    fire<events::map>(c, p);
    c.record_page_ref(p, from_.pages[static_cast<std::size_t>(p)].refcount);
    emit(c, pc_done);
  }

  // mm/gup.c: pin a mapped page (get_dev_pagemap, try_grab_page,
  // put_dev_pagemap as one step under the PTL), DMA, then unpin.
  void gup(int a) {
    auto const& me = actor(a);
    if (me.pc == 1) {
      ctx c = begin(a, op::gup_unpin, me.page);
      fire<events::put_page>(c, me.page);
      emit(c, pc_done);
      return;
    }
    bool any = false;
    for (int p = 0; p < sc_.pages; ++p) {
      if (!(from_.pages[static_cast<std::size_t>(p)].flags & pf_mapped)) continue;
      any = true;
      ctx c = begin(a, op::gup_pin, p);
      if (!c.has(gf_published) || !c.tryget_live()) {
        c.effect(fx_get_dev_pagemap_failed);
        emit(c, pc_done);
        continue;
      }
      c.w.ref = static_cast<std::int8_t>(c.w.ref - 1);  // put_dev_pagemap of the transient ref
      fire<events::get_page>(c, p);
      c.me().page = static_cast<std::int8_t>(p);
      emit(c, 1);
    }
    if (!any) finish_without_acting(a);
  }

  // FS_DAX truncate under MMAPLOCK (fs/ext4/inode.c:ext4_break_layouts,
  // fs/dax.c:dax_layout_busy_page_range, dax_disassociate_entry).
  void truncate(int a) {
    auto const& me = actor(a);
    switch (me.pc) {
      case 0: {
        if (from_.mmaplock) return;
        ctx c = begin(a, op::busy_unmap);
        c.w.mmaplock = static_cast<std::uint8_t>(c.w.mmaplock | c.self_bit());
        if (sc_.rule.truncate_skips_unmapped && !c.has(gf_file_mapped)) {
          c.effect(fx_skipped_unmapped);  // !mapping_mapped: return NULL at once (V7)
          emit(c, 2);
          return;
        }
        for (int p = 0; p < sc_.pages; ++p)
          if (c.page(p).flags & pf_mapped) fire<events::unmap>(c, p);
        emit(c, 1);
        return;
      }
      case 1: {
        int busy = -1;
        for (int p = 0; p < sc_.pages && busy < 0; ++p)
          if (dax_busy(sc_, from_.pages[static_cast<std::size_t>(p)])) busy = p;
        if (busy >= 0 && sc_.rule.truncate_waits_idle) return;  // asleep in wait_var_event
        ctx c = begin(a, op::busy_wait, busy);
        if (busy >= 0) c.effect(fx_no_wait);
        emit(c, 2);
        return;
      }
      case 2: {
        ctx c = begin(a, op::truncate_free);
        for (int p = 0; p < sc_.pages; ++p)
          if (c.page(p).flags & pf_associated) {
            if (c.st.page < 0) c.st.page = static_cast<std::int8_t>(p);
            fire<events::release>(c, p);
          }
        c.w.mmaplock = static_cast<std::uint8_t>(c.w.mmaplock & ~c.self_bit());
        emit(c, pc_done);
        return;
      }
      default: return;
    }
  }

  // The process unmaps the file: mm/memory.c:zap_pte_range, then the VMA goes.
  void user(int a) {
    if (!has(gf_file_mapped)) return finish_without_acting(a);
    ctx c = begin(a, op::user_munmap);
    for (int p = 0; p < sc_.pages; ++p)
      if (c.page(p).flags & pf_mapped) {
        if (c.st.page < 0) c.st.page = static_cast<std::int8_t>(p);
        fire<events::unmap>(c, p);
      }
    c.clear(gf_file_mapped);
    emit(c, pc_done);
  }

  scenario const& sc_;
  world const& from_;
  Emit& emit_;
};

// Calls emit(step, next) for every step enabled in `from`, in actor order.
template <class Emit>
void successors(scenario const& sc, world const& from, Emit&& emit) {
  stepper<std::remove_reference_t<Emit>> s(sc, from, emit);
  s.run();
}

}  // namespace pgmapcheck::models
