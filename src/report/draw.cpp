// `pgmapcheck draw`: a pagemap type's page lifecycle machine, drawn from the
// very table the checker fires, so the picture cannot drift from the model.
#include "report/dot.hpp"

#include "models/device_coherent.hpp"
#include "models/device_private.hpp"
#include "models/fs_dax.hpp"
#include "models/generic.hpp"
#include "models/p2pdma.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <stdexcept>
#include <vector>

namespace pgmapcheck {

namespace {

template <class Rows>
std::string machine_dot(std::string_view title, Rows const& rows, std::vector<lifecycle_use> const& sides) {
  auto const& names = machine::state_traits<models::page_state>::names;
  std::string heading(title);
  if (sides.size() == 1) heading += "\\nunder " + sides[0].label + ": dashed grey, a row its model code never takes";
  if (sides.size() == 2)
    heading += "\\n" + sides[0].label + " vs " + sides[1].label + ": blue, a row only " + sides[0].label +
               " takes; red, only " + sides[1].label + "; dashed grey, neither";
  std::string out = fmt::format(
      "digraph lifecycle {{\n  label=\"{}\";\n  labelloc=t;\n  fontname=Helvetica;\n"
      "  node [shape=ellipse, fontname=Helvetica];\n  edge [fontname=Helvetica, fontsize=10];\n",
      heading);
  for (std::size_t s = 0; s < names.size(); ++s)
    out += fmt::format("  {} [label=\"{}\"{}];\n", names[s], names[s], s == 0 ? ", peripheries=2" : "");
  auto label_of = [](auto const& r) {
    std::string label(r.event);
    if (!r.guard.empty()) label += fmt::format(" [{}]", r.guard);
    if (!r.action.empty()) label += fmt::format(" / {}", r.action);
    return label;
  };
  if (!sides.empty()) {  // a row an edge, styled by who takes it
    for (auto const& r : rows) {
      auto const e = std::find(models::event_names.begin(), models::event_names.end(), r.event) - models::event_names.begin();
      std::array<int, 3> const key{static_cast<int>(e), static_cast<int>(r.src), static_cast<int>(r.dst)};
      bool const a = sides[0].seen.count(key) > 0, b = sides.size() > 1 && sides[1].seen.count(key) > 0;
      std::string style;
      if (sides.size() == 1 ? !a : !a && !b)
        style = ", style=dashed, color=gray60, fontcolor=gray50";
      else if (sides.size() == 2 && a != b)
        style = a ? ", color=blue, fontcolor=blue, penwidth=2" : ", color=red, fontcolor=red, penwidth=2";
      out += fmt::format("  {} -> {} [label=\"{}\"{}];\n", names[static_cast<std::size_t>(r.src)],
                         names[static_cast<std::size_t>(r.dst)], label_of(r), style);
    }
    return out + "}\n";
  }
  // One edge per (src, dst), its rows one label line each, in table order.
  std::vector<std::pair<std::pair<std::size_t, std::size_t>, std::string>> edges;
  for (auto const& r : rows) {
    std::string const label = label_of(r);
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

// The functions the instruction at pc runs in, the thread's root first.
std::vector<std::string> path_of(lang::program const& t, std::size_t pc) { return lang::call_path(t.sites[t.code[pc].site]); }

std::string dot_text(std::string const& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

std::string render_function(lang::program const& t, std::vector<std::string> const& files, std::string const& function,
                            std::string const& title) {
  // The first inlined instance of the function: the pcs from its first one
  // while their call path keeps the same prefix down to it.
  std::size_t first = t.code.size(), depth = 0;
  for (std::size_t pc = 0; pc < t.code.size() && first == t.code.size(); ++pc) {
    auto const p = path_of(t, pc);
    if (auto it = std::find(p.begin(), p.end(), function); it != p.end()) {
      first = pc;
      depth = static_cast<std::size_t>(it - p.begin());
    }
  }
  if (first == t.code.size()) throw std::invalid_argument("thread " + t.name + " does not run " + function);
  auto const prefix = path_of(t, first);
  auto inside = [&](std::size_t pc) {
    if (pc >= t.code.size()) return false;
    auto const p = path_of(t, pc);
    return p.size() > depth && std::equal(prefix.begin(), prefix.begin() + static_cast<long>(depth) + 1, p.begin());
  };
  std::size_t last = first;
  while (inside(last + 1)) ++last;

  // Successors of an instruction: (pc, edge label) pairs; yes/no: a branch's condition.
  auto next = [&](std::size_t pc) {
    auto const& in = t.code[pc];
    std::vector<std::pair<std::size_t, std::string>> out;
    switch (in.k) {
      case lang::instr::kind::jump: out.emplace_back(in.target, ""); break;
      case lang::instr::kind::finish: break;
      case lang::instr::kind::branch:
        out.emplace_back(pc + 1, "yes");
        out.emplace_back(in.target, "no");
        break;
      default: out.emplace_back(pc + 1, "");
    }
    return out;
  };
  // From a visible step, the visible steps (or the exit) it can reach next,
  // through the local computation between them.
  std::string dot = fmt::format(
      "digraph function {{\n  label=\"{}\";\n  labelloc=t;\n  fontname=Helvetica;\n"
      "  node [shape=box, fontname=Helvetica, fontsize=10];\n  edge [fontname=Helvetica, fontsize=9];\n"
      "  entry [shape=circle, label=\"\", width=0.2, style=filled, fillcolor=black];\n"
      "  exit [shape=doublecircle, label=\"\", width=0.15, style=filled, fillcolor=black];\n",
      dot_text(title));
  // The function's own steps are nodes; a call is one node for its whole
  // inlined body (draw the callee on its own to see inside it).
  std::vector<std::size_t> range_start(t.code.size(), t.code.size());  // a callee's pcs -> where its range starts
  for (std::size_t pc = first; pc <= last; ++pc) {
    auto const p = path_of(t, pc);
    if (p.size() <= depth + 1) continue;
    bool const continues = pc > first && range_start[pc - 1] != t.code.size() && path_of(t, pc - 1)[depth + 1] == p[depth + 1];
    range_start[pc] = continues ? range_start[pc - 1] : pc;
  }
  auto node_of = [&](std::size_t pc) -> std::string {
    if (pc < first || pc > last) return "exit";
    if (range_start[pc] != t.code.size()) return fmt::format("c{}", range_start[pc]);
    return t.code[pc].visible ? fmt::format("s{}", pc) : "";
  };
  for (std::size_t pc = first; pc <= last; ++pc) {
    auto const& w = t.sites[t.code[pc].site];
    std::string const file = files[w.pos.file].substr(files[w.pos.file].rfind('/') + 1);
    if (range_start[pc] == pc) {
      std::size_t steps = 0, end = pc;
      while (end <= last && range_start[end] == pc) steps += t.code[end++].visible;
      dot += fmt::format("  c{} [label=\"calls {}()\\l{} step{} inlined ({})\\l\", style=\"rounded,filled\", "
                         "fillcolor=gray92];\n",
                         pc, dot_text(path_of(t, pc)[depth + 1]), steps, steps == 1 ? "" : "s", file);
    } else if (range_start[pc] == t.code.size() && t.code[pc].visible) {
      dot += fmt::format("  s{} [label=\"{}:{}\\l{}\\l{}\\l\"];\n", pc, file, w.pos.line, dot_text(w.text),
                         dot_text(lang::primitive_of(t, t.code[pc])));
    }
  }
  std::set<std::string> edges;
  auto edge = [&](std::string const& from, std::string const& to, std::string const& label) {
    std::string e = fmt::format("  {} -> {}{};\n", from, to, label.empty() ? "" : " [label=\"" + label + "\"]");
    if (edges.insert(e).second) dot += e;
  };
  // From a node, the nodes it can reach next through local computation.
  auto reach = [&](std::string const& from, std::size_t start, std::string const& label) {
    std::vector<std::size_t> todo{start};
    std::set<std::size_t> seen;
    while (!todo.empty()) {
      std::size_t const pc = todo.back();
      todo.pop_back();
      if (!seen.insert(pc).second) continue;
      std::string const to = node_of(pc);
      if (!to.empty()) {
        edge(from, to, label);
        continue;
      }
      for (auto const& [q, l] : next(pc)) todo.push_back(q);
    }
  };
  reach("entry", first, "");
  for (std::size_t pc = first; pc <= last; ++pc) {
    std::string const from = node_of(pc);
    if (range_start[pc] != t.code.size()) {  // leaving a call: from its last instructions
      for (auto const& [q, l] : next(pc))
        if (q >= t.code.size() || range_start[q] != range_start[pc]) reach(from, q, "");
    } else if (t.code[pc].visible) {
      for (auto const& [q, l] : next(pc)) reach(from, q, t.code[pc].k == lang::instr::kind::branch ? l : "");
    }
  }
  return dot + "}\n";
}

std::string render_machine(models::pagemap type, std::vector<lifecycle_use> const& sides) {
  switch (type) {
    case models::pagemap::p2pdma:
      return machine_dot("MEMORY_DEVICE_PCI_P2PDMA page lifecycle (models/p2pdma.hpp)",
                         machine::describe(models::p2pdma::table), sides);
    case models::pagemap::fs_dax:
      return machine_dot("MEMORY_DEVICE_FS_DAX page lifecycle (models/fs_dax.hpp)",
                         machine::describe(models::fs_dax::table), sides);
    case models::pagemap::device_private:
      return machine_dot("MEMORY_DEVICE_PRIVATE page lifecycle (models/device_private.hpp)",
                         machine::describe(models::device_private::table), sides);
    case models::pagemap::device_coherent:
      return machine_dot("MEMORY_DEVICE_COHERENT page lifecycle (models/device_coherent.hpp)",
                         machine::describe(models::device_coherent::table), sides);
    case models::pagemap::generic:
      return machine_dot("MEMORY_DEVICE_GENERIC page lifecycle (models/generic.hpp)",
                         machine::describe(models::generic::table), sides);
  }
  throw std::invalid_argument("unknown pagemap type");
}

}  // namespace pgmapcheck
