// Running a check on model code: the search, and its counterexample as the
// trace rows the text, JSON and DOT outputs draw.
#include "pgmapcheck/lang/check.hpp"

#include "pgmapcheck/lang/scenario.hpp"

#include <fmt/format.h>

#include <map>
#include <set>

namespace pgmapcheck {

namespace {

using lang::code_model;
using lang::code_state;
using lang::code_step;

void counters(code_model const& m, code_state const& s, int pages, std::vector<int>& refs, int& ref) {
  refs.clear();
  for (int p = 0; p < pages; ++p) refs.push_back(m.page_refcount(s, p));
  ref = m.pgmap_ref(s);
}

lang::site const& site_of(code_model const& m, code_step const& st) {
  auto const& prog = m.threads()[st.thread];
  return prog.sites[prog.code[st.pc].site];
}

std::string where_of(code_model const& m, code_step const& st) {
  auto const& s = site_of(m, st);
  return fmt::format("{}:{} {}", m.files()[s.pos.file], s.pos.line, s.function);
}

std::string explain(property p, lang::reason why, code_step const& st, code_model const& m, code_state const& after) {
  std::string const page = st.page >= 0 ? fmt::format("page{}", st.page) : std::string("a page");
  using lang::reason;
  switch (why) {
    case reason::underflow:
      if (st.page >= 0 && m.page_refcount(after, st.page) < 0)
        return fmt::format("{} refcount {}", page, m.page_refcount(after, st.page));
      return fmt::format("pgmap->ref {}", m.pgmap_ref(after));
    case reason::get_from_zero: return fmt::format("get_page on {} at refcount 0 (VM_BUG_ON_PAGE)", page);
    case reason::struct_pages_freed: return fmt::format("touches struct {} after pageunmap_range freed it", page);
    case reason::counters_freed: return "touches pgmap->ref's per-CPU counters after percpu_ref_exit";
    case reason::pgmap_freed: return "reads &p2p_pgmap->ref after kfree(p2p_pgmap)";
    case reason::pool_gone: return "uses the pool pci_p2pdma_release destroyed";
    case reason::warn_fired: return fmt::format("WARN fires: {}", site_of(m, st).text);
    case reason::bug_fired: return fmt::format("BUG fires: {}", site_of(m, st).text);
    case reason::unlock_unheld: return fmt::format("releases a lock it does not hold: {}", site_of(m, st).text);
    case reason::loop_without_step: return "a loop runs with no step in it (model code never reaches a primitive)";
    case reason::null_deref: return fmt::format("NULL pointer dereference: {}", site_of(m, st).text);
    case reason::double_free: return fmt::format("{} freed twice", page);
    case reason::still_used:
      if (p == property::memunmap_early) return "memunmap_pages returns while a page is still in use";
      return fmt::format("{} freed while still mapped or referenced", page);
    case reason::page_freed_by_other:
      return fmt::format("uses {}, which its driver's page_free already took back", page);
    case reason::ref_not_zero: return fmt::format("memunmap_pages returns with pgmap->ref {}", m.pgmap_ref(after));
    default: return std::string(name_of(p));
  }
}

// Which model lines ran: a line ran if any instruction of it ran in any thread.
void coverage(code_model const& m, check_result& out) {
  std::map<std::string, bool> lines;  // "file:line" -> ran
  std::set<std::string> fail_missed, wake_missed, fail_hit, wake_hit;
  for (std::size_t t = 0; t < m.threads().size(); ++t) {
    auto const& prog = m.threads()[t];
    for (std::size_t pc = 0; pc < prog.code.size(); ++pc) {
      auto const& in = prog.code[pc];
      if (in.k == lang::instr::kind::clear || in.k == lang::instr::kind::finish || in.k == lang::instr::kind::jump)
        continue;
      auto const& site = prog.sites[in.site];
      std::string const key = fmt::format("{}:{}", m.files()[site.pos.file], site.pos.line);
      bool const ran = m.ran(static_cast<int>(t), pc);
      lines[key] = lines[key] || ran;
      if (in.k != lang::instr::kind::action) continue;
      auto const name = lang::primitives()[in.prim].name;
      if (name == "should_fail" || name == "vm_insert_page")
        (m.failed(static_cast<int>(t), pc) ? fail_hit : fail_missed).insert(key);
      if (name == "wake_up_var" || name == "wake_up" || name == "complete")
        (ran ? wake_hit : wake_missed).insert(key);
    }
  }
  for (auto const& [key, ran] : lines) {
    out.code_lines.push_back(key);
    if (!ran) out.never_ran.push_back(key);
  }
  for (auto const& k : fail_missed)
    if (!fail_hit.count(k)) out.failures_never_taken.push_back(k);
  for (auto const& k : wake_missed)
    if (!wake_hit.count(k)) out.wakeups_never_ran.push_back(k);
}

}  // namespace

property_set checked_on_code(spec const& s) {
  property_set checked = s.checked;
  if (!s.properties_listed) {
    checked.add(property::kernel_warn);
    checked.add(property::kernel_bug);
  }
  return checked;
}

check_result run_code_check(spec const& s, limits const& lim) {
  code_model const m = lang::build_code_model(s);
  auto r = explore(m, checked_on_code(s), lim);
  check_result out = result_of(s, r);
  out.scenario.actor_labels.clear();  // one column per thread: actors, then the spec's own threads
  for (auto const& t : m.threads()) out.scenario.actor_labels.push_back(t.name);
  counters(m, r.initial, s.sc.pages, out.initial_page_refs, out.initial_pgmap_ref);
  for (auto const& e : r.trace) {
    trace_row row;
    row.actor = e.step.thread;
    row.op = e.step.pc;
    row.page = e.step.page;
    row.violated = e.step.violated;
    auto const& site = site_of(m, e.step);
    row.text = site.text;
    if (!site.calls.empty()) {
      std::string path;
      for (auto it = site.calls.rbegin(); it != site.calls.rend(); ++it) path += (path.empty() ? "in " : " < ") + *it;
      row.notes.push_back(path);
    }
    row.function = where_of(m, e.step);
    auto const& in = m.threads()[e.step.thread].code[e.step.pc];
    if (in.k == lang::instr::kind::action) {
      auto const name = lang::primitives()[in.prim].name;
      if ((name == "should_fail" || name == "vm_insert_page") && e.step.outcome == 1)
        row.notes.push_back("fails here (the failure budget: an operation that fails for reasons outside the model)");
      if (name == "choose_page")
        row.notes.push_back(e.step.page >= 0 ? fmt::format("chooses page{}", e.step.page) : "finds no page: NULL");
    }
    counters(m, e.after, s.sc.pages, row.page_refs, row.pgmap_ref);
    out.trace.push_back(std::move(row));
  }
  coverage(m, out);
  if (r.result == verdict::violation) {
    out.violated = r.violated;
    out.terminal = !r.violation_at_step;
    out.shortest = r.shortest;
    std::string const era(name_of(s.sc.kernel));
    if (r.violation_at_step) {
      auto const& last = r.trace.back();
      out.trace.back().violating = true;
      out.message = explain(r.violated, last.step.why, last.step, m, last.after);
      out.where = fmt::format("{}, {}", where_of(m, last.step), era);
    } else {
      code_state const& final_state = r.trace.empty() ? r.initial : r.trace.back().after;
      std::string what;
      if (r.violated == property::deadlock) {
        for (std::size_t t = 0; t < m.threads().size(); ++t) {
          std::string b = m.blocked_on(final_state, static_cast<int>(t));
          if (!b.empty()) what += (what.empty() ? "" : "; ") + m.threads()[t].name + " " + b;
        }
        what += "; no thread can step";
      } else {
        what = fmt::format("pgmap->ref {} at the end", m.pgmap_ref(final_state));
      }
      out.message = what;
      out.where = era;
    }
  }
  return out;
}

}  // namespace pgmapcheck
