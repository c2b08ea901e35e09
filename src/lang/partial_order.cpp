// Partial-order reduction for model code: what shared state each step may
// touch (its footprint), what a thread may still touch from where it rests,
// and the one thread whose steps alone a state is expanded by.
//
// The argument (docs/performance.md, Partial-order reduction): at state s,
// thread t's steps form a persistent set when
//   1. t can step at s (every outcome of its step is taken);
//   2. no other thread, from its pc at s, can ever reach a step whose
//      footprint conflicts with t's step (one writes what the other reads
//      or writes): so every run from s that leaves t alone commutes with
//      t's step, keeps it enabled, and meets the same checks;
//   3. t's pc lies on no cycle of its program, so t cannot rest there
//      again: along any cycle of reduced states some state is expanded in
//      full (the ranks of the threads' pcs only grow through reduced
//      states, and thread symmetry only permutes threads of one program).
// Then every violation, terminal state and covered line of the full search
// is met by the reduced one. A scenario with [expect] requirements is not
// reduced: every step may record that it met one.
#include "lang/primitives.hpp"
#include "lang/reduced.hpp"

#include "lang/layout.hpp"

#include <algorithm>
#include <string_view>

namespace pgmapcheck::lang {

using namespace layout;

namespace {

// The shared locations a footprint names, one bit each.
enum location : unsigned {
  loc_ref,       // pgmap->ref: w_ref and w_mode
  loc_wait,      // every wait queue and completion: the sleepers' records, w_done
  loc_rcu,       // RCU and dax SRCU: readers read it, a grace period writes it
  loc_failures,  // the failure budget
  loc_pages,     // every byte of every struct page (refcount, state, pins, ...)
  loc_globals,   // every file-scope variable and static key
  loc_lock,      // the locks from here (layout::lock_objects)
  loc_flag = loc_lock + lock_objects.size(),  // w_flags' bits from here
  loc_flag2 = loc_flag + 8,                   // w_flags2's bits from here
  location_count = loc_flag2 + 3,
};
static_assert(location_count <= 64);

constexpr std::uint64_t bit(unsigned l) { return std::uint64_t{1} << l; }
constexpr std::uint64_t flag(std::uint8_t f) {
  std::uint64_t m = 0;
  for (unsigned i = 0; i < 8; ++i)
    if (f >> i & 1u) m |= bit(loc_flag + i);
  return m;
}
constexpr std::uint64_t flag2(std::uint8_t f) {
  std::uint64_t m = 0;
  for (unsigned i = 0; i < 3; ++i)
    if (f >> i & 1u) m |= bit(loc_flag2 + i);
  return m;
}
constexpr std::uint64_t all_locks = ((std::uint64_t{1} << lock_objects.size()) - 1) << loc_lock;
constexpr reduced_model::footprint everything{~std::uint64_t{0}, ~std::uint64_t{0}};

reduced_model::footprint rw(std::uint64_t reads, std::uint64_t writes) { return {reads, writes}; }

// The locations one loc of a row (lang/primitives.hpp) stands for in this
// layout; `lock` for lock_arg. A switch over every loc: a new one does not
// build until it is mapped here (-Wswitch).
std::uint64_t location_bits(loc l, std::uint64_t lock) {
  switch (l) {
    case loc::pages: return bit(loc_pages);
    case loc::globals: return bit(loc_globals);
    case loc::ref: return bit(loc_ref);
    case loc::wait: return bit(loc_wait);
    case loc::rcu: return bit(loc_rcu);
    case loc::failures: return bit(loc_failures);
    case loc::lock_arg: return lock;
    case loc::page_table_lock:
      return bit(loc_lock + static_cast<unsigned>(lock_index(static_cast<int>(object::page_table_lock))));
    case loc::flag_pages_freed: return flag(wf_pages_freed);
    case loc::flag_struct_freed: return flag(wf_struct_freed);
    case loc::flag_counters_freed: return flag(wf_counters_freed);
    case loc::flag_published: return flag(wf_published);
    case loc::flag_pool_gone: return flag(wf_pool_gone);
    case loc::flag_file_removed: return flag2(wf2_file_removed);
    case loc::flag_driver_stopped: return flag2(wf2_driver_stopped);
    case loc::flag_file_mapped: return flag(wf_file_mapped);
    case loc::flag_dax_dead: return flag2(wf2_dax_dead);
    case loc::ptr_p2pdma: return flag(wf_p2pdma);
    case loc::ptr_ref: return flag(wf_ref_null);
  }
  return ~std::uint64_t{0};  // not reached (-Wswitch); safe: touches everything
}

// The footprint of primitive `id` itself (its arguments' reads apart): its
// row's reads and writes (lang/primitives.hpp) as this layout's locations;
// `lock` stands for the lock its first argument names.
reduced_model::footprint primitive_footprint(prim id, std::uint64_t lock) {
  auto bits = [&](std::uint32_t set) {
    std::uint64_t m = 0;
    for (int i = 0; i < loc_count; ++i)
      if (set >> i & 1u) m |= location_bits(static_cast<loc>(1u << i), lock);
    return m;
  };
  auto const f = footprint_of(id);
  return rw(bits(f.reads), bits(f.writes));
}

// Returns true iff primitive `name` may leave its thread resting at the
// same instruction (it went to sleep there).
bool may_stay(prim id) { return has(id, prim_trait::sleeps); }

}  // namespace

bool reduced_model::footprint::conflicts(footprint const& o) const {
  return (writes & (o.reads | o.writes)) != 0 || (o.writes & reads) != 0;
}

namespace {

using footprint = reduced_model::footprint;

void add(footprint& to, footprint const& f) {
  to.reads |= f.reads;
  to.writes |= f.writes;
}

// One thread's program as a graph: what each instruction touches itself,
// and the instructions it may go to next.
struct program_graph {
  std::vector<footprint> own;
  std::vector<std::vector<std::uint16_t>> next;
};

// Builds program_graph for one program; a primitive named `forgotten`
// (forget_footprint, for the audit's seeded error) touches nothing.
class graph_builder {
 public:
  graph_builder(program const& prog, std::string_view forgotten) : prog_(prog), forgotten_(forgotten) {}

