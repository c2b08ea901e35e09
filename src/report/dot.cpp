// Counterexample diagrams: the race as a sequence diagram in DOT (one
// HTML-like table: a lifeline per thread, a row per step, the counters along
// the side), a small run's state graph (Boost.Graph's write_graphviz), and
// SVG rendered in-process by libgvc.
#include "report/dot.hpp"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/graphviz.hpp>
#include <fmt/format.h>
#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

#include <algorithm>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace pgmapcheck {

namespace {

std::string html(std::string const& s) { return html_escape(s); }

// The diagram's colours, named once for the rows and the legend.
constexpr char const* asleep_fill = "#dde6f5";
constexpr char const* violating_fill = "#fbd5d5";
constexpr char const* lifeline = "gray55";

std::string lifeline_cell(std::string const& extra = "", std::string const& content = "") {
  return fmt::format("<TD SIDES=\"L\" BORDER=\"1\" COLOR=\"{}\" ALIGN=\"LEFT\" BALIGN=\"LEFT\"{}>{}</TD>", lifeline, extra, content);
}

std::string small(std::string const& text, char const* colour = "gray35") {
  return fmt::format("<FONT POINT-SIZE=\"8\" COLOR=\"{}\">{}</FONT>", colour, text);
}

}  // namespace

std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string render_dot(check_result const& r) {
  auto const& labels = r.scenario.actor_labels;
  // Lifelines: the threads that take a shown step, in the order they first step.
  std::vector<int> lane_of(labels.size(), -1);
  std::vector<std::size_t> lanes;
  for (auto const& row : r.trace) {
    auto const a = static_cast<std::size_t>(row.actor);
    if (row.idle || lane_of[a] >= 0) continue;
    lane_of[a] = static_cast<int>(lanes.size());
    lanes.push_back(a);
  }
  std::size_t const pages = r.initial_page_refs.size();
  std::size_t const span = 1 + lanes.size() + pages + 1;  // step number, lifelines, counters

  // The counters after a step: a value the step changed in bold, left blank
  // where nothing changed; on the violating step, what changed in red.
  auto counters = [&](std::vector<int> const& refs, int ref, std::vector<int> const* before, int ref_before,
                      bool violating) {
    std::string cells;
    for (std::size_t p = 0; p <= pages; ++p) {
      int const v = p < pages ? refs[p] : ref;
      int const was = before ? (p < pages ? (*before)[p] : ref_before) : v;
      std::string text = std::to_string(v);
      if (v != was) text = "<B>" + text + "</B>";
      if (violating && (v != was || v < 0)) text = "<FONT COLOR=\"red\">" + text + "</FONT>";
      bool const show = !before || v != was || violating;
      cells += fmt::format("<TD ALIGN=\"RIGHT\">{}</TD>", show ? text : "");
    }
    return cells;
  };

  std::string t = "<TABLE BORDER=\"0\" CELLBORDER=\"0\" CELLSPACING=\"0\" CELLPADDING=\"2\">\n";
  t += fmt::format("<TR><TD COLSPAN=\"{}\" ALIGN=\"LEFT\"><B>{}</B></TD></TR>\n", span, html(headline(r)));
  t += "<TR><TD></TD>";
  for (auto a : lanes) t += fmt::format("<TD ALIGN=\"LEFT\" SIDES=\"B\" BORDER=\"1\"><B>{}</B></TD>", html(labels[a]));
  for (std::size_t p = 0; p < pages; ++p) t += fmt::format("<TD ALIGN=\"RIGHT\" SIDES=\"B\" BORDER=\"1\">p{}</TD>", p);
  t += "<TD ALIGN=\"RIGHT\" SIDES=\"B\" BORDER=\"1\">ref</TD></TR>\n";
  t += "<TR><TD></TD>";
  for (std::size_t l = 0; l < lanes.size(); ++l) t += lifeline_cell();
  t += counters(r.initial_page_refs, r.initial_pgmap_ref, nullptr, 0, false) + "</TR>\n";

  // Per lane, what its thread waits for since the step after which it could
  // not go on ("" while it runs), and whether a row has named it yet.
  std::vector<std::string> asleep(lanes.size());
  std::vector<bool> named(lanes.size(), false);
  auto asleep_cell = [&](std::size_t l) {
    std::string const content = named[l] ? std::string() : small("<I>" + html(asleep[l]) + "</I>");
    named[l] = true;
    return lifeline_cell(fmt::format(" BGCOLOR=\"{}\"", asleep_fill), content);
  };
  std::vector<std::string> last_function(lanes.size());  // shown once, until it changes
  std::vector<int> before = r.initial_page_refs;
  int ref_before = r.initial_pgmap_ref;
  for (std::size_t i = 0; i < r.trace.size(); ++i) {
    auto const& row = r.trace[i];
    if (row.idle) continue;
    auto const lane = static_cast<std::size_t>(lane_of[static_cast<std::size_t>(row.actor)]);
    asleep[lane].clear();
    std::string const fill = row.violating ? fmt::format(" BGCOLOR=\"{}\"", violating_fill) : "";
    t += fmt::format("<TR><TD ALIGN=\"RIGHT\"{}>{}{}</TD>", fill, row.violating ? "&gt; " : "", i + 1);
    for (std::size_t l = 0; l < lanes.size(); ++l) {
      if (l != lane) {
        t += asleep[l].empty() ? lifeline_cell() : asleep_cell(l);
        continue;
      }
      std::string const fn = row.calls.empty() ? std::string() : row.calls.back();
      std::string cell = fn == last_function[lane] ? std::string() : small(html(fn), "gray40") + " ";
      last_function[lane] = fn;
      auto const lines = wrap_text(step_text(row), 44);
      for (std::size_t k = 0; k < lines.size(); ++k)
        cell += (k ? "<BR ALIGN=\"LEFT\"/>" : "") + html(lines[k]);
      if (row.violating) cell = "<FONT COLOR=\"red\"><B>" + cell + "</B></FONT>";
      t += lifeline_cell(fill + fmt::format(" TOOLTIP=\"{}\"", html(row.function)), cell);
    }
    t += counters(row.page_refs, row.pgmap_ref, &before, ref_before, row.violating) + "</TR>\n";
    if (!row.blocks.empty()) {
      asleep[lane] = row.blocks;
      named[lane] = false;
    }
    before = row.page_refs;
    ref_before = row.pgmap_ref;
  }
  // Threads still asleep at the end (a deadlock) stay drawn asleep.
  if (std::any_of(asleep.begin(), asleep.end(), [](std::string const& a) { return !a.empty(); })) {
    t += "<TR><TD></TD>";
    for (std::size_t l = 0; l < lanes.size(); ++l) t += asleep[l].empty() ? lifeline_cell() : asleep_cell(l);
    t += fmt::format("<TD COLSPAN=\"{}\"></TD></TR>\n", pages + 1);
  }
  if (r.violated)
    t += fmt::format("<TR><TD COLSPAN=\"{}\" ALIGN=\"LEFT\"><FONT COLOR=\"red\">{} {}: {}</FONT></TD></TR>\n"
                     "<TR><TD COLSPAN=\"{}\" ALIGN=\"LEFT\">{}</TD></TR>\n",
                     span, r.terminal ? "=" : "^", html(std::string(name_of(*r.violated))), html(r.message), span,
                     small(html(r.where)));
  t += fmt::format("<TR><TD COLSPAN=\"{}\" ALIGN=\"LEFT\">{}</TD></TR>\n", span,
                   small(fmt::format("<FONT COLOR=\"{}\">&#9608;</FONT> asleep until woken   "
                                     "<FONT COLOR=\"{}\">&#9608;</FONT> violating step   "
                                     "p0.. page refcounts, ref pgmap-&gt;ref (bold: changed)   "
                                     "grey: the function a thread enters",
                                     asleep_fill, violating_fill),
                         "black"));
  t += "</TABLE>";
  return "digraph trace {\n  graph [fontname=\"Helvetica\", margin=\"0.05\"];\n"
         "  node [shape=plaintext, fontname=\"Helvetica\", fontsize=10];\n  diagram [label=<\n" +
         t + "\n>];\n}\n";
}

