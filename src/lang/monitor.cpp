// layout::life_move: the lifecycle monitor for the Promela export's tables.
#include "lang/layout.hpp"
#include "lang/monitor.hpp"

namespace pgmapcheck::lang {

int layout::life_move(int type, int event, int from, int pins, bool mapped) {
  auto const s = static_cast<models::page_state>(from);
  models::page_view const v{pins, mapped};
  switch (event) {
    case models::events::alloc::id: return life_move_on<models::events::alloc>(type, s, v);
    case models::events::release::id: return life_move_on<models::events::release>(type, s, v);
    case models::events::map::id: return life_move_on<models::events::map>(type, s, v);
    case models::events::unmap::id: return life_move_on<models::events::unmap>(type, s, v);
    case models::events::get_page::id: return life_move_on<models::events::get_page>(type, s, v);
    case models::events::put_page::id: return life_move_on<models::events::put_page>(type, s, v);
    default: return life_move_on<models::events::put_base>(type, s, v);
  }
}

}  // namespace pgmapcheck::lang
