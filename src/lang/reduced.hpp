// The reductions, as a model that wraps code_model and keeps its interface
// (LTSmin's PINS wrappers, Storm's state generators): the explorer searches
// either the same way.
//
// Thread symmetry: threads that run the same code (instances of one actor
// kind) are interchangeable, so a state is stored as its orbit's
// representative, their records in sorted order (grace-period masks, the
// one place a record names other threads, renumbered to match). The
// explorer's states then stand for orbits, and a trace must be made
// concrete again (check.cpp's concretize) before it is shown.
//
// Dead values: a local no path from a thread's pc reads again before
// writing it (a backward liveness analysis over the compiled program) is
// zeroed when the thread comes to rest there, so states that differ only
// in what a thread can no longer read are one state.
//
// Partial-order reduction (partial_order.cpp): a state where one thread's
// step commutes with everything the other threads can still do is
// expanded by that thread's steps alone. It keeps every verdict and
// covered line, not distances: a counterexample it finds is searched again
// without it (run_check), so that one is shortest.
#pragma once

#include "lang/runtime.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pgmapcheck::lang {

struct reduction_options {
  bool symmetry = true;
  bool dead_values = true;
  bool partial_order = true;  // never where the setup has requirements: every step may meet one
  // All three, or none (--no-reduction).
  static reduction_options all(bool on) { return {on, on, on}; }
};

class reduced_model {
 public:
  using state = code_state;
  using step = code_step;

  reduced_model(code_model const& m, reduction_options o);

  state initial() const;

  template <class F>
  void for_each_successor(state const& s, F&& f) const {
    auto reduced = [&](step const& st, state& next) {
      if (dead_values_) clear_dead(next, st.thread);
      if (symmetry_) canonicalize(next);
      f(st, static_cast<state const&>(next));
    };
    if (partial_order_)
      for (int t = ample_thread(s); t >= 0; t = ample_thread(s, static_cast<std::size_t>(t) + 1))
        if (m_.for_each_step_of(s, t, reduced)) return;
    for (std::size_t t = 0; t < threads_.size(); ++t) m_.for_each_step_of(s, static_cast<int>(t), reduced);
  }

  property_set check(step const& st) const { return m_.check(st); }
  property_set check_terminal(state const& s) const { return m_.check_terminal(s); }
  property_set check_stuck(state const& s) const { return m_.check_stuck(s); }
  std::size_t state_bytes() const { return m_.state_bytes(); }
  std::vector<std::pair<std::size_t, std::size_t>> components() const { return m_.components(); }

  code_model const& model() const { return m_; }
  // Whether states stand for more than themselves (symmetry, dead values),
  // and whether a thread may be expanded alone.
  bool reduced() const { return symmetry_ || dead_values_; }
  bool partial_order() const { return partial_order_; }

  // Puts s in its orbit's canonical form.
  void canonicalize(state& s) const;
  // Zeroes thread t's dead locals at its pc in s.
  void clear_dead(state& s, int t) const;
  // s as this search stores it: dead locals zeroed, then canonical.
  void reduce(state& s) const;

  // The shared state a step may read and write, as sets of locations
  // (pgmap->ref, the wait queues, RCU, the failure budget, the pages, each
  // lock, each world flag): two steps whose footprints do not conflict
  // commute, and neither enables, disables or changes the checks of the other.
  struct footprint {
    std::uint64_t reads = 0, writes = 0;
    bool conflicts(footprint const& o) const;
  };
  // The footprint of thread t's step from resting pc (its instruction and
  // the invisible code after it), and of every step it may take from there on.
  footprint step_footprint(int t, std::size_t pc) const { return step_fp_[static_cast<std::size_t>(t)][pc]; }
  footprint future_footprint(int t, std::size_t pc) const { return future_fp_[static_cast<std::size_t>(t)][pc]; }
  // The first thread from `from` on whose step at s commutes with every
  // step the other threads can still take and cannot repeat; -1 if none.
  // Whether it can step at s is the caller's to see.
  int ample_thread(state const& s, std::size_t from = 0) const;
  // Returns true iff thread t's step from resting pc may be taken alone:
  // it is visible, its footprint is known and it cannot leave t at pc.
  bool ample_ok(int t, std::size_t pc) const { return ample_ok_[static_cast<std::size_t>(t)][pc]; }
  // For the tests' seeded bugs: primitive `name` is taken to touch nothing
  // and never to leave its thread resting where it was (asleep).
  void forget_footprint(std::string_view primitive);

 private:
  void find_groups();
  void find_dead();
  void find_footprints();

  code_model const& m_;
  std::vector<program> const& threads_;
  std::vector<code_model::thread_layout> const& layout_;
  std::vector<std::vector<int>> groups_;  // interchangeable threads, two or more a group
  bool symmetry_ = false;
  bool dead_values_ = false;
  bool partial_order_ = false;
  std::vector<std::vector<std::vector<std::uint16_t>>> dead_at_;  // per thread, per pc: the slots dead there
  std::vector<std::vector<footprint>> step_fp_, future_fp_;      // per thread, per pc
  std::vector<std::vector<bool>> ample_ok_;  // per thread, per pc: a step that cannot repeat and has a footprint
  std::string forgotten_;
};

static_assert(model<reduced_model> && stuck_model<reduced_model>);

}  // namespace pgmapcheck::lang
