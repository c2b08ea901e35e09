// The properties of the explorer's toy models: a step whose `bad` is set
// is a refcount underflow; a state with no successor is a deadlock when
// terminal_is_deadlock is set.
#pragma once

#include "search/model.hpp"

namespace pgmapcheck::toy {

struct properties {
  bool terminal_is_deadlock = false;

  template <class Step>
  property_set check(Step const& st) const {
    property_set p;
    if (st.bad) p.add(property::refcount_underflow);
    return p;
  }
  template <class State>
  property_set check_terminal(State const&) const {
    property_set p;
    if (terminal_is_deadlock) p.add(property::deadlock);
    return p;
  }
};

}  // namespace pgmapcheck::toy
