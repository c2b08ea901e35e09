// `pgmapcheck draw`: a pagemap type's page lifecycle machine, drawn from the
// very table the checker fires, so the picture cannot drift from the model.
#include "pgmapcheck/dot.hpp"

#include "models/device_coherent.hpp"
#include "models/device_private.hpp"
#include "models/fs_dax.hpp"
#include "models/generic.hpp"
#include "models/p2pdma.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace pgmapcheck {

namespace {

template <class Rows>
std::string machine_dot(std::string_view title, Rows const& rows) {
  auto const& names = machine::state_traits<models::page_state>::names;
  std::string out = fmt::format(
      "digraph lifecycle {{\n  label=\"{}\";\n  labelloc=t;\n  fontname=Helvetica;\n"
      "  node [shape=ellipse, fontname=Helvetica];\n  edge [fontname=Helvetica, fontsize=10];\n",
      title);
  for (std::size_t s = 0; s < names.size(); ++s)
    out += fmt::format("  {} [label=\"{}\"{}];\n", names[s], names[s], s == 0 ? ", peripheries=2" : "");
  // One edge per (src, dst), its rows one label line each, in table order.
  std::vector<std::pair<std::pair<std::size_t, std::size_t>, std::string>> edges;
  for (auto const& r : rows) {
    std::string label(r.event);
    if (!r.guard.empty()) label += fmt::format(" [{}]", r.guard);
    if (!r.action.empty()) label += fmt::format(" / {}", r.action);
    std::pair<std::size_t, std::size_t> key{static_cast<std::size_t>(r.src), static_cast<std::size_t>(r.dst)};
    auto it = std::find_if(edges.begin(), edges.end(), [&](auto const& e) { return e.first == key; });
    if (it == edges.end())
      edges.emplace_back(key, label);
    else
      it->second += "\\l" + label;
  }
  for (auto const& [key, label] : edges)
    out += fmt::format("  {} -> {} [label=\"{}\\l\"];\n", names[key.first], names[key.second], label);
  return out + "}\n";
}

}  // namespace

std::string render_machine(models::pagemap type) {
  switch (type) {
    case models::pagemap::p2pdma:
      return machine_dot("MEMORY_DEVICE_PCI_P2PDMA page lifecycle (models/p2pdma.hpp)",
                         machine::describe(models::p2pdma::table));
    case models::pagemap::fs_dax:
      return machine_dot("MEMORY_DEVICE_FS_DAX page lifecycle (models/fs_dax.hpp)",
                         machine::describe(models::fs_dax::table));
    case models::pagemap::device_private:
      return machine_dot("MEMORY_DEVICE_PRIVATE page lifecycle (models/device_private.hpp)",
                         machine::describe(models::device_private::table));
    case models::pagemap::device_coherent:
      return machine_dot("MEMORY_DEVICE_COHERENT page lifecycle (models/device_coherent.hpp)",
                         machine::describe(models::device_coherent::table));
    case models::pagemap::generic:
      return machine_dot("MEMORY_DEVICE_GENERIC page lifecycle (models/generic.hpp)",
                         machine::describe(models::generic::table));
  }
  throw std::invalid_argument("unknown pagemap type");
}

}  // namespace pgmapcheck
