// Compiled model code as a Model the explorer searches (code_model): the
// packed state (the shared kernel objects, then one record per thread), what
// a step is (one visible instruction and the invisible code after it, run by
// the executor, lang/executor.hpp), and a read-only view of a state
// (state_view). The reductions wrap it: lang/reduced.hpp.
#pragma once

#include "lang/compile.hpp"
#include "lang/program.hpp"
#include "search/model.hpp"

#include <array>
#include <memory>
#include <type_traits>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pgmapcheck::lang {

// The most bytes a state may take; a scenario whose layout needs more is refused.
inline constexpr std::size_t max_state_bytes = 1024;

// A state: the first state_bytes() bytes are the state; nothing reads the
// rest (value-initialise, code_state s{}, for zeroes).
struct code_state {
  std::array<std::uint8_t, max_state_bytes> bytes;
};

// Why a step violated a property, for the trace's last line.
enum class reason : std::uint8_t {
  none,
  underflow,
  get_from_zero,
  struct_pages_freed,
  ref_data_null,
  pgmap_freed,
  queue_freed,
  pool_gone,
  warn_fired,
  bug_fired,
  unlock_unheld,
  page_not_locked,
  loop_without_step,
  null_deref,
  double_free,
  still_used,
  ref_not_zero,
  page_freed_by_other,
  no_lifecycle_row,
  out_of_range,
  divide_error,
};

// One transition: which thread ran which instruction with which outcome.
struct code_step {
  std::uint16_t pc = 0;  // the visible instruction the step began at
  std::uint8_t thread = 0;
  std::uint8_t outcome = 0;  // the branch of a nondeterministic primitive taken
  std::uint16_t violated = 0;
  reason why = reason::none;
  std::int8_t page = -1;  // the page the step acted on, if one
  std::uint8_t life = 0;  // no_lifecycle_row: the event's id << 2 | the page's lifecycle state
  std::uint16_t fired = 0xffff;  // the instruction whose check fired first: the violation's line
};

// What a scenario run on model code starts from.
struct code_setup {
  std::string path = "<scenario>";  // the spec it comes from: where a scenario too large is reported
  scenario_facts facts;
  int free_refcount = 1;     // a free page's refcount in this era
  int initial_pgmap_ref = 1; // percpu_ref_init's ref plus memremap's
  int failures = 1;          // the failure budget: how many should_fail() may say yes
  bool file_mapped = true;   // a process maps the file or device
  bool p2pdma = false;       // pdev->p2pdma published, with its pool
  // The ref-leak baseline of pages still out of their allocator at the end.
  int mapped_refcount = 1;      // a mapped page's refcount
  int mapped_pgmap_ref = 0;     // pgmap->ref each mapped page holds
  int allocated_pgmap_ref = 0;  // pgmap->ref each allocated page holds
  int cached_refcount = 0;      // references a page in a file's page cache holds (FS_DAX)
  // What a counterexample must contain; a violation before each holds does
  // not count. One of the threads in `threads` has acted on a page ([expect]
  // involves = [...]), or, when `function` is set, has taken a step inside
  // that model function ([expect] passes = [...]).
  struct requirement {
    std::uint32_t threads = 0;
    std::string function;
    int file = -1;  // with line: a step at this model line meets it (file: an index into the model's files)
    int line = 0;
  };
  std::vector<requirement> required;  // at most 8
  // The spec's [setup]: the thread whose code builds the state the search
  // starts from (docs/user-guide.md, Setup), run alone and to its end before
  // it, each choice taking its first outcome; -1 for none. setup_line is the
  // spec's line of its code, where a setup that cannot run is reported.
  int setup_thread = -1;
  int setup_line = 0;
};

// The state's bytes (docs/language.md, the state): world, pages, threads.

class state_view;

class code_model {
 public:
  using state = code_state;
  using step = code_step;

  // Lays out the state for these threads; throws spec_error when it does not fit.
  code_model(std::vector<program> threads, code_setup const& setup);

  state initial() const;

  template <class F>
  void for_each_successor(state const& s, F&& f) const {
    for (std::size_t t = 0; t < threads_.size(); ++t)
      for_each_step_of(s, static_cast<int>(t), [&](step const& st, state const& next) { f(st, next); });
  }

  property_set check(step const& st) const { return property_set::from_bits(st.violated); }
  // Deadlock: a thread has not finished and none can step.
  property_set check_terminal(state const& s) const;
  // Livelock: asked of a state from which no run ends (the explorer's
  // find_stuck); like any violation, it counts once the spec's
  // requirements are met.
  property_set check_stuck(state const& s) const {
    property_set p;
    if (took_part(s)) p.add(property::livelock);
    return p;
  }

  std::size_t state_bytes() const { return state_bytes_; }
  // The state's parts for a collapsed visited set: the world and the pages,
  // then each thread's record, as (offset, length).
  std::vector<std::pair<std::size_t, std::size_t>> components() const;
  int pagemap_type() const { return setup_.facts.pagemap_type; }  // MEMORY_DEVICE_*, 1..5
  // The model files the threads' code came from, by source_pos.file: what traces name.
  std::vector<std::string> const& files() const { return files_; }
  void set_files(std::vector<std::string> files) { files_ = std::move(files); }
  std::vector<program> const& threads() const { return threads_; }

