// The command line: check, list, test (exit codes as in docs/user-guide.md).
#include "cli/cli.hpp"
#include "lang/budget.hpp"
#include "check/check.hpp"
#include "lang/program.hpp"
#include "lang/releases.hpp"
#include "lang/assumptions.hpp"
#include "export/promela.hpp"
#include "lang/scenario.hpp"

#include "models/lifecycle.hpp"
#include "report/diff.hpp"
#include "report/dot.hpp"
#include "report/html.hpp"
#include "lang/spec.hpp"
#include "report/render.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <atomic>
#include <csignal>
#include <fstream>
#include <iostream>
#include <thread>
#include <unistd.h>

namespace pgmapcheck {

namespace {

std::atomic<bool> interrupted{false};
extern "C" void on_sigint(int) { interrupted.store(true); }

enum exit_code : int { ok = 0, violated = 1, bad_input = 2, incomplete = 3, sigint = 130 };

struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Writes content to path through a temporary file and a rename, so a reader
// never sees a half-written file.
void write_atomic(std::filesystem::path const& path, std::string const& content) {
  std::filesystem::path tmp = path;
  tmp += fmt::format(".tmp{}", ::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw usage_error(fmt::format("cannot write {}", path.string()));
    out << content;
    out.flush();
    if (!out) throw usage_error(fmt::format("cannot write {}", path.string()));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    throw usage_error(fmt::format("cannot write {}", path.string()));
  }
}

void make_dirs(std::filesystem::path const& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir))
    throw usage_error(fmt::format("cannot create output directory {}: {}", dir.string(), ec ? ec.message() : "not a directory"));
}

// Expands folders to their *.toml files (sorted, recursive) and keeps files as given.
std::vector<std::filesystem::path> expand(std::vector<std::string> const& args) {
  std::vector<std::filesystem::path> files;
  for (auto const& a : args) {
    std::error_code ec;
    if (std::filesystem::is_directory(a, ec)) {
      auto found = catalog_files(a);
      if (found.empty()) throw usage_error(fmt::format("{} holds no spec (*.toml)", a));
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.emplace_back(a);
    }
  }
  return files;
}

// Loads every spec, printing each error; returns false if any was bad.
bool load_all(std::vector<std::filesystem::path> const& files, std::vector<spec>& specs) {
  bool good = true;
  for (auto const& f : files) {
    try {
      specs.push_back(load_spec(f));
    } catch (spec_error const& e) {
      std::cerr << "error: " << e.what() << "\n";
      good = false;
    }
  }
  return good;
}

std::string cell(check_result const& r) {
  if (r.not_applicable) return fmt::format("n/a ({} came in v6.1)", models::name_of(r.scenario.sc.type));
  std::string v(name_of(r.result));
  if (r.violated) v += " " + std::string(name_of(*r.violated));
  if (!r.witness.empty() && r.result != verdict::incomplete)
    v = r.witness_reached ? fmt::format("witness reached in {} steps", r.trace.size()) : "witness unreachable";
  return fmt::format("{} ({} states)", v, r.states);
}

// What changed between the first and the last kernel of a row.
std::string change_between(check_result const& a, check_result const& b) {
  if (a.not_applicable || b.not_applicable) return "-";
  change c = compare(a, b);
  if (c != change::unchanged) return std::string(name_of(c));
  return a.violated == b.violated ? "same" : "other violation";
}

std::string verdict_table(std::vector<std::vector<check_result>> const& results, std::vector<models::kernel_version> const& eras) {
  std::vector<std::string> labels;
  std::size_t w = 8;
  for (auto const& row : results) {
    labels.push_back(scenario_label(row[0].scenario));
    w = std::max(w, labels.back().size());
  }
  std::vector<std::size_t> cw(results.empty() ? 0 : results[0].size(), 7);
  for (auto const& row : results)
    for (std::size_t i = 0; i < row.size(); ++i) cw[i] = std::max(cw[i], cell(row[i]).size());
  std::string out = fmt::format("{:<{}}", "scenario", w + 2);
  for (std::size_t i = 0; i < cw.size(); ++i)
    out += fmt::format("{:<{}}", eras.empty() ? std::string("verdict") : models::name_of(eras[i]), cw[i] + 2);
  if (eras.size() >= 2) out += "change";
  out += "\n";
  for (std::size_t r = 0; r < results.size(); ++r) {
    std::string line = fmt::format("{:<{}}", labels[r], w + 2);
    for (std::size_t i = 0; i < results[r].size(); ++i) line += fmt::format("{:<{}}", cell(results[r][i]), cw[i] + 2);
    if (eras.size() >= 2) line += change_between(results[r].front(), results[r].back());
    line.erase(line.find_last_not_of(' ') + 1);
    out += line + "\n";
  }
  return out;
}

void write_outputs(check_result const& r, std::filesystem::path const& dir, render_options const& ro = {},
                   bool html = false) {
  make_dirs(dir);
  write_atomic(dir / "trace.txt", render_text(r, ro));
  write_atomic(dir / "report.json", render_json(r));
  if (html) write_atomic(dir / "report.html", render_html(r));
  if (r.result == verdict::violation || r.witness_reached) {
    std::string dot = render_dot(r);
    write_atomic(dir / "trace.dot", dot);
    write_atomic(dir / "trace.svg", render_svg(dot));
  }
}

// The most states --state-graph draws: past it the picture says nothing.
constexpr std::size_t state_graph_limit = 300;

// Search workers by default: every core.
unsigned all_cores() { return std::max(1u, std::thread::hardware_concurrency()); }

struct check_options {
  std::vector<std::string> specs;
  std::vector<std::string> kernels;
  std::string out;
  bool json = false;
  bool quiet = false;
  std::int64_t max_states = 0;      // 0: none (given, from 1 on)
  std::int64_t max_memory_mib = 0;  // 0: none (given, from 1 on)
  std::string search = "bfs";
  int failures = -1;  // -1: the spec's own (default 1)
  render_options render;
  bool html = false;
  bool fewest_switches = false;
  std::string witness;
  bool state_graph = false;
  bool no_reduction = false;
  bool no_partial_order = false;
  unsigned threads = all_cores();
};

