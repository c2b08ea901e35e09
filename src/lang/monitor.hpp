// The lifecycle tables (models/<type>.hpp) as the monitor model code fires:
// where an event moves a page, or -1 where the type's table has no row.
#pragma once

#include "models/device_coherent.hpp"
#include "models/fs_dax.hpp"
#include "models/generic.hpp"
#include "models/p2pdma.hpp"

namespace pgmapcheck::lang {

// Where event E moves a page in state s on the type's lifecycle table, or -1
// if it has no row: the executor's monitor and the Promela export's tables.
template <class E>
int life_move_on(int type, models::page_state s, models::page_view v) {
  bool fired = false;
  switch (type) {
    case 1: fired = machine::fire<E>(models::device_private::table, s, v); break;
    case 2: fired = machine::fire<E>(models::device_coherent::table, s, v); break;
    case 3: fired = machine::fire<E>(models::fs_dax::table, s, v); break;
    case 4: fired = machine::fire<E>(models::generic::table, s, v); break;
    default: fired = machine::fire<E>(models::p2pdma::table, s, v); break;
  }
  return fired ? static_cast<int>(s) : -1;
}

}  // namespace pgmapcheck::lang
