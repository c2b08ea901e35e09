// A finished check and its counterexample as plain data, and its text form.
#pragma once

#include "search/explorer.hpp"
#include "lang/spec.hpp"

#include <optional>
#include <string>
#include <vector>

namespace pgmapcheck {

// One step of a counterexample, with the counters after it.
struct trace_row {
  int actor = 0;
  int op = 0;     // the thread's visible instruction (its pc), for replay
  int page = -1;  // the page the step acted on, or -1
  int outcome = 0;  // model code: the branch a nondeterministic primitive took (1: it failed)
  std::string text;                // "put_page(page0) 1->0"
  std::vector<std::string> notes;  // "in put_page < memunmap_pages", a failure taken, a page chosen
  std::string function;            // "models/kernel/mm/memremap.kc:64 memunmap_pages"
  std::string file;                // "models/kernel/mm/memremap.kc"
  int line = 0;                    // 64
  std::vector<std::string> calls;  // the functions it runs in, the thread's root first, its own last
  std::string blocks;              // after the step the thread cannot go on: "asleep in schedule on ..."
  bool idle = false;               // its thread found no page to act on and changed nothing: hidden by default
  std::vector<int> page_refs;      // each page's refcount after the step
  int pgmap_ref = 0;
  bool violating = false;
  std::uint16_t violated = 0;  // property bits the step violated (checked or not)
};

struct check_result {
  spec scenario;
  verdict result = verdict::holds;
  std::optional<property> violated;
  std::string message;  // what the violation is, in kernel terms
  std::string where;    // the kernel function (and era) where it shows
  bool terminal = false;  // the violation is a final state (deadlock, ref-leak), not a step
  bool shortest = false;  // no shorter interleaving violates a checked property (BFS, not cut short)
  bool fewest_switches = false;  // and none as short switches threads fewer times (--fewest-switches)
  // A livelock: no run ends after the first stuck_at steps; the steps from
  // loop_from on go round for ever (-1: not a livelock).
  int stuck_at = -1;
  int loop_from = -1;
  std::vector<int> initial_page_refs;
  int initial_pgmap_ref = 0;
  std::vector<trace_row> trace;
  std::uint64_t states = 0;
  std::uint64_t transitions = 0;
  std::uint32_t depth = 0;
  std::uint64_t memory_bytes = 0;
  std::uint64_t peak_memory_bytes = 0;
  double seconds = 0;
  std::string incomplete_reason;
  // The trace's context switches: steps whose thread is not the previous step's.
  int switches() const {
    int n = 0;
    for (std::size_t i = 1; i < trace.size(); ++i) n += trace[i].actor != trace[i - 1].actor;
    return n;
  }
  bool not_applicable = false;  // the type did not exist in this era (a table cell only)
  // A witness search (check --witness, [witness]): the condition, and
  // whether a run reaches it (the trace is a shortest such run; the result
  // is holds then, as nothing was violated, or incomplete).
  std::string witness;
  bool witness_reached = false;
  // Model code only: the model lines the threads could run ("file:line"),
  // those that never ran, and the failure branches and wake-ups that never
  // did. A search cut short (a violation, a limit) covers less.
  std::vector<std::string> code_lines;
  std::vector<std::string> never_ran;
  std::vector<std::string> failures_never_taken;
  std::vector<std::string> wakeups_never_ran;
};

// A check_result for spec s with a search's verdict and figures (no trace yet).
template <class State, class Step>
check_result result_of(spec const& s, basic_search_result<State, Step> const& r) {
  check_result out;
  out.scenario = s;
  out.result = r.result;
  out.states = r.states;
  out.transitions = r.transitions;
  out.depth = r.depth;
  out.memory_bytes = r.memory_bytes;
  out.peak_memory_bytes = r.peak_memory_bytes;
  out.seconds = r.seconds;
  out.incomplete_reason = r.incomplete_reason;
  return out;
}

// Explores the spec's scenario on the kernel library (BFS by default) and
// explains the outcome: trace rows name each step's model file:line
// (check/check.cpp).
check_result run_check(spec const& s, limits const& lim);

// Searches the spec's scenario breadth-first for a shortest run to a state
// where `condition` holds (lang/witness.hpp), checking no property on the
// way; throws spec_error when the condition is malformed or names what the
// scenario lacks.
check_result run_witness(spec const& s, std::string const& condition, limits const& lim);

// A scenario's whole state graph, for small runs: a vertex per state, an
// edge per step, the steps that violate a checked property into a vertex of
// their own, the counterexample's path marked.
struct state_graph {
  struct vertex {
    std::string label;    // its number and counters: "s12\np0 1 p1 0 ref 3"
    std::string tooltip;  // where each thread stands
    bool initial = false, on_trace = false, violation = false;
  };
  struct edge {
    std::size_t from = 0, to = 0;
    std::string label;  // "memunmap#0: percpu_ref_kill"
    bool on_trace = false;
  };
  std::vector<vertex> vertices;
  std::vector<edge> edges;
};

// The spec's state graph with r's counterexample marked; throws
// std::length_error naming the limit when the scenario has more than
// max_states states.
state_graph build_state_graph(spec const& s, check_result const& r, std::size_t max_states);

// A step as a diagram shows it: its statement without ';' or '{', an if's
// or while's condition alone, "return x" as x, the page it acted on named
// (page0), then what it chose or failed, and whether its thread sleeps.
std::string step_text(trace_row const& row);

}  // namespace pgmapcheck
