// `pgmapcheck diff`: each scenario under base and patched semantics, one
// property at a time; a fixed violation's base counterexample replayed on the
// patched code to the first step that can no longer happen or ends
// differently (check/check.cpp).
#include "check/diff.hpp"

#include "check/check.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace pgmapcheck {

using namespace models;

std::string scenario_label(spec const& s) {
  std::string const suffix = fmt::format("-{}", name_of(s.declared_kernel));
  std::string n = s.name;
  if (n.size() > suffix.size() && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0)
    n.resize(n.size() - suffix.size());
  return fmt::format("{}/{}", name_of(s.sc.type), n);
}


change compare(check_result const& a, check_result const& b) {
  if (a.result == verdict::incomplete || b.result == verdict::incomplete) return change::unknown;
  if (a.result == b.result) return change::unchanged;
  return a.result == verdict::violation ? change::fixed : change::introduced;
}

std::string semantics::name(bool short_for_one) const {
  if (short_for_one && patches.size() == 1) return patches.front().name;
  std::string n = models::name_of(kernel);
  for (auto const& p : patches) n += " + " + p.name;
  return n;
}

semantics on_kernel(models::kernel_version k) { return {k, {}}; }
semantics on_patch(patch_file p) {
  if (p.kernel) return on_kernel(*p.kernel);  // a kernel's code, restated as the change from its base
  auto const base = p.base;
  return {base, {std::move(p)}};
}

diff_report run_diff(std::vector<spec> const& specs, semantics const& base, semantics const& patched, limits const& lim) {
  diff_report d;
  // A lone patch goes by its name on the patched side; a base always names its kernel.
  d.base_name = base.name(false);
  d.patch_name = patched.name(base.patches.empty());
  for (auto const& s : specs) {
    spec const b = base.apply(s);
    spec const p = patched.apply(s);
    std::string label = scenario_label(s);
    bool const shared = std::count_if(specs.begin(), specs.end(), [&](spec const& o) { return scenario_label(o) == label; }) > 1;
    if (shared) label = std::string(name_of(s.sc.type)) + "/" + s.name;
    property_set const props = p.checked;
    for (std::size_t i = 0; i < property_count; ++i) {
      auto const prop = static_cast<property>(i);
      if (!props.has(prop)) continue;
      diff_row row;
      row.scenario = label;
      row.prop = prop;
      spec bs = b, ps = p;
      bs.checked = property_set{};
      bs.checked.add(prop);
      bs.checked.add(property::model_range);  // no row holds past the model's range
      bs.properties_listed = true;
      ps.checked = bs.checked;
      ps.properties_listed = true;
      row.base = run_check(bs, lim);
      row.patched = run_check(ps, lim);
      row.what = compare(row.base, row.patched);
      if (row.what == change::fixed) row.evidence = replay_on_code(bs, row.base, ps);
      d.rows.push_back(std::move(row));
    }
  }
  return d;
}

}  // namespace pgmapcheck