// A release older than any tree the library was read in runs v5.10's code
// wherever no boundary says otherwise: say so, once.
void note_unread(models::kernel_version k) {
  static bool said = false;
  if (said || k.release >= models::oldest_read_release) return;
  said = true;
  std::cerr << fmt::format(
      "note: {}: no tree before 5.10.7 was read; functions with no boundary before v5.10 run their v5.10 code "
      "[inf] (pgmapcheck list --kernels)\n",
      models::name_of(k));
}

int run_check_command(check_options const& o) {
  std::vector<spec> specs;
  {
    lang::load_budget budget(static_cast<std::uint64_t>(o.max_memory_mib) << 20);
    lang::load_scope const scope(budget);
    if (!load_all(expand(o.specs), specs)) return bad_input;
  }
  std::vector<models::kernel_version> eras;
  for (auto const& k : o.kernels) {
    auto e = models::parse_kernel(k);
    if (!e) {
      std::cerr << fmt::format("error: unknown kernel '{}': expected {}\n", k, models::kernel_expected);
      return bad_input;
    }
    eras.push_back(*e);
  }
  std::vector<std::vector<spec>> runs;  // per spec, per kernel
  for (auto const& s : specs) {
    std::vector<spec> row;
    try {
      if (eras.empty())
        row.push_back(s);
      else
        for (auto e : eras) {
          // Across several kernels a type that did not exist yet gets an n/a cell.
          if (eras.size() > 1 && !models::exists_in(s.sc.type, e)) {
            spec missing = s;
            missing.sc.kernel = e;
            row.push_back(missing);
            continue;
          }
          row.push_back(with_kernel(s, e));
        }
    } catch (spec_error const& e) {
      std::cerr << "error: " << e.what() << "\n";
      return bad_input;
    }
    for (auto const& r : row) note_unread(r.sc.kernel);
    runs.push_back(std::move(row));
  }

  limits lim;
  lim.max_states = static_cast<std::uint64_t>(o.max_states);
  lim.max_memory_bytes = static_cast<std::uint64_t>(o.max_memory_mib) * 1024 * 1024;
  lim.order = o.search == "dfs" ? search_order::dfs : search_order::bfs;
  lim.cancel = &interrupted;
  lim.progress = !o.quiet;
  lim.fewest_switches = o.fewest_switches;
  lim.no_reduction = o.no_reduction;
  lim.no_partial_order = o.no_partial_order;
  lim.threads = o.threads;
  bool const one = runs.size() == 1 && runs[0].size() == 1;
  std::filesystem::path const base = o.out.empty() ? std::filesystem::path("out") : std::filesystem::path(o.out);

  bool any_violation = false, any_incomplete = false;
  std::vector<std::vector<check_result>> results;
  nlohmann::ordered_json reports = nlohmann::ordered_json::array();
  for (auto const& row : runs) {
    results.emplace_back();
    for (auto const& s : row) {
      if (!models::exists_in(s.sc.type, s.sc.kernel)) {
        check_result na;
        na.scenario = s;
        na.not_applicable = true;
        results.back().push_back(std::move(na));
        continue;
      }
      check_result r;
      try {
        spec run = s;
        if (o.failures >= 0) run.failures = o.failures;
        // A spec's [witness] is what check runs when the spec states no [expect]; test runs both.
        std::string const condition = !o.witness.empty()             ? o.witness
                                      : run.witness && !run.expect ? run.witness->reach
                                                                   : "";
        r = condition.empty() ? run_check(run, lim) : run_witness(run, condition, lim);
      } catch (spec_error const& e) {  // model code that does not load for this scenario
        std::cerr << "error: " << e.what() << "\n";
        return bad_input;
      }
      std::filesystem::path dir = base / s.name;
      if (one && !o.out.empty())
        dir = base;
      else if (!eras.empty())
        dir = base / scenario_label(s) / models::name_of(s.sc.kernel);
      write_outputs(r, dir, o.render, o.html);
      if (o.state_graph) {
        try {
          std::string const dot = render_state_graph(build_state_graph(s, r, state_graph_limit), headline(r));
          write_atomic(dir / "state-graph.dot", dot);
          write_atomic(dir / "state-graph.svg", render_svg(dot));
        } catch (std::length_error const& e) {
          std::cerr << "state graph not drawn: " << e.what() << " (--state-graph is for small runs)\n";
        }
      }
      if (o.json)
        reports.push_back(nlohmann::ordered_json::parse(render_json(r)));
      else if (!o.quiet)
        std::cout << render_text(r, o.render) << (r.result == verdict::violation || r.witness_reached ? fmt::format("  diagrams: {}\n", dir.string()) : "")
                  << "\n";
      any_violation |= r.result == verdict::violation || (!r.witness.empty() && !r.witness_reached &&
                                                             r.result != verdict::incomplete);
      any_incomplete |= r.result == verdict::incomplete;
      results.back().push_back(std::move(r));
      if (interrupted) break;
    }
    if (interrupted) break;
  }
  if (o.json) std::cout << (one ? reports[0].dump(2) : reports.dump(2)) << "\n";
  if (!o.json && !one) std::cout << verdict_table(results, eras);
  if (interrupted) return sigint;
  if (any_violation) return violated;
  return any_incomplete ? incomplete : ok;
}

// A patch file with its change list beside it (PATCH.expected: one
// "scenario property fixed|introduced|unknown" a line, # comments): diff
// over the patch's scenarios must change exactly those. Returns whether it did.
bool test_patch(std::filesystem::path const& file, limits const& lim) {
  auto const patch = load_patch(file);
  if (patch.scenarios.empty()) {  // nothing to diff: the list could not be missed
    std::cout << fmt::format("FAIL {}: the patch names no scenarios (scenarios = [...])\n", file.string());
    return false;
  }
  std::vector<spec> scenarios;
  for (auto const& f : patch.scenarios) scenarios.push_back(load_spec(f));
  std::set<std::string> want, got;
  std::string const expected = read_input(std::filesystem::path(file).replace_extension(".expected"));
  for (std::size_t at = 0; at < expected.size();) {
    std::size_t const eol = std::min(expected.find('\n', at), expected.size());
    std::string const line = expected.substr(at, eol - at);
    if (!line.empty() && line[0] != '#') want.insert(line);
    at = eol + 1;
  }
  auto const d = run_diff(scenarios, on_kernel(patch.base), on_patch(patch), lim);
  for (auto const& row : d.rows)
    if (row.what != change::unchanged) got.insert(fmt::format("{} {} {}", row.scenario, name_of(row.prop), name_of(row.what)));
  std::cout << fmt::format("{} {}: {} changes ({} expected)\n", got == want ? "ok  " : "FAIL", file.string(), got.size(),
                           want.size());
  for (auto const& w : want)
    if (!got.count(w)) std::cout << "  missing:    " << w << "\n";
  for (auto const& g : got)
    if (!want.count(g)) std::cout << "  unexpected: " << g << "\n";
  return got == want;
}

