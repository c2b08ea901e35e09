// Counterexample diagrams: a Boost.Graph subgraph per actor lane, written as
// DOT with write_graphviz, and rendered to SVG in-process by libgvc.
#include "pgmapcheck/dot.hpp"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/graphviz.hpp>
#include <boost/graph/subgraph.hpp>
#include <fmt/format.h>
#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace pgmapcheck {

namespace {

using attrs = std::map<std::string, std::string>;
using graph = boost::subgraph<boost::adjacency_list<
    boost::vecS, boost::vecS, boost::directedS, boost::property<boost::vertex_attribute_t, attrs>,
    boost::property<boost::edge_index_t, int, boost::property<boost::edge_attribute_t, attrs>>,
    boost::property<boost::graph_name_t, std::string,
                    boost::property<boost::graph_graph_attribute_t, attrs,
                                    boost::property<boost::graph_vertex_attribute_t, attrs,
                                                    boost::property<boost::graph_edge_attribute_t, attrs>>>>>>;

std::string counters_text(std::vector<int> const& pages, int ref) {
  std::string s;
  for (std::size_t p = 0; p < pages.size(); ++p) s += fmt::format("page{}={} ", p, pages[p]);
  return s + fmt::format("pgmap->ref={}", ref);
}

}  // namespace

std::string render_dot(check_result const& r) {
  auto const& labels = r.scenario.actor_labels;
  std::size_t const steps = r.trace.size();
  // Vertex 0 is the initial state; vertex i is step i.
  graph g(steps + 1);
  boost::get_property(g, boost::graph_name) = "trace";
  auto& gattr = boost::get_property(g, boost::graph_graph_attribute);
  std::string title = headline(r);
  if (r.violated) title += fmt::format("\n{}: {}", name_of(*r.violated), r.message);
  gattr["label"] = title;
  gattr["labelloc"] = "t";
  gattr["fontname"] = "Helvetica";
  gattr["rankdir"] = "TB";
  gattr["newrank"] = "true";
  boost::get_property(g, boost::graph_vertex_attribute)["shape"] = "box";
  boost::get_property(g, boost::graph_vertex_attribute)["fontname"] = "Helvetica";
  boost::get_property(g, boost::graph_edge_attribute)["color"] = "gray40";

  auto vattr = boost::get(boost::vertex_attribute, g);
  vattr[0]["label"] = "initial\n" + counters_text(r.initial_page_refs, r.initial_pgmap_ref);
  vattr[0]["shape"] = "ellipse";

  std::vector<graph*> lanes;
  for (std::size_t a = 0; a < labels.size(); ++a) {
    graph& lane = g.create_subgraph();
    boost::get_property(lane, boost::graph_name) = fmt::format("cluster_{}", a);
    auto& la = boost::get_property(lane, boost::graph_graph_attribute);
    la["label"] = labels[a];
    la["style"] = "rounded";
    la["color"] = "gray60";
    lanes.push_back(&lane);
  }
  for (std::size_t i = 0; i < steps; ++i) {
    auto const& row = r.trace[i];
    std::string text = fmt::format("{}. {}", i + 1, row.text);
    for (auto const& n : row.notes) text += "\n  " + n;
    text += "\n" + counters_text(row.page_refs, row.pgmap_ref);
    auto& a = vattr[i + 1];
    a["label"] = text;
    a["tooltip"] = row.function;
    if (row.violating) {
      a["color"] = "red";
      a["fontcolor"] = "red";
      a["penwidth"] = "2";
    }
    boost::add_vertex(i + 1, *lanes[static_cast<std::size_t>(row.actor)]);
    auto e = boost::add_edge(i, i + 1, g).first;
    auto& ea = boost::get(boost::edge_attribute, g)[e];
    if (i > 0 && r.trace[i - 1].actor == row.actor) ea["penwidth"] = "2";
    if (row.violating) ea["color"] = "red";
  }
  std::ostringstream out;
  boost::write_graphviz(out, g);
  return out.str();
}

namespace {
std::string graphviz_errors;
int collect_error(char* message) {
  graphviz_errors += message;
  return 0;
}
}  // namespace

std::string render_svg(std::string const& dot) {
  graphviz_errors.clear();
  agseterrf(collect_error);
  // One context for the process: libgvc 2.42's text layout keeps a static
  // pointer into a context's font cache, so freeing a context and making
  // another reads freed memory (seen under ASan).
  static std::unique_ptr<GVC_t, int (*)(GVC_t*)> gvc(gvContext(), gvFreeContext);
  if (!gvc) throw std::runtime_error("graphviz: cannot create a context");
  std::unique_ptr<Agraph_t, int (*)(Agraph_t*)> g(agmemread(dot.c_str()), agclose);
  if (!g) throw std::runtime_error("graphviz: cannot parse the DOT text: " + graphviz_errors);
  if (gvLayout(gvc.get(), g.get(), "dot") != 0) throw std::runtime_error("graphviz: dot layout failed");
  char* data = nullptr;
  unsigned int length = 0;
  int rc = gvRenderData(gvc.get(), g.get(), "svg", &data, &length);
  std::string svg = rc == 0 && data ? std::string(data, length) : std::string();
  if (data) gvFreeRenderData(data);
  gvFreeLayout(gvc.get(), g.get());
  if (rc != 0) throw std::runtime_error("graphviz: svg rendering failed");
  return svg;
}

}  // namespace pgmapcheck
