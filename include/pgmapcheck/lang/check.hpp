// A scenario checked on the kernel library (model code) rather than the actors.
#pragma once

#include "pgmapcheck/trace.hpp"

namespace pgmapcheck {

// Explores the spec's scenario as model code and explains the outcome in the
// same form as run_check: trace rows name each step's model file:line.
check_result run_code_check(spec const& s, limits const& lim);

// The properties a check of s on model code covers: the spec's, plus
// kernel-warn and kernel-bug (WARN and BUG in model code) unless the spec
// lists its own.
property_set checked_on_code(spec const& s);

}  // namespace pgmapcheck
