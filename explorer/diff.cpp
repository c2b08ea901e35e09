// `pgmapcheck diff`: each scenario under base and patched semantics, one
// property at a time; a fixed violation's base counterexample replayed on the
// patched code to the first step that can no longer happen or ends
// differently (explorer/lang/check.cpp).
#include "pgmapcheck/diff.hpp"

#include "pgmapcheck/lang/check.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

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
  std::string n(models::name_of(era));
  for (auto const& p : patches) n += " + " + p.name;
  return n;
}

semantics on_era(models::era e) { return {e, {}}; }
semantics on_patch(patch_file p) {
  if (p.kernel) return on_era(*p.kernel);  // a kernel's code, restated as the change from its base
  auto const base = p.base;
  return {base, {std::move(p)}};
}

diff_report run_diff(std::vector<spec> const& specs, semantics const& base, semantics const& patched, limits const& lim) {
  diff_report d;
  // A lone patch goes by its name on the patched side; a base always names its era.
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

std::string render_diff_table(diff_report const& d, bool all_rows) {
  std::vector<std::array<std::string, 6>> lines;
  std::size_t quiet = 0;
  auto cell = [](check_result const& r) {
    return r.result == verdict::incomplete ? std::string("incomplete") : std::string(name_of(r.result));
  };
  for (auto const& r : d.rows) {
    bool interesting = r.base.result != verdict::holds || r.patched.result != verdict::holds;
    if (!interesting && !all_rows) {
      ++quiet;
      continue;
    }
    lines.push_back({r.scenario, std::string(name_of(r.prop)), cell(r.base), cell(r.patched), std::string(name_of(r.what)),
                     fmt::format("{}/{}", r.base.states, r.patched.states)});
  }
  std::array<std::string, 6> head{"scenario", "property", d.base_name, d.patch_name, "change", "states"};
  std::array<std::size_t, 6> w{};
  for (std::size_t c = 0; c < 6; ++c) w[c] = head[c].size();
  for (auto const& l : lines)
    for (std::size_t c = 0; c < 6; ++c) w[c] = std::max(w[c], l[c].size());
  auto emit = [&](std::array<std::string, 6> const& l) {
    std::string s;
    for (std::size_t c = 0; c < 6; ++c) s += fmt::format("{:<{}}", l[c], c + 1 < 6 ? w[c] + 2 : 0);
    return s + "\n";
  };
  std::string out = emit(head);
  for (auto const& l : lines) out += emit(l);
  if (quiet) out += fmt::format("(and {} more (scenario, property) pairs that hold under both)\n", quiet);
  int fixed = 0, introduced = 0, unknown = 0;
  for (auto const& r : d.rows) {
    fixed += r.what == change::fixed;
    introduced += r.what == change::introduced;
    unknown += r.what == change::unknown;
  }
  out += fmt::format("{} fixed, {} introduced, {} unknown\n", fixed, introduced, unknown);
  return out;
}

std::string render_replay(diff_row const& row) {
  if (!row.evidence) return "";
  auto const& e = *row.evidence;
  if (e.steps.empty() && !e.diverges_at && !e.what.empty())
    return fmt::format("{} {}: fixed ({} steps on the base); {}\n", row.scenario, name_of(row.prop),
                       row.base.trace.size(), e.what);
  std::string out = fmt::format(
      "{} {}: fixed. The base counterexample ({} steps), replayed on the patch: each step in the patched model's own\n"
      "code and counters after it; '!' marks the first step that ends differently, 'X' the first that no longer "
      "happens.\n",
      row.scenario, name_of(row.prop), row.base.trace.size());
  for (auto const& s : e.steps) out += s + "\n";
  out += e.diverges_at ? "  -> " + e.what + "\n" : "  -> every step replays the same\n";
  if (!e.why.empty()) out += fmt::format("  because: {}\n", fmt::join(e.why, "; "));
  return out;
}

std::string render_diff_json(diff_report const& d) {
  using nlohmann::ordered_json;
  ordered_json j;
  j["base"] = d.base_name;
  j["patch"] = d.patch_name;
  ordered_json rows = ordered_json::array();
  for (auto const& r : d.rows) {
    ordered_json row{{"scenario", r.scenario},
                     {"property", name_of(r.prop)},
                     {"base", name_of(r.base.result)},
                     {"patch", name_of(r.patched.result)},
                     {"change", name_of(r.what)},
                     {"states", {{"base", r.base.states}, {"patch", r.patched.states}}}};
    auto without_timing = [](check_result const& c) {
      auto t = ordered_json::parse(render_json(c));
      t.erase("timing");
      return t;
    };
    if (r.what == change::introduced) row["counterexample"] = without_timing(r.patched);
    if (r.what == change::fixed) {
      row["base_counterexample"] = without_timing(r.base);
      auto const& e = *r.evidence;
      row["replay"] = {{"diverges_at", e.diverges_at},
                       {"cannot_happen", e.cannot_happen},
                       {"what", e.what},
                       {"steps", e.steps},
                       {"knobs", e.why}};
    }
    rows.push_back(row);
  }
  j["rows"] = rows;
  return j.dump(2) + "\n";
}

}  // namespace pgmapcheck