std::string render_state_graph(state_graph const& g, std::string const& title) {
  using graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, state_graph::vertex, state_graph::edge>;
  graph bg(g.vertices.size());
  for (std::size_t v = 0; v < g.vertices.size(); ++v) bg[v] = g.vertices[v];
  for (auto const& e : g.edges) boost::add_edge(e.from, e.to, e, bg);
  auto text = [](std::string s) {  // DOT's own line breaks, then quoted
    std::string out;
    for (char c : s) out += c == '\n' ? std::string("\\n") : std::string(1, c);
    return boost::escape_dot_string(out);
  };
  std::ostringstream out;
  boost::write_graphviz(
      out, bg,
      [&](std::ostream& os, graph::vertex_descriptor v) {
        auto const& x = bg[v];
        os << "[label=" << text(x.label) << ", tooltip=" << text(x.tooltip.empty() ? x.label : x.tooltip);
        if (x.violation) os << ", shape=octagon, style=filled, fillcolor=\"" << violating_fill << "\", color=red";
        if (x.initial) os << ", peripheries=2";
        if (x.on_trace) os << ", color=red, penwidth=2";
        os << "]";
      },
      [&](std::ostream& os, graph::edge_descriptor e) {
        auto const& x = bg[e];
        os << "[label=" << text(x.label);
        if (x.on_trace) os << ", color=red, fontcolor=red, penwidth=2";
        os << "]";
      },
      [&](std::ostream& os) {
        os << "graph [label=" << text(title) << ", labelloc=t, fontname=Helvetica];\n"
           << "node [shape=box, fontname=Helvetica, fontsize=9];\n"
           << "edge [fontname=Helvetica, fontsize=8, color=gray40];\n";
      });
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
