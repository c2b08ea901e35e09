// Scenario files (specs/*.toml): parsing and validation into a runnable scenario.
#pragma once

#include "lang/actors.hpp"
#include "lang/error.hpp"
#include "search/explorer.hpp"
#include "search/model.hpp"

#include <array>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pgmapcheck {

struct expectation {
  verdict result = verdict::holds;
  std::optional<property> violated;
  // involves = [...]: the actor kinds the counterexample must involve (one
  // instance of each takes a step before the violation counts).
  std::vector<models::actor_kind> involves;
  // passes = [...]: model functions the counterexample must run through (a
  // thread takes a step inside each before the violation counts), with where
  // each is named, for the error when no thread calls it.
  struct function_ref {
    std::string name;
    int line = 1, column = 1;
  };
  std::vector<function_ref> passes;
};

// "'a', 'b' or 'c'": the names a key or an option may take, for the error
// that names what was expected.
template <std::size_t N>
std::string one_of(std::array<std::string_view, N> const& names) {
  std::string s;
  for (std::size_t i = 0; i < N; ++i) {
    if (i) s += i + 1 == N ? " or " : ", ";
    s += '\'';
    s += names[i];
    s += '\'';
  }
  return s;
}

// [witness]: a state the user expects the model to reach (or not).
struct witness_entry {
  std::string reach;  // the condition (docs/user-guide.md, witnesses)
  int line = 1, column = 1;
  std::optional<bool> expect_reached;  // expect = "reached" | "unreachable": a regression case
};

struct patch_entry {
  std::string knob;
  std::int8_t value = 0;
  std::string text;  // the value as written
  int line = 0, column = 0;
};

// Model code a spec or a patch carries: a thread's code, or a function.
struct code_source {
  std::string name;  // the thread's or the function's name
  std::string text;
  int line = 0;      // the file's line the text's first line stands on
};

// A patch's change to one library function: what it replaces (as the patch
// author saw it; empty for a new function) and what replaces it.
struct function_patch {
  std::string patch;  // the patch file
  std::optional<code_source> replaces;
  code_source with;
};

struct spec {
  std::string path;
  std::string name;  // the file's stem
  std::string title;
  models::scenario sc;
  models::kernel_version declared_kernel = models::kernels::v5_10;  // as the file says; sc.kernel may be overridden
  property_set checked = property_set::all();
  bool properties_listed = false;  // the file restricts the check with properties = [...]
  std::vector<patch_entry> patch;
  std::string applied_patch;  // the patch files applied over the kernel, if any ("a + b")
  std::optional<expectation> expect;
  std::optional<witness_entry> witness;
  std::vector<std::string> actor_labels;  // "memunmap#0", in column order
  std::vector<code_source> threads;    // [threads.NAME]: code of the spec's own, run after the actors
  std::optional<code_source> setup;    // [setup] code: run alone before the search, to build its start
  bool setup_mapped = false;           // [setup] mapped = true: the process maps the file or device
  std::vector<code_source> functions;  // [functions]: functions the spec defines or overrides
  std::vector<function_patch> era_patches;       // the era's patch stack on its release (rfc-v3 on v5.10)
  std::vector<function_patch> function_patches;  // from the patch files applied, in order
  int failures = 1;          // the failure budget: operations that may fail for reasons outside the model
};

// Returns true iff property p applies to pagemap type t.
bool applies(property p, models::pagemap t);

// The scenario files under dir (*.toml, recursive, sorted), leaving out
// patch files (any folder named "patches").
std::vector<std::filesystem::path> catalog_files(std::filesystem::path const& dir);

// Parses and validates a scenario; throws spec_error on bad input.
spec parse_spec(std::string_view text, std::string const& path);
spec load_spec(std::filesystem::path const& path);

// The spec under another kernel era (the patch is re-applied over its preset).
spec with_kernel(spec s, models::kernel_version e);

// A proposed patch as knob overrides over a base era (specs/patches/*.toml).
struct patch_file {
  std::string path;
  std::string name;  // the file's stem
  std::string title;
  std::string link;  // a lore message id or a commit
  models::kernel_version base = models::kernels::v5_10;
  std::optional<models::kernel_version> kernel;                           // kernel = "v6.1": the change is that era's code
  std::vector<patch_entry> common;                              // [knobs]: every type they concern
  std::array<std::vector<patch_entry>, 5> per_type;             // [knobs.TYPE]
  std::vector<std::filesystem::path> scenarios;                 // default scenarios, resolved
  std::vector<function_patch> functions;                        // [functions.NAME]: replaces, with
};

// The kernel library's patch stack that makes era e from its release
// (models/patches/ERA/*.toml, in file order): rfc-v3 is two patches on
// v5.10; a release has none.
std::vector<patch_file> const& era_patch_stack(models::kernel_version k);

// Parses and validates a patch file; throws spec_error on bad input.
patch_file parse_patch_file(std::string_view text, std::string const& path);
patch_file load_patch(std::filesystem::path const& path);
// The text of an input file: a regular file of at most 1 MiB, else a
// spec_error naming it.
std::string read_input(std::filesystem::path const& path);

// The spec under patches stacked on `base`: the era (the spec's own [patch]
// re-applied), then each patch in order, its knobs that concern the spec's
// type and its functions. Throws spec_error for a patch written for another
// base.
spec with_patches(spec s, models::kernel_version base, std::vector<patch_file> const& patches);

// The spec under one patch, on the patch's base.
spec with_patch(spec s, patch_file const& p);

// Throws spec_error for a knob of p that concerns no pagemap type in specs
// (a patch of knobs alone that would change nothing).
void check_patch_applies(patch_file const& p, std::vector<spec> const& specs);

}  // namespace pgmapcheck
