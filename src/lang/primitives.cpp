// The primitives' table as the compiler looks names up in it, expanded from
// PGMAPCHECK_PRIMITIVES (lang/primitives.hpp).
#include "lang/primitives.hpp"
#include "lang/program.hpp"

#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace pgmapcheck::lang {

namespace {

// The primitives' table, in PGMAPCHECK_PRIMITIVES order (lang/primitives.hpp).
#define PGMAPCHECK_UNPAREN(...) __VA_ARGS__
#define PGMAPCHECK_PRIMITIVE_ROW(name, kind, result, params, traits, reads, writes, call, models)            \
  primitive{#name, kind, result, {PGMAPCHECK_UNPAREN params},                                          \
            static_cast<std::uint8_t>(std::initializer_list<value_type>{PGMAPCHECK_UNPAREN params}.size()), \
            call, models},
std::vector<primitive> const primitive_table = [] {
  using enum prim_kind;
  using enum value_type;
  return std::vector<primitive>{PGMAPCHECK_PRIMITIVES(PGMAPCHECK_PRIMITIVE_ROW)};
}();
#undef PGMAPCHECK_PRIMITIVE_ROW
#undef PGMAPCHECK_UNPAREN

std::map<std::string_view, int> const primitive_index = [] {
  std::map<std::string_view, int> m;
  for (std::size_t i = 0; i < primitive_table.size(); ++i) m[primitive_table[i].name] = static_cast<int>(i);
  return m;
}();

}  // namespace

std::vector<primitive> const& primitives() { return primitive_table; }

int find_primitive(std::string_view name) {
  auto it = primitive_index.find(name);
  return it == primitive_index.end() ? -1 : it->second;
}

std::string primitive_of(program const& thread, instr const& in) {
  if (in.k == instr::kind::action) return std::string(primitive_table[in.prim].name);
  if (in.k != instr::kind::assign && in.k != instr::kind::branch) return "a read";
  std::vector<std::uint16_t> todo{in.a};
  while (!todo.empty()) {
    auto const& x = thread.exprs[todo.back()];
    todo.pop_back();
    if (x.k == cexpr::kind::read) return std::string(primitive_table[x.prim].name);
    if (x.k == cexpr::kind::member && x.op == 1) return "a field read";
    if (x.k == cexpr::kind::constant || x.k == cexpr::kind::local) continue;
    for (int i = x.nargs - 1; i >= 0; --i) todo.push_back(x.args[static_cast<std::size_t>(i)]);
  }
  return "a read";
}

}  // namespace pgmapcheck::lang