  // Thread t's steps from s, each with the state it leads to, unreduced
  // (lang/reduced.hpp wraps this model with the reductions); f gets the
  // state as a scratch copy it may change. Returns false iff t cannot step
  // at s (it has finished, or is blocked).
  template <class F>
  bool for_each_step_of(state const& s, int t, F&& f) const {
    using G = std::remove_reference_t<F>;
    return thread_successors(
        s, t, [](void* ctx, step const& st, state& next) { (*static_cast<G*>(ctx))(st, next); },
        const_cast<void*>(static_cast<void const*>(std::addressof(f))));
  }

  // Reading a state, for traces, witnesses and tests: view(s).page_refcount(0).
  state_view view(state const& s) const;
  int pages() const { return setup_.facts.pages; }

  // Coverage: whether thread t's instruction pc ran in a search so far, and
  // whether its failure branch (outcome 1 of should_fail, vm_insert_page) did.
  bool ran(int thread, std::size_t pc) const { return ran_[static_cast<std::size_t>(thread)][pc] & 1; }
  bool failed(int thread, std::size_t pc) const { return ran_[static_cast<std::size_t>(thread)][pc] & 2; }
  // Whether a search so far moved a page's lifecycle monitor from `from` to
  // `to` on event `event` (models/lifecycle.hpp ids): a row of the table the
  // model code exercised.
  bool life_seen(int event, int from, int to) const { return life_seen_[static_cast<std::size_t>(event * 16 + from * 4 + to)]; }

 private:
  using emit_fn = void (*)(void*, step const&, state&);
  // The state before any thread has run: the world and the pages at rest.
  state blank() const;
  // blank() after the setup thread, if any, ran to its end; throws
  // spec_error when it cannot: it sleeps or blocks, breaks a property, or
  // does not end.
  state run_setup() const;
  // Invisible code before a thread's first visible step runs as the search
  // starts (initial()), in no step. Where it fires a check, the thread's
  // first instruction is made visible instead, so that the check fires in
  // a step of its own, which the trace shows.
  void find_checked_starts();
  bool thread_successors(state const& s, int t, emit_fn emit, void* ctx) const;

  struct thread_layout {
    std::size_t base = 0;  // pc (2), wait_on, flags, rcu nesting, [gp mask 4], locals
    std::size_t gp = 0;    // offset of the grace-period mask, 0 if none
    std::size_t locals = 0;
  };
  // Returns true iff every thread group the setup requires has taken part in s.
  bool took_part(state const& s) const;

  friend class executor;
  friend class reduced_model;
  friend class state_view;
  friend class promela_writer;  // src/export/promela.cpp reads the layout

  std::vector<program> threads_;
  std::vector<std::string> files_;
  mutable std::vector<std::vector<std::uint8_t>> ran_;
  mutable std::array<bool, 8 * 16> life_seen_{};  // event * 16 + from * 4 + to
  // Per requirement, per thread, per pc: the step that rests there meets it.
  std::vector<std::vector<std::vector<bool>>> meets_;  // per thread, per pc: bit 0 ran, bit 1 failed
  code_setup setup_;
  state start_{};  // run_setup(): what initial() starts from
  std::vector<thread_layout> layout_;
  std::size_t pages_at_ = 0;
  std::size_t state_bytes_ = 0;
  // The file-scope variables, by their id in the source set: each one the
  // threads use has its byte in the state (at), one no thread uses has none.
  struct placed_global {
    int at = -1;
    global var;
  };
  std::vector<placed_global> globals_;
};

static_assert(model<code_model> && stuck_model<code_model>);

// One state of a code_model, read only: the counters, the pages, where each
// thread stands and what it waits for. It holds references: it lives no
// longer than the model and the state.
class state_view {
 public:
  state_view(code_model const& m, code_state const& s) : m_(m), s_(s) {}

  int page_refcount(int page) const;
  int pgmap_ref() const;
  int page_mapcount(int page) const;
  int page_pins(int page) const;  // references threads hold
  bool page_mapped(int page) const;
  bool page_free(int page) const;  // in its allocator
  int local_value(int thread, int slot) const;
  bool finished(int thread) const;
  // The instruction thread rests at (its pc).
  std::size_t resting_pc(int thread) const;
  // Returns true iff every thread group the setup requires has taken part.
  bool took_part() const { return m_.took_part(s_); }
  // Returns true iff requirement r of the setup has been met on the way here.
  bool met(std::size_t r) const;
  // Returns true iff thread's current instruction runs inside function name.
  bool in_function(int thread, std::string const& name) const;
  // What a thread that cannot step waits for, or "" if it can step or has finished.
  std::string blocked_on(int thread) const;

 private:
  std::uint8_t const* page(int page) const;
  code_model const& m_;
  code_state const& s_;
};

inline state_view code_model::view(state const& s) const { return {*this, s}; }

}  // namespace pgmapcheck::lang