  program_graph build() const {
    std::size_t const n = prog_.code.size();
    program_graph g{std::vector<footprint>(n), std::vector<std::vector<std::uint16_t>>(n)};
    for (std::size_t i = 0; i < n; ++i) {
      auto const& in = prog_.code[i];
      auto& next = g.next[i];
      auto const after = static_cast<std::uint16_t>(i + 1);
      switch (in.k) {
        case instr::kind::action:
          add(g.own[i], prim_fp(in.prim, in.nargs > 0 ? lock_of(in.args[0]) : all_locks));
          for (std::size_t a = 0; a < in.nargs; ++a) add(g.own[i], expr_fp(in.args[a]));
          next.push_back(after);
          if (may_stay(static_cast<prim>(in.prim)) && !forgotten(in.prim)) next.push_back(static_cast<std::uint16_t>(i));
          break;
        case instr::kind::assign: add(g.own[i], expr_fp(in.a)); next.push_back(after); break;
        case instr::kind::branch:
          add(g.own[i], expr_fp(in.a));
          next.push_back(after);
          next.push_back(in.target);
          break;
        case instr::kind::jump: next.push_back(in.target); break;
        case instr::kind::clear: next.push_back(after); break;
        case instr::kind::finish: break;
      }
      std::erase_if(next, [&](std::uint16_t j) { return j >= n; });
    }
    return g;
  }

 private:
  bool forgotten(std::uint16_t id) const { return !forgotten_.empty() && primitives()[id].name == forgotten_; }
  footprint prim_fp(std::uint16_t id, std::uint64_t lock) const {
    return forgotten(id) ? footprint{} : primitive_footprint(static_cast<prim>(id), lock);
  }
  // What evaluating expression root reads (an index past the pool, as a
  // slot number stands in some arguments, reads nothing).
  footprint expr_fp(std::uint16_t root) const {
    footprint f;
    std::vector<std::uint16_t> todo{root};
    while (!todo.empty()) {
      std::uint16_t const e = todo.back();
      todo.pop_back();
      if (e >= prog_.exprs.size()) continue;
      auto const& x = prog_.exprs[e];
      if (x.k == cexpr::kind::constant || x.k == cexpr::kind::local) continue;
      if (x.k == cexpr::kind::read) add(f, prim_fp(x.prim, all_locks));
      if (x.k == cexpr::kind::member && x.op == 1) {
        auto const result = field_rules[static_cast<std::size_t>(x.value)].result;
        f.reads |= result == object::p2pdma ? flag(wf_p2pdma) : result == object::pgmap_ref ? flag(wf_ref_null) : ~std::uint64_t{0};
      }
      for (std::size_t i = 0; i < x.nargs; ++i) todo.push_back(x.args[i]);
    }
    return f;
  }
  // The lock an argument names, when it names one for certain.
  std::uint64_t lock_of(std::uint16_t e) const {
    if (e >= prog_.exprs.size()) return all_locks;
    auto const& x = prog_.exprs[e];
    int obj = -1;
    if (x.k == cexpr::kind::constant) obj = x.value;
    if (x.k == cexpr::kind::member && x.op == 0) obj = static_cast<int>(field_rules[static_cast<std::size_t>(x.value)].result);
    int const li = lock_index(obj);
    return li < 0 ? all_locks : bit(loc_lock + static_cast<unsigned>(li));
  }

