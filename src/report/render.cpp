// The text trace and report.json of a check.
#include "report/render.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <map>

namespace pgmapcheck {

namespace {

std::string scenario_name(spec const& s) {
  std::string n = fmt::format("{} {}", models::name_of(s.sc.type), models::name_of(s.sc.kernel));
  if (!s.applied_patch.empty()) n += " + " + s.applied_patch;
  if (!s.patch.empty()) n += " + patch";
  return fmt::format("{}, {} page{}{}", n, s.sc.pages, s.sc.pages == 1 ? "" : "s", s.setup ? ", from its [setup]" : "");
}

}  // namespace

std::string headline(check_result const& r) {
  std::string const name = scenario_name(r.scenario);
  if (!r.witness.empty()) {
    std::size_t const n = r.trace.size();
    if (r.witness_reached)
      return fmt::format("{}: witness reached (shortest: {} step{}{})", name, n, n == 1 ? "" : "s",
                         r.fewest_switches ? fmt::format(", fewest switches: {}", r.switches()) : "");
    if (r.result == verdict::incomplete)
      return fmt::format("{}: witness incomplete: {} after {} states (no run found yet)", name, r.incomplete_reason,
                         r.states);
    return fmt::format("{}: witness unreachable ({} states, {} transitions)", name, r.states, r.transitions);
  }
  switch (r.result) {
    case verdict::holds:
      return fmt::format("{}: holds ({} states, {} transitions, {} bytes/state)", name, r.states, r.transitions,
                         r.states ? r.memory_bytes / r.states : 0);
    case verdict::incomplete:
      return fmt::format("{}: incomplete: {} after {} states (no verdict)", name, r.incomplete_reason, r.states);
    case verdict::violation: break;
  }
  std::size_t const n = r.trace.size();
  if (!r.shortest)
    return fmt::format("{}: {} ({} step{}, not shown shortest)", name, name_of(*r.violated), n, n == 1 ? "" : "s");
  if (r.fewest_switches)
    return fmt::format("{}: {} (shortest: {} step{}, fewest switches: {})", name, name_of(*r.violated), n,
                       n == 1 ? "" : "s", r.switches());
  return fmt::format("{}: {} (shortest: {} step{})", name, name_of(*r.violated), n, n == 1 ? "" : "s");
}

namespace {

// The process's peak resident set so far (Linux: VmHWM), 0 where unknown.
std::uint64_t peak_rss_bytes() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  return 0;
}

// Model lines ("file:line") grouped by file, runs of lines as ranges:
// "models/kernel/drivers/dax/device.kc:9, 11, 13-17".
std::string some(std::vector<std::string> const& v) {
  std::map<std::string, std::vector<int>> by_file;
  for (auto const& l : v) {
    auto const colon = l.rfind(':');
    by_file[l.substr(0, colon)].push_back(std::stoi(l.substr(colon + 1)));
  }
  std::string out;
  for (auto& [file, lines] : by_file) {
    std::sort(lines.begin(), lines.end());
    out += (out.empty() ? "" : "; ") + file + ":";
    for (std::size_t i = 0; i < lines.size();) {
      std::size_t j = i;
      while (j + 1 < lines.size() && lines[j + 1] == lines[j] + 1) ++j;
      out += (i ? ", " : "") + (j > i ? fmt::format("{}-{}", lines[i], lines[j]) : std::to_string(lines[i]));
      i = j + 1;
    }
  }
  return out;
}

// "  lead: items", wrapped at spaces to width, continuation lines indented.
std::string wrapped(std::string const& lead, std::string const& items, std::size_t width) {
  std::string out, line = "  " + lead + ":";
  std::size_t at = 0;
  while (at < items.size()) {
    std::size_t next = items.find(' ', at);
    if (next == std::string::npos) next = items.size();
    std::string const word = items.substr(at, next - at);
    if (line.size() + 1 + word.size() > width && line.size() > 4) {
      out += line + "\n";
      line = "     ";
    } else {
      line += " ";
    }
    line += word;
    at = next + 1;
  }
  return out + line + "\n";
}

}  // namespace

// Model code only: which lines ran, and what a holds says nothing about.
std::string render_coverage(check_result const& r, std::size_t width) {
  if (r.code_lines.empty()) return "";
  std::string out = fmt::format("  model code: {} of {} lines ran{}\n", r.code_lines.size() - r.never_ran.size(),
                                r.code_lines.size(),
                                r.result == verdict::holds ? "" : " (the search stopped early: it covers less)");
  if (r.result != verdict::holds) return out;
  if (!r.never_ran.empty()) out += wrapped("never ran (this holds says nothing about them)", some(r.never_ran), width);
  if (!r.failures_never_taken.empty())
    out += wrapped("failure branches never taken (failures = 0?)", some(r.failures_never_taken), width);
  if (!r.wakeups_never_ran.empty()) out += wrapped("wake-ups never run", some(r.wakeups_never_ran), width);
  return out;
}

