// The kernel model: a resolved scenario (pagemap type, era rules, actors) as a Model.
#pragma once

#include "models/actors.hpp"
#include "pgmapcheck/model.hpp"

namespace pgmapcheck {

class kernel_model {
 public:
  using state = models::world;
  using step = models::step;

  explicit kernel_model(models::scenario const& sc) : sc_(sc) {}

  // Every page free, the pgmap live and published with its memremap references.
  state initial() const;

  template <class F>
  void for_each_successor(state const& s, F&& f) const {
    models::successors(sc_, s, f);
  }

  property_set check(step const& st) const { return property_set::from_bits(st.violated); }

  // Deadlock if an actor has not finished; else ref-leak against the baseline.
  property_set check_terminal(state const& s) const;

  // The pgmap->ref of a live pgmap in state s: the initial ref, memremap's and
  // the per-allocation refs the era takes.
  int baseline_pgmap_ref(state const& s) const { return models::baseline_pgmap_ref(sc_, s); }

  models::scenario const& scenario() const { return sc_; }

 private:
  models::scenario sc_;
};

static_assert(model<kernel_model>);

}  // namespace pgmapcheck
