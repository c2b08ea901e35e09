// A scenario checked on the kernel library (model code) rather than the actors.
#pragma once

#include "pgmapcheck/diff.hpp"
#include "pgmapcheck/trace.hpp"

namespace pgmapcheck {

// Explores the spec's scenario as model code and explains the outcome in the
// same form as run_check: trace rows name each step's model file:line.
check_result run_code_check(spec const& s, limits const& lim);

// The properties a check of s on model code covers: the spec's, plus those
// only model code can violate (kernel-warn, kernel-bug, lifecycle) unless the
// spec lists its own.
property_set checked_on_code(spec const& s);

// Replays a counterexample found on model code (base_result, a check of
// base) on the patched spec's model code, step by step: each step is matched
// by its label (thread, primitive, function, page, failure branch), not by
// its place in the code, so a patch that moves code still lines up. Stops at
// the first step that cannot happen, or names the first that ends
// differently (its change to the counters, or what it violates).
replay replay_on_code(spec const& base, check_result const& base_result, spec const& patched);

}  // namespace pgmapcheck