  program const& prog_;
  std::string_view forgotten_;
};

// A step from each resting pc i: i, then the invisible instructions after it.
std::vector<footprint> step_regions(program const& prog, program_graph const& g) {
  std::size_t const n = prog.code.size();
  std::vector<footprint> region(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (!prog.code[i].visible) continue;
    std::vector<bool> seen(n, false);
    std::vector<std::uint16_t> todo{static_cast<std::uint16_t>(i)};
    seen[i] = true;
    while (!todo.empty()) {
      std::uint16_t const j = todo.back();
      todo.pop_back();
      add(region[i], g.own[j]);
      for (auto k : g.next[j])
        if (!seen[k] && !prog.code[k].visible) {
          seen[k] = true;
          todo.push_back(k);
        }
    }
  }
  return region;
}

// Everything reachable from each i, i included: a backward fixpoint.
std::vector<footprint> futures(program_graph const& g) {
  auto future = g.own;
  for (bool changed = true; changed;) {
    changed = false;
    for (std::size_t i = future.size(); i-- > 0;) {
      footprint f = future[i];
      for (auto k : g.next[i]) add(f, future[k]);
      if (f.reads != future[i].reads || f.writes != future[i].writes) {
        future[i] = f;
        changed = true;
      }
    }
  }
  return future;
}

// The resting pcs a persistent set may be taken at: on no cycle (an
// instruction on a cycle reaches itself), with a footprint.
std::vector<bool> ample_candidates(program const& prog, program_graph const& g, std::vector<footprint> const& region) {
  std::size_t const n = prog.code.size();
  std::vector<bool> ok(n, false);
  for (std::size_t i = 0; i < n; ++i) {
    if (!prog.code[i].visible || region[i].reads == everything.reads) continue;
    std::vector<bool> seen(n, false);
    std::vector<std::uint16_t> todo(g.next[i].begin(), g.next[i].end());
    bool cycle = false;
    while (!todo.empty() && !cycle) {
      std::uint16_t const j = todo.back();
      todo.pop_back();
      if (j == i) cycle = true;
      if (seen[j]) continue;
      seen[j] = true;
      for (auto k : g.next[j]) todo.push_back(k);
    }
    ok[i] = !cycle;
  }
  return ok;
}

}  // namespace

void reduced_model::find_footprints() {
  step_fp_.clear();
  future_fp_.clear();
  ample_ok_.clear();
  for (auto const& prog : threads_) {
    auto const g = graph_builder(prog, forgotten_).build();
    step_fp_.push_back(step_regions(prog, g));
    future_fp_.push_back(futures(g));
    ample_ok_.push_back(ample_candidates(prog, g, step_fp_.back()));
  }
}

void reduced_model::forget_footprint(std::string_view primitive) {
  forgotten_ = primitive;
  find_footprints();
}

int reduced_model::ample_thread(state const& s, std::size_t from) const {
  std::size_t const n = threads_.size();
  std::array<std::uint16_t, 32> pc{};
  std::array<bool, 32> live{};
  for (std::size_t t = 0; t < n; ++t) {
    std::uint8_t const* record = s.bytes.data() + layout_[t].base;
    live[t] = !record_done(record);
    pc[t] = record_pc(record);
  }
  for (std::size_t t = from; t < n; ++t) {
    if (!live[t] || !ample_ok_[t][pc[t]]) continue;
    footprint const& mine = step_fp_[t][pc[t]];
    bool alone = true;
    for (std::size_t u = 0; u < n && alone; ++u)
      if (u != t && live[u] && mine.conflicts(future_fp_[u][pc[u]])) alone = false;
    if (alone) return static_cast<int>(t);
  }
  return -1;
}

}  // namespace pgmapcheck::lang
