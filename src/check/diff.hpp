// `pgmapcheck diff`: a scenario under two semantics, property by property,
// with the evidence for every change.
#pragma once

#include "lang/spec.hpp"
#include "check/result.hpp"

#include <optional>
#include <string>
#include <vector>

namespace pgmapcheck {

enum class change : std::uint8_t { unchanged, fixed, introduced, unknown };
constexpr std::string_view name_of(change c) {
  return c == change::unchanged ? "unchanged" : c == change::fixed ? "fixed" : c == change::introduced ? "introduced" : "unknown";
}

// The base counterexample replayed, step by step, on the patched semantics.
struct replay {
  int diverges_at = 0;         // 1-based step that cannot happen or ends differently; 0: none
  bool cannot_happen = false;  // else it happens and ends differently
  std::string what;            // that step, and how it differs
  std::vector<std::string> steps;  // one line per replayed step
  std::vector<std::string> why;    // the patched functions on its way, the values that differ
};

struct diff_row {
  std::string scenario;  // "p2pdma/v1-unbalanced-put"
  property prop = property::refcount_underflow;
  check_result base;
  check_result patched;
  change what = change::unchanged;
  std::optional<replay> evidence;  // for a fixed violation
};

struct diff_report {
  std::string base_name;   // "v5.10"
  std::string patch_name;  // "rfc-v3" or the patch file's title
  std::vector<diff_row> rows;
};

// One side of a diff: a kernel, and the patches stacked on it in order.
struct semantics {
  models::kernel_version kernel = models::kernels::v5_10;
  std::vector<patch_file> patches;

  // "v5.10", "v5.10 + a + b"; one patch alone is "a" when short_for_one.
  std::string name(bool short_for_one = true) const;
  spec apply(spec const& s) const { return with_patches(s, kernel, patches); }
};

// A kernel alone, or one patch on its base (a patch that names a kernel: that kernel).
semantics on_kernel(models::kernel_version k);
semantics on_patch(patch_file p);

// What a change of semantics did to one check: fixed, introduced, unchanged,
// or unknown when either side was incomplete.
change compare(check_result const& base, check_result const& patched);

// "p2pdma/v1-unbalanced-put": the type and the file's stem without its
// "-<kernel>" suffix, a scenario's name across kernels.
std::string scenario_label(spec const& s);

// Checks every spec under both semantics, one property at a time.
diff_report run_diff(std::vector<spec> const& specs, semantics const& base, semantics const& patched, limits const& lim);


}  // namespace pgmapcheck
