// Running a check on model code: the search, and its counterexample as the
// trace rows the text, JSON and DOT outputs draw.
#include "check/check.hpp"

#include "models/lifecycle.hpp"
#include "lang/budget.hpp"
#include "lang/primitives.hpp"
#include "lang/reduced.hpp"
#include "lang/scenario.hpp"
#include "lang/witness.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstring>
#include <malloc.h>
#include <optional>
#include <stdexcept>

#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

namespace pgmapcheck {

namespace {

using lang::code_model;
using lang::code_state;
using lang::code_step;

void counters(code_model const& m, code_state const& s, int pages, std::vector<int>& refs, int& ref) {
  refs.clear();
  for (int p = 0; p < pages; ++p) refs.push_back(m.view(s).page_refcount(p));
  ref = m.view(s).pgmap_ref();
}

lang::site const& site_of(code_model const& m, code_step const& st) {
  auto const& prog = m.threads()[st.thread];
  return prog.sites[prog.code[st.pc].site];
}

// The statement whose check fired in step st (the step's own where none did).
lang::site const& fired_at(code_model const& m, code_step const& st) {
  if (st.fired == 0xffff) return site_of(m, st);
  auto const& prog = m.threads()[st.thread];
  return prog.sites[prog.code[st.fired].site];
}

std::string where_of(lang::site const& s, code_model const& m) {
  return fmt::format("{}:{} {}", m.files()[s.pos.file], s.pos.line, s.function);
}
std::string where_of(code_model const& m, code_step const& st) { return where_of(site_of(m, st), m); }

std::string explain(property p, lang::reason why, code_step const& st, code_model const& m, code_state const& after) {
  std::string const page = st.page >= 0 ? fmt::format("page{}", st.page) : std::string("a page");
  using lang::reason;
  switch (why) {
    case reason::underflow:
      if (st.page >= 0 && m.view(after).page_refcount(st.page) < 0)
        return fmt::format("{} refcount {}", page, m.view(after).page_refcount(st.page));
      return fmt::format("pgmap->ref {}", m.view(after).pgmap_ref());
    case reason::get_from_zero: return fmt::format("get_page on {} at refcount 0 (VM_BUG_ON_PAGE)", page);
    case reason::struct_pages_freed: return fmt::format("touches struct {} after pageunmap_range freed it", page);
    case reason::ref_data_null:
      return "a get or put on pgmap->ref after percpu_ref_exit: ref->data is NULL (NULL dereference)";
    case reason::pgmap_freed: return "reads &p2p_pgmap->ref after kfree(p2p_pgmap)";
    case reason::queue_freed: return "reads pgmap->ref, the block queue's q_usage_counter, after the queue was freed";
    case reason::pool_gone: return "uses the pool pci_p2pdma_release destroyed";
    case reason::warn_fired: return fmt::format("WARN fires: {}", fired_at(m, st).text);
    case reason::bug_fired: return fmt::format("BUG fires: {}", fired_at(m, st).text);
    case reason::unlock_unheld: return fmt::format("releases a lock it does not hold: {}", fired_at(m, st).text);
    case reason::page_not_locked: return fmt::format("unlock_page on {}, which is not locked (VM_BUG_ON_FOLIO)", page);
    case reason::loop_without_step:
      return "a loop runs 100,000 instructions with no step in it (it never reaches a primitive): the thread spins for ever";
    case reason::divide_error: return fmt::format("divide error (division or modulo by zero): {}", fired_at(m, st).text);
    case reason::null_deref: return fmt::format("NULL pointer dereference: {}", fired_at(m, st).text);
    case reason::double_free: return fmt::format("{} freed twice", page);
    case reason::still_used:
      if (p == property::memunmap_early) return "memunmap_pages returns while a page is still in use";
      return fmt::format("{} freed while still mapped or referenced", page);
    case reason::page_freed_by_other:
      return fmt::format("uses {}, which its driver's page_free already took back", page);
    case reason::ref_not_zero: return fmt::format("memunmap_pages returns with pgmap->ref {}", m.view(after).pgmap_ref());
    case reason::no_lifecycle_row:
      return fmt::format("{}: {}'s lifecycle has no row for {} from {} ({})", page,
                         models::pagemap_names[static_cast<std::size_t>(m.pagemap_type() - 1)],
                         models::event_names[st.life >> 2],
                         machine::state_traits<models::page_state>::names[st.life & 3u], fired_at(m, st).text);
    case reason::out_of_range:
      return fmt::format("a value past what the model stores (a count or local in -128..127, a thread's "
                         "references on a page up to 3): {}",
                         fired_at(m, st).text);
    default: return std::string(name_of(p));
  }
}

// A step's label: what replay matches across two versions of the code. The
// primitive it runs (or the first shared state its statement reads), the
// function it is in, its page and whether it took a failure branch.
std::string label_of(code_model const& m, code_step const& st) {
  auto const& prog = m.threads()[st.thread];
  std::string const what = lang::primitive_of(prog, prog.code[st.pc]);
  std::string label = fmt::format("{} in {}", what, site_of(m, st).function);
  if (st.page >= 0) label += fmt::format(" (page{})", st.page);
  if (st.outcome == 1) label += " (fails)";
  return label;
}

// Why a replay diverged: the patched functions (those the base does not
// carry) on the call paths of `near`, else all of them; then the knobs and
// the kernel that differ.
std::vector<std::string> patched_functions(spec const& base, spec const& patched, std::vector<std::string> const& near) {
  auto all = [](spec const& s) {
    std::vector<function_patch const*> out;
    for (auto const& f : s.era_patches) out.push_back(&f);
    for (auto const& f : s.function_patches) out.push_back(&f);
    return out;
  };
  auto const on_base = all(base);
  std::vector<std::string> names;
  for (auto const* f : all(patched)) {
    bool const shared = std::any_of(on_base.begin(), on_base.end(), [&](function_patch const* g) {
      return g->with.name == f->with.name && g->with.text == f->with.text;
    });
    if (!shared && std::find(names.begin(), names.end(), f->with.name) == names.end()) names.push_back(f->with.name);
  }
  std::vector<std::string> close;
  for (auto const& n : names)
    if (std::find(near.begin(), near.end(), n) != near.end()) close.push_back(n);
  if (!close.empty()) names = close;
  std::vector<std::string> why;
  if (!names.empty()) why.push_back(fmt::format("the patch changes {}", fmt::join(names, ", ")));
  auto text = [](models::knob const& k, int v) {
    return k.kind == models::knob_kind::boolean ? std::string(v ? "true" : "false") : std::to_string(v);
  };
  for (auto const& k : models::knobs)
    if (base.sc.rule.*(k.field) != patched.sc.rule.*(k.field))
      why.push_back(fmt::format("{}: {} -> {}", k.name, text(k, base.sc.rule.*(k.field)), text(k, patched.sc.rule.*(k.field))));
  if (base.sc.kernel != patched.sc.kernel)
    why.push_back(fmt::format("kernel {} -> {}", name_of(base.sc.kernel), name_of(patched.sc.kernel)));
  return why;
}

std::string counters_text(code_model const& m, code_state const& s, int pages) {
  std::string out;
  for (int p = 0; p < pages; ++p) out += fmt::format("p{} {} ", p, m.view(s).page_refcount(p));
  return out + fmt::format("ref {}", m.view(s).pgmap_ref());
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
      auto const id = static_cast<lang::prim>(in.prim);
      if (has(id, lang::prim_trait::fails)) (m.failed(static_cast<int>(t), pc) ? fail_hit : fail_missed).insert(key);
      if (has(id, lang::prim_trait::wakes)) (ran ? wake_hit : wake_missed).insert(key);
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

// Replaces r's shortest counterexample by one of the same length and property
// with the fewest context switches. Every state on a shortest counterexample
// lies at its BFS distance (else a shorter one would exist), so the search
// goes level by level over (state, last thread), a state only at the level
// where it first appears, keeping the fewest switches to each; ties go to
// the first found, so the answer depends on the model alone.
void fewest_switches(code_model const& m, property_set checked, search_result<code_model>& r) {
  std::size_t const length = r.trace.size();
  std::size_t const bytes = m.state_bytes();
  auto key = [&](code_state const& s) { return std::string(reinterpret_cast<char const*>(s.bytes.data()), bytes); };
  struct node {
    code_state state;
    std::uint8_t last;  // the thread of the step into it (0xff: none)
    std::uint32_t switches, parent, ordinal;
  };
  struct target {
    std::size_t level;
    std::uint32_t at, ordinal, switches;  // ordinal 0: a terminal violation at `at`
  };
  std::vector<std::vector<node>> levels(1);
  levels[0].push_back({r.initial, 0xff, 0, 0, 0});
  std::unordered_set<std::string> seen{key(r.initial)};
  std::optional<target> best;
  auto offer = [&](target t) {
    if (!best || t.switches < best->switches) best = t;
  };
  for (std::size_t d = 0; d <= length; ++d) {
    std::unordered_map<std::string, std::uint32_t> index;  // state bytes + last thread -> node in levels[d + 1]
    std::vector<std::string> fresh;
    if (d < length) levels.emplace_back();
    for (std::uint32_t i = 0; i < levels[d].size(); ++i) {
      node const n = levels[d][i];
      std::uint32_t ordinal = 0;
      m.for_each_successor(n.state, [&](code_step const& st, code_state const& next) {
        ++ordinal;
        std::uint32_t const sw = n.switches + (n.last != 0xff && n.last != st.thread);
        property_set const bad = m.check(st) & checked;
        if (!bad.empty()) {  // the search stops here, as the BFS does
          if (d + 1 == length && r.violation_at_step && bad.has(r.violated)) offer({d, i, ordinal, sw});
          return;
        }
        if (d == length) return;
        std::string k = key(next);
        if (seen.count(k)) return;  // first reached on an earlier level
        auto [it, added] = index.try_emplace(k + static_cast<char>(st.thread), static_cast<std::uint32_t>(levels[d + 1].size()));
        if (added) {
          levels[d + 1].push_back({next, st.thread, sw, i, ordinal});
          fresh.push_back(std::move(k));
        } else if (sw < levels[d + 1][it->second].switches) {
          auto& better = levels[d + 1][it->second];
          better.switches = sw;
          better.parent = i;
          better.ordinal = ordinal;
        }
      });
      if (ordinal == 0 && d == length && !r.violation_at_step && (m.check_terminal(n.state) & checked).has(r.violated))
        offer({d, i, 0, n.switches});
    }
    for (auto& k : fresh) seen.insert(std::move(k));
  }
  if (!best) return;  // cannot happen: the BFS trace itself is a candidate
  std::vector<std::pair<code_state const*, std::uint32_t>> path;  // (state, ordinal of the step out of it)
  if (best->ordinal) path.emplace_back(&levels[best->level][best->at].state, best->ordinal);
  for (std::size_t d = best->level, at = best->at; d > 0; at = levels[d][at].parent, --d)
    path.emplace_back(&levels[d - 1][levels[d][at].parent].state, levels[d][at].ordinal);
  r.trace.clear();
  for (auto it = path.rbegin(); it != path.rend(); ++it) {
    std::uint32_t k = 0;
    m.for_each_successor(*it->first, [&](code_step const& st, code_state const& next) {
      if (++k == it->second) r.trace.push_back({st, next});
    });
  }
}

// The search's trace as rows: each step's model line, call path, page,
// branch and counters, whether its thread then sleeps, and which threads
// were idle (found nothing to act on).
template <class R>
void fill_trace(code_model const& m, spec const& s, R const& r, check_result& out) {
  out.scenario.actor_labels.clear();  // one column per thread: actors, then the spec's own threads
  for (auto const& t : m.threads()) out.scenario.actor_labels.push_back(t.name);
  counters(m, r.initial, s.sc.pages, out.initial_page_refs, out.initial_pgmap_ref);
  for (auto const& e : r.trace) {
    trace_row row;
    row.actor = e.step.thread;
    row.op = e.step.pc;
    row.page = e.step.page;
    row.outcome = e.step.outcome;
    row.violated = e.step.violated;
    auto const& site = site_of(m, e.step);
    row.text = site.text;
    if (!site.calls.empty()) {
      std::string path;
      for (auto it = site.calls.rbegin(); it != site.calls.rend(); ++it) path += (path.empty() ? "in " : " < ") + *it;
      row.notes.push_back(path);
    }
    row.function = where_of(m, e.step);
    row.file = m.files()[site.pos.file];
    row.line = site.pos.line;
    row.calls = lang::call_path(site);
    row.blocks = m.view(e.after).blocked_on(e.step.thread);
    auto const& in = m.threads()[e.step.thread].code[e.step.pc];
    if (in.k == lang::instr::kind::action) {
      auto const id = static_cast<lang::prim>(in.prim);
      if (has(id, lang::prim_trait::fails) && e.step.outcome == 1)
        row.notes.push_back("fails here (the failure budget: an operation that fails for reasons outside the model)");
      if (id == lang::prim::choose_page)
        row.notes.push_back(e.step.page >= 0 ? fmt::format("chooses page{}", e.step.page) : "finds no page: NULL");
    }
    counters(m, e.after, s.sc.pages, row.page_refs, row.pgmap_ref);
    out.trace.push_back(std::move(row));
  }
  // A thread that chose no page, acted on none and returned did nothing the
  // others could see but hold locks for a while: its steps are idle.
  constexpr int choose = static_cast<int>(lang::prim::choose_page);
  for (std::size_t t = 0; t < m.threads().size(); ++t) {
    bool gave_up = false, acted = false;
    for (std::size_t i = 0; i < r.trace.size(); ++i) {
      auto const& st = r.trace[i].step;
      if (st.thread != t) continue;
      auto const& in = m.threads()[t].code[st.pc];
      gave_up |= in.k == lang::instr::kind::action && in.prim == choose && st.page < 0;
      acted |= st.page >= 0 || st.violated != 0 ||
               out.trace[i].page_refs != (i ? out.trace[i - 1].page_refs : out.initial_page_refs) ||
               out.trace[i].pgmap_ref != (i ? out.trace[i - 1].pgmap_ref : out.initial_pgmap_ref);
    }
    code_state const& last = r.trace.empty() ? r.initial : r.trace.back().after;
    if (gave_up && !acted && m.view(last).finished(static_cast<int>(t)))
      for (std::size_t i = 0; i < r.trace.size(); ++i)
        if (r.trace[i].step.thread == t) out.trace[i].idle = true;
  }
}

}  // namespace

// The explorer's trace over reduced states (dead locals zeroed, orbit
// representatives) made a concrete run again: from the concrete initial
// state, at each step the successor whose reduced form is the next stored
// state, by the same step (the same code, page, branch and verdict). Thread
// names and locals in the result are the concrete ones.
void concretize(lang::reduced_model const& rm, search_result<code_model>& r) {
  code_model const& m = rm.model();
  code_state cur = m.initial();
  std::vector<trace_entry<code_model>> concrete;
  for (auto const& e : r.trace) {
    std::optional<trace_entry<code_model>> hit;
    m.for_each_successor(cur, [&](code_step const& st, code_state const& next) {
      if (hit || st.pc != e.step.pc || st.page != e.step.page || st.outcome != e.step.outcome ||
          st.violated != e.step.violated)
        return;
      code_state canonical = next;
      rm.reduce(canonical);
      if (std::memcmp(canonical.bytes.data(), e.after.bytes.data(), m.state_bytes()) == 0) hit = {st, next};
    });
    if (!hit) throw std::logic_error("symmetry: a representative's trace has no concrete run");
    concrete.push_back(*hit);
    cur = hit->after;
  }
  r.trace = std::move(concrete);
  r.initial = m.initial();
}

// A livelock in words: the threads that never finish, and what each does
// on the loop (spins, or sleeps on what).
std::string livelock_message(code_model const& m, search_result<code_model> const& r) {
  code_state const& at_loop = r.loop_from ? r.trace[r.loop_from - 1].after : r.initial;
  std::vector<std::string> who;
  for (std::size_t t = 0; t < m.threads().size(); ++t) {
    if (m.view(at_loop).finished(static_cast<int>(t))) continue;
    bool steps = false;
    for (std::size_t i = r.loop_from; i < r.trace.size(); ++i) steps |= r.trace[i].step.thread == t;
    std::string const asleep = m.view(at_loop).blocked_on(static_cast<int>(t));
    who.push_back(m.threads()[t].name + (steps ? " (spins)" : asleep.empty() ? " (not on the loop)" : " (" + asleep + ")"));
  }
  return fmt::format("{} never {}: after step {} no run ends; steps {} to {} go round for ever", fmt::join(who, ", "),
                     who.size() == 1 ? "finishes" : "finish", r.stuck_at, r.loop_from + 1, r.trace.size());
}

namespace {

// Builds s's model (with witness w, if any) within --max-memory: loading is
// charged against it, and the search gets what the compiled programs leave.
// Past it, `out` is the run's answer: incomplete, naming where loading was.
std::optional<code_model> load_within(spec const& s, lang::witness const* w, limits& lim, check_result& out) {
  lang::load_budget budget(lim.max_memory_bytes);
  std::optional<code_model> m;
  try {
    lang::load_scope const scope(budget);
    m.emplace(w ? lang::build_code_model(s, *w) : lang::build_code_model(s));
  } catch (lang::load_limit_error const& e) {
    out = check_result{};
    out.scenario = s;
    out.result = verdict::incomplete;
    out.incomplete_reason = "memory limit reached loading the model code (at " + e.where() + ")";
    out.peak_memory_bytes = budget.peak();
    return std::nullopt;
  }
  if (lim.max_memory_bytes != 0) {
    // The parse and syntax trees are freed, but into the heap: give their
    // pages back, so the search's memory is not counted on top of them.
    if (budget.peak() > (std::uint64_t{1} << 20)) malloc_trim(0);
    std::uint64_t held = 0;
    for (auto const& t : m->threads()) held += lang::footprint(t);
    lim.max_memory_bytes = held < lim.max_memory_bytes ? lim.max_memory_bytes - held : 1;
  }
  return m;
}

}  // namespace

check_result run_check(spec const& s, limits const& given) {
  limits lim = given;
  check_result loaded;
  auto built = load_within(s, nullptr, lim, loaded);
  if (!built) return loaded;
  code_model const& m = *built;
  auto options = lang::reduction_options::all(!lim.no_reduction);
  if (lim.no_partial_order) options.partial_order = false;
  std::optional<lang::reduced_model> rm(std::in_place, m, options);
  auto r = explore(*rm, s.checked, lim);
  bool const livelock = r.result == verdict::violation && r.violated == property::livelock;
  if (r.result == verdict::violation && (rm->partial_order() || (livelock && rm->reduced()))) {
    // The partial-order reduction keeps verdicts, not distances: the
    // counterexample shown comes from a search without it, which is as
    // short as any. A livelock's loop closes on a stored state, under
    // thread symmetry on its orbit only: its search again has no
    // reductions at all, so the loop closes on the very state. Should a
    // limit stop that search, the first counterexample stands, not known
    // to be shortest.
    auto again_options = livelock ? lang::reduction_options::all(false) : options;
    again_options.partial_order = false;
    lang::reduced_model again_model(m, again_options);
    auto again = explore(again_model, s.checked, lim);
    again.seconds += r.seconds;
    if (again.result == verdict::violation) {
      r = std::move(again);
      rm.emplace(m, again_options);
    } else {
      r.shortest = false;
    }
  }
  if (rm->reduced()) concretize(*rm, r);  // r's states are reduced ones: its trace is made concrete
  bool const fewest = lim.fewest_switches && r.result == verdict::violation && r.shortest &&
                      r.violated != property::livelock;
  if (fewest) fewest_switches(m, s.checked, r);
  check_result out = result_of(s, r);
  fill_trace(m, s, r, out);
  coverage(m, out);
  if (r.result == verdict::violation) {
    out.violated = r.violated;
    out.terminal = !r.violation_at_step;
    out.shortest = r.shortest;
    out.fewest_switches = fewest;
    std::string const era(name_of(s.sc.kernel));
    if (r.violation_at_step) {
      auto const& last = r.trace.back();
      out.trace.back().violating = true;
      out.message = explain(r.violated, last.step.why, last.step, m, last.after);
      out.where = fmt::format("{}, {}", where_of(fired_at(m, last.step), m), era);
    } else {
      code_state const& final_state = r.trace.empty() ? r.initial : r.trace.back().after;
      std::string what;
      if (r.violated == property::livelock) {
        out.stuck_at = static_cast<int>(r.stuck_at);
        out.loop_from = static_cast<int>(r.loop_from);
        what = livelock_message(m, r);
      } else if (r.violated == property::deadlock) {
        for (std::size_t t = 0; t < m.threads().size(); ++t) {
          std::string b = m.view(final_state).blocked_on(static_cast<int>(t));
          if (!b.empty()) what += (what.empty() ? "" : "; ") + m.threads()[t].name + " " + b;
        }
        what += "; no thread can step";
      } else {
        what = fmt::format("pgmap->ref {} at the end", m.view(final_state).pgmap_ref());
      }
      out.message = what;
      out.where = era;
    }
  }
  return out;
}

namespace {

// The scenario seen by the witness search: a step "violates" when the state
// it leads to satisfies the witness, so the BFS stops at a shortest run.
struct witness_search {
  using state = code_state;
  using step = code_step;
  code_model const& m;
  lang::witness const& w;

