// The explicit-state explorer: breadth-first search over a Model, with a
// visited set, parent links, limits, and shortest-counterexample rebuilding.
#pragma once

#include "pgmapcheck/model.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
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
  bool fewest_switches = false;  // among the shortest counterexamples, one with the fewest context switches
  bool no_reduction = false;     // store every state as it is (no thread symmetry)
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
  bool shortest = false;           // the trace is shown shortest: BFS, and no limit cut its level short
  typename M::state initial{};
  std::vector<trace_entry<M>> trace;
  std::uint64_t states = 0;
  std::uint64_t transitions = 0;
  std::uint32_t depth = 0;  // BFS levels fully or partly explored
  std::uint64_t memory_bytes = 0;       // the search's visited set and parent links at the end
  std::uint64_t peak_memory_bytes = 0;  // the most they held at once (rehash included)
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
// with its parent and the ordinal of the successor that reached it. Records
// live in fixed-size chunks, so growing never copies them; every allocation
// is counted first and refused past max_bytes, transient rehash space
// included, so the search's memory stays within its limit.
template <class State>
class state_store {
 public:
  static constexpr std::size_t chunk_records = 4096;

  // state_bytes: how much of a State is the state (a model whose states are
  // sized at load keeps the rest zero); only that much is hashed, compared
  // and stored.
  explicit state_store(std::uint64_t max_bytes = 0, std::size_t state_bytes = sizeof(State))
      : max_bytes_(max_bytes), state_bytes_(state_bytes), stride_(state_bytes + 2 * sizeof(std::uint32_t)),
        chunk_bytes_(chunk_records * stride_) {}

  // Inserts s; returns its index and whether it was new, or nothing when
  // storing it would pass the memory limit.
  std::optional<std::pair<std::uint32_t, bool>> insert(State const& s, std::uint32_t parent, std::uint32_t via) {
    return insert_bytes(reinterpret_cast<unsigned char const*>(&s), parent, via);
  }

  // The same for a state given as its state_bytes bytes.
  std::optional<std::pair<std::uint32_t, bool>> insert_bytes(unsigned char const* bytes, std::uint32_t parent,
                                                             std::uint32_t via) {
    if (slots_.empty() && !grow_slots(1u << 10)) return std::nullopt;
    if ((size_ + 1) * 4 > slots_.size() * 3 && !grow_slots(slots_.size() * 2)) return std::nullopt;
    std::size_t const mask = slots_.size() - 1;
    std::uint32_t const tag = static_cast<std::uint32_t>(hash_bytes(bytes, state_bytes_) >> 32);
    for (std::size_t i = home(tag, mask);; i = (i + 1) & mask) {
      std::uint64_t const slot = slots_[i];
      if (slot == 0) {
        if (size_ == chunks_.size() * chunk_records) {
          if (!fits(chunk_bytes_)) return std::nullopt;
          chunks_.push_back(std::make_unique<unsigned char[]>(chunk_bytes_));
          allocated_ += chunk_bytes_;
          peak_ = std::max(peak_, allocated_);
        }
        unsigned char* r = at(size_);
        std::memcpy(r, bytes, state_bytes_);
        std::memcpy(r + state_bytes_, &parent, sizeof parent);
        std::memcpy(r + state_bytes_ + sizeof parent, &via, sizeof via);
        slots_[i] = std::uint64_t{tag} << 32 | static_cast<std::uint32_t>(++size_);
        return std::pair{static_cast<std::uint32_t>(size_ - 1), true};
      }
      // The tag first: a state's bytes are read only when its hash matches.
      auto const index = static_cast<std::uint32_t>(slot) - 1;
      if (static_cast<std::uint32_t>(slot >> 32) == tag && std::memcmp(at(index), bytes, state_bytes_) == 0)
        return std::pair{index, false};
    }
  }

  State operator[](std::uint32_t i) const {
    State s;
    std::memcpy(&s, at(i), state_bytes_);
    return s;
  }
  // Record i's state bytes, in place.
  unsigned char const* bytes(std::uint32_t i) const { return at(i); }
  // Sets the memory limit (0: none), for a store that shares one with others.
  void set_limit(std::uint64_t max_bytes) { max_bytes_ = max_bytes; }
  std::uint32_t parent(std::uint32_t i) const { return field(i, 0); }
  std::uint32_t via(std::uint32_t i) const { return field(i, 1); }
  std::size_t size() const { return size_; }
  // Bytes held now, and the most ever held at once.
  std::uint64_t memory_bytes() const { return allocated_; }
  std::uint64_t peak_bytes() const { return peak_; }