int run_test_command(std::vector<std::string> const& paths, std::int64_t max_states, bool no_reduction,
                     unsigned threads) {
  // A .toml with a .expected beside it is a patch and its change list; the rest are specs.
  std::vector<std::filesystem::path> spec_files, patch_files;
  for (auto const& f : expand(paths.empty() ? std::vector<std::string>{"specs"} : paths)) {
    std::error_code ec;
    bool const patch = std::filesystem::exists(std::filesystem::path(f).replace_extension(".expected"), ec);
    (patch ? patch_files : spec_files).push_back(f);
  }
  std::vector<spec> specs;
  if (!load_all(spec_files, specs)) return bad_input;
  limits lim;
  lim.max_states = static_cast<std::uint64_t>(max_states);
  lim.no_reduction = no_reduction;
  lim.threads = threads;
  lim.cancel = &interrupted;
  int passed = 0, failed = 0;
  for (auto const& p : patch_files) {
    (test_patch(p, lim) ? passed : failed)++;
    if (interrupted) return sigint;
  }
  std::map<std::string, bool> model_lines;  // over every spec run on model code: did the line ever run
  for (auto const& s : specs) {
    if (s.witness && s.witness->expect_reached) {  // a witness case: the model can (or cannot) get there
      check_result r = run_witness(s, s.witness->reach, lim);
      bool const met = r.result != verdict::incomplete && r.witness_reached == *s.witness->expect_reached;
      std::cout << fmt::format("{} {}: {} (expected witness {}; {:.3f} ms)\n", met ? "ok  " : "FAIL", s.path, cell(r),
                               *s.witness->expect_reached ? "reached" : "unreachable", r.seconds * 1000);
      (met ? passed : failed)++;
      if (interrupted) return sigint;
    }
    if (!s.expect) continue;
    check_result r = run_check(s, lim);
    for (auto const& l : r.code_lines) model_lines[l] = model_lines[l] || std::find(r.never_ran.begin(), r.never_ran.end(), l) == r.never_ran.end();
    bool met = r.result == s.expect->result && (!s.expect->violated || r.violated == s.expect->violated);
    std::string expected(name_of(s.expect->result));
    if (s.expect->violated) expected += " " + std::string(name_of(*s.expect->violated));
    std::cout << fmt::format("{} {}: {} (expected {}; {:.3f} ms)\n", met ? "ok  " : "FAIL", s.path, cell(r), expected,
                             r.seconds * 1000);
    if (!met && r.result == verdict::violation) std::cout << render_text(r);
    (met ? passed : failed)++;
    if (interrupted) return sigint;
  }
  if (!model_lines.empty()) {
    std::vector<std::string> never;
    for (auto const& [l, ran] : model_lines)
      if (!ran) never.push_back(l);
    std::cout << fmt::format("model code: {} of {} lines the specs' threads could run ran in some spec\n",
                             model_lines.size() - never.size(), model_lines.size());
    for (auto const& l : never) std::cout << "  never ran: " << l << "\n";
  }
  std::cout << fmt::format("{} passed, {} failed\n", passed, failed);
  return failed ? violated : ok;
}

template <std::size_t N>
nlohmann::ordered_json named_list(std::array<std::string_view, N> const& names,
                                  std::array<std::string_view, N> const& meanings) {
  auto j = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < N; ++i) j.push_back({{"name", names[i]}, {"meaning", meanings[i]}});
  return j;
}

// The releases the library resolves and its boundaries, each with its
// commit, how it was read, and the functions that change there.
nlohmann::ordered_json releases_json() {
  using nlohmann::ordered_json;
  ordered_json r;
  r["oldest"] = models::name_of(models::kernel_version{static_cast<std::uint16_t>(models::oldest_release), 0});
  r["newest"] = models::name_of(models::kernel_version{static_cast<std::uint16_t>(models::newest_release), 0});
  r["oldest_read"] = models::name_of(models::kernel_version{static_cast<std::uint16_t>(models::oldest_read_release), 0});
  auto b = ordered_json::array();
  for (auto const& u : lang::boundary_uses())
    b.push_back({{"release", models::name_of(models::kernel_version{static_cast<std::uint16_t>(u.where.release), 0})},
                 {"commit", u.where.commit},
                 {"read", lang::name_of(u.where.read)},
                 {"file", u.where.file},
                 {"line", u.where.line},
                 {"functions", u.functions}});
  r["boundaries"] = b;
  return r;
}

// list --kernels: the named kernels, then each release where the library's
// model code changes.
void print_releases(nlohmann::ordered_json const& j) {
  auto const& r = j["releases"];
  std::cout << fmt::format("kernels: any release from {} to {} (kernel = \"v5.15\"), and these names:\n",
                           r["oldest"].get<std::string>(), r["newest"].get<std::string>());
  for (auto const& e : j["kernels"])
    std::cout << fmt::format("  {:<8} {}\n", e["name"].get<std::string>(), e["meaning"].get<std::string>());
  std::cout << fmt::format(
      "releases where the model code changes ([src] read in a kernel tree, [commit] read in the commit, [inf] "
      "inferred):\n  {:<8} the {} code: no older tree was read, so a release before {} runs it [inf]\n",
      r["oldest"].get<std::string>(), r["oldest_read"].get<std::string>(), r["oldest_read"].get<std::string>());
  std::string last;
  for (auto const& b : r["boundaries"]) {
    std::string const rel = b["release"].get<std::string>();
    auto const& fns = b["functions"];
    std::string names;
    for (auto const& f : fns) names += (names.empty() ? "" : ", ") + f.get<std::string>();
    std::cout << fmt::format("  {:<8} {} [{}] {}:{}: {}\n", rel == last ? "" : rel, b["commit"].get<std::string>(),
                             b["read"].get<std::string>(), b["file"].get<std::string>().substr(7), b["line"].get<int>(),
                             names.empty() ? "(no function changes here)" : names);
    last = rel;
  }
}

