// Running a check: the kernel model's initial and terminal states, the search,
// and the counterexample explained in kernel terms.
#include "explorer/kernel_model.hpp"
#include "pgmapcheck/lang/check.hpp"
#include "pgmapcheck/trace.hpp"

#include <fmt/format.h>

namespace pgmapcheck {

using namespace models;

kernel_model::state kernel_model::initial() const {
  world w{};
  w.mode = pgmap_mode::live;
  w.flags = gf_published;
  bool process_maps_file = false;
  for (int a = 0; a < sc_.actor_count; ++a) {
    if (maps_file(sc_.actors[static_cast<std::size_t>(a)])) process_maps_file = true;
    w.actors[static_cast<std::size_t>(a)].page = -1;
  }
  if (process_maps_file) w.flags |= gf_file_mapped;
  for (int p = 0; p < sc_.pages; ++p) {
    auto& pg = w.pages[static_cast<std::size_t>(p)];
    pg.state = page_state::free;
    pg.refcount = sc_.rule.free_refcount;
  }
  w.ref = static_cast<std::int8_t>(baseline_pgmap_ref(w));  // every page free: initial + memremap's
  return w;
}

property_set kernel_model::check_terminal(state const& s) const {
  property_set bad;
  for (int a = 0; a < sc_.actor_count; ++a)
    if (s.actors[static_cast<std::size_t>(a)].pc != pc_done) bad.add(property::deadlock);
  if (!bad.empty()) return bad;
  if (s.flags & gf_pages_freed) {
    if (s.ref != 0) bad.add(property::ref_leak);
    return bad;
  }
  if (s.ref != baseline_pgmap_ref(s)) bad.add(property::ref_leak);
  for (int p = 0; p < sc_.pages; ++p) {
    auto const& pg = s.pages[static_cast<std::size_t>(p)];
    if (pg.pins != 0 || pg.refcount != models::baseline_refcount(sc_, pg)) bad.add(property::ref_leak);
  }
  return bad;
}

namespace {

std::string page_name(int p) { return "page" + std::to_string(p); }

std::string step_text(step const& st, world const& before) {
  auto const& in = info(st.what);
  std::string name(in.name);
  switch (st.what) {
    case op::finds_nothing: return "(finds nothing to act on)";
    case op::kill:
    case op::alloc_ref_put: return fmt::format("{}: ref {}->{}", name, st.before, st.after);
    case op::unmap_put_many: return fmt::format("{}({}): ref {}->{}", name, st.before - st.after, st.before, st.after);
    case op::alloc_tryget:
      if (st.effects & fx_tryget_failed) return name + " fails";
      return fmt::format("{}: ref {}->{}", name, st.before, st.after);
    case op::wait_ref_zero: return "wait_for_completion returns";
    case op::ref_exit:
    case op::pageunmap:
    case op::p2p_kfree:
    case op::p2pdma_release: return name;
    case op::pool_alloc: return fmt::format("{} -> {}", name, page_name(st.page));
    case op::busy_unmap:
      if (st.effects & fx_skipped_unmapped) return "dax_layout_busy_page: !mapping_mapped";
      return "dax_layout_busy_page: unmap_mapping_pages";
    case op::busy_wait:
      if (st.page >= 0) return fmt::format("scan: {} busy", page_name(st.page));
      return "scan: no busy page";
    case op::truncate_free: return st.page >= 0 ? "dax_disassociate_entry, free blocks" : "truncate: no blocks";
    case op::user_munmap: return st.page >= 0 ? fmt::format("{}({})", name, page_name(st.page)) : "munmap";
    case op::gup_pin:
      if (st.effects & fx_get_dev_pagemap_failed) return fmt::format("gup({}): get_dev_pagemap fails", page_name(st.page));
      break;
    default: break;
  }
  if (st.page < 0) return name;
  int const was = before.pages[static_cast<std::size_t>(st.page)].refcount;
  if (st.what == op::fs_fault || was == st.after) return fmt::format("{}({})", name, page_name(st.page));
  return fmt::format("{}({}) {}->{}", name, page_name(st.page), st.before, st.after);
}

std::vector<std::string> step_notes(scenario const& sc, step const& st, world const& before, world const& after) {
  std::vector<std::string> notes;
  if (st.effects & fx_free_callback)
    notes.push_back(sc.type == pagemap::p2pdma ? "free callback: gen_pool_free" : "free callback: page_free");
  if (st.effects & fx_wake) notes.push_back("wake_up_var(&page->_refcount)");
  if (st.effects & fx_put_dev_pagemap) {
    bool pgmap_op = st.what == op::kill || st.what == op::unmap_put_many;
    notes.push_back(pgmap_op ? "put_dev_pagemap" : fmt::format("put_dev_pagemap: ref {}->{}", before.ref, after.ref));
  }
  if (st.effects & fx_reset) notes.push_back("set_page_count(page, 1)");
  if (st.effects & fx_pool_give_back) notes.push_back("gen_pool_free: chunk given back");
  if (st.effects & fx_skipped_unmapped) notes.push_back("returns NULL at once: no wait");
  if (st.effects & fx_no_wait) notes.push_back("busy page not waited for (patch)");
  if (st.effects & fx_released) notes.push_back("release: complete(&pgmap->done)");
  if (st.effects & fx_unmapped_all) notes.push_back("kill_dev_dax: unmap_mapping_range");
  if (st.effects & fx_tryget_failed && st.what != op::alloc_tryget) notes.push_back("tryget_live fails");
  return notes;
}

std::string holders_text(check_result const& r, std::uint8_t holders) {
  std::string s;
  for (std::size_t a = 0; a < r.scenario.actor_labels.size(); ++a)
    if (holders & (1u << a)) s += (s.empty() ? "" : ", ") + r.scenario.actor_labels[a];
  return s.empty() ? "nobody" : s;
}

std::string explain_step(check_result const& r, property p, step const& st, world const& before, world const& after) {
  auto pg = [&](world const& w) -> page_rec const& { return w.pages[static_cast<std::size_t>(st.page)]; };
  switch (p) {
    case property::refcount_underflow:
      if (st.page >= 0 && pg(after).refcount < 0) return fmt::format("{} refcount {}", page_name(st.page), pg(after).refcount);
      return fmt::format("pgmap->ref {}", after.ref);
    case property::get_from_zero:
      return fmt::format("get_page on {} at refcount 0 (VM_BUG_ON_PAGE)", page_name(st.page));
    case property::memunmap_early: {
      if (st.reason == why::still_used) {
        for (int q = 0; q < r.scenario.sc.pages; ++q) {
          auto const& x = after.pages[static_cast<std::size_t>(q)];
          if ((x.flags & pf_mapped) || x.pins || x.holders)
            return fmt::format("memunmap_pages returns while {} is still {} (held by {})", page_name(q),
                               x.pins ? "pinned" : (x.flags & pf_mapped) ? "mapped" : "referenced",
                               holders_text(r, x.holders));
        }
      }
      return fmt::format("memunmap_pages returns with pgmap->ref {}", after.ref);
    }
    case property::use_after_free:
      switch (st.reason) {
        case why::struct_pages_freed:
          return fmt::format("touches struct {} after pageunmap_range freed it", page_name(std::max<int>(st.page, 0)));
        case why::counters_freed: return "touches pgmap->ref's per-CPU counters after percpu_ref_exit";
        case why::pgmap_freed: return "reads &p2p_pgmap->ref after kfree(p2p_pgmap)";
        case why::pool_gone: return "gen_pool_free on the pool pci_p2pdma_release destroyed";
        case why::page_freed_by_other:
          return fmt::format("migrate_to_ram on {}, which page_free already gave back to the driver", page_name(st.page));
        default: return "touches freed memory";
      }
    case property::free_while_used:
      if (st.reason == why::double_free) return fmt::format("{} freed twice", page_name(st.page));
      return fmt::format("{} freed while {} still {}", page_name(st.page), holders_text(r, pg(before).holders),
                         (pg(before).flags & pf_mapped) ? "maps it" : "references it");
    case property::dax_truncate_busy:
      for (int q = 0; q < r.scenario.sc.pages; ++q) {
        auto const& x = before.pages[static_cast<std::size_t>(q)];
        if ((x.flags & pf_associated) && x.pins)
          return fmt::format("truncate frees {}'s block while {} pins it (refcount {})", page_name(q),
                             holders_text(r, x.holders), x.refcount);
      }
      return "truncate frees a pinned block";
    default: return "";
  }
}

std::string explain_terminal(check_result const& r, kernel_model const& m, property p, world const& w) {
  auto const& sc = m.scenario();
  if (p == property::deadlock) {
    std::string s;
    for (int a = 0; a < sc.actor_count; ++a) {
      auto const& ar = w.actors[static_cast<std::size_t>(a)];
      if (ar.pc == pc_done) continue;
      auto k = sc.actors[static_cast<std::size_t>(a)];
      std::string what = "cannot step";
      if (k == actor_kind::memunmap && ar.pc == 2) what = fmt::format("sleeps in wait_for_completion (pgmap->ref {})", w.ref);
      if (k == actor_kind::truncate && ar.pc == 1) what = "sleeps in wait_var_event (a page never goes idle)";
      if (k == actor_kind::fault) what = "sleeps on MMAPLOCK";
      s += (s.empty() ? "" : "; ") + r.scenario.actor_labels[static_cast<std::size_t>(a)] + " " + what;
    }
    return s + "; no actor can step";
  }
  if (w.flags & gf_pages_freed) return fmt::format("pgmap->ref {} after memunmap, baseline 0", w.ref);
  if (w.ref != m.baseline_pgmap_ref(w)) return fmt::format("pgmap->ref {}, baseline {}", w.ref, m.baseline_pgmap_ref(w));
  for (int q = 0; q < sc.pages; ++q) {
    auto const& x = w.pages[static_cast<std::size_t>(q)];
    int base = models::baseline_refcount(sc, x);
    if (x.pins || x.refcount != base) return fmt::format("{} refcount {}, baseline {}", page_name(q), x.refcount, base);
  }
  return "";
}

void counters(scenario const& sc, world const& w, std::vector<int>& pages, int& ref) {
  pages.clear();
  for (int p = 0; p < sc.pages; ++p) pages.push_back(w.pages[static_cast<std::size_t>(p)].refcount);
  ref = w.ref;
}

}  // namespace

check_result run_check(spec const& s, limits const& lim) {
  if (s.needs_code()) return run_code_check(s, lim);  // threads, functions or function patches: model code only
  kernel_model const m(s.sc);
  auto r = explore(m, s.checked, lim);
  check_result out = result_of(s, r);
  counters(s.sc, r.initial, out.initial_page_refs, out.initial_pgmap_ref);
  world prev = r.initial;
  for (auto const& e : r.trace) {
    trace_row row;
    row.actor = e.step.actor;
    row.op = static_cast<int>(e.step.what);
    row.page = e.step.page;
    row.violated = e.step.violated;
    row.text = step_text(e.step, prev);
    row.notes = step_notes(s.sc, e.step, prev, e.after);
    row.function = std::string(info(e.step.what).function);
    counters(s.sc, e.after, row.page_refs, row.pgmap_ref);
    out.trace.push_back(std::move(row));
    if (&e != &r.trace.back()) prev = e.after;
  }
  if (r.result == verdict::violation) {
    out.violated = r.violated;
    out.terminal = !r.violation_at_step;
    out.shortest = r.shortest;
    std::string era(name_of(s.sc.kernel));
    if (!s.applied_patch.empty()) era += " + " + s.applied_patch;
    if (r.violation_at_step) {
      auto const& last = r.trace.back();
      out.trace.back().violating = true;
      out.message = explain_step(out, r.violated, last.step, prev, last.after);
      out.where = fmt::format("{}, {}", info(last.step.what).function, era);
    } else {
      world const& final_state = r.trace.empty() ? r.initial : r.trace.back().after;
      out.message = explain_terminal(out, m, r.violated, final_state);
      out.where = era;
    }
  }
  return out;
}

}  // namespace pgmapcheck
