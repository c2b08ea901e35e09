// The explicit-state explorer: breadth-first search over a Model, with a
// visited set stored level by level in order, limits, and shortest-counterexample rebuilding.
#pragma once

#include "search/model.hpp"
#include "search/visited.hpp"
#include "search/workers.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace pgmapcheck {

enum class verdict : std::uint8_t { holds, violation, incomplete };

inline constexpr std::string_view name_of(verdict v) {
  return v == verdict::holds ? "holds" : v == verdict::violation ? "violation" : "incomplete";
}

enum class search_order : std::uint8_t { bfs, dfs };

struct limits {
  search_order order = search_order::bfs;  // dfs: same verdict, not the shortest trace
  std::uint64_t max_states = 0;        // 0: no limit
  std::uint64_t max_memory_bytes = 0;  // 0: no limit
  std::atomic<bool> const* cancel = nullptr;
  bool progress = false;  // a progress line on stderr once a search passes a second
  bool fewest_switches = false;  // among the shortest counterexamples, one with the fewest context switches
  bool no_reduction = false;     // store every state as it is (no thread symmetry, dead values or partial order)
  bool no_partial_order = false; // the other reductions, but every thread expanded at every state
  unsigned threads = 1;          // BFS workers; the result is the same for any number
};

// A step of a trace and the state it leads to. Keyed by the state and step
// types, not the model: a model wrapped by a reduction has its model's.
template <class State, class Step>
struct basic_trace_entry {
  Step step;
  State after;
};
template <class M>
using trace_entry = basic_trace_entry<typename M::state, typename M::step>;

template <class State, class Step>
struct basic_search_result {
  verdict result = verdict::holds;
  property violated = property::refcount_underflow;
  bool violation_at_step = false;  // else the last state is a terminal violation (deadlock, ref-leak)
  bool shortest = false;           // the trace is shown shortest: BFS, and no limit cut its level short
  State initial{};
  std::vector<basic_trace_entry<State, Step>> trace;
  std::uint64_t states = 0;
  std::uint64_t transitions = 0;
  std::uint32_t depth = 0;  // BFS levels fully or partly explored
  std::uint64_t memory_bytes = 0;       // the search's visited set and parent keys at the end
  std::uint64_t peak_memory_bytes = 0;  // the most they held at once (rehash included)
  double seconds = 0;
  std::string incomplete_reason;
  // A livelock: the trace runs to the first state from which no run ends
  // (stuck_at steps in), then on, round a loop: the steps from loop_from on
  // lead back to the state they start from, for ever.
  std::uint32_t stuck_at = 0;
  std::uint32_t loop_from = 0;
};
template <class M>
using search_result = basic_search_result<typename M::state, typename M::step>;

