// `pgmapcheck diff`: each scenario under base and patched semantics, one
// property at a time; a fixed violation's base counterexample replayed on the
// patched model to the first step that can no longer happen or ends differently.
#include "pgmapcheck/diff.hpp"

#include "pgmapcheck/lang/check.hpp"

#include "explorer/kernel_model.hpp"

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

namespace {

std::string knob_text(knob const& k, std::int8_t v) {
  switch (k.kind) {
    case knob_kind::boolean: return v ? "true" : "false";
    case knob_kind::integer: return std::to_string(v);
    case knob_kind::choice: return std::string(k.choices[static_cast<std::size_t>(v)]);
  }
  return std::to_string(v);
}

std::string counters_text(std::vector<int> const& pages, int ref) {
  std::string s;
  for (std::size_t p = 0; p < pages.size(); ++p) s += fmt::format("page{}={} ", p, pages[p]);
  return s + fmt::format("ref={}", ref);
}

void counters_of(scenario const& sc, world const& w, std::vector<int>& pages, int& ref) {
  pages.clear();
  for (int p = 0; p < sc.pages; ++p) pages.push_back(w.pages[static_cast<std::size_t>(p)].refcount);
  ref = w.ref;
}

std::string violations_text(std::uint16_t bits) {
  std::string s;
  for (std::size_t i = 0; i < property_count; ++i)
    if (bits & (1u << i)) s += (s.empty() ? "" : ", ") + std::string(property_names[i]);
  return s.empty() ? "none" : s;
}

}  // namespace

change compare(check_result const& a, check_result const& b) {
  if (a.result == verdict::incomplete || b.result == verdict::incomplete) return change::unknown;
  if (a.result == b.result) return change::unchanged;
  return a.result == verdict::violation ? change::fixed : change::introduced;
}