std::string render_text(check_result const& r, render_options const& o) {
  std::string out;
  auto const head = wrap_text(headline(r), static_cast<std::size_t>(std::max(o.width, 40)));
  for (std::size_t k = 0; k < head.size(); ++k) out += (k ? "  " : "") + head[k] + "\n";
  auto note = [&](std::string const& text) {  // an indented line under the headline, wrapped
    std::string lines;
    for (auto const& l : wrap_text(text, static_cast<std::size_t>(std::max(o.width, 40)) - 2)) lines += "  " + l + "\n";
    return lines;
  };
  if (r.scenario.expect && !r.scenario.expect->involves.empty()) {
    std::string kinds;
    for (auto k : r.scenario.expect->involves) kinds += (kinds.empty() ? "" : ", ") + std::string(models::name_of(k));
    out += note(fmt::format("only counterexamples in which {} act{} on a page count ([expect] involves)", kinds,
                       r.scenario.expect->involves.size() == 1 ? "s" : ""));
  }
  if (r.scenario.expect && !r.scenario.expect->passes.empty()) {
    std::string names;
    for (auto const& f : r.scenario.expect->passes) names += (names.empty() ? "" : ", ") + f.name;
    out += note(fmt::format("only counterexamples that pass through {} count ([expect] passes)", names));
  }
  if (!r.witness.empty()) {
    out += "  witness: " + r.witness + "\n";
    if (!r.witness_reached) return out;
    return out + render_race(r, o) +
           fmt::format("  = the witness holds {}\n", r.trace.empty() ? "in the initial state" : "after the last step");
  }
  if (r.result != verdict::violation) return out + render_coverage(r, static_cast<std::size_t>(o.width));
  return out + render_race(r, o);
}

std::string render_json(check_result const& r) {
  using nlohmann::ordered_json;
  auto const& s = r.scenario;
  ordered_json j;
  j["spec"] = s.path;
  j["title"] = s.title;
  j["kernel"] = models::name_of(s.sc.kernel);
  if (!s.applied_patch.empty()) j["applied_patch"] = s.applied_patch;
  j["pagemap"] = models::name_of(s.sc.type);
  j["pages"] = s.sc.pages;
  j["actors"] = s.actor_labels;
  if (s.expect && !s.expect->involves.empty()) {  // the verdict counts only counterexamples these act in
    auto kinds = ordered_json::array();
    for (auto k : s.expect->involves) kinds.push_back(models::name_of(k));
    j["involves"] = kinds;
  }
  if (s.expect && !s.expect->passes.empty()) {  // ... and only those that run these functions
    auto names = ordered_json::array();
    for (auto const& f : s.expect->passes) names.push_back(f.name);
    j["passes"] = names;
  }
  ordered_json patch = ordered_json::object();
  for (auto const& p : s.patch) patch[p.knob] = p.text;
  j["patch"] = patch;
  ordered_json checked = ordered_json::array();
  for (std::size_t i = 0; i < property_count; ++i)
    if (s.checked.has(static_cast<property>(i))) checked.push_back(property_names[i]);
  j["properties"] = checked;
  if (!r.witness.empty())
    j["witness"] = {{"condition", r.witness}, {"reached", r.witness_reached}};
  j["verdict"] = name_of(r.result);
  j["property"] = r.violated ? ordered_json(name_of(*r.violated)) : ordered_json(nullptr);
  j["message"] = r.message;
  j["where"] = r.where;
  j["shortest"] = r.shortest;
  if (r.stuck_at >= 0) {  // a livelock: steps from 1, as the trace numbers them
    j["stuck_after_step"] = r.stuck_at;
    j["loop"] = {r.loop_from + 1, r.trace.size()};
  }
  if (r.result == verdict::incomplete) j["incomplete_reason"] = r.incomplete_reason;
  j["states"] = r.states;
  j["transitions"] = r.transitions;
  j["depth"] = r.depth;
  j["memory_bytes"] = r.memory_bytes;
  // Bytes per stored state: what the visited set and links hold at the end,
  // the same for any number of threads (the peak, with tables' rehashes
  // on top, depends on when workers took record chunks: under timing).
  j["bytes_per_state"] = r.states ? static_cast<double>(r.memory_bytes) / static_cast<double>(r.states) : 0.0;
  j["initial"] = {{"page_refs", r.initial_page_refs}, {"pgmap_ref", r.initial_pgmap_ref}};
  ordered_json steps = ordered_json::array();
  for (std::size_t i = 0; i < r.trace.size(); ++i) {
    auto const& row = r.trace[i];
    steps.push_back({{"n", i + 1},
                     {"actor", s.actor_labels[static_cast<std::size_t>(row.actor)]},
                     {"step", row.text},
                     {"notes", row.notes},
                     {"function", row.function},
                     {"page_refs", row.page_refs},
                     {"pgmap_ref", row.pgmap_ref},
                     {"violating", row.violating}});
  }
  j["trace"] = steps;
  if (!r.code_lines.empty())
    j["coverage"] = {{"lines", r.code_lines.size()},
                     {"never_ran", r.never_ran},
                     {"failures_never_taken", r.failures_never_taken},
                     {"wakeups_never_ran", r.wakeups_never_ran}};
  j["timing"] = {{"seconds", r.seconds}, {"peak_memory_bytes", r.peak_memory_bytes}, {"peak_rss_bytes", peak_rss_bytes()}};
  return j.dump(2) + "\n";
}

}  // namespace pgmapcheck
