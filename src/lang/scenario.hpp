// A scenario file run on the kernel library: its actors become threads that
// run the library's harness functions, under the era's model code.
#pragma once

#include "lang/runtime.hpp"
#include "lang/spec.hpp"

namespace pgmapcheck::lang {

class witness;

// The release a kernel's model code is preprocessed for (rfc-v3: v5.10's code).
int release_of(models::kernel_version k);

// Every library file, parsed and checked for the spec's era and type.
source_set load_library(scenario_facts const& facts);

// Adds what the spec brings to the library: its patches' functions (each
// refused when the function it replaces has changed), its own functions, and
// its threads' code. Throws spec_error on bad model code.
void add_scenario_code(source_set& src, spec const& s, scenario_facts const& facts);

// The spec's scenario as model code: one thread per actor instance, running
// the harness function of its kind. Throws spec_error on bad model code.
code_model build_code_model(spec const& s);
// The same model for a witness search: w's history is its only requirement
// ([expect]'s involves and passes are for counterexamples); throws
// witness_error when w names what the scenario lacks.
code_model build_code_model(spec const& s, witness const& w);

}  // namespace pgmapcheck::lang
