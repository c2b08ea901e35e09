// Counterexample diagrams: swim-lane DOT (Boost.Graph) and SVG (Graphviz libgvc).
#pragma once

#include "models/kernels.hpp"
#include "pgmapcheck/trace.hpp"

#include <string>
#include <string_view>

namespace pgmapcheck {

// The trace as DOT: one lane per actor, steps in order, the violating step red.
std::string render_dot(check_result const& r);

// A pagemap type's page lifecycle machine as DOT, from its table; throws
// std::invalid_argument for a type this version does not model.
std::string render_machine(models::pagemap type);

// Text safe inside HTML (and Graphviz's HTML-like labels): & < > " escaped.
std::string html_escape(std::string_view s);

// Lays out and renders DOT text to SVG in-process; throws std::runtime_error.
std::string render_svg(std::string const& dot);

}  // namespace pgmapcheck