// The model's declared assumptions, each with where it is declared.
nlohmann::ordered_json assumptions_json() {
  auto out = nlohmann::ordered_json::array();
  for (auto const& a : lang::library_assumptions())
    out.push_back({{"name", a.name}, {"file", a.file}, {"line", a.line}, {"reason", a.reason}});
  return out;
}

void print_assumptions(nlohmann::ordered_json const& list) {
  std::cout << "assumptions (where the model departs from the kernel, declared in model code with ASSUME(name)):\n";
  for (auto const& a : list) {
    std::cout << fmt::format("  {:<36} {}:{}\n", a["name"].get<std::string>(), a["file"].get<std::string>().substr(7),
                             a["line"].get<int>());
    for (auto const& l : wrap_text(a["reason"].get<std::string>(), 72)) std::cout << "    " << l << "\n";
  }
}

int run_list_command(bool json, bool kernels_only, bool assumptions_only) {
  using nlohmann::ordered_json;
  ordered_json j;
  j["pagemaps"] = named_list(models::pagemap_names, models::pagemap_meanings);
  auto kernels = ordered_json::array();
  for (auto const& n : models::named_kernels) kernels.push_back({{"name", n.name}, {"meaning", n.meaning}});
  j["kernels"] = kernels;
  j["releases"] = releases_json();
  j["assumptions"] = assumptions_json();
  if (assumptions_only) {
    if (json)
      std::cout << nlohmann::ordered_json{{"assumptions", j["assumptions"]}}.dump(2) << "\n";
    else
      print_assumptions(j["assumptions"]);
    return ok;
  }
  if (kernels_only) {
    if (json) {
      std::cout << ordered_json{{"kernels", j["kernels"]}, {"releases", j["releases"]}}.dump(2) << "\n";
    } else {
      print_releases(j);
    }
    return ok;
  }
  j["actors"] = named_list(models::actor_names, models::actor_meanings);
  j["properties"] = named_list(property_names, property_meanings);
  auto knobs = ordered_json::array();
  for (auto const& k : models::knobs) {
    ordered_json presets = ordered_json::object();
    ordered_json applies_to = ordered_json::array();
    for (std::uint8_t i = 0; i < k.concerns_count; ++i) applies_to.push_back(models::name_of(k.concerns[i]));
    knobs.push_back({{"name", k.name},
                     {"kind", k.kind == models::knob_kind::boolean ? "boolean" : "integer"},
                     {"meaning", k.meaning},
                     {"source", k.source},
                     {"applies_to", applies_to}});
  }
  j["knobs"] = knobs;
  auto prims = ordered_json::array();
  for (auto const& p : lang::primitives()) {
    std::string_view const kind = p.kind == lang::prim_kind::read     ? "read"
                                  : p.kind == lang::prim_kind::action ? "step"
                                  : p.kind == lang::prim_kind::local  ? "no step"
                                                                      : "constant";
    prims.push_back({{"name", p.name}, {"kind", kind}, {"kernel_call", p.call}, {"models", p.models}});
  }
  j["primitives"] = prims;
  // The functions a thread can run (no parameters), from the newest kernel's library.
  lang::scenario_facts facts;
  facts.kernel = lang::release_of(models::newest_kernel);
  auto const lib = lang::load_library(facts);
  auto roots = ordered_json::array();
  for (auto const& [name, f] : lib.functions())
    if (f.params.empty())
      roots.push_back({{"name", name}, {"file", lib.files()[f.pos.file]}, {"line", f.pos.line}});
  j["thread_functions"] = roots;
  if (json) {
    std::cout << j.dump(2) << "\n";
    return ok;
  }
  for (auto const& section : {"pagemaps", "kernels", "actors", "properties"}) {
    if (section == std::string_view("kernels")) {
      print_releases(j);
      continue;
    }
    std::cout << section << ":\n";
    for (auto const& e : j[section])
      std::cout << fmt::format("  {:<20} {}\n", e["name"].get<std::string>(), e["meaning"].get<std::string>());
  }
  std::cout << "knobs (the era values model code reads; [patch] in a spec, [knobs] in a patch file):\n";
  for (auto const& k : models::knobs) {
    std::string values = k.kind == models::knob_kind::boolean ? "true|false" : fmt::format("{}..{}", k.min, k.max);
    std::cout << fmt::format("  {:<24} {:<12} {}\n  {:<24} source: {}\n", k.name, values, k.meaning, "", k.source);
  }
  std::cout << "primitives (model code's atomic kernel operations; docs/language.md):\n";
  for (auto const& p : j["primitives"]) {
    std::cout << fmt::format("  {:<28} {:<9} {}\n", p["name"].get<std::string>(), p["kind"].get<std::string>(),
                             p["models"].get<std::string>());
    if (auto const call = p["kernel_call"].get<std::string>(); !call.empty())
      std::cout << fmt::format("  {:<38} kernel call: {}\n", "", call);
  }
  print_assumptions(j["assumptions"]);
  std::cout << "thread functions (the harness and any function with no parameters; pgmapcheck show NAME):\n";
  for (auto const& f : j["thread_functions"])
    std::cout << fmt::format("  {:<28} {}:{}\n", f["name"].get<std::string>(), f["file"].get<std::string>(),
                             f["line"].get<int>());
  return ok;
}

// pgmapcheck show FUNCTION: the function's model code for an era,
// with its kernel source comment, as the checker loads it.
// The scenario's model code as a Promela model for SPIN (bench/spin): on
// stdout, or in the file --out names.
int run_promela_command(std::string const& path, std::string const& out) {
  std::vector<spec> specs;
  if (!load_all({std::filesystem::path(path)}, specs)) return bad_input;
  auto const& s = specs.front();
  auto const m = lang::build_code_model(s);
  auto const text = lang::to_promela(m, s.checked, s.title.empty() ? s.path : s.title + " (" + s.path + ")", s.path);
  if (out.empty())
    std::cout << text;
  else
    write_atomic(out, text);
  return ok;
}

