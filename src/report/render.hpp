// The text outputs of a check: the headline, the race diagram, the
// coverage report and report.json.
#pragma once

#include "check/result.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace pgmapcheck {

// "p2pdma v5.10, 2 pages: refcount-underflow (shortest: 4 steps)"; a trace
// that was not shown shortest (DFS, a limit) says "(N steps, not shown shortest)"
std::string headline(check_result const& r);

// How a race diagram is laid out.
struct render_options {
  int width = 80;          // columns the text diagram fits in (as far as the threads' columns can narrow)
  bool all_steps = false;  // also the steps of threads that found nothing to act on
};

// The headline, then the interleaving as kernel commit messages draw races
// (report/race.cpp): a CPU column per set of threads that never overlap,
// each step under the function it runs in, the counters where they change,
// the violating step marked.
std::string render_text(check_result const& r, render_options const& o = {});

// Splits text into lines of at most w characters, at a space or after a
// punctuation mark where it can; continuation lines are indented by two.
std::vector<std::string> wrap_text(std::string const& text, std::size_t w);

// The race diagram alone, without the headline.
std::string render_race(check_result const& r, render_options const& o = {});

// How many model lines ran, and for a holds the lines, the failure branches
// and the wake-ups that never ran.
std::string render_coverage(check_result const& r, std::size_t width = 80);

// report.json; timing figures live under "timing" only.
std::string render_json(check_result const& r);

}  // namespace pgmapcheck
