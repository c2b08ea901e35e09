// A page and pgmap under one era, for testing lifecycle rows one event at a time.
#pragma once

#include "explorer/kernel_model.hpp"

#include <catch2/catch.hpp>

namespace pgmapcheck::testing {

struct rig {
  models::scenario sc;
  models::world w;

  rig(models::pagemap t, models::era e, int pages = 1, int actors = 2) {
    sc.type = t;
    sc.kernel = e;
    sc.rule = models::preset(e, t);
    sc.pages = pages;
    sc.actor_count = actors;
    reset();
  }
  void reset() { w = kernel_model(sc).initial(); }

  // Fires E on page p as actor a; the world moves on, the step is returned.
  template <class E>
  models::step fire(int p, int a = 0) {
    models::ctx c(sc, w, a, models::op::finds_nothing, p);
    models::fire<E>(c, p);
    w = c.w;
    return c.st;
  }
  models::page_rec const& page(int p = 0) const { return w.pages[static_cast<std::size_t>(p)]; }
};

// Checks a table's rows, as describe() gives them, against the expected list.
template <std::size_t N>
void check_rows(std::array<machine::row_info<models::page_state>, N> const& rows,
                std::array<machine::row_info<models::page_state>, N> const& want) {
  for (std::size_t i = 0; i < N; ++i) {
    INFO("row " << i);
    CHECK(rows[i].src == want[i].src);
    CHECK(rows[i].event == want[i].event);
    CHECK(rows[i].guard == want[i].guard);
    CHECK(rows[i].action == want[i].action);
    CHECK(rows[i].dst == want[i].dst);
  }
}

constexpr auto cache = models::page_state::cache;
constexpr auto pinned = models::page_state::pinned;

inline bool violates(models::step const& st, property p) { return property_set::from_bits(st.violated).has(p); }
inline bool clean(models::step const& st) { return st.violated == 0; }

}  // namespace pgmapcheck::testing