// The kernel library of kernel e, with its patch stack.
lang::source_set era_library(models::kernel_version e) {
  lang::scenario_facts facts;
  facts.kernel = lang::release_of(e);
  auto lib = lang::load_library(facts);
  spec era_only;  // the era's patch stack on its release, and nothing of a spec's own
  era_only.sc.kernel = e;
  for (auto const& p : era_patch_stack(e))
    era_only.era_patches.insert(era_only.era_patches.end(), p.functions.begin(), p.functions.end());
  lang::add_scenario_code(lib, era_only, facts);
  return lib;
}

// "v5.18 to v6.9", "v7.0 on": the releases from change i of h to the next.
std::string release_span(lang::function_history const& h, std::size_t i) {
  auto const name = [](int r) { return models::name_of(models::kernel_version{static_cast<std::uint16_t>(r), 0}); };
  if (i + 1 == h.changes.size()) return name(h.changes[i].release) + " on";
  // The release before the next boundary: v6.0's is v5.19.
  int last = h.changes[i + 1].release - 1;
  if (last % 100 > 19) last = (last / 100) * 100 + 19;
  return name(h.changes[i].release) + (last == h.changes[i].release ? "" : " to " + name(last));
}

// show F --history: each release where F's model changed, with the commit.
int run_history_command(std::string const& name) {
  auto const h = lang::history_of(name);
  if (h.changes.empty())
    throw usage_error("no function '" + name + "' in the kernel library for any kernel" +
                      " (pgmapcheck list shows the thread functions)");
  std::cout << fmt::format("{} ({}): each release where its model changes\n", name, h.file.substr(7));
  for (std::size_t i = 0; i < h.changes.size(); ++i) {
    auto const& c = h.changes[i];
    std::string const what = c.what == lang::change_point::added     ? "modelled"
                             : c.what == lang::change_point::removed ? "not in the kernel"
                                                                     : "changed";
    std::string why;
    for (auto const& b : c.because)
      why += fmt::format("{}{} [{}] {}:{}", why.empty() ? "" : ", ", b.commit, lang::name_of(b.read), b.file.substr(7), b.line);
    if (c.release == models::oldest_release && c.because.empty())
      why = fmt::format("as read in 5.10.7; before v5.10 not read [inf]");
    std::cout << fmt::format("  {:<16} {:<18} {}\n", release_span(h, i), what, why);
  }
  return ok;
}

int run_show_command(std::string const& name, std::string const& kernel, bool history) {
  if (history) return run_history_command(name);
  auto e = models::parse_kernel(kernel);
  if (!e) throw usage_error("unknown kernel '" + kernel + "': expected " + std::string(models::kernel_expected));
  auto lib = era_library(*e);
  auto const* f = lib.find(name);
  if (!f) {  // another release's function says so; a name no release has is a mistake
    auto const h = lang::history_of(name);
    // The spans where it exists: from each "modelled" to the next "not in the kernel".
    std::vector<std::string> has;
    for (std::size_t i = 0; i < h.changes.size(); ++i) {
      if (h.changes[i].what != lang::change_point::added) continue;
      std::size_t j = i;
      while (j + 1 < h.changes.size() && h.changes[j + 1].what != lang::change_point::removed) ++j;
      std::string span = release_span(h, j);
      auto const to = span.find(" to ");
      std::string const first = release_span(h, i).substr(0, release_span(h, i).find(' '));
      has.push_back(span.ends_with(" on") ? first + " on" : first + (to == std::string::npos ? "" : span.substr(to)));
    }
    if (has.empty())
      throw usage_error("no function '" + name + "' in the kernel library for any kernel" +
                        " (pgmapcheck list shows the thread functions)");
    std::cout << fmt::format("{}: not in {}; the library has it for {}\n", name, kernel, fmt::join(has, ", "));
    return ok;
  }
  std::cout << fmt::format("{}:{} ({})\n", lib.files()[f->pos.file], f->pos.line, kernel);
  if (!f->comment.empty()) std::cout << f->comment << "\n";
  // Lines another era's #if left out are blank runs of spaces: drop them.
  std::size_t at = 0;
  while (at <= f->text.size()) {
    std::size_t eol = f->text.find('\n', at);
    if (eol == std::string::npos) eol = f->text.size();
    std::string_view line(f->text.data() + at, eol - at);
    if (line.empty() || line.find_first_not_of(" \t") != std::string_view::npos) std::cout << line << "\n";
    at = eol + 1;
  }
  return ok;
}

struct diff_options {
  std::vector<std::string> specs;
  std::vector<std::string> base;   // an era, then patches stacked on it
  std::vector<std::string> patch;  // an era alone, or patches stacked on the base
  std::string out;
  bool json = false;
  bool all = false;
  bool evidence = false;
  bool html = false;
  std::int64_t max_states = 0;  // 0: none (given, from 1 on)
  unsigned threads = all_cores();
};


