// Checking a scenario on the kernel library: the properties model code checks, and replay.
#pragma once

#include "check/diff.hpp"
#include "check/result.hpp"

namespace pgmapcheck {



// Replays a counterexample found on model code (base_result, a check of
// base) on the patched spec's model code, step by step: each step is matched
// by its label (thread, primitive, function, page, failure branch), not by
// its place in the code, so a patch that moves code still lines up. Stops at
// the first step that cannot happen, or names the first that ends
// differently (its change to the counters, or what it violates).
replay replay_on_code(spec const& base, check_result const& base_result, spec const& patched);

}  // namespace pgmapcheck
