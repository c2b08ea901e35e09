// A scenario checked on the kernel library (model code) rather than the actors.
#pragma once

#include "pgmapcheck/trace.hpp"

namespace pgmapcheck {

// Explores the spec's scenario as model code and explains the outcome in the
// same form as run_check: trace rows name each step's model file:line.
check_result run_code_check(spec const& s, limits const& lim);

}  // namespace pgmapcheck