int run_diff_command(diff_options const& o) {
  auto base_era = models::parse_kernel(o.base.front());
  if (!base_era) {
    std::cerr << fmt::format("error: --base '{}': expected a kernel first ({}), then any patches stacked on it\n",
                             o.base.front(), models::kernel_expected);
    return bad_input;
  }
  semantics base = on_kernel(*base_era);
  note_unread(*base_era);
  semantics patched;
  std::vector<patch_file> named;  // the --patch files, in order
  std::vector<spec> specs;
  try {
    for (std::size_t i = 1; i < o.base.size(); ++i) base.patches.push_back(load_patch(o.base[i]));
    if (auto e = models::parse_kernel(o.patch.front())) {
      if (o.patch.size() > 1) throw usage_error("--patch " + o.patch.front() + " is a kernel: it stands alone, with no patches after it");
      patched = on_kernel(*e);
    } else {
      for (auto const& name : o.patch) named.push_back(load_patch(name));
      patched = base;
      patched.patches.insert(patched.patches.end(), named.begin(), named.end());
      if (named.size() == 1 && named.front().kernel) patched = on_patch(named.front());  // a kernel's code as a patch file
    }
    std::vector<std::filesystem::path> files = expand(o.specs);
    if (files.empty())
      for (auto const& p : named)
        for (auto const& f : p.scenarios)
          if (std::find(files.begin(), files.end(), f) == files.end()) files.push_back(f);
    if (files.empty()) {
      std::cerr << "error: no scenarios: name SPEC files or folders, or give the patch file a 'scenarios' list\n";
      return bad_input;
    }
    if (!load_all(files, specs)) return bad_input;
    for (auto const& p : named) check_patch_applies(p, specs);
    for (auto const& s : specs) {
      (void)base.apply(s);
      (void)patched.apply(s);
    }
  } catch (spec_error const& e) {
    std::cerr << "error: " << e.what() << "\n";
    return bad_input;
  }
  limits lim;
  lim.max_states = static_cast<std::uint64_t>(o.max_states);
  lim.threads = o.threads;
  lim.cancel = &interrupted;
  diff_report d;
  try {
    d = run_diff(specs, base, patched, lim);
  } catch (spec_error const& e) {  // a patch's function that does not apply, or bad model code
    std::cerr << "error: " << e.what() << "\n";
    return bad_input;
  }
  if (interrupted) return sigint;

  std::filesystem::path const dir = o.out.empty() ? std::filesystem::path("out") / "diff" : std::filesystem::path(o.out);
  make_dirs(dir);
  std::string const json = render_diff_json(d);
  write_atomic(dir / "report.json", json);
  std::string evidence;
  for (auto const& row : d.rows) {
    if (row.what != change::fixed && row.what != change::introduced) continue;
    auto const sub = dir / row.scenario / std::string(name_of(row.prop));
    if (row.what == change::introduced) {
      write_outputs(row.patched, sub / "introduced", {}, o.html);
      evidence += o.evidence ? fmt::format("{} {}: introduced; shortest counterexample under the patch:\n{}\n", row.scenario,
                                           name_of(row.prop), render_text(row.patched))
                             : fmt::format("{} {}: introduced: {} ({})\n", row.scenario, name_of(row.prop),
                                           row.patched.message, row.patched.where);
    } else {
      write_outputs(row.base, sub / "fixed", {}, o.html);
      write_atomic(sub / "fixed" / "replay.txt", render_replay(row));
      auto const& e = *row.evidence;
      evidence += o.evidence ? render_replay(row) + "\n"
                             : fmt::format("{} {}: fixed: {}{}\n", row.scenario, name_of(row.prop),
                                           e.diverges_at || !e.what.empty() ? e.what : "every step replays the same",
                                           e.why.empty() ? "" : fmt::format(" [{}]", fmt::join(e.why, "; ")));
    }
  }
  write_atomic(dir / "table.txt", render_diff_table(d, true));
  if (o.html) write_atomic(dir / "report.html", render_diff_html(d));
  if (o.json) {
    std::cout << json;
  } else {
    std::cout << render_diff_table(d, o.all);
    if (!evidence.empty()) std::cout << "\n" << evidence;
    std::cout << fmt::format("evidence: {}/<scenario>/<property>/{{fixed,introduced}}/\n", dir.string());
  }
  bool introduced = false, unknown = false;
  for (auto const& row : d.rows) {
    introduced |= row.what == change::introduced;
    unknown |= row.what == change::unknown;
  }
  return introduced ? violated : unknown ? incomplete : ok;
}

struct draw_options {
  std::string type;
  std::string out;
  std::string kernel;       // with it: the rows the era's model code takes
  std::vector<std::string> patches;  // stacked on --kernel
  std::string diff_kernel;  // a second era, on the same picture
  std::string function;     // instead: a model function's control-flow graph
  std::string specs;        // the scenarios that exercise the table (default specs/<type>)
};

// One side of a drawing: an era and the patches on it.
semantics draw_side(std::string const& kernel, std::vector<std::string> const& patches) {
  auto era = models::parse_kernel(kernel);
  if (!era) throw usage_error("unknown kernel '" + kernel + "': expected " + std::string(models::kernel_expected));
  semantics sem = on_kernel(*era);
  for (auto const& p : patches) sem.patches.push_back(load_patch(p));
  return sem;
}

// The lifecycle rows model code takes when every scenario runs to its last
// state under sem (no property stops the search).
lifecycle_use exercised(models::pagemap type, semantics const& sem, std::vector<spec> const& specs) {
  lifecycle_use use;
  use.label = sem.name(false);
  for (auto const& s : specs) {
    if (s.sc.type != type || !models::exists_in(type, sem.kernel)) continue;
    std::optional<lang::code_model> built;
    try {
      built.emplace(lang::build_code_model(sem.apply(s)));
    } catch (spec_error const& e) {  // a spec whose own patches were written for another era
      std::string const why = e.what();
      std::cerr << fmt::format("note: {} left out under {}: {}\n", s.path, use.label, why.substr(0, why.find('\n')));
      continue;
    }
    auto const& m = *built;
    limits lim;
    lim.cancel = &interrupted;
    lim.threads = all_cores();
    (void)explore(m, property_set{}, lim);
    for (int e = 0; e < static_cast<int>(models::event_names.size()); ++e)
      for (int from = 0; from < 4; ++from)
        for (int to = 0; to < 4; ++to)
          if (m.life_seen(e, from, to)) use.seen.insert({e, from, to});
  }
  return use;
}

// A thread that runs `function` for the type under sem: the first actor
// kind whose harness reaches it, in a one-page scenario of its own.
std::pair<lang::program, std::vector<std::string>> thread_running(models::pagemap type, semantics const& sem,
                                                                  std::string const& function) {
  for (std::size_t k = 0; k < models::actor_names.size(); ++k) {
    std::string const text = fmt::format("kernel = \"{}\"\npagemap = \"{}\"\npages = 1\n[actors]\n{} = 1\n",
                                         models::name_of(sem.kernel), models::name_of(type), models::actor_names[k]);
    try {
      auto const m = lang::build_code_model(sem.apply(parse_spec(text, "<draw>")));
      for (auto const& t : m.threads())
        for (auto const& w : t.sites)
          if (lang::runs_in(w, function))
            return {t, m.files()};
    } catch (spec_error const&) {  // an actor kind this type or era does not have
    }
  }
  throw usage_error("no actor of " + std::string(models::name_of(type)) + " under " + sem.name(false) +
                    " runs a function '" + function + "' (pgmapcheck show FUNCTION --kernel K prints one)");
}

