// The explicit-state explorer: breadth-first search over a Model, with a
// visited set, parent links, limits, and shortest-counterexample rebuilding.
#pragma once

#include "pgmapcheck/model.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
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
};

template <class M>
struct trace_entry {
  typename M::step step;
  typename M::state after;
};

template <class M>
struct search_result {
  verdict result = verdict::holds;
  property violated = property::refcount_underflow;
  bool violation_at_step = false;  // else the last state is a terminal violation (deadlock, ref-leak)
  typename M::state initial{};
  std::vector<trace_entry<M>> trace;
  std::uint64_t states = 0;
  std::uint64_t transitions = 0;
  std::uint32_t depth = 0;  // BFS levels fully or partly explored
  std::uint64_t memory_bytes = 0;
  double seconds = 0;
  std::string incomplete_reason;
};

namespace detail {

inline std::uint64_t hash_bytes(void const* data, std::size_t n) {
  auto const* p = static_cast<unsigned char const*>(data);
  std::uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
  while (n >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ (w * 0xff51afd7ed558ccdull)) * 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 29;
    p += 8;
    n -= 8;
  }
  std::uint64_t w = 0;
  std::memcpy(&w, p, n);
  h = (h ^ (w * 0xff51afd7ed558ccdull)) * 0xc4ceb9fe1a85ec53ull;
  return h ^ (h >> 32);
}

// The visited set: states in discovery order (the BFS queue itself), each
// with its parent and the ordinal of the successor that reached it.
template <class State>
class state_store {
 public:
  state_store() : slots_(1u << 12, 0) {}

  // Inserts s; returns its index and whether it was new.
  std::pair<std::uint32_t, bool> insert(State const& s, std::uint32_t parent, std::uint32_t via) {
    if ((states_.size() + 1) * 2 > slots_.size()) grow();
    std::size_t mask = slots_.size() - 1;
    for (std::size_t i = hash_bytes(&s, sizeof s) & mask;; i = (i + 1) & mask) {
      std::uint32_t slot = slots_[i];
      if (slot == 0) {
        states_.push_back(s);
        parents_.push_back(parent);
        via_.push_back(via);
        slots_[i] = static_cast<std::uint32_t>(states_.size());
        return {slot_index(states_.size()), true};
      }
      if (std::memcmp(&states_[slot - 1], &s, sizeof s) == 0) return {slot - 1, false};
    }
  }

  State const& operator[](std::uint32_t i) const { return states_[i]; }
  std::uint32_t parent(std::uint32_t i) const { return parents_[i]; }
  std::uint32_t via(std::uint32_t i) const { return via_[i]; }
  std::size_t size() const { return states_.size(); }
  std::uint64_t memory_bytes() const {
    return states_.capacity() * sizeof(State) + (parents_.capacity() + via_.capacity() + slots_.capacity()) * 4;
  }

 private:
  static std::uint32_t slot_index(std::size_t n) { return static_cast<std::uint32_t>(n - 1); }
  void grow() {
    std::vector<std::uint32_t> bigger(slots_.size() * 2, 0);
    std::size_t mask = bigger.size() - 1;
    for (std::uint32_t k = 0; k < states_.size(); ++k) {
      std::size_t i = hash_bytes(&states_[k], sizeof(State)) & mask;
      while (bigger[i] != 0) i = (i + 1) & mask;
      bigger[i] = k + 1;
    }
    slots_.swap(bigger);
  }

  std::vector<State> states_;
  std::vector<std::uint32_t> parents_;
  std::vector<std::uint32_t> via_;
  std::vector<std::uint32_t> slots_;
};

// Rebuilds the labelled path to state `at` (and one more step, if ordinal > 0).
template <model M>
void rebuild(M const& m, state_store<typename M::state> const& store, std::uint32_t at, std::uint32_t ordinal,
             search_result<M>& r) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> edges;
  if (ordinal) edges.emplace_back(at, ordinal);
  for (std::uint32_t i = at; i != 0; i = store.parent(i)) edges.emplace_back(store.parent(i), store.via(i));
  for (auto it = edges.rbegin(); it != edges.rend(); ++it) {
    std::uint32_t k = 0;
    m.for_each_successor(store[it->first], [&](typename M::step const& st, typename M::state const& next) {
      if (++k == it->second) r.trace.push_back({st, next});
    });
  }
}


}  // namespace detail