replay replay_on(check_result const& base, spec const& patched_spec) {
  replay rp;
  kernel_model const m(patched_spec.sc);
  auto const& labels = base.scenario.actor_labels;
  std::vector<knob const*> differing;
  for (auto const& k : knobs) {
    std::int8_t a = base.scenario.sc.rule.*(k.field), b = patched_spec.sc.rule.*(k.field);
    if (a != b && concerns(k, patched_spec.sc.type)) differing.push_back(&k);
  }
  // Why: the differing knobs the divergent step reads; all of them if none.
  auto explain = [&](op o) {
    std::vector<knob const*> relevant;
    for (auto const* k : differing)
      if (std::find(info(o).knobs.begin(), info(o).knobs.end(), k->name) != info(o).knobs.end()) relevant.push_back(k);
    for (auto const* k : relevant.empty() ? differing : relevant)
      rp.why.push_back(fmt::format("{}: {} -> {}", k->name, knob_text(*k, base.scenario.sc.rule.*(k->field)),
                                   knob_text(*k, patched_spec.sc.rule.*(k->field))));
    for (std::size_t v = 0; v < variants.size(); ++v)
      if (((base.scenario.sc.variants ^ patched_spec.sc.variants) >> v) & 1u)
        rp.why.push_back(fmt::format("variant {}: {}", variants[v].name, variants[v].changes));
  };
  world w = m.initial();
  std::vector<int> pages;
  int ref = 0;
  counters_of(patched_spec.sc, w, pages, ref);
  if (pages != base.initial_page_refs || ref != base.initial_pgmap_ref)
    rp.steps.push_back(fmt::format("initial: {} (base: {})", counters_text(pages, ref),
                                   counters_text(base.initial_page_refs, base.initial_pgmap_ref)));
  for (std::size_t i = 0; i < base.trace.size(); ++i) {
    auto const& row = base.trace[i];
    std::string const who = labels[static_cast<std::size_t>(row.actor)];
    std::optional<std::pair<step, world>> match;
    std::vector<std::string> instead;
    m.for_each_successor(w, [&](step const& st, world const& next) {
      if (st.actor != row.actor) return;
      if (static_cast<int>(st.what) == row.op && st.page == row.page && !match) match = std::pair{st, next};
      instead.push_back(std::string(info(st.what).name) + (st.page >= 0 ? fmt::format("(page{})", st.page) : ""));
    });
    if (!match) {
      std::string reason = instead.empty() ? "the actor cannot step here (asleep, or finished)"
                                           : "it can only do " + fmt::format("{}", fmt::join(instead, ", "));
      rp.steps.push_back(fmt::format("{:>3}  {}: {} cannot happen: {}", i + 1, who, row.text, reason));
      if (!rp.diverges_at) {
        explain(static_cast<op>(row.op));
        rp.diverges_at = static_cast<int>(i + 1);
        rp.cannot_happen = true;
        rp.what = fmt::format("step {} ({}: {}) cannot happen under the patch: {}", i + 1, who, row.text, reason);
      }
      return rp;
    }
    auto const& [st, next] = *match;
    // Compare what the step does (its change to the counters), not where the
    // counters stand: the two semantics may start from different counts.
    std::vector<int> before_pages = pages;
    int before_ref = ref;
    counters_of(patched_spec.sc, next, pages, ref);
    auto const& base_before_pages = i == 0 ? base.initial_page_refs : base.trace[i - 1].page_refs;
    int const base_before_ref = i == 0 ? base.initial_pgmap_ref : base.trace[i - 1].pgmap_ref;
    std::vector<std::string> diffs;
    for (std::size_t q = 0; q < pages.size() && q < row.page_refs.size(); ++q) {
      int d_patch = pages[q] - before_pages[q], d_base = row.page_refs[q] - base_before_pages[q];
      if (d_patch != d_base)
        diffs.push_back(fmt::format("page{} {:+} (base: {:+})", q, d_patch, d_base));
    }
    if (ref - before_ref != row.pgmap_ref - base_before_ref)
      diffs.push_back(fmt::format("pgmap->ref {:+} (base: {:+})", ref - before_ref, row.pgmap_ref - base_before_ref));
    if (st.violated != row.violated)
      diffs.push_back(fmt::format("violates {} (base: {})", violations_text(st.violated), violations_text(row.violated)));
    rp.steps.push_back(fmt::format("{:>3}  {}: {} -> {}{}", i + 1, who, row.text, counters_text(pages, ref),
                                   diffs.empty() ? "" : "   <- differs"));
    if (!diffs.empty() && !rp.diverges_at) {
      explain(st.what);
      rp.diverges_at = static_cast<int>(i + 1);
      rp.what = fmt::format("step {} ({}: {}) ends differently under the patch: {}", i + 1, who, row.text,
                            fmt::format("{}", fmt::join(diffs, "; ")));
    }
    w = next;
  }
  if (base.terminal && base.violated) {
    property_set bad = m.check_terminal(w);
    bool stuck = true;
    m.for_each_successor(w, [&](step const&, world const&) { stuck = false; });
    std::string end = stuck && bad.has(*base.violated)
                          ? fmt::format("the final state still violates {}", name_of(*base.violated))
                          : fmt::format("the final state is no {} under the patch{}", name_of(*base.violated),
                                        stuck ? "" : ": an actor can still step");
    rp.steps.push_back("  =  " + end);
    if (!rp.diverges_at) {
      explain(op::finds_nothing);
      rp.diverges_at = static_cast<int>(base.trace.size());
      rp.what = end;
    }
  }
  return rp;
}

std::string semantics::name() const {
  if (patches.size() == 1) return patches.front().name;
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
  d.base_name = base.name();
  d.patch_name = patched.name();
  for (auto const& s : specs) {
    spec b = base.apply(s);
    spec p = patched.apply(s);
    if (b.needs_code() || p.needs_code()) b.code_engine = p.code_engine = true;  // function patches: both sides on model code
    std::string label = scenario_label(s);
    bool const shared = std::count_if(specs.begin(), specs.end(), [&](spec const& o) { return scenario_label(o) == label; }) > 1;
    if (shared) label = std::string(name_of(s.sc.type)) + "/" + s.name;
    property_set const props = p.needs_code() ? checked_on_code(p) : s.checked;
    for (std::size_t i = 0; i < property_count; ++i) {
      auto const prop = static_cast<property>(i);
      if (!props.has(prop)) continue;
      diff_row row;
      row.scenario = label;
      row.prop = prop;
      spec bs = b, ps = p;
      bs.checked = property_set{};
      bs.checked.add(prop);
      bs.properties_listed = true;
      ps.checked = bs.checked;
      ps.properties_listed = true;
      row.base = run_check(bs, lim);
      row.patched = run_check(ps, lim);
      row.what = compare(row.base, row.patched);
      if (row.what == change::fixed) {
        if (ps.needs_code()) {
          row.evidence = replay_on_code(bs, row.base, ps);
        } else {
          row.evidence = replay_on(row.base, ps);
        }
      }
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
  std::string out = fmt::format("{} {}: fixed. The base counterexample ({} steps), replayed on the patch:\n", row.scenario,
                                name_of(row.prop), row.base.trace.size());
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
