// A scenario's compiled model code written out as a Promela model for SPIN:
// the same state graph as the unreduced search, so SPIN's state count can be
// set beside pgmapcheck's (bench/spin) and the two implementations of the
// primitives checked against each other (docs/performance.md, SPIN).
#pragma once

#include "lang/runtime.hpp"
#include "search/model.hpp"

#include <string>

namespace pgmapcheck::lang {

// The Promela model of m (built without reductions): every byte of a
// code_model state is a Promela variable holding the same value, each step
// (one visible instruction and the invisible ones after it, with one
// outcome) is one d_step, and a violation of a checked property is a failed
// assert. Throws spec_error for what the export does not cover: [expect]
// requirements, a loop without a step, a lock named by a computed value;
// the error names `file`, the scenario's. Not carried over: a value's wrap
// at 8 bits (Promela keeps signed values in a short), and the checks inside
// a choose_page predicate or an enabledness guard (docs/user-guide.md).
std::string to_promela(code_model const& m, property_set checked, std::string const& title, std::string const& file);

}  // namespace pgmapcheck::lang