// Searches m breadth-first for a violation of the properties in `checked`.
// The first counterexample found is a shortest one: a step violation found
// while expanding level d has d+1 steps, a terminal one found there has d, so
// a step violation waits for the end of its level in case a terminal one beats it.
template <model M>
search_result<M> explore_bfs(M const& m, property_set checked, limits const& lim) {
  using clock = std::chrono::steady_clock;
  using state = typename M::state;
  auto const start = clock::now();
  auto last_progress = start;
  search_result<M> r;
  r.initial = m.initial();
  detail::state_store<state> store;
  store.insert(r.initial, 0, 0);

  struct found {
    std::uint32_t at;        // the state expanded (step violation) or the terminal state
    std::uint32_t ordinal;   // successor ordinal, for a step violation
    property_set props;
    bool at_step;
  };
  std::optional<found> hit;
  std::uint32_t level = 0;
  std::size_t level_end = 1;

  std::uint32_t head = 0;
  for (; head < store.size(); ++head) {
    if (head == level_end) {
      if (hit) break;
      ++level;
      level_end = store.size();
    }
    if ((head & 1023) == 0) {
      if (lim.cancel && lim.cancel->load(std::memory_order_relaxed)) {
        r.result = verdict::incomplete;
        r.incomplete_reason = "interrupted";
        break;
      }
      if (lim.max_memory_bytes && store.memory_bytes() > lim.max_memory_bytes) {
        r.result = verdict::incomplete;
        r.incomplete_reason = "memory limit reached";
        break;
      }
      auto now = clock::now();
      if (lim.progress && now - last_progress >= std::chrono::seconds(1)) {
        double secs = std::chrono::duration<double>(now - start).count();
        std::fprintf(stderr, "progress: %zu states, %.0f states/s, depth %u, %.1f MiB\n", store.size(),
                     static_cast<double>(store.size()) / secs, level, static_cast<double>(store.memory_bytes()) / 1048576.0);
        last_progress = now;
      }
    }
    state const current = store[head];
    std::uint32_t ordinal = 0;
    bool stop = false;
    m.for_each_successor(current, [&](typename M::step const& st, state const& next) {
      ++ordinal;
      ++r.transitions;
      if (stop) return;
      property_set bad = m.check(st) & checked;
      if (!bad.empty()) {
        if (!hit) hit = found{head, ordinal, bad, true};
        return;
      }
      if (lim.max_states && store.size() >= lim.max_states) {
        stop = true;
        return;
      }
      store.insert(next, head, ordinal);
    });
    if (stop) {
      r.result = verdict::incomplete;
      r.incomplete_reason = "state limit reached";
      break;
    }
    if (ordinal == 0) {
      property_set bad = m.check_terminal(current) & checked;
      if (!bad.empty()) {
        hit = found{head, 0, bad, false};
        break;
      }
    }
  }

  r.states = store.size();
  r.depth = level;
  r.memory_bytes = store.memory_bytes();
  if (hit) {  // a counterexample is real even when a limit cut the level short
    r.result = verdict::violation;
    r.incomplete_reason.clear();
    r.violated = hit->props.first();
    r.violation_at_step = hit->at_step;
    detail::rebuild(m, store, hit->at, hit->at_step ? hit->ordinal : 0, r);
  }
  r.seconds = std::chrono::duration<double>(clock::now() - start).count();
  return r;
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
  detail::state_store<state> store;
  store.insert(r.initial, 0, 0);
  std::vector<std::uint32_t> stack{0};
  std::vector<std::uint32_t> depth{0};
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
      if (lim.max_memory_bytes && store.memory_bytes() > lim.max_memory_bytes) {
        r.result = verdict::incomplete;
        r.incomplete_reason = "memory limit reached";
        break;
      }
    }
    state const current = store[at];
    std::uint32_t ordinal = 0, bad_ordinal = 0;
    property_set bad;
    bool stop = false;
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
        stop = true;
        return;
      }
      auto [index, fresh] = store.insert(next, at, ordinal);
      if (fresh) {
        stack.push_back(index);
        depth.push_back(depth[at] + 1);
        r.depth = std::max(r.depth, depth[at] + 1);
      }
    });
    if (ordinal == 0) bad = m.check_terminal(current) & checked;
    if (!bad.empty()) {
      r.result = verdict::violation;
      r.violated = bad.first();
      r.violation_at_step = bad_ordinal != 0;
      detail::rebuild(m, store, at, bad_ordinal, r);
      break;
    }
    if (stop) {
      r.result = verdict::incomplete;
      r.incomplete_reason = "state limit reached";
      break;
    }
  }
  r.states = store.size();
  r.memory_bytes = store.memory_bytes();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

// Searches m for a violation of `checked`, breadth-first unless lim says dfs.
template <model M>
search_result<M> explore(M const& m, property_set checked, limits const& lim = {}) {
  return lim.order == search_order::dfs ? explore_dfs(m, checked, lim) : explore_bfs(m, checked, lim);
}

}  // namespace pgmapcheck