 private:
  unsigned char* at(std::size_t i) { return chunks_[i / chunk_records].get() + (i % chunk_records) * stride_; }
  unsigned char const* at(std::size_t i) const {
    return chunks_[i / chunk_records].get() + (i % chunk_records) * stride_;
  }
  std::uint32_t field(std::size_t i, std::size_t k) const {
    std::uint32_t v;
    std::memcpy(&v, at(i) + state_bytes_ + k * sizeof v, sizeof v);
    return v;
  }
  // Returns true iff `more` bytes fit beside what is held.
  bool fits(std::uint64_t more) const { return max_bytes_ == 0 || allocated_ + more <= max_bytes_; }

  // A tag's first slot in a table of mask + 1 slots (a power of two): the
  // tag's bits spread over the index (Fibonacci hashing).
  static std::size_t home(std::uint32_t tag, std::size_t mask) {
    return static_cast<std::size_t>((std::uint64_t{tag} * 0x9e3779b97f4a7c15ull) >> 32) & mask;
  }

  // Rehashes into `count` slots from the tags the slots keep: no state is read.
  bool grow_slots(std::size_t count) {
    std::uint64_t const bytes = count * sizeof(std::uint64_t);
    if (!fits(bytes)) return false;  // old and new tables coexist while rehashing
    std::vector<std::uint64_t> bigger(count, 0);
    peak_ = std::max(peak_, allocated_ + bytes);
    std::size_t const mask = count - 1;
    for (std::uint64_t const slot : slots_) {
      if (slot == 0) continue;
      std::size_t i = home(static_cast<std::uint32_t>(slot >> 32), mask);
      while (bigger[i] != 0) i = (i + 1) & mask;
      bigger[i] = slot;
    }
    allocated_ = allocated_ - slots_.size() * sizeof(std::uint64_t) + bytes;
    slots_.swap(bigger);
    return true;
  }

  std::uint64_t max_bytes_;
  std::size_t state_bytes_;
  std::size_t stride_;
  std::uint64_t chunk_bytes_;
  std::uint64_t allocated_ = 0;
  std::uint64_t peak_ = 0;
  std::size_t size_ = 0;
  std::vector<std::unique_ptr<unsigned char[]>> chunks_;
  std::vector<std::uint64_t> slots_;  // a state's hash tag (high half) and its index + 1 (low half); 0: empty
};

// A visited set that stores each state as the indices of its parts (SPIN's
// COLLAPSE compression): a model that splits its state into components (the
// shared objects; each thread's record) keeps one table per component, where
// each distinct value is stored once, and a state is a row of 4-byte
// indices into them. Same interface as state_store; memory counts every table.
template <class State>
class collapsed_store {
 public:
  using part = std::pair<std::size_t, std::size_t>;  // offset, length
  using bytes_table = state_store<unsigned char>;

  collapsed_store(std::uint64_t max_bytes, std::vector<part> parts)
      : max_bytes_(max_bytes), parts_(std::move(parts)), rows_(0, parts_.size() * sizeof(std::uint32_t)) {
    for (auto const& p : parts_) tables_.emplace_back(0, p.second);
  }

  std::optional<std::pair<std::uint32_t, bool>> insert(State const& s, std::uint32_t parent, std::uint32_t via) {
    auto const* b = reinterpret_cast<unsigned char const*>(&s);
    std::array<std::uint32_t, 64> row{}, from{};
    // A successor differs from its parent in a part or two: the parent's
    // parts are compared first, and only a changed part is looked up.
    bool const hint = parent < rows_.size();
    if (hint) std::memcpy(from.data(), rows_.bytes(parent), parts_.size() * sizeof(std::uint32_t));
    for (std::size_t k = 0; k < parts_.size(); ++k) {
      if (hint && std::memcmp(tables_[k].bytes(from[k]), b + parts_[k].first, parts_[k].second) == 0) {
        row[k] = from[k];
        continue;
      }
      auto const id = within_limit(tables_[k], [&](bytes_table& t) { return t.insert_bytes(b + parts_[k].first, 0, 0); });
      if (!id) return std::nullopt;
      row[k] = id->first;
    }
    return within_limit(rows_, [&](bytes_table& t) {
      return t.insert_bytes(reinterpret_cast<unsigned char const*>(row.data()), parent, via);
    });
  }