  state initial() const { return m.initial(); }
  template <class F>
  void for_each_successor(state const& s, F&& f) const {
    m.for_each_successor(s, [&](step st, state const& next) {
      st.violated = w.holds(m, next, 0) ? 1 : 0;
      f(st, next);
    });
  }
  property_set check(step const& st) const { return property_set::from_bits(st.violated); }
  property_set check_terminal(state const&) const { return {}; }
  std::size_t state_bytes() const { return m.state_bytes(); }
};

}  // namespace

// A bad condition's error where it was written: in the spec's [witness]
// reach (its column in the file), or in --witness (its column in the option).
[[noreturn]] void witness_failed(spec const& s, std::string const& condition, lang::witness_error const& e) {
  int const column = static_cast<int>(e.column);
  if (s.witness && s.witness->reach == condition)
    throw spec_error(s.path, s.witness->line, s.witness->column + column, "witness: " + e.message);
  throw spec_error("--witness \"" + condition + "\"", 1, column, e.message);
}

check_result run_witness(spec const& s, std::string const& condition, limits const& given) {
  std::optional<lang::witness> w;
  try {
    w.emplace(condition);
  } catch (lang::witness_error const& e) {
    witness_failed(s, condition, e);
  }
  limits lim = given;
  check_result loaded;
  std::optional<code_model> built;
  try {
    built = load_within(s, &*w, lim, loaded);
  } catch (lang::witness_error const& e) {
    witness_failed(s, condition, e);
  }
  if (!built) {
    loaded.witness = condition;
    return loaded;
  }
  code_model const& m = *built;
  witness_search const search{m, *w};
  search_result<witness_search> r;
  bool const at_start = w->holds(m, m.initial(), 0);
  if (at_start) {
    r.initial = m.initial();
    r.states = 1;
  } else {
    limits l = lim;
    l.order = search_order::bfs;
    r = explore_bfs(search, property_set::from_bits(1), l);
  }
  check_result out = result_of(s, r);
  out.witness = condition;
  out.witness_reached = at_start || r.result == verdict::violation;
  out.result = r.result == verdict::incomplete ? verdict::incomplete : verdict::holds;
  out.shortest = out.witness_reached && (at_start || r.shortest);
  fill_trace(m, s, r, out);
  return out;
}

state_graph build_state_graph(spec const& s, check_result const& r, std::size_t max_states) {
  code_model const m = lang::build_code_model(s);
  std::size_t const bytes = m.state_bytes();
  auto key = [&](code_state const& st) { return std::string(reinterpret_cast<char const*>(st.bytes.data()), bytes); };
  state_graph g;
  std::unordered_map<std::string, std::size_t> index;  // a state's bytes -> its vertex
  std::vector<code_state> states;
  std::vector<std::size_t> vertex_of;  // per state, its vertex (violations are vertices too)
  auto add = [&](code_state const& st) {
    auto [it, fresh] = index.try_emplace(key(st), g.vertices.size());
    if (!fresh) return it->second;
    if (states.size() == max_states)
      throw std::length_error(fmt::format("the scenario has more than {} states, the limit for a state graph", max_states));
    states.push_back(st);
    vertex_of.push_back(g.vertices.size());
    state_graph::vertex v;
    v.label = fmt::format("s{}\n{}", states.size() - 1, counters_text(m, st, s.sc.pages));
    for (std::size_t t = 0; t < m.threads().size(); ++t) {
      std::string const b = m.view(st).blocked_on(static_cast<int>(t));
      v.tooltip += fmt::format("{}: {}\n", m.threads()[t].name,
                               m.view(st).finished(static_cast<int>(t)) ? "done" : b.empty() ? "runnable" : b);
    }
    g.vertices.push_back(std::move(v));
    return g.vertices.size() - 1;
  };
  g.vertices.reserve(64);
  add(m.initial());
  g.vertices[0].initial = true;
  std::map<property, std::size_t> sinks;
  for (std::size_t at = 0; at < states.size(); ++at) {
    code_state const here = states[at];
    m.for_each_successor(here, [&](code_step const& st, code_state const& next) {
      state_graph::edge e;
      e.from = vertex_of[at];
      e.label = fmt::format("{}: {}", m.threads()[st.thread].name, lang::primitive_of(m.threads()[st.thread], m.threads()[st.thread].code[st.pc]));
      property_set const bad = m.check(st) & s.checked;
      if (!bad.empty()) {
        auto [it, fresh] = sinks.try_emplace(bad.first(), g.vertices.size());
        if (fresh) {
          state_graph::vertex v;
          v.label = std::string(name_of(bad.first()));
          v.violation = true;
          g.vertices.push_back(std::move(v));
        }
        e.to = it->second;
      } else {
        e.to = add(next);
      }
      g.edges.push_back(std::move(e));
    });
  }
  // The counterexample: its states from the initial one, by their bytes.
  std::vector<std::size_t> path{0};
  code_state cur = m.initial();
  for (auto const& row : r.trace) {
    std::optional<std::pair<code_step, code_state>> hit;
    m.for_each_successor(cur, [&](code_step const& st, code_state const& next) {
      if (!hit && st.thread == row.actor && st.pc == row.op && st.page == row.page && st.outcome == row.outcome)
        hit = std::pair{st, next};
    });
    if (!hit) break;
    property_set const bad = m.check(hit->first) & s.checked;
    std::size_t const to = bad.empty() ? index.at(key(hit->second)) : sinks.at(bad.first());
    for (auto& e : g.edges)
      if (e.from == path.back() && e.to == to) e.on_trace = true;
    path.push_back(to);
    cur = hit->second;
  }
  for (auto v : path) g.vertices[v].on_trace = true;
  if (r.terminal && r.violated) {  // a final state's violation: its own marker
    state_graph::vertex v;
    v.label = std::string(name_of(*r.violated));
    v.violation = v.on_trace = true;
    g.vertices.push_back(std::move(v));
    state_graph::edge e;
    e.from = path.back();
    e.to = g.vertices.size() - 1;
    e.label = "final state";
    e.on_trace = true;
    g.edges.push_back(std::move(e));
  }
  return g;
}

replay replay_on_code(spec const& base, check_result const& base_result, spec const& patched) {
  replay rp;
  code_model const mb = lang::build_code_model(base), mp = lang::build_code_model(patched);
  int const pages = patched.sc.pages;
  // The base counterexample's concrete steps, rebuilt on its own model from
  // the trace rows (thread, pc, page); then each is looked for, by label, on
  // the patch.
  code_state sb = mb.initial(), sp = mp.initial();
  rp.steps.push_back(fmt::format("  initial: {}{}", counters_text(mp, sp, pages),
                                 counters_text(mb, sb, pages) == counters_text(mp, sp, pages)
                                     ? std::string()
                                     : fmt::format(" (base: {})", counters_text(mb, sb, pages))));
  auto const& names = base_result.scenario.actor_labels;
  std::size_t width = 0;
  for (auto const& n : names) width = std::max(width, n.size());
  // A step in its own model's words: the function, the statement with its page.
  auto brief = [](code_model const& m, code_step const& st) {
    trace_row r;
    r.text = site_of(m, st).text;
    r.page = st.page;
    if (st.outcome == 1) r.notes.push_back("fails here");
    return site_of(m, st).function + ": " + step_text(r);
  };
  for (std::size_t i = 0; i < base_result.trace.size(); ++i) {
    auto const& row = base_result.trace[i];
    std::optional<std::pair<code_step, code_state>> b;
    mb.for_each_successor(sb, [&](code_step const& st, code_state const& next) {
      if (!b && st.thread == row.actor && st.pc == row.op && st.page == row.page && st.outcome == row.outcome)
        b = std::pair{st, next};
    });
    if (!b) throw std::logic_error("replay: the base trace does not rebuild on its own model at step " + std::to_string(i + 1));
    std::string const want = label_of(mb, b->first);
    std::string const who = names.at(static_cast<std::size_t>(row.actor));
    std::optional<std::pair<code_step, code_state>> match;
    std::vector<std::string> instead;
    std::vector<std::string> near = lang::call_path(site_of(mb, b->first));  // the functions the step runs in, either side
    mp.for_each_successor(sp, [&](code_step const& st, code_state const& next) {
      if (st.thread != b->first.thread) return;
      std::string const l = label_of(mp, st);
      if (l == want && !match) match = std::pair{st, next};
      instead.push_back(l);
      for (auto const& f : lang::call_path(site_of(mp, st))) near.push_back(f);
    });
    if (!match) {
      std::string const reason = instead.empty() ? "the thread cannot step here (asleep, blocked or finished)"
                                                 : fmt::format("it can only do {}", fmt::join(instead, ", "));
      rp.steps.push_back(fmt::format("X{:>3}  {:<{}}  {} (the base's step)", i + 1, who, width, brief(mb, b->first)));
      rp.steps.push_back(fmt::format("      ^ no longer happens: {}", reason));
      rp.diverges_at = static_cast<int>(i + 1);
      rp.cannot_happen = true;
      rp.what = fmt::format("step {} ({}: {}, {}) cannot happen under the patch: {}", i + 1, who, row.text, want, reason);
      rp.why = patched_functions(base, patched, near);
      return rp;
    }
    // What the step does (its change to the counters, what it violates), not
    // where the counters stand: the two sides may start from different counts.
    std::vector<std::string> diffs;
    for (int q = 0; q < pages; ++q) {
      int const d_base = mb.view(b->second).page_refcount(q) - mb.view(sb).page_refcount(q);
      int const d_patch = mp.view(match->second).page_refcount(q) - mp.view(sp).page_refcount(q);
      if (d_base != d_patch) diffs.push_back(fmt::format("page{} {:+} (base: {:+})", q, d_patch, d_base));
    }
    int const r_base = mb.view(b->second).pgmap_ref() - mb.view(sb).pgmap_ref(), r_patch = mp.view(match->second).pgmap_ref() - mp.view(sp).pgmap_ref();
    if (r_base != r_patch) diffs.push_back(fmt::format("pgmap->ref {:+} (base: {:+})", r_patch, r_base));
    if (match->first.violated != b->first.violated) {
      auto text = [](std::uint16_t bits) {
        std::string t;
        for (std::size_t q = 0; q < property_count; ++q)
          if (bits >> q & 1u) t += (t.empty() ? "" : ", ") + std::string(name_of(static_cast<property>(q)));
        return t.empty() ? std::string("nothing") : t;
      };
      diffs.push_back(fmt::format("violates {} (base: {})", text(match->first.violated), text(b->first.violated)));
    }
    std::string const at = where_of(mp, match->first);
    bool const first_difference = !diffs.empty() && !rp.diverges_at;
    rp.steps.push_back(fmt::format("{}{:>3}  {:<{}}  {}  [{}]", first_difference ? "!" : " ", i + 1, who, width,
                                   brief(mp, match->first), counters_text(mp, match->second, pages)));
    if (first_difference) rp.steps.push_back(fmt::format("      ^ differs: {}", fmt::join(diffs, "; ")));
    if (!diffs.empty() && !rp.diverges_at) {
      rp.diverges_at = static_cast<int>(i + 1);
      rp.what = fmt::format("step {} ({}: {}, {}) ends differently under the patch: {}", i + 1, who,
                            site_of(mp, match->first).text, at, fmt::join(diffs, "; "));
      rp.why = patched_functions(base, patched, near);
    }
    sb = b->second;
    sp = match->second;
  }
  if (base_result.terminal && base_result.violated) {
    bool stuck = true;
    mp.for_each_successor(sp, [&](code_step const&, code_state const&) { stuck = false; });
    property_set const bad = mp.check_terminal(sp);
    std::string end;
    if (stuck && bad.has(*base_result.violated)) {
      end = fmt::format("the final state still violates {}", name_of(*base_result.violated));
    } else {
      std::string next;
      if (!stuck) {
        std::vector<std::string> can;
        mp.for_each_successor(sp, [&](code_step const& st, code_state const&) {
          can.push_back(fmt::format("{}: {} ({})", names[st.thread], site_of(mp, st).text, where_of(mp, st)));
        });
        next = fmt::format(": a thread can still step, {}", fmt::join(can, "; "));
      }
      end = fmt::format("the final state is no {} under the patch{}", name_of(*base_result.violated), next);
    }
    rp.steps.push_back("  =  " + end);
    if (!rp.diverges_at) {
      rp.diverges_at = static_cast<int>(base_result.trace.size());
      rp.what = end;
      rp.why = patched_functions(base, patched, {});
    }
  }
  return rp;
}

}  // namespace pgmapcheck
