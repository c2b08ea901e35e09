// The HTML report of a check: one self-contained page for a review thread.
#pragma once

#include "report/diff.hpp"
#include "report/render.hpp"

#include <string>

namespace pgmapcheck {

// The page: the verdict per checked property and, for a violation, a
// step-through viewer (the race as a table and each thread's model code,
// the current step highlighted in both, the counters after it), the text
// race diagram and the sequence diagram's SVG inline. No network: styles,
// script and model sources are all in the page.
std::string render_html(check_result const& r);

// A diff's page: the table, then each fixed or introduced change with its
// evidence inline (the counterexample as a race and a sequence diagram, and
// for a fix the replay on the patch); each change's own report.html, with a
// step-through viewer, is linked (diff --html writes them beside it).
std::string render_diff_html(diff_report const& d);

}  // namespace pgmapcheck
