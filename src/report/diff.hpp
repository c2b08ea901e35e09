// `pgmapcheck diff`'s outputs.
#pragma once

#include "check/diff.hpp"

#include <string>

namespace pgmapcheck {

// The table: scenario, property, base, patch, change, states.
std::string render_diff_table(diff_report const& d, bool all_rows);
// A fixed violation's base counterexample, replayed on the patched code.
std::string render_replay(diff_row const& row);
// The whole diff as JSON, each check's report.json inside.
std::string render_diff_json(diff_report const& d);

}  // namespace pgmapcheck
