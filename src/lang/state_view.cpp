// state_view: one state of a code_model, read only.
#include "lang/executor.hpp"
#include "lang/runtime.hpp"

#include <string>

namespace pgmapcheck::lang {

using namespace layout;  // the state's bytes: src/lang/layout.hpp

// --- state views ----------------------------------------------------------

std::uint8_t const* state_view::page(int page) const {
  return s_.bytes.data() + m_.pages_at_ + p_size * static_cast<std::size_t>(page);
}
int state_view::page_refcount(int page) const { return static_cast<std::int8_t>(this->page(page)[p_refcount]); }
int state_view::pgmap_ref() const { return static_cast<std::int8_t>(s_.bytes[w_ref]); }
int state_view::page_mapcount(int page) const { return static_cast<std::int8_t>(this->page(page)[p_mapcount]); }
int state_view::page_pins(int page) const { return this->page(page)[p_pins]; }
bool state_view::page_mapped(int page) const { return this->page(page)[p_flags] & pf_mapped; }
bool state_view::page_free(int page) const { return this->page(page)[p_state] == ps_free; }
int state_view::local_value(int thread, int slot) const {
  return static_cast<std::int8_t>(s_.bytes[m_.layout_[static_cast<std::size_t>(thread)].locals + static_cast<std::size_t>(slot)]);
}
std::size_t state_view::resting_pc(int thread) const {
  return record_pc(s_.bytes.data() + m_.layout_[static_cast<std::size_t>(thread)].base);
}
bool state_view::finished(int thread) const {
  return record_done(s_.bytes.data() + m_.layout_[static_cast<std::size_t>(thread)].base);
}
bool state_view::met(std::size_t r) const { return (s_.bytes[w_met] >> r & 1u) != 0; }

bool state_view::in_function(int thread, std::string const& name) const {
  if (finished(thread)) return false;
  code_state probe = s_;
  code_step dummy;
  executor ex(m_, probe, dummy, thread);
  auto const& prog = m_.threads_[static_cast<std::size_t>(thread)];
  auto const& where = prog.sites[prog.code[ex.pc()].site];
  return runs_in(where, name);
}

std::string state_view::blocked_on(int thread) const {
  if (finished(thread)) return "";
  code_state probe = s_;
  code_step dummy;
  executor ex(m_, probe, dummy, thread);
  instr const& in = m_.threads_[static_cast<std::size_t>(thread)].code[ex.pc()];
  if (ex.enabled(in)) return "";
  prim const id = static_cast<prim>(in.prim);
  std::string const name(primitives()[in.prim].name);
  std::uint8_t w = s_.bytes[m_.layout_[static_cast<std::size_t>(thread)].base + t_wait];
  std::string on = w == 0                           ? ""
                   : w < object_count                 ? std::string(object_names[w])
                   : w < object_count + max_pages     ? "&page" + std::to_string(w - object_count) + "->_refcount"
                   : w < object_count + 2 * max_pages ? "page" + std::to_string(w - object_count - max_pages) + "'s PG_locked"
                                                      : "page" + std::to_string(w - object_count - 2 * max_pages) + "'s DAX entry";
  if (has(id, prim_trait::on_queue)) return "asleep in " + name + " on " + on;
  if (has(id, prim_trait::grace_period)) return "in " + name + ", waiting for readers";
  return "blocked in " + name;
}

}  // namespace pgmapcheck::lang
