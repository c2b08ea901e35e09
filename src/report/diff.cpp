// `pgmapcheck diff`'s outputs: the table, a fixed violation's replay, the JSON.
#include "report/diff.hpp"

#include "report/render.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace pgmapcheck {

using namespace models;

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
