// Partial-order reduction: the footprints it relies on, checked on every
// reachable state of the catalog, and a seeded footprint error caught.
#include "search/explorer.hpp"
#include "lang/reduced.hpp"
#include "lang/runtime.hpp"
#include "lang/scenario.hpp"
#include "lang/spec.hpp"
#include "check/result.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <deque>
#include <filesystem>
#include <string>
#include <unordered_set>
#include <vector>

using namespace pgmapcheck;
using lang::code_model;
using lang::code_state;
using lang::code_step;

namespace {

std::filesystem::path const specs_dir = std::filesystem::path(PGMAPCHECK_SOURCE_DIR) / "specs";

struct move {
  code_step step;
  code_state after;
};

// Thread t's steps from s, with no reduction.
std::vector<move> steps_of(code_model const& m, code_state const& s, int t) {
  std::vector<move> out;
  m.for_each_successor(s, [&](code_step const& st, code_state const& next) {
    if (st.thread == t) out.push_back({st, next});
  });
  return out;
}

bool same(code_model const& m, code_state const& a, code_state const& b) {
  return std::memcmp(a.bytes.data(), b.bytes.data(), m.state_bytes()) == 0;
}

bool subset(lang::reduced_model::footprint a, lang::reduced_model::footprint b) {
  return (a.reads & ~b.reads) == 0 && (a.writes & ~b.writes) == 0;
}

struct audit {
  std::uint64_t states = 0, pairs = 0, broken = 0, futures = 0, unfounded = 0, stayed = 0;
  std::string first;  // the first broken pair, for the failure message
};

// Walks every state of m (no reduction; at most `cap`) and checks, for each
// two threads that can step and whose steps' footprints do not conflict,
// that each pair of their outcomes commutes: each stays possible after the
// other, with the same verdict and page, and both orders end in the same
// state. And that a step's footprint and the future footprint after it lie
// within the future footprint before it; and that a step the reduction may
// take alone (ample_ok) never leaves its thread at the same pc, which the
// cycle proviso relies on. stop_at_break: stop at the first pair that does
// not commute.
audit walk(lang::reduced_model const& rm, std::size_t cap, bool stop_at_break = false) {
  code_model const& m = rm.model();
  audit a;
  std::size_t const n = m.threads().size();
  std::unordered_set<std::string> seen;
  std::deque<code_state> todo{m.initial()};
  auto key = [&](code_state const& s) { return std::string(reinterpret_cast<char const*>(s.bytes.data()), m.state_bytes()); };
  seen.insert(key(todo.front()));
  while (!todo.empty() && seen.size() < cap && !(stop_at_break && a.broken)) {
    code_state const s = todo.front();
    todo.pop_front();
    ++a.states;
    std::vector<std::vector<move>> by(n);
    for (std::size_t t = 0; t < n; ++t) by[t] = steps_of(m, s, static_cast<int>(t));
    for (std::size_t t = 0; t < n; ++t) {
      for (auto const& mv : by[t]) {
        if (!mv.step.violated && seen.insert(key(mv.after)).second) todo.push_back(mv.after);
        auto const before = rm.future_footprint(static_cast<int>(t), mv.step.pc);
        ++a.futures;
        std::size_t const pc_after = m.view(mv.after).resting_pc(static_cast<int>(t));
        if (!subset(rm.step_footprint(static_cast<int>(t), mv.step.pc), before) ||
            !subset(rm.future_footprint(static_cast<int>(t), pc_after), before))
          ++a.unfounded;
        if (rm.ample_ok(static_cast<int>(t), mv.step.pc) && !m.view(mv.after).finished(static_cast<int>(t)) &&
            pc_after == mv.step.pc)
          ++a.stayed;
      }
    }
    for (std::size_t t = 0; t < n; ++t)
      for (std::size_t u = t + 1; u < n; ++u) {
        if (by[t].empty() || by[u].empty()) continue;
        auto const ft = rm.step_footprint(static_cast<int>(t), by[t].front().step.pc);
        auto const fu = rm.step_footprint(static_cast<int>(u), by[u].front().step.pc);
        if (ft.conflicts(fu)) continue;
        for (auto const& x : by[t])
          for (auto const& y : by[u]) {
            ++a.pairs;
            auto const xy = steps_of(m, x.after, static_cast<int>(u));
            auto const yx = steps_of(m, y.after, static_cast<int>(t));
            bool ok = xy.size() == by[u].size() && yx.size() == by[t].size();
            if (ok) {
              auto const& b = xy[y.step.outcome];
              auto const& c = yx[x.step.outcome];
              ok = b.step.violated == y.step.violated && b.step.page == y.step.page &&
                   c.step.violated == x.step.violated && c.step.page == x.step.page && same(m, b.after, c.after);
            }
            if (!ok && a.broken++ == 0)
              a.first = m.threads()[t].name + " at " + std::to_string(x.step.pc) + " and " + m.threads()[u].name +
                        " at " + std::to_string(y.step.pc);
          }
      }
  }
  return a;
}

}  // namespace

