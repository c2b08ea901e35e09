// The actors: each kernel code path as a small state machine (a program
// counter plus the page it holds) whose every step fires events on a page or
// on the pgmap. successors() enumerates every enabled step of every actor.
#pragma once

#include "models/device_coherent.hpp"
#include "models/device_private.hpp"
#include "models/fs_dax.hpp"
#include "models/generic.hpp"
#include "models/p2pdma.hpp"

#include <stdexcept>
#include <string>

namespace pgmapcheck::models {

// Fires page event E on page p through the lifecycle table of the scenario's
// type; a model error (a state with no row for E) throws std::logic_error.
template <class E>
bool fire_row(ctx& c, page_state& s, int p) {
  switch (c.sc().type) {
    case pagemap::p2pdma: return machine::fire<E>(p2pdma::table, s, c, p);
    case pagemap::fs_dax: return machine::fire<E>(fs_dax::table, s, c, p);
    case pagemap::device_private: return machine::fire<E>(device_private::table, s, c, p);
    case pagemap::device_coherent: return machine::fire<E>(device_coherent::table, s, c, p);
    case pagemap::generic: return machine::fire<E>(generic::table, s, c, p);
  }
  return false;
}

template <class E>
void fire(ctx& c, int p) {
  auto& s = c.page(p).state;
  page_state const from = s;
  bool fired = fire_row<E>(c, s, p);
  if (!fired && from == page_state::free) {
    // The page went back to its allocator under this actor (a violation an
    // unchecked property let the search pass): acting on it is a use of a
    // page freed by someone else; the event then runs as on an owned page.
    c.violate(property::use_after_free, why::page_freed_by_other);
    s = page_state::cache;
    fired = fire_row<E>(c, s, p);
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

// The expected refcount of a page no actor pins: what the era leaves on a
// free page, or on an allocated one what its mappings and association hold.
inline int baseline_refcount(scenario const& sc, page_rec const& pg) {
  if (pg.state == page_state::free) return sc.rule.free_refcount;
  bool const mapped = (pg.flags & pf_mapped) != 0;
  switch (sc.type) {
    case pagemap::fs_dax:
      return sc.rule.free_refcount + pg.mapcount + (sc.rule.fs_dax_cache_ref && (pg.flags & pf_associated) ? 1 : 0);
    case pagemap::generic: return sc.rule.free_refcount;
    case pagemap::p2pdma: return sc.rule.free_refcount + (mapped ? 1 : 0);
    case pagemap::device_private:
    case pagemap::device_coherent:
      // 1-based (v5.10: page_free at 2->1) keeps the base ref under the mapping's.
      return (mapped ? 1 : 0) + (sc.type == pagemap::device_private && sc.rule.private_free_at == 1 ? 1 : 0);
  }
  return sc.rule.free_refcount;
}

// The pgmap->ref of a pgmap nobody is tearing down: the initial ref, memremap's
// per-page refs, and the per-allocation refs the era takes (v6.1+ device
// pages; P2PDMA mmap pages in v6.15).
inline int baseline_pgmap_ref(scenario const& sc, world const& w) {
  int v = 1 + (sc.rule.memremap_pgmap_refs ? sc.pages : 0);
  for (int p = 0; p < sc.pages; ++p) {
    auto const& pg = w.pages[static_cast<std::size_t>(p)];
    bool const device = sc.type == pagemap::device_private || sc.type == pagemap::device_coherent;
    if (device && pg.state != page_state::free &&
        sc.rule.private_alloc == static_cast<std::int8_t>(private_alloc::zone_device_page_init))
      ++v;
    if (sc.type == pagemap::p2pdma && sc.rule.p2p_mmap_ref && (pg.flags & pf_mapped)) ++v;
  }
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
        case actor_kind::driver: driver(a); break;
        case actor_kind::cpu_fault: cpu_fault(a); break;
        case actor_kind::pgmap_lookup: pgmap_lookup(a); break;
        case actor_kind::p2p_mmap: p2p_mmap(a); break;
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
        if (sc_.type == pagemap::generic) {
          // drivers/dax/bus.c:kill_dev_dax: kill_dax, then unmap_mapping_range
          // zaps every device-dax PTE before devm runs memunmap_pages.
          c.effect(fx_unmapped_all);
          for (int p = 0; p < sc_.pages; ++p)
            if (c.page(p).flags & pf_mapped) fire<events::unmap>(c, p);
        }
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
        if (!has(gf_released) && !mutated(mutant::skip_memunmap_wait)) return;  // asleep in wait_for_completion
        ctx c = begin(a, op::wait_ref_zero);
        emit(c, 3);
        return;
      }
      case 3:
      case 4: {
        bool const exit_first = (sc_.rule.exit_before_unpublish != 0) != mutated(mutant::swap_exit_unpublish);
        bool const exit_now = (me.pc == 3) == exit_first;
        // pgmap_array_delete's synchronize_rcu waits for get_dev_pagemap readers.
        if (!exit_now && in_rcu_section(actor_kind::pgmap_lookup)) return;
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
      case 5:
      case 6: {
        // devm order: kfree(p2p_pgmap), then pci_p2pdma_release; the
        // p2pdma_release_before_kfree variant swaps them.
        bool const release_first = sc_.has(variant::p2pdma_release_before_kfree);
        bool const release_now = (me.pc == 5) == release_first;
        std::uint8_t const next = me.pc == 5 ? 6 : pc_done;
        if (release_now) {
          // synchronize_rcu: waits for every pci_alloc_p2pmem inside its RCU section.
          if (in_rcu_section(actor_kind::p2p_alloc)) return;
          ctx c = begin(a, op::p2pdma_release);
          c.set(gf_pool_gone);
          emit(c, next);
        } else {
          ctx c = begin(a, op::p2p_kfree);
          c.set(gf_struct_freed);
          emit(c, next);
        }
        return;
      }
      default: return;
    }
  }

  // Returns true iff an actor of kind k sits at pc 1, inside rcu_read_lock.
  bool in_rcu_section(actor_kind k) const {
    for (int b = 0; b < sc_.actor_count; ++b)
      if (sc_.actors[static_cast<std::size_t>(b)] == k && actor(b).pc == 1) return true;
    return false;
  }

  // memunmap_pages returns: pgmap->ref must be 0 and no page still in use:
  // mapped, pinned or held by an actor (docs/kernel-model.md#memunmap-early), or
  // still in a file's page cache
  // (pf_associated): V2 is memunmap freeing a page the page cache points at.
  void check_memunmap_done(ctx& c) {
    if (c.w.ref > 0) c.violate(property::memunmap_early);
    for (int p = 0; p < sc_.pages; ++p) {
      auto const& pg = c.page(p);
      if ((pg.flags & (pf_mapped | pf_associated)) || pg.pins > 0 || pg.holders != 0)
        c.violate(property::memunmap_early, why::still_used);
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
        // The consumers' get_page/put_page belong to the I/O this allocation
        // serves, which completes before pci_free_p2pmem (program order, not a
        // kernel wait) [inf]: the free waits until no consumer holds the page.
        if (from_.pages[static_cast<std::size_t>(p)].holders & ~(1u << a)) return;
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
        if (sc_.rule.p2p_alloc_ref && !mutated(mutant::ref_not_dropped)) c.pgmap_put(1);
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

  // Pages a consumer can get from sg_page(): P2PDMA pages an allocation owns,
  // GENERIC pages a process maps.
  template <class F>
  void for_each_owned_page(F&& f) {
    auto owners = mask_of(sc_, actor_kind::p2p_alloc);
    bool any = false;
    for (int p = 0; p < sc_.pages; ++p) {
      auto const& pg = from_.pages[static_cast<std::size_t>(p)];
      bool const usable = sc_.type == pagemap::generic ? (pg.flags & pf_mapped) != 0 : (pg.holders & owners) != 0;
      if (usable && pg.state != page_state::free) {
        any = true;
        f(p);
      }
    }
    if (!any) f(-1);
  }

  // A consumer's unbalanced put_page on a page it got from sg_page() (V1);
  // on GENERIC, on a page a process maps (what a driver doing I/O to a
  // device-dax mapping would hold) [inf].
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
  // Once the device is killed dax_direct_access fails (!dax_alive,
  // drivers/dax/super.c) and the fault finds nothing to map.
  void fault(int a) {
    if (from_.mmaplock) return;
    if (!has(gf_file_mapped) || from_.mode != pgmap_mode::live) return finish_without_acting(a);
    ctx c = begin(a, sc_.type == pagemap::generic ? op::dax_dev_fault : op::fs_fault);
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
        // ext4_break_layouts' "scan -> if busy wait refcount == idle and rescan" as one
        // step enabled once a scan finds no busy page: under MMAPLOCK, with
        // the PTEs gone, no page becomes busy again, so the loop ends exactly
        // when such a scan happens; while a page is busy truncate sleeps.
        int busy = -1;
        for (int p = 0; p < sc_.pages && busy < 0; ++p)
          if (dax_busy(sc_, from_.pages[static_cast<std::size_t>(p)])) busy = p;
        if (busy >= 0 && sc_.rule.truncate_waits_idle && !mutated(mutant::skip_truncate_wait))
          return;  // asleep in wait_var_event
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

  // The process unmaps the memory: mm/memory.c:zap_pte_range on every mapped
  // page (dropping the PTE's reference where it holds one), then the VMA goes.
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

  // A device driver (PRIVATE/COHERENT): allocate a free device page by era,
  // migrate it into the process (mm/migrate.c:migrate_vma_pages), then
  // migrate_vma_finalize drops the driver's reference and unlocks.
  void driver(int a) {
    auto const& me = actor(a);
    switch (me.pc) {
      case 0: {
        // Drivers stop allocating before they call memunmap_pages (the comment
        // and WARN_ON_ONCE in mm/memremap.c:zone_device_page_init, v6.1).
        if (from_.mode != pgmap_mode::live) return finish_without_acting(a);
        ctx c = begin(a, op::driver_alloc);
        int p = lowest_page(c, [](page_rec const& pg) { return pg.state == page_state::free; });
        if (p < 0) return finish_without_acting(a);
        int before = c.page(p).refcount;
        fire<events::alloc>(c, p);
        c.record_page_ref(p, before);
        c.me().page = static_cast<std::int8_t>(p);
        emit(c, 1);
        return;
      }
      case 1: {
        ctx c = begin(a, op::driver_migrate, me.page);
        int before = c.page(me.page).refcount;
        if (c.has(gf_file_mapped)) fire<events::map>(c, me.page);  // no VMA: migrate_vma_setup found nothing
        c.record_page_ref(me.page, before);
        emit(c, 2);
        return;
      }
      default: {
        ctx c = begin(a, op::driver_finalize, me.page);
        fire<events::put_page>(c, me.page);
        emit(c, pc_done);
        return;
      }
    }
  }

  // A CPU fault on a device-private PTE (mm/memory.c:do_swap_page): read the
  // entry under the PTL [v6.1+: get_page there], call migrate_to_ram (which
  // touches page->pgmap->ops and migrates the page back, dropping the PTE's
  // reference), [v6.1+: put_page]. Without the reference (V4) a racing unmap
  // or migration can free the page between the first two steps.
  void cpu_fault(int a) {
    auto const& me = actor(a);
    switch (me.pc) {
      case 0: {
        bool any = false;
        for (int p = 0; p < sc_.pages; ++p) {
          if (!(from_.pages[static_cast<std::size_t>(p)].flags & pf_mapped)) continue;
          any = true;
          ctx c = begin(a, op::cpu_read_pte, p);
          if (sc_.rule.cpu_fault_page_ref) fire<events::get_page>(c, p);
          c.me().page = static_cast<std::int8_t>(p);
          emit(c, 1);
        }
        if (!any) finish_without_acting(a);
        return;
      }
      case 1: {
        int p = me.page;
        ctx c = begin(a, op::cpu_migrate, p);
        c.touch_page(p);
        if (c.page(p).state == page_state::free) c.violate(property::use_after_free, why::page_freed_by_other);
        int before = c.page(p).refcount;
        if (c.page(p).flags & pf_mapped) fire<events::unmap>(c, p);
        c.record_page_ref(p, before);
        emit(c, sc_.rule.cpu_fault_page_ref ? 2 : pc_done);
        return;
      }
      default: {
        ctx c = begin(a, op::cpu_put, me.page);
        fire<events::put_page>(c, me.page);
        emit(c, pc_done);
        return;
      }
    }
  }

  // get_dev_pagemap(pfn) (mm/memremap.c): rcu_read_lock, xa_load, then
  // percpu_ref_tryget_live on pgmap->ref; later put_dev_pagemap. In v5.10
  // dev_pagemap_cleanup has already run percpu_ref_exit (and cleared the
  // pgmap->ref pointer of an internal ref) while the pgmap is still published:
  // a tryget in that window is the V5 use-after-free [inf from 1e57ffb6e3fd].
  void pgmap_lookup(int a) {
    auto const& me = actor(a);
    switch (me.pc) {
      case 0: {
        if (!has(gf_published)) return finish_without_acting(a);
        ctx c = begin(a, op::lookup_load);
        emit(c, 1);
        return;
      }
      case 1: {
        ctx c = begin(a, op::lookup_tryget);
        int before = c.w.ref;
        if (c.has(gf_counters_freed)) c.violate(property::use_after_free, why::counters_freed);
        bool ok = c.tryget_live();
        c.record_pgmap_ref(before);
        if (!ok) c.effect(fx_tryget_failed);
        emit(c, ok ? 2 : pc_done);
        return;
      }
      default: {
        ctx c = begin(a, op::lookup_put);
        int before = c.w.ref;
        if (!mutated(mutant::ref_not_dropped)) c.pgmap_put(1);
        c.record_pgmap_ref(before);
        emit(c, pc_done);
        return;
      }
    }
  }

  // drivers/pci/p2pdma.c:p2pmem_alloc_mmap (v6.2+, read in 6.12):
  // gen_pool_alloc_owner, percpu_ref_tryget_live_rcu (fails once killed:
  // -ENODEV), vm_insert_page, percpu_ref_get per page, then the tryget's
  // percpu_ref_put: net +1 pgmap ref per mapped page. The page is left with
  // the one reference the mapping holds (v6.15: pages start at 0;
  // p2pmem_alloc_mmap's set_page_count(1), read in 6.12); zap takes it to 0 and p2pdma_page_free gives
  // it back to the pool and drops the pgmap ref.
  void p2p_mmap(int a) {
    if (has(gf_pool_gone) || !has(gf_file_mapped)) return finish_without_acting(a);
    ctx c = begin(a, op::p2p_mmap_insert);
    int p = lowest_page(c, [](page_rec const& pg) { return pg.state == page_state::free; });
    if (p < 0) return finish_without_acting(a);
    if (c.w.mode != pgmap_mode::live) return finish_without_acting(a);
    int before = c.page(p).refcount;
    fire<events::alloc>(c, p);
    c.touch_page(p);
    c.page(p).refcount = 1;
    fire<events::map>(c, p);
    if (sc_.rule.p2p_mmap_ref) c.pgmap_get(1);
    c.record_page_ref(p, before);
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