int run_draw_command(draw_options const& o) {
  auto type = models::parse_pagemap(o.type);
  if (!type) {
    std::cerr << fmt::format("error: unknown pagemap '{}': expected {}\n", o.type, one_of(models::pagemap_names));
    return bad_input;
  }
  std::string dot, name = o.type;
  try {
    if (!o.function.empty()) {
      semantics const sem = draw_side(o.kernel.empty() ? models::name_of(models::newest_kernel) : o.kernel, o.patches);
      auto const [thread, files] = thread_running(*type, sem, o.function);
      dot = render_function(thread, files, o.function,
                            fmt::format("{}() under {}, {} (as thread {} runs it)", o.function, sem.name(false), o.type,
                                        thread.name));
      name += "-" + o.function;
    } else if (!o.kernel.empty()) {
      std::vector<spec> specs;
      std::filesystem::path const dir = o.specs.empty() ? std::filesystem::path("specs") / o.type : std::filesystem::path(o.specs);
      if (!std::filesystem::exists(dir))
        throw usage_error("no scenarios in " + dir.string() + ": --kernel draws the rows the scenarios there exercise (--specs DIR)");
      if (!load_all(expand({dir.string()}), specs)) return bad_input;
      std::vector<lifecycle_use> sides{exercised(*type, draw_side(o.kernel, o.patches), specs)};
      if (!o.diff_kernel.empty()) sides.push_back(exercised(*type, draw_side(o.diff_kernel, {}), specs));
      dot = render_machine(*type, sides);
      name += "-" + o.kernel + (o.diff_kernel.empty() ? "" : "-vs-" + o.diff_kernel);
    } else {
      if (!o.diff_kernel.empty()) throw usage_error("--diff-kernel needs --kernel");
      dot = render_machine(*type);
    }
  } catch (std::invalid_argument const& e) {
    std::cerr << "error: " << e.what() << "\n";
    return bad_input;
  } catch (spec_error const& e) {
    std::cerr << "error: " << e.what() << "\n";
    return bad_input;
  }
  std::filesystem::path dir = o.out.empty() ? std::filesystem::path("out") / "draw" : std::filesystem::path(o.out);
  make_dirs(dir);
  write_atomic(dir / (name + ".dot"), dot);
  write_atomic(dir / (name + ".svg"), render_svg(dot));
  std::cout << dot;
  return ok;
}

// A state limit counts states a visited set indexes with 32 bits.
CLI::Range state_range() { return CLI::Range(std::int64_t{1}, std::int64_t{0xffffffff}); }