namespace detail {

// How many bytes of a model's state are the state: state_bytes() where the
// model sizes its states at load, else the whole type.
template <class M>
std::size_t state_size(M const& m) {
  if constexpr (requires { m.state_bytes(); })
    return m.state_bytes();
  else
    return sizeof(typename M::state);
}

// The visited set a model's search uses: collapsed where the model names
// its state's parts (at most visited_set::max_parts), else whole states.
template <class M>
visited_set<typename M::state> make_visited(M const& m, std::uint64_t max_bytes) {
  std::vector<std::pair<std::size_t, std::size_t>> parts;
  if constexpr (requires { m.components(); }) parts = m.components();
  if (parts.size() > visited_set<typename M::state>::max_parts) parts.clear();
  return visited_set<typename M::state>(max_bytes, state_size(m), std::move(parts));
}

template <class State>
unsigned char const* bytes_of(State const& s) {
  return reinterpret_cast<unsigned char const*>(&s);
}

// Lowers an atomic (std::atomic or std::atomic_ref) to v if v is smaller.
template <class Atomic>
void lower_to(Atomic&& a, std::uint64_t v) {
  std::uint64_t cur = a.load(std::memory_order_relaxed);
  while (v < cur && !a.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

// Rebuilds the labelled path of `edges` (each a stored state and the
// ordinal of the successor taken from it; the last first).
template <model M, class Store>
void rebuild(M const& m, Store const& store, std::vector<std::pair<std::uint32_t, std::uint32_t>> const& edges,
             search_result<M>& r) {
  for (auto it = edges.rbegin(); it != edges.rend(); ++it) {
    std::uint32_t k = 0;
    m.for_each_successor(store[it->first], [&](typename M::step const& st, typename M::state const& next) {
      if (++k == it->second) r.trace.push_back({st, next});
    });
  }
}

// The steps of a breadth-first search to state `at` (and one more, if
// ordinal > 0), last first, where level d holds the states from
// level_first[d] to level_first[d + 1], each level in the order of its
// states' first steps: a state's parent is the first state of the level
// before with a step to it, and its step the first such that checks clean.
// These are the parent keys a one-thread queue would have kept. Finding them
// again costs an expansion of the states of the levels the path crosses up
// to each parent, but for those whose stored parts differ from the state's
// in more than `apart` (the most any step of the search changed): none of
// them can have a step to it.
template <model M, class Store>
std::vector<std::pair<std::uint32_t, std::uint32_t>> bfs_path(M const& m, Store const& store,
                                                             std::vector<std::uint32_t> const& level_first,
                                                             property_set checked, unsigned apart, std::uint32_t at,
                                                             std::uint32_t ordinal) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> edges;
  if (ordinal) edges.emplace_back(at, ordinal);
  auto d = static_cast<std::size_t>(std::upper_bound(level_first.begin(), level_first.end(), at) - level_first.begin()) - 1;
  for (; d > 0; --d) {
    std::uint32_t via = 0;
    auto const row = store.row(at);
    for (std::uint32_t i = level_first[d - 1]; i < level_first[d] && !via; ++i) {
      if (store.parts_apart(i, row) > apart) continue;
      std::uint32_t k = 0;
      m.for_each_successor(store[i], [&](typename M::step const& st, typename M::state const& next) {
        ++k;
        if (!via && (m.check(st) & checked).empty() && store.holds(at, bytes_of(next))) via = k;
      });
      if (via) {
        edges.emplace_back(i, via);
        at = i;
      }
    }
    if (!via) throw std::logic_error("pgmapcheck: a stored state has no step to it from the level before");
  }
  return edges;
}

// A growing array in counted chunks of 2^20 values, mapped on their own
// (counted_array): what a search records beside its tables while it runs.
// Past the memory limit it stops growing and says so (refused()).
template <class T>
class counted_log {
 public:
  explicit counted_log(memory_account& memory) : memory_(&memory) {}
  void push_back(T v) {
    if (refused_) return;
    if (size_ == chunks_.size() * chunk) {
      counted_array<T> c(*memory_, chunk);
      if (!c) {
        refused_ = true;
        return;
      }
      chunks_.push_back(std::move(c));
    }
    chunks_[size_ / chunk][size_ % chunk] = v;
    ++size_;
  }
  T operator[](std::size_t i) const { return chunks_[i / chunk].all()[i % chunk]; }
  std::size_t size() const { return size_; }
  bool refused() const { return refused_; }

 private:
  static constexpr std::size_t chunk = std::size_t{1} << 20;
  memory_account* memory_;
  std::vector<counted_array<T>> chunks_;
  std::size_t size_ = 0;
  bool refused_ = false;
};

// The stored graph, as a breadth-first search records it when livelock is
// checked: state i's successors are edges[first[i]] to edges[first[i + 1]],
// in the order the model gives them.
struct stored_graph {
  explicit stored_graph(memory_account& memory) : first(memory), edges(memory) {}
  counted_log<std::uint32_t> first, edges;
};

// Appends a breadth-first level's steps to the graph: its runs in order
// (its states in order), each state's successors with this level's new
// states at the indices the level's end gave them (order[p] is the one now
// at first + p). Returns false iff the memory limit refused them.
template <class Run, class Order>
bool record_level(stored_graph& graph, std::vector<Run>& runs, Order const& order, std::uint64_t first,
                  memory_account& memory) {
  std::size_t const fresh = order.size();
  counted_array<std::uint32_t> now_at(memory, fresh);
  if (fresh && !now_at) return false;
  for (std::size_t p = 0; p < fresh; ++p) now_at[order.all()[p] - first] = static_cast<std::uint32_t>(first + p);
  for (auto& u : runs) {
    std::size_t e = 0;
    for (std::uint32_t d : u.degree) {
      if (graph.edges.size() >= std::numeric_limits<std::uint32_t>::max() - d) return false;  // offsets are 32 bits
      graph.first.push_back(static_cast<std::uint32_t>(graph.edges.size()));
      for (; d > 0; --d, ++e) {
        std::uint32_t const t = u.targets[e];
        graph.edges.push_back(t >= first ? now_at[t - first] : t);
      }
    }
  }
  return !graph.first.refused() && !graph.edges.refused();
}

// Appends v to a run's record, its growth counted in `memory` (given back
// with the level's runs); false, and nothing appended, when the limit refuses it.
inline bool push_counted(std::vector<std::uint32_t>& to, std::uint32_t v, memory_account& memory) {
  if (to.size() == to.capacity()) {
    std::size_t const more = std::max<std::size_t>(16, to.capacity());
    if (!memory.take(more * sizeof v)) return false;
    to.reserve(to.capacity() + more);
  }
  to.push_back(v);
  return true;
}

// The edges of a search that recorded none (a depth-first search): the
// index of every successor of every stored state (indices 0..n-1), state
// i's at edges[first[i]] to edges[first[i + 1]], k in all, found by
// expanding each state again. Returns false iff there are more steps than
// `edges` holds.
template <model M, class Store>
bool successor_indices(M const& m, Store& store, counted_array<std::uint32_t>& first, counted_array<std::uint32_t>& edges,
                       std::uint32_t& k) {
  auto const n = static_cast<std::uint32_t>(store.size());
  bool fits = true;
  for (std::uint32_t i = 0; i < n && fits; ++i) {
    first[i] = k;
    m.for_each_successor(store[i], [&](typename M::step const&, typename M::state const& next) {
      auto const in = store.insert(bytes_of(next), 0, i);
      if (in.status != insert_status::old) throw std::logic_error("pgmapcheck: a successor the search did not store");
      if (k == edges.size()) fits = false;
      if (fits) edges[k++] = static_cast<std::uint32_t>(in.index);
    });
  }
  first[n] = k;
  return fits;
}

// What find_stuck found: whether it could decide (the memory limit may
// refuse its arrays), and the first stuck state with a loop it is caught in.
struct stuck_search {
  bool decided = true;
  std::optional<std::uint32_t> at;  // the first state (by index) from which no run ends
  std::vector<std::pair<std::uint32_t, std::uint32_t>> stem, loop;  // (state, ordinal) edges, in order
};

// Livelock, once a search has stored every state (indices 0..n-1, with
// `transitions` steps among them) and found no other violation: the first
// state by index (in a breadth-first store, a nearest one) from which no
// run reaches a state without successors, of those the model says violate
// a checked property there (check_stuck), on the stored graph (state i's
// successors at edges[first[i]] to edges[first[i + 1]], 4 bytes a step,
// counted in the memory limit): one backward pass over the reversed steps
// marks every state from which some run ends. No fairness is assumed beyond "some thread runs": a
// state is stuck only if no schedule at all lets the runs end.
//
// The loop shown: from the stuck state, the shortest path to a state on a
// cycle (found by following first steps until one repeats) and the
// shortest cycle through that state.
template <stuck_model M, class Store, class First, class Edges>
stuck_search find_stuck(M const& m, Store& store, First const& first, Edges const& edges, property_set checked);

// find_stuck on a graph found by one more pass over the stored states
// (successor_indices): a depth-first search records none.
template <stuck_model M, class Store>
stuck_search find_stuck(M const& m, Store& store, std::uint64_t transitions, property_set checked) {
  stuck_search out;
  auto const n = static_cast<std::uint32_t>(store.size());
  if (transitions >= std::uint64_t{1} << 32) {  // edge offsets are 32 bits
    out.decided = false;
    return out;
  }
  auto& memory = store.memory();
  counted_array<std::uint32_t> first(memory, std::size_t{n} + 1), edges(memory, std::max<std::uint64_t>(transitions, 1));
  std::uint32_t k = 0;
  if (!first || !edges || !successor_indices(m, store, first, edges, k)) {
    out.decided = false;
    return out;
  }
  return find_stuck(m, store, first.all(), edges.all(), checked);
}

template <stuck_model M, class Store, class First, class Edges>
stuck_search find_stuck(M const& m, Store& store, First const& first, Edges const& edges, property_set checked) {
  stuck_search out;
  auto const n = static_cast<std::uint32_t>(store.size());
  auto const k = static_cast<std::uint32_t>(first[n]);
  auto& memory = store.memory();
  counted_array<std::uint8_t> ends(memory, n);  // 1: some run from the state ends
  counted_array<std::uint32_t> queue(memory, n);
  if (!ends || !queue) {
    out.decided = false;
    return out;
  }
  {
    counted_array<std::uint32_t> rfirst(memory, std::size_t{n} + 1), redges(memory, std::max<std::uint32_t>(k, 1));
    if (!rfirst || !redges) {
      out.decided = false;
      return out;
    }
    for (std::uint32_t e = 0; e < k; ++e) ++rfirst[edges[e] + 1];
    for (std::uint32_t i = 0; i < n; ++i) rfirst[i + 1] += rfirst[i];
    for (std::uint32_t i = 0; i < n; ++i)
      for (std::uint32_t e = first[i]; e < first[i + 1]; ++e) redges[rfirst[edges[e]]++] = i;
    for (std::uint32_t i = n; i > 0; --i) rfirst[i] = rfirst[i - 1];
    rfirst[0] = 0;
    std::uint32_t head = 0, tail = 0;
    for (std::uint32_t i = 0; i < n; ++i)
      if (first[i] == first[i + 1]) {
        ends[i] = 1;
        queue[tail++] = i;
      }
    while (head < tail) {  // the backward pass
      std::uint32_t const x = queue[head++];
      for (std::uint32_t e = rfirst[x]; e < rfirst[x + 1]; ++e)
        if (!ends[redges[e]]) {
          ends[redges[e]] = 1;
          queue[tail++] = redges[e];
        }
    }
  }
  for (std::uint32_t i = 0; i < n && !out.at; ++i)
    if (!ends[i] && !(m.check_stuck(store[i]) & checked).empty()) out.at = i;
  if (!out.at) return out;

  auto source = [&](std::uint32_t e) {  // the state edge e leaves: the last i with first[i] <= e
    std::uint32_t lo = 0, hi = n;
    while (lo < hi) {
      std::uint32_t const mid = lo + (hi - lo + 1) / 2;
      if (first[mid] <= e)
        lo = mid;
      else
        hi = mid - 1;
    }
    return lo;
  };
  auto edge = [&](std::uint32_t e) { return std::pair{source(e), e - first[source(e)] + 1}; };
  // A state on a cycle: follow first steps (every state from here has one) until one repeats.
  std::uint32_t c = *out.at;
  for (; ends[c] != 2; c = edges[first[c]]) ends[c] = 2;
  // The shortest path of one step or more from `from` to `to`.
  auto shortest = [&](std::uint32_t from, std::uint32_t to) {
    std::vector<std::pair<std::uint32_t, std::uint32_t>> path;
    counted_array<std::uint32_t> via(memory, n);  // the edge into a state, plus 1
    if (!via) return path;
    std::uint32_t head = 0, tail = 0;
    queue[tail++] = from;
    while (head < tail) {
      std::uint32_t const x = queue[head++];
      for (std::uint32_t e = first[x]; e < first[x + 1]; ++e) {
        std::uint32_t const y = edges[e];
        if (y == to) {
          path.push_back(edge(e));
          for (std::uint32_t z = x; z != from; z = source(via[z] - 1)) path.push_back(edge(via[z] - 1));
          std::reverse(path.begin(), path.end());
          return path;
        }
        if (y != from && !via[y]) {
          via[y] = e + 1;
          queue[tail++] = y;
        }
      }
    }
    return path;
  };
  if (c != *out.at) out.stem = shortest(*out.at, c);
  out.loop = shortest(c, c);
  if (out.loop.empty() || (c != *out.at && out.stem.empty())) out.decided = false;  // the memory limit refused
  return out;
}

// Appends to r the steps of `path` ((state, ordinal) edges, in order).
template <model M, class Store>
void append(M const& m, Store const& store, std::vector<std::pair<std::uint32_t, std::uint32_t>> path, search_result<M>& r) {
  std::reverse(path.begin(), path.end());
  rebuild(m, store, path, r);
}

// Decides livelock after a search that stored every state and found no
// other violation, and writes its counterexample: `path_to` gives the
// edges (last first) from the initial state to a stored state.
template <model M, class Store, class PathTo>
void decide_livelock(M const& m, Store& store, stored_graph const* graph, property_set checked, search_result<M>& r,
                     PathTo&& path_to) {
  if constexpr (stuck_model<M>) {
    if (!checked.has(property::livelock)) return;
    auto found = graph ? find_stuck(m, store, graph->first, graph->edges, checked)
                       : find_stuck(m, store, r.transitions, checked);
    if (!found.decided) {
      r.result = verdict::incomplete;
      r.incomplete_reason = "memory limit reached (deciding livelock)";
      return;
    }
    if (!found.at) return;
    r.result = verdict::violation;
    r.shortest = graph != nullptr;  // a breadth-first store: the stuck state is a nearest one
    r.violated = property::livelock;
    r.violation_at_step = false;
    rebuild(m, store, path_to(*found.at), r);
    r.stuck_at = static_cast<std::uint32_t>(r.trace.size());
    append(m, store, found.stem, r);
    r.loop_from = static_cast<std::uint32_t>(r.trace.size());
    append(m, store, found.loop, r);
  }
}

// One breadth-first search (explore_bfs), in its three parts: expand a
// level (workers take runs of the frontier in turn, the tables growing
// between rounds), order the next level as a one-thread queue would have
// found it, and finish (the figures, livelock, the counterexample).
template <model M>
class bfs {
 public:
  bfs(M const& m, property_set checked, limits const& lim)
      : m_(m), checked_(checked), lim_(lim), start_(clock::now()), last_progress_(start_),
        store_(make_visited(m, lim.max_memory_bytes)), pool_(std::max(1u, lim.threads)), tallies_(pool_.size()),
        batches_(pool_.size()), width_(state_size(m)) {}

  search_result<M> search() {
    r_.initial = m_.initial();
    if (!store_.grow() || store_.insert_growing(bytes_of(r_.initial), 0).status != insert_status::fresh)
      limit_reached(memory_limit);
    level_start_ = store_.size();
    // With livelock checked, the search records the graph it stores as it
    // goes, so that deciding livelock is one backward pass over it.
    if constexpr (stuck_model<M>)
      if (checked_.has(property::livelock)) graph_.emplace(store_.memory());
    while (stop_ == running) {
      level_start_ = store_.size();
      std::vector<run> runs;
      struct give_back {  // the runs' records, counted as they grew (push_counted), go with the level
        std::vector<run>& runs;
        memory_account& memory;
        ~give_back() {
          for (auto const& u : runs) memory.give((u.targets.capacity() + u.degree.capacity()) * sizeof(std::uint32_t));
        }
      } const release{runs, store_.memory()};
      if (!expand_level(runs) || !order_level(runs)) break;
    }
    return finish();
  }

 private:
  using clock = std::chrono::steady_clock;
  using state = typename M::state;
  static constexpr std::uint64_t none = ~std::uint64_t{0};
  enum stop_reason : int { running, state_limit, memory_limit, interrupted };

  // A run of frontier states; one that meets a full table stops where it is
  // and goes on after the tables grow.
  struct run {
    std::uint32_t pos, end;
    std::uint32_t skip = 0;  // successors of the frontier's state pos already handled
    bool done = false;
    // With a graph recorded: the indices its states' successors were
    // stored at (this level's new ones provisional), and how many each has.
    std::vector<std::uint32_t> targets, degree;
    std::uint32_t pending = 0;  // of the state at pos
  };
  struct alignas(64) tally {
    std::uint64_t transitions = 0;
    unsigned apart = 0;  // the most parts a successor met differs from its parent in
    bool back = false;   // a successor met was stored at its parent's level or before
  };
  // Per worker: the successors of the state it expands, as stored bytes,
  // with their steps and prepared lookups.
  struct batch {
    std::vector<unsigned char> bytes;
    std::vector<typename M::step> steps;
    std::vector<typename visited_set<state>::prepared> preps;
    std::vector<insert_status> ready;  // fresh: its parts are stored; else what stopped them
  };

  void limit_reached(int why) {  // the first limit met is the one reported
    int expected = running;
    stop_.compare_exchange_strong(expected, why);
  }

  // Expands the level: returns false when the search stops here (a
  // violation found, a limit, an interruption).
  bool expand_level(std::vector<run>& runs) {
    constexpr std::uint32_t run_states = 32;
    for (std::uint32_t p = 0; p < frontier_; p += run_states) {
      runs.emplace_back();
      runs.back().pos = p;
      runs.back().end = std::min(p + run_states, frontier_);
    }
    step_hit_ = none;
    terminal_hit_ = none;
    // Runs until every run is done; the tables grow between rounds.
    std::vector<std::uint32_t> pending(runs.size());
    for (std::uint32_t k = 0; k < pending.size(); ++k) pending[k] = k;
    while (!pending.empty()) {
      std::atomic<std::size_t> next{0};
      full_ = false;
      auto work = [&](unsigned w) {
        for (std::size_t k; (k = next.fetch_add(1, std::memory_order_relaxed)) < pending.size();)
          expand(runs[pending[k]], w);
      };
      if (pending.size() == 1)
        work(0);  // one run: no worker would have anything to do
      else
        pool_.run(work);
      if (stop_ == interrupted) break;
      if (full_ && !store_.grow_refused()) limit_reached(memory_limit);
      std::erase_if(pending, [&](std::uint32_t k) { return runs[k].done; });
    }
    level_whole_ = stop_ != interrupted;

    if (terminal_hit_ != none) {
      hit_ = std::pair{static_cast<std::uint32_t>(terminal_hit_.load()), 0u};
      return false;
    }
    if (step_hit_ != none) {
      hit_ = std::pair{static_cast<std::uint32_t>(step_hit_.load() >> 32), static_cast<std::uint32_t>(step_hit_.load())};
      return false;
    }
    return stop_ == running;
  }

  // Expands the frontier states of run u on worker w.
  void expand(run& u, unsigned w) {
    std::uint64_t& transitions = tallies_[w].transitions;
    for (; u.pos < u.end; ++u.pos) {
      if (lim_.cancel && lim_.cancel->load(std::memory_order_relaxed)) stop_ = interrupted;
      if (stop_.load(std::memory_order_relaxed) == interrupted) return;
      std::uint32_t const id = level_first_[level_] + u.pos;
      state const current = store_[id];
      // The successors are gathered and prepared (their lookups' first
      // cache lines asked for) before any is inserted, in order.
      auto& b = batches_[w];
      b.steps.clear();
      std::uint32_t seen = 0;
      m_.for_each_successor(current, [&](typename M::step const& st, state const& next) {
        if (++seen <= u.skip) return;  // handled before the tables grew
        if (b.bytes.size() < (b.steps.size() + 1) * width_) b.bytes.resize(2 * (b.steps.size() + 1) * width_);
        std::memcpy(b.bytes.data() + b.steps.size() * width_, bytes_of(next), width_);
        b.steps.push_back(st);
      });
      if (b.preps.size() < b.steps.size()) b.preps.resize(b.steps.size());
      auto const parent = store_.row(id);
      for (std::size_t i = 0; i < b.steps.size(); ++i) {
        store_.prepare(b.bytes.data() + i * width_, parent, b.preps[i]);
        tallies_[w].apart = std::max(tallies_[w].apart, store_.parts_changed(b.preps[i]));
      }
      // Then their parts are stored (and their rows' slots asked for), up
      // to a table that refuses; a violating successor is not stored.
      b.ready.assign(b.steps.size(), insert_status::full);
      for (std::size_t i = 0; i < b.steps.size(); ++i) {
        if (!(m_.check(b.steps[i]) & checked_).empty()) continue;
        b.ready[i] = store_.resolve(b.bytes.data() + i * width_, b.preps[i]);
        if (b.ready[i] != insert_status::fresh) break;
      }
      bool blocked = false;
      std::uint32_t ordinal = u.skip;
      for (std::size_t i = 0; i < b.steps.size() && !blocked; ++i) {
        ++ordinal;
        ++transitions;
        std::uint64_t const key = std::uint64_t{u.pos} << 32 | ordinal;
        if (!(m_.check(b.steps[i]) & checked_).empty()) {
          lower_to(step_hit_, key);
          continue;
        }
        if (stop_.load(std::memory_order_relaxed) != running) continue;
        auto const in = b.ready[i] == insert_status::fresh ? store_.insert(b.bytes.data() + i * width_, key, b.preps[i])
                                                           : inserted{0, b.ready[i]};
        switch (in.status) {
          case insert_status::full:
            blocked = true;
            --transitions;
            u.skip = ordinal - 1;
            break;
          case insert_status::no_memory: limit_reached(memory_limit); break;
          case insert_status::fresh:
            if (lim_.max_states && store_.size() > lim_.max_states) limit_reached(state_limit);
            break;
          case insert_status::old:
            if (in.index >= level_start_)
              lower_to(std::atomic_ref(store_.parent_key(in.index)), key);
            else
              tallies_[w].back = true;  // a step to this level or an earlier one: the graph may have a cycle
            break;
        }
        if (graph_ && (in.status == insert_status::fresh || in.status == insert_status::old)) {
          if (!push_counted(u.targets, static_cast<std::uint32_t>(in.index), store_.memory())) recording_refused_ = true;
          ++u.pending;
        }
      }
      if (blocked) {
        full_.store(true, std::memory_order_relaxed);
        return;
      }
      u.skip = 0;
      if (graph_) {
        if (!push_counted(u.degree, u.pending, store_.memory())) recording_refused_ = true;
        u.pending = 0;
      }
      if (ordinal == 0 && !(m_.check_terminal(current) & checked_).empty()) lower_to(terminal_hit_, u.pos);
      if (w == 0 && lim_.progress && (u.pos & 255) == 0) progress();
    }
    u.done = true;
  }

  void progress() {
    auto const now = clock::now();
    if (now - last_progress_ < std::chrono::seconds(1)) return;
    double const secs = std::chrono::duration<double>(now - start_).count();
    std::fprintf(stderr, "progress: %zu states, %.0f states/s, depth %u, %.1f MiB\n", store_.size(),
                 static_cast<double>(store_.size()) / secs, level_,
                 static_cast<double>(store_.memory_bytes()) / 1048576.0);
    last_progress_ = now;
  }

  // Puts the next level in the order a one-thread queue would have found
  // it: by parent position (a counting sort), then ordinal; its states are
  // stored in that order, and their parent keys are spent. Returns false when
  // there is no next level, or no memory to order it in.
  bool order_level(std::vector<run>& runs) {
    // (Arrays as long as a level: counted in the memory limit.)
    std::size_t const fresh = store_.size() - level_start_;
    counted_array<std::uint32_t> count(store_.memory(), frontier_ + 1), next(store_.memory(), fresh);
    if (!count || (fresh && !next)) {
      limit_reached(memory_limit);
      return false;
    }
    for (std::size_t i = 0; i < fresh; ++i) ++count[(store_.parent_key(static_cast<std::uint32_t>(level_start_ + i)) >> 32) + 1];
    for (std::size_t p = 1; p < count.size(); ++p) count[p] += count[p - 1];
    for (std::size_t i = 0; i < fresh; ++i) {
      auto const index = static_cast<std::uint32_t>(level_start_ + i);
      next[count[store_.parent_key(index) >> 32]++] = index;
    }
    std::uint32_t from = 0;
    for (std::uint32_t const to : count) {  // each parent's children, by ordinal
      std::sort(next.begin() + from, next.begin() + to,
                [&](std::uint32_t a, std::uint32_t b) { return store_.parent_key(a) < store_.parent_key(b); });
      from = to;
    }
    auto in_pieces = [&](std::size_t n, auto&& body) {  // shared by the workers, 64 Ki at a time
      constexpr std::size_t piece = std::size_t{1} << 16;
      if (n <= piece) return body(0, n);
      std::atomic<std::size_t> taken{0};
      pool_.run([&](unsigned) {
        for (std::size_t b; (b = taken.fetch_add(piece, std::memory_order_relaxed)) < n;) body(b, std::min(b + piece, n));
      });
    };
    if (!store_.reorder(static_cast<std::uint32_t>(level_start_), next.all(), in_pieces)) {
      limit_reached(memory_limit);
      return false;
    }
    if (graph_) graph_lost_ |= recording_refused_ || !record_level(*graph_, runs, next, level_start_, store_.memory());
    recording_refused_ = false;
    if (graph_lost_) graph_.reset();
    frontier_ = static_cast<std::uint32_t>(fresh);
    if (frontier_ == 0) return false;
    level_first_.push_back(static_cast<std::uint32_t>(level_start_));
    ++level_;
    (void)store_.grow();  // room ahead of the level; past the limit, its inserts find the tables full first
    return true;
  }

  // The result: figures, livelock when nothing else was found, why the
  // search stopped, and the counterexample.
  search_result<M> finish() {
    unsigned apart = 0;
    bool back = false;
    for (auto const& t : tallies_) {
      r_.transitions += t.transitions;
      apart = std::max(apart, t.apart);
      back |= t.back;
    }
    r_.depth = level_;
    (void)store_.settle();
    r_.states = stop_ != running ? level_start_ : store_.size();
    // Every step from a level to the next: the graph has no cycle, so every
    // run ends, and there is no livelock to look for.
    if (!hit_ && stop_ == running && back) {
      level_first_.push_back(static_cast<std::uint32_t>(store_.size()));
      if (graph_) graph_->first.push_back(static_cast<std::uint32_t>(graph_->edges.size()));
      if (graph_lost_ || (graph_ && graph_->first.refused())) {
        if (checked_.has(property::livelock)) {
          r_.result = verdict::incomplete;
          r_.incomplete_reason = "memory limit reached (deciding livelock)";
        }
      } else {
        decide_livelock(m_, store_, graph_ ? &*graph_ : nullptr, checked_, r_, [&](std::uint32_t at) {
          return bfs_path(m_, store_, level_first_, checked_, apart, at, 0);
        });
      }
    }
    r_.memory_bytes = store_.memory_bytes();
    r_.peak_memory_bytes = store_.peak_bytes();
    if (stop_ != running) {
      r_.result = verdict::incomplete;
      r_.incomplete_reason = stop_ == state_limit    ? "state limit reached"
                             : stop_ == memory_limit ? "memory limit reached"
                                                     : "interrupted";
    }
    if (hit_) {  // a counterexample is real even when a limit cut the search short
      r_.shortest = level_whole_;
      r_.result = verdict::violation;
      r_.incomplete_reason.clear();
      std::uint32_t const at = level_first_[level_] + hit_->first;
      state const s = store_[at];
      if (hit_->second == 0) {
        r_.violated = (m_.check_terminal(s) & checked_).first();
      } else {
        std::uint32_t k = 0;
        m_.for_each_successor(s, [&](typename M::step const& st, state const&) {
          if (++k == hit_->second) r_.violated = (m_.check(st) & checked_).first();
        });
      }
      r_.violation_at_step = hit_->second != 0;
      level_first_.push_back(level_first_[level_] + frontier_);
      rebuild(m_, store_, bfs_path(m_, store_, level_first_, checked_, apart, at, hit_->second), r_);
    }
    r_.seconds = std::chrono::duration<double>(clock::now() - start_).count();
    return std::move(r_);
  }

  M const& m_;
  property_set const checked_;
  limits const& lim_;
  clock::time_point const start_;
  clock::time_point last_progress_;
  search_result<M> r_;
  visited_set<state> store_;
  worker_pool pool_;
  std::atomic<int> stop_{running};
  std::optional<stored_graph> graph_;
  bool graph_lost_ = false;                     // the memory limit refused the graph
  std::atomic<bool> recording_refused_{false};  // ... a run's record of its level
  std::vector<tally> tallies_;
  std::vector<batch> batches_;
  std::size_t const width_;
  // The level being expanded: the states from index level_first_[level_]
  // on (as many as frontier_), in order.
  std::vector<std::uint32_t> level_first_{0};
  std::uint32_t frontier_ = 1;
  std::uint32_t level_ = 0;
  std::uint64_t level_start_ = 0;
  // The level's first violations: (frontier position, ordinal) of a step,
  // and the frontier position of a terminal state.
  std::atomic<std::uint64_t> step_hit_{none}, terminal_hit_{none};
  std::atomic<bool> full_{false};  // a run met a full table this round
  std::optional<std::pair<std::uint32_t, std::uint32_t>> hit_;  // frontier position, ordinal (0: terminal)
  bool level_whole_ = true;
};

}  // namespace detail

// Searches m breadth-first, level by level, for a violation of the
// properties in `checked`, with lim.threads workers sharing one visited set.
//
// The result is the same for any number of workers. Each state of the next
// level keeps, as its parent, the smallest (position of the parent in this
// level, successor ordinal) among the steps that reach it: what a one-thread
// queue would have kept. At the end of a level its new states are put in
// that order, which is the next level's order, and stored in it, so a
// state's index tells its place; the parent keys are then dropped, and a
// counterexample's steps found again (bfs_path). A level is always expanded
// whole, so the counterexample is the first a one-thread search would meet:
// a terminal violation at level d (d steps) before any step violation found
// there (d + 1 steps), and among those the first in order. The level's
// successors are all stored, so the states and memory reported are the
// same for any number of workers too, except when a limit cuts the level
// short: then `states` counts the states within d steps.
template <model M>
search_result<M> explore_bfs(M const& m, property_set checked, limits const& lim) {
  return detail::bfs<M>(m, checked, lim).search();
}


// Searches m depth-first (a stack instead of a queue): the same states and the
// same verdict as BFS, a counterexample that need not be shortest. Used to
// cross-check the BFS.
template <model M>
search_result<M> explore_dfs(M const& m, property_set checked, limits const& lim) {
  using state = typename M::state;
  auto const start = std::chrono::steady_clock::now();
  search_result<M> r;
  r.initial = m.initial();
  auto store = detail::make_visited(m, lim.max_memory_bytes);
  if (!store.grow() || store.insert_growing(detail::bytes_of(r.initial), 0).status != detail::insert_status::fresh) {
    r.result = verdict::incomplete;
    r.incomplete_reason = "memory limit reached";
    return r;
  }
  std::vector<std::uint32_t> stack{0};
  std::vector<std::uint32_t> depth{0};
  // Per state: the state that first reached it and the ordinal of that step.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> parent{{0, 0}};
  std::uint64_t expanded = 0;
  while (!stack.empty()) {
    std::uint32_t const at = stack.back();
    stack.pop_back();
    if ((expanded++ & 1023) == 0) {
      if (lim.cancel && lim.cancel->load(std::memory_order_relaxed)) {
        r.result = verdict::incomplete;
        r.incomplete_reason = "interrupted";
        break;
      }
    }
    state const current = store[at];
    std::uint32_t ordinal = 0, bad_ordinal = 0;
    property_set bad;
    char const* stop = nullptr;
    m.for_each_successor(current, [&](typename M::step const& st, state const& next) {
      ++ordinal;
      ++r.transitions;
      if (stop || !bad.empty()) return;
      property_set v = m.check(st) & checked;
      if (!v.empty()) {
        bad = v;
        bad_ordinal = ordinal;
        return;
      }
      if (lim.max_states && store.size() >= lim.max_states) {
        stop = "state limit reached";
        return;
      }
      auto const in = store.insert_growing(detail::bytes_of(next), 0, at);
      if (in.status == detail::insert_status::no_memory) {
        stop = "memory limit reached";
        return;
      }
      auto const index = in.index;
      if (in.status == detail::insert_status::fresh) {
        stack.push_back(index);
        depth.push_back(depth[at] + 1);
        parent.emplace_back(at, ordinal);
        r.depth = std::max(r.depth, depth[at] + 1);
      }
    });
    if (ordinal == 0) bad = m.check_terminal(current) & checked;
    if (!bad.empty()) {
      r.result = verdict::violation;
      r.violated = bad.first();
      r.violation_at_step = bad_ordinal != 0;
      std::vector<std::pair<std::uint32_t, std::uint32_t>> edges;
      if (bad_ordinal) edges.emplace_back(at, bad_ordinal);
      for (std::uint32_t i = at; i != 0; i = parent[i].first) edges.push_back(parent[i]);
      detail::rebuild(m, store, edges, r);
      break;
    }
    if (stop) {
      r.result = verdict::incomplete;
      r.incomplete_reason = stop;
      break;
    }
  }
  r.states = store.size();
  (void)store.settle();
  if (r.result == verdict::holds)
    detail::decide_livelock(m, store, nullptr, checked, r, [&](std::uint32_t at) {
      std::vector<std::pair<std::uint32_t, std::uint32_t>> edges;
      for (std::uint32_t i = at; i != 0; i = parent[i].first) edges.push_back(parent[i]);
      return edges;
    });
  // (With the depth and first step it keeps per state beside the set.)
  std::uint64_t const beside = depth.capacity() * sizeof depth[0] + parent.capacity() * sizeof parent[0];
  r.memory_bytes = store.memory_bytes() + beside;
  r.peak_memory_bytes = store.peak_bytes() + beside;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

// Searches m for a violation of `checked`, breadth-first unless lim says dfs.
template <model M>
search_result<M> explore(M const& m, property_set checked, limits const& lim = {}) {
  return lim.order == search_order::dfs ? explore_dfs(m, checked, lim) : explore_bfs(m, checked, lim);
}

}  // namespace pgmapcheck
