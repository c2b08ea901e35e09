// Counterexample diagrams: swim-lane DOT (Boost.Graph) and SVG (Graphviz libgvc).
#pragma once

#include "lang/kernels.hpp"
#include "lang/program.hpp"
#include "report/render.hpp"

#include <array>
#include <set>
#include <string>
#include <string_view>

namespace pgmapcheck {

// The trace as DOT: one lane per actor, steps in order, the violating step red.
std::string render_dot(check_result const& r);

// The lifecycle rows model code moves pages through under one semantics:
// (event id, from state, to state), as models/lifecycle.hpp numbers them.
struct lifecycle_use {
  std::string label;  // "v5.10", "v5.10 + rfc-v3"
  std::set<std::array<int, 3>> seen;
};

// A pagemap type's page lifecycle machine as DOT, from its table; throws
// std::invalid_argument for a type this version does not model. With one
// side, the rows its model code never takes are dashed and grey; with two,
// a row only one side takes is coloured (blue: the first, red: the second).
std::string render_machine(models::pagemap type, std::vector<lifecycle_use> const& sides = {});

// A model function as a control-flow graph: one node per step (its model
// line and primitive), the functions it calls as clusters, branches labelled.
// `program` is a compiled thread that runs the function; throws
// std::invalid_argument if it does not.
std::string render_function(lang::program const& thread, std::vector<std::string> const& files,
                            std::string const& function, std::string const& title);

// A state graph as DOT (Boost.Graph): the counterexample's path in red,
// violations as red octagons, the initial state doubled.
std::string render_state_graph(state_graph const& g, std::string const& title);

// Text safe inside HTML (and Graphviz's HTML-like labels): & < > " escaped.
std::string html_escape(std::string_view s);

// Lays out and renders DOT text to SVG in-process; throws std::runtime_error.
std::string render_svg(std::string const& dot);

}  // namespace pgmapcheck
