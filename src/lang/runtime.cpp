// Compiled model code as the Model the search runs (code_model): the state's
// layout, the initial state, the successors (a step is one visible
// instruction of one thread, then that thread's invisible instructions up
// to its next visible one, run by the executor), the terminal checks.
#include "lang/runtime.hpp"

#include "lang/error.hpp"
#include "lang/executor.hpp"
#include "lang/layout.hpp"
#include "lang/primitives.hpp"

#include <algorithm>
#include <map>
#include <cstdint>
#include <cstring>
#include <string>

namespace pgmapcheck::lang {

using namespace layout;  // the state's bytes: src/lang/layout.hpp

std::vector<std::string> call_path(site const& s) {
  auto p = s.calls;
  if (p.empty() || p.back() != s.function) p.push_back(s.function);
  return p;
}

bool runs_in(site const& s, std::string_view name) {
  return s.function == name || std::find(s.calls.begin(), s.calls.end(), name) != s.calls.end();
}

code_model::code_model(std::vector<program> threads, code_setup const& setup)
    : threads_(std::move(threads)), setup_(setup) {
  pages_at_ = w_size;
  std::size_t at = pages_at_ + p_size * static_cast<std::size_t>(setup_.facts.pages);
  std::map<std::uint16_t, global> used;  // by id: the same order for every scenario
  for (auto const& t : threads_) used.insert(t.globals.begin(), t.globals.end());
  for (auto const& [id, g] : used) {
    if (globals_.size() <= id) globals_.resize(id + 1u);
    globals_[id] = {static_cast<int>(at++), g};
  }
  for (auto const& t : threads_) {
    thread_layout l;
    l.base = at;
    at += t_fixed;
    if (t.uses_rcu_gp) {
      l.gp = at;
      at += 4;
    }
    l.locals = at;
    at += t.slot_names.size();
    layout_.push_back(l);
  }
  state_bytes_ = at;
  for (auto const& t : threads_) ran_.emplace_back(t.code.size(), 0);
  if (setup_.required.size() > 8)
    throw spec_error(setup_.path, 1, 1,
                     "at most 8 requirements: [expect] involves and passes names, or a witness's ran(...) atoms");
  constexpr int choose = static_cast<int>(prim::choose_page);
  for (auto const& r : setup_.required) {
    auto& per_thread = meets_.emplace_back();
    for (std::size_t t = 0; t < threads_.size(); ++t) {
      auto const& prog = threads_[t];
      auto& meets = per_thread.emplace_back(prog.code.size(), false);
      if (!(r.threads >> t & 1u)) continue;
      for (std::size_t pc = 0; pc < prog.code.size(); ++pc) {
        auto const& in = prog.code[pc];
        auto const& where = prog.sites[in.site];
        if (r.line > 0) {  // met by running the line, visible step or not (executor::run)
          meets[pc] = where.pos.file == r.file && static_cast<int>(where.pos.line) == r.line;
          continue;
        }
        meets[pc] = r.function.empty()
                     ? !(in.k == instr::kind::action && in.prim == choose)  // and the step acts on a page
                     : runs_in(where, r.function);
      }
    }
  }
  if (state_bytes_ > max_state_bytes)
    throw spec_error(setup_.path, 1, 1,
                     "the scenario needs " + std::to_string(state_bytes_) + " bytes of state; at most " +
                         std::to_string(max_state_bytes) + " fit (fewer threads, pages or locals)");
  if (threads_.size() > 32) throw spec_error(setup_.path, 1, 1, "at most 32 threads");
  if (setup_.facts.pages > max_pages) throw spec_error(setup_.path, 1, 1, "at most 16 pages");
  start_ = run_setup();
  find_checked_starts();
}

code_state code_model::blank() const {
  code_state s{};
  auto* b = s.bytes.data();
  b[w_ref] = static_cast<std::uint8_t>(setup_.initial_pgmap_ref);
  b[w_flags] = wf_published | (setup_.file_mapped ? wf_file_mapped : 0) | (setup_.p2pdma ? wf_p2pdma : 0);
  b[w_failures] = static_cast<std::uint8_t>(setup_.failures);
  for (int p = 0; p < setup_.facts.pages; ++p)
    b[pages_at_ + p_size * static_cast<std::size_t>(p) + p_refcount] = static_cast<std::uint8_t>(setup_.free_refcount);
  for (auto const& g : globals_)
    if (g.at >= 0) b[g.at] = static_cast<std::uint8_t>(g.var.init);
  return s;
}

code_state code_model::run_setup() const {
  code_state s = blank();
  int const t = setup_.setup_thread;
  if (t < 0) return s;
  auto const& prog = threads_[static_cast<std::size_t>(t)];
  // Refuses the setup at instruction pc (a check's own, where one fired).
  auto refuse = [&](std::size_t pc, std::string const& what) {
    auto const& where = prog.sites[prog.code[std::min(pc, prog.code.size() - 1)].site];
    throw spec_error(setup_.path, setup_.setup_line, 1,
                     "[setup] " + what + " in " + where.function + " (its line " + std::to_string(where.pos.line) +
                         "): the setup runs alone, before the search, and must run to its end");
  };
  auto broke = [&](code_step const& st, std::size_t pc) {
    refuse(st.fired != 0xffff ? st.fired : pc,
           "breaks " + std::string(name_of(property_set::from_bits(st.violated).first())));
  };
  code_step first;  // the code before its first visible step: its checks fire too
  executor start(*this, s, first, t);
  if (!start.run_invisible()) refuse(start.pc(), "loops with no step");
  if (first.violated) broke(first, start.pc());
  for (int steps = 0; !view(s).finished(t); ++steps) {
    code_step st;
    executor ex(*this, s, st, t);
    std::size_t const pc = ex.pc();
    if (steps == 100000) refuse(pc, "takes more than 100000 steps");
    if (!ex.enabled(prog.code[pc])) refuse(pc, "sleeps or waits for a lock");
    bool const went_on = ex.step(0);  // the first outcome: no failure, the lowest page
    if (st.violated) broke(st, pc);
    if (!went_on) refuse(pc, "loops with no step");
  }
  return s;
}

code_state code_model::initial() const {
  code_state s = start_;
  for (std::size_t t = 0; t < threads_.size(); ++t) {
    code_step st;
    executor ex(*this, s, st, static_cast<int>(t));
    ex.run_invisible();
  }
  return s;
}

void code_model::find_checked_starts() {
  code_state const s = start_;
  for (std::size_t t = 0; t < threads_.size(); ++t) {
    auto& code = threads_[t].code;
    if (code.empty() || code[0].visible) continue;
    code_state trial = s;
    code_step st;
    executor ex(*this, trial, st, static_cast<int>(t));
    ex.run_invisible();
    if (st.violated) code[0].visible = true;
  }
  for (std::size_t t = 0; t < ran_.size(); ++t)  // the setup's marks are its run's: they stay
    if (static_cast<int>(t) != setup_.setup_thread) std::fill(ran_[t].begin(), ran_[t].end(), std::uint8_t{0});
}

bool code_model::thread_successors(state const& s, int t, emit_fn emit, void* ctx) const {
  if (view(s).finished(t)) return false;
  // Scratch states: only the first state_bytes_ bytes are ever read, so they
  // are all that is copied (a state's capacity is much larger than most
  // scenarios need). Looking (enabled, outcomes) leaves the state as it
  // was: the first outcome runs on the same copy.
  auto copy = [&](code_state& to) { std::memcpy(to.bytes.data(), s.bytes.data(), state_bytes_); };
  code_state next;
  copy(next);
  code_step dummy;
  executor look(*this, next, dummy, t);
  std::uint16_t const pc = look.pc();
  instr const& in = threads_[static_cast<std::size_t>(t)].code[pc];
  if (!look.enabled(in)) return false;
  int const n = look.outcomes(in);
  for (int o = 0; o < n; ++o) {
    if (o > 0) copy(next);
    code_step st;
    st.thread = static_cast<std::uint8_t>(t);
    st.pc = pc;
    st.outcome = static_cast<std::uint8_t>(o);
    executor ex(*this, next, st, t);
    ex.step(o);
    if (!setup_.required.empty()) {
      for (std::size_t r = 0; r < setup_.required.size(); ++r)
        if (setup_.required[r].line == 0 && meets_[r][static_cast<std::size_t>(t)][st.pc] &&
            (!setup_.required[r].function.empty() || st.page >= 0))
          next.bytes[w_met] |= static_cast<std::uint8_t>(1u << r);
      if (!took_part(next)) {  // not the counterexample the spec claims: the search goes on past it,
        // but never past the model's range, which no requirement excuses
        auto const range = static_cast<std::uint16_t>(1u << static_cast<unsigned>(property::model_range));
        st.violated = st.violated & range;
        st.why = st.violated ? reason::out_of_range : reason::none;
        st.fired = 0xffff;  // the line is the step's: the check that fired first may be one masked here
      }
    }
    emit(ctx, st, next);
  }
  return true;
}

bool code_model::took_part(state const& s) const {
  return s.bytes[w_met] == (1u << setup_.required.size()) - 1;
}

std::vector<std::pair<std::size_t, std::size_t>> code_model::components() const {
  std::vector<std::pair<std::size_t, std::size_t>> parts;
  std::size_t const shared = layout_.empty() ? state_bytes_ : layout_[0].base;
  parts.emplace_back(0, shared);
  for (std::size_t t = 0; t < layout_.size(); ++t) {
    std::size_t const end = t + 1 < layout_.size() ? layout_[t + 1].base : state_bytes_;
    parts.emplace_back(layout_[t].base, end - layout_[t].base);
  }
  return parts;
}

property_set code_model::check_terminal(state const& s) const {
  property_set bad;
  if (!took_part(s)) return bad;
  for (std::size_t t = 0; t < threads_.size(); ++t)
    if (!view(s).finished(static_cast<int>(t))) bad.add(property::deadlock);
  if (!bad.empty()) return bad;
  // Every thread has returned: the counts must be back at the era's baseline.
  auto const* b = s.bytes.data();
  int const ref = static_cast<std::int8_t>(b[w_ref]);
  if (b[w_flags] & wf_pages_freed) {
    if (ref != 0) bad.add(property::ref_leak);
    return bad;
  }
  int want_ref = setup_.initial_pgmap_ref;
  for (int p = 0; p < setup_.facts.pages; ++p) {
    auto const* pg = b + pages_at_ + p_size * static_cast<std::size_t>(p);
    bool const mapped = pg[p_flags] & pf_mapped;
    int want = pg[p_state] == ps_free ? setup_.free_refcount : mapped ? setup_.mapped_refcount : setup_.free_refcount;
    if (pg[p_flags] & pf_associated) want += setup_.cached_refcount;
    if (mapped) want_ref += setup_.mapped_pgmap_ref;
    if (pg[p_state] != ps_free) want_ref += setup_.allocated_pgmap_ref;
    if (pg[p_pins] != 0 || static_cast<std::int8_t>(pg[p_refcount]) != want) bad.add(property::ref_leak);
  }
  if (ref != want_ref) bad.add(property::ref_leak);
  return bad;
}

}  // namespace pgmapcheck::lang