TEST_CASE("partial order: steps whose footprints do not conflict commute, on every catalog state", "[reduction][catalog]") {
  std::uint64_t pairs = 0, states = 0;
  for (auto const& file : catalog_files(specs_dir)) {
    spec const s = load_spec(file);
    INFO(s.path);
    auto const m = lang::build_code_model(s);
    auto const a = walk(lang::reduced_model(m, lang::reduction_options::all(true)), 40000);
    INFO(a.first);
    CHECK(a.broken == 0);
    CHECK(a.unfounded == 0);
    CHECK(a.stayed == 0);
    pairs += a.pairs;
    states += a.states;
  }
  INFO(states << " states");
  CHECK(pairs > 1000);  // the check is not vacuous: many pairs commute by their footprints
}

TEST_CASE("partial order: fewer states, the same verdicts, shortest lengths and coverage", "[reduction][catalog]") {
  int fewer = 0;
  for (auto const& file : catalog_files(specs_dir)) {
    spec const s = load_spec(file);
    INFO(s.path);
    if (!s.witness) {
      auto const m = lang::build_code_model(s);
      auto no_po = lang::reduction_options::all(true);
      no_po.partial_order = false;
      auto const with = explore(lang::reduced_model(m, lang::reduction_options::all(true)), s.checked, {});
      auto const without = explore(lang::reduced_model(m, no_po), s.checked, {});
      CHECK(with.result == without.result);
      if (with.result == verdict::holds) {
        CHECK(with.states <= without.states);
        fewer += with.states < without.states;
      }
      // What run_check shows: a counterexample as short as without it;
      // and, where the scenario holds, the same model lines covered (a run
      // to a line that leaves the chosen thread alone stays a run).
      limits off, no_po_limits;
      off.no_reduction = true;
      no_po_limits.no_partial_order = true;
      auto const shown = run_check(s, {});
      auto const plain = run_check(s, off);
      CHECK(shown.result == plain.result);
      CHECK(shown.trace.size() == plain.trace.size());
      if (shown.result == verdict::holds) {
        auto const all = run_check(s, no_po_limits);
        CHECK(shown.never_ran == all.never_ran);
        CHECK(shown.failures_never_taken == all.failures_never_taken);
        CHECK(shown.wakeups_never_ran == all.wakeups_never_ran);
      }
    }
  }
  CHECK(fewer >= 10);
}

TEST_CASE("partial order: a seeded footprint error is caught", "[reduction][catalog]") {
  // synchronize_rcu taken to touch nothing: an RCU reader's steps look
  // independent of the grace period that waits for it. The commutation
  // audit must see a pair that does not commute, and the reduced search
  // must then miss V11's window (rcu_read_lock vs pci_p2pdma_release).
  std::uint64_t broken = 0;
  std::vector<std::string> changed;
  for (auto const& file : catalog_files(specs_dir)) {
    spec const s = load_spec(file);
    auto const m = lang::build_code_model(s);
    lang::reduced_model seeded_model(m, lang::reduction_options::all(true));
    seeded_model.forget_footprint("synchronize_rcu");
    if (broken == 0) broken += walk(seeded_model, 40000, true).broken;  // one broken pair is enough
    if (s.witness) continue;
    auto const seeded = explore(seeded_model, s.checked, {});
    if (seeded.result != explore(lang::reduced_model(m, lang::reduction_options::all(true)), s.checked, {}).result)
      changed.push_back(std::filesystem::path(s.path).filename().string());
  }
  CHECK(broken > 0);
  CHECK(std::find(changed.begin(), changed.end(), "v11-teardown-window-v5.10.toml") != changed.end());
}

TEST_CASE("partial order: a sleeping primitive missing from the cycle proviso is caught", "[reduction][catalog]") {
  // wait_for_completion taken never to sleep at its pc: memunmap_pages's
  // wait looks like a step that cannot repeat. The audit must see a step
  // marked ample that leaves its thread where it was.
  auto const s = load_spec(specs_dir / "p2pdma" / "alloc-vs-memunmap-refs-v5.10.toml");
  auto const m = lang::build_code_model(s);
  lang::reduced_model rm(m, lang::reduction_options::all(true));
  REQUIRE(walk(rm, 40000).stayed == 0);
  rm.forget_footprint("wait_for_completion");
  CHECK(walk(rm, 40000).stayed > 0);
}