CLI::App* add_check_command(CLI::App& app, check_options& co) {
  auto* check = app.add_subcommand("check", "explore every interleaving of each scenario and check its properties");
  check->add_option("spec", co.specs, "scenario files or folders of them")->required();
  check->add_option("--out", co.out, "output folder (default out/<spec name>/)");
  check->add_option("--kernel", co.kernels, "run under this kernel (any release, such as v5.15) instead of the spec's (repeatable: a table)")
      ->allow_extra_args(false);
  check->add_flag("--json", co.json, "print report.json instead of the text trace");
  check->add_flag("--quiet", co.quiet, "print only the table (or nothing) and no progress");
  check->add_option("--max-states", co.max_states, "stop with 'incomplete' after this many states")->check(state_range());
  check->add_option("--max-memory", co.max_memory_mib, "stop with 'incomplete' past this many MiB (loading the code, then the search)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 24));
  check->add_option("--threads", co.threads, "search workers sharing one visited set (default: every core); any number gives the same result")
      ->check(CLI::Range(1, 256));
  check->add_option("--search", co.search, "bfs (shortest counterexample, the default) or dfs")
      ->check(CLI::IsMember({"bfs", "dfs"}));
  check->add_option("--failures", co.failures,
                    "failure budget on model code: how many operations may fail for reasons outside the model "
                    "(an allocation, vm_insert_page); default the spec's failures, else 1")
      ->check(CLI::Range(0, 4));
  check->add_option("--width", co.render.width, "columns the text race diagram fits in (default 80)")
      ->check(CLI::Range(40, 1000));
  check->add_flag("--all-steps", co.render.all_steps, "also show the steps of threads that found nothing to act on");
  check->add_flag("--fewest-switches", co.fewest_switches,
                  "among the shortest counterexamples, show one with the fewest context switches");
  check->add_option("--witness", co.witness,
                    "instead of checking properties, find a shortest run to a state where this holds, e.g. "
                    "\"done(memunmap) && pinned(page0)\" (docs/user-guide.md, witnesses)")
      ->check([](std::string const& w) { return w.empty() ? std::string("expected a condition, not nothing") : std::string(); });
  check->add_flag("--state-graph", co.state_graph,
                  fmt::format("also write state-graph.dot/.svg, every state and step, the counterexample in red "
                              "(at most {} states)",
                              state_graph_limit));
  check->add_flag("--no-reduction", co.no_reduction,
                  "store every state as it is: no thread symmetry, dead values or partial order (the same verdicts, "
                  "more states)");
  check->add_flag("--no-partial-order", co.no_partial_order,
                  "keep thread symmetry and dead values, but let every thread step at every state");
  check->add_flag("--html", co.html, "also write report.html: a self-contained page with a step-through viewer");
  return check;
}

CLI::App* add_diff_command(CLI::App& app, diff_options& dopt) {
  auto* diff = app.add_subcommand("diff", "check scenarios under a base kernel and a patch: what it fixes, what it breaks");
  diff->add_option("spec", dopt.specs, "scenario files or folders (default: the patch file's scenarios)");
  diff->add_option("--base", dopt.base,
                   "the base kernel (any release, or rfc-v3); repeat it to stack patches on the base (--base v5.10 --base a.toml)")
      ->required()
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  diff->add_option("--patch", dopt.patch,
                   "a kernel, or a PATCH.toml stacked on the base; repeat it "
                   "to stack several, in order")
      ->required()
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  diff->add_option("--out", dopt.out, "evidence folder (default out/diff)");
  diff->add_flag("--json", dopt.json, "print the JSON report");
  diff->add_flag("--all", dopt.all, "list (scenario, property) pairs that hold on both sides too");
  diff->add_flag("--html", dopt.html,
                 "also write report.html: the table and every change's evidence on one self-contained page");
  diff->add_flag("--evidence", dopt.evidence, "print every counterexample and replay in full (they are in --out anyway)");
  diff->add_option("--max-states", dopt.max_states, "state limit per search")->check(state_range());
  diff->add_option("--threads", dopt.threads, "search workers sharing one visited set (default: every core); any number gives the same result")->check(CLI::Range(1, 256));
  return diff;
}

CLI::App* add_draw_command(CLI::App& app, draw_options& dro) {
  auto* draw = app.add_subcommand("draw", "a pagemap type's page lifecycle machine (or a model function) as DOT and SVG");
  draw->add_option("pagemap", dro.type, "device_private, device_coherent, fs_dax, generic or p2pdma")->required();
  draw->add_option("--out", dro.out, "output folder (default out/draw)");
  draw->add_option("--kernel", dro.kernel, "mark the rows this kernel's model code takes (over the type's scenarios)");
  draw->add_option("--patch", dro.patches, "a PATCH.toml stacked on --kernel (repeatable)");
  draw->add_option("--diff-kernel", dro.diff_kernel, "a second kernel: the rows only one side takes are coloured");
  draw->add_option("--function", dro.function, "draw this model function's control-flow graph instead");
  draw->add_option("--specs", dro.specs, "the scenarios --kernel runs (default specs/<pagemap>)");
  return draw;
}

struct test_options {
  std::vector<std::string> paths;
  std::int64_t max_states = 0;
  bool no_reduction = false;
  unsigned threads = all_cores();
};

CLI::App* add_test_command(CLI::App& app, test_options& t) {
  auto* test = app.add_subcommand("test", "run every spec with an [expect] and compare");
  test->add_option("path", t.paths, "spec files or folders (default specs/)");
  test->add_option("--max-states", t.max_states, "state limit per spec")->check(state_range());
  test->add_flag("--no-reduction", t.no_reduction, "store every state as it is: no thread symmetry, dead values or partial order");
  test->add_option("--threads", t.threads, "search workers sharing one visited set (default: every core); any number gives the same result")->check(CLI::Range(1, 256));
  return test;
}

// Runs f, turning what it throws into the exit codes: bad input 2, a load
// past --max-memory 3 (incomplete), anything else 4.
int exit_code_of(std::function<int()> const& f) {
  try {
    return f();
  } catch (usage_error const& e) {
    std::cerr << "error: " << e.what() << "\n";
    return bad_input;
  } catch (spec_error const& e) {  // bad model code in a spec or patch, found when it is compiled
    std::cerr << "error: " << e.what() << "\n";
    return bad_input;
  } catch (lang::load_limit_error const& e) {  // a spec file too large to read within --max-memory
    std::cerr << "incomplete: " << e.what() << "\n";
    return incomplete;
  } catch (std::exception const& e) {
    std::cerr << "internal error: " << e.what() << "\n";
    return 4;
  }
}

}  // namespace

int run_cli(int argc, char** argv) {
  std::signal(SIGINT, on_sigint);
  CLI::App app{"pgmapcheck: an explicit-state model checker for ZONE_DEVICE page and pgmap->ref refcounting"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("pgmapcheck ") + PGMAPCHECK_VERSION);

  check_options co;
  auto* check = add_check_command(app, co);
  bool list_json = false, list_kernels = false, list_assumptions = false;
  auto* list = app.add_subcommand("list", "pagemap types, kernels, actors, properties, knobs, primitives and thread functions");
  list->add_flag("--json", list_json, "as JSON");
  list->add_flag("--kernels", list_kernels, "only the kernels, and each release where the model code changes");
  list->add_flag("--assumptions", list_assumptions, "only what the model assumes where it departs from the kernel, and why");

  std::string show_name, show_kernel(models::name_of(models::newest_kernel));
  bool show_history = false;
  auto* show = app.add_subcommand("show", "a kernel library function's model code at a release, or its history");
  show->add_option("function", show_name, "the function")->required();
  auto* show_k = show->add_option("--kernel", show_kernel, "the release (default: the newest)");
  show->add_flag("--history", show_history, "each release where the function's model changes, with the commit")
      ->excludes(show_k);

  std::string promela_spec, promela_out;
  auto* promela = app.add_subcommand("promela", "a scenario's model code as a Promela model for SPIN (the unreduced state graph)");
  promela->add_option("spec", promela_spec, "the scenario file")->required();
  promela->add_option("--out", promela_out, "write it to this file (default: stdout)");

  diff_options dopt;
  auto* diff = add_diff_command(app, dopt);
  draw_options dro;
  auto* draw = add_draw_command(app, dro);
  test_options topt;
  auto* test = add_test_command(app, topt);

  try {
    app.parse(argc, argv);
  } catch (CLI::CallForHelp const& e) {
    return app.exit(e);
  } catch (CLI::CallForAllHelp const& e) {
    return app.exit(e);
  } catch (CLI::CallForVersion const& e) {
    return app.exit(e);
  } catch (CLI::ParseError const& e) {
    std::cerr << "error: " << e.what() << "\n" << "usage: pgmapcheck check|diff|test|list|show|draw|promela ... (pgmapcheck --help)\n";
    return bad_input;
  }
  return exit_code_of([&]() -> int {
    if (*check) return run_check_command(co);
    if (*list) return run_list_command(list_json, list_kernels, list_assumptions);
    if (*show) return run_show_command(show_name, show_kernel, show_history);
    if (*promela) return run_promela_command(promela_spec, promela_out);
    if (*draw) return run_draw_command(dro);
    if (*diff) return run_diff_command(dopt);
    if (*test) return run_test_command(topt.paths, topt.max_states, topt.no_reduction, topt.threads);
    return bad_input;
  });
}

}  // namespace pgmapcheck