  State operator[](std::uint32_t i) const {
    State s;
    auto* b = reinterpret_cast<unsigned char*>(&s);
    std::array<std::uint32_t, 64> row{};
    std::memcpy(row.data(), rows_.bytes(i), parts_.size() * sizeof(std::uint32_t));
    for (std::size_t k = 0; k < parts_.size(); ++k)
      std::memcpy(b + parts_[k].first, tables_[k].bytes(row[k]), parts_[k].second);
    return s;
  }
  std::uint32_t parent(std::uint32_t i) const { return rows_.parent(i); }
  std::uint32_t via(std::uint32_t i) const { return rows_.via(i); }
  std::size_t size() const { return rows_.size(); }
  std::uint64_t memory_bytes() const {
    std::uint64_t m = rows_.memory_bytes();
    for (auto const& t : tables_) m += t.memory_bytes();
    return m;
  }
  std::uint64_t peak_bytes() const { return peak_; }

 private:
  // Runs an insert into table t with what is left of the shared limit, and
  // keeps the most memory all tables held at once (a table's rehash peak
  // over the others' holdings).
  template <class F>
  auto within_limit(bytes_table& t, F&& insert) {
    std::uint64_t const others = memory_bytes() - t.memory_bytes();
    if (max_bytes_) t.set_limit(others >= max_bytes_ ? t.memory_bytes() : max_bytes_ - others);
    std::uint64_t const before = t.peak_bytes();
    auto result = insert(t);
    if (t.peak_bytes() > before) peak_ = std::max(peak_, others + t.peak_bytes());
    peak_ = std::max(peak_, memory_bytes());
    return result;
  }

  std::uint64_t peak_ = 0;
  std::uint64_t max_bytes_;
  std::vector<part> parts_;
  std::vector<bytes_table> tables_;
  state_store<unsigned char> rows_;
};

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
// its state's parts (at most 64), else whole states.
template <class M>
auto make_store(M const& m, std::uint64_t max_bytes) {
  using state = typename M::state;
  if constexpr (requires { m.components(); }) {
    return collapsed_store<state>(max_bytes, m.components());
  } else {
    return state_store<state>(max_bytes, state_size(m));
  }
}


// Rebuilds the labelled path to state `at` (and one more step, if ordinal > 0).
template <model M, class Store>
void rebuild(M const& m, Store const& store, std::uint32_t at, std::uint32_t ordinal,
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
  auto store = detail::make_store(m, lim.max_memory_bytes);

  struct found {
    std::uint32_t at;        // the state expanded (step violation) or the terminal state
    std::uint32_t ordinal;   // successor ordinal, for a step violation
    property_set props;
    bool at_step;
  };
  std::optional<found> hit;
  std::uint32_t level = 0;
  std::size_t level_end = 1;

  if (!store.insert(r.initial, 0, 0)) {
    r.result = verdict::incomplete;
    r.incomplete_reason = "memory limit reached";
  }
  std::uint32_t head = 0;
  for (; head < store.size() && r.result != verdict::incomplete; ++head) {
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
    char const* stop = nullptr;
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
        stop = "state limit reached";
        return;
      }
      if (!store.insert(next, head, ordinal)) stop = "memory limit reached";
    });
    if (stop) {
      r.result = verdict::incomplete;
      r.incomplete_reason = stop;
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
  r.peak_memory_bytes = store.peak_bytes();
  if (hit) {  // a counterexample is real even when a limit cut the level short
    // ... but a shorter terminal violation may sit in the unexpanded rest of it.
    r.shortest = r.result != verdict::incomplete;
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
  auto store = detail::make_store(m, lim.max_memory_bytes);
  if (!store.insert(r.initial, 0, 0)) {
    r.result = verdict::incomplete;
    r.incomplete_reason = "memory limit reached";
    return r;
  }
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
      auto inserted = store.insert(next, at, ordinal);
      if (!inserted) {
        stop = "memory limit reached";
        return;
      }
      auto [index, fresh] = *inserted;
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
      r.incomplete_reason = stop;
      break;
    }
  }
  r.states = store.size();
  r.memory_bytes = store.memory_bytes();
  r.peak_memory_bytes = store.peak_bytes();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

// Searches m for a violation of `checked`, breadth-first unless lim says dfs.
template <model M>
search_result<M> explore(M const& m, property_set checked, limits const& lim = {}) {
  return lim.order == search_order::dfs ? explore_dfs(m, checked, lim) : explore_bfs(m, checked, lim);
}

}  // namespace pgmapcheck
