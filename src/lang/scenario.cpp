// A scenario file run on the kernel library.
#include "lang/scenario.hpp"

#include "lang/error.hpp"
#include "lang/library.hpp"
#include "lang/parse.hpp"
#include "lang/compile.hpp"
#include "lang/witness.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>

namespace pgmapcheck::lang {

int release_of(models::kernel_version k) { return k.release; }

namespace {

// MEMORY_DEVICE_* as include/linux/memremap.h numbers them.
int type_code(models::pagemap t) {
  switch (t) {
    case models::pagemap::device_private: return 1;
    case models::pagemap::device_coherent: return 2;
    case models::pagemap::fs_dax: return 3;
    case models::pagemap::generic: return 4;
    case models::pagemap::p2pdma: return 5;
  }
  return 0;
}

}  // namespace

source_set load_library(scenario_facts const& facts) {
  // Parsing and checking the library is most of a small scenario's load:
  // kept per facts, for the scenarios of a run that share them. A handful
  // of kernels and types a run: past 64, the cache starts again.
  static std::mutex lock;
  static std::map<std::string, source_set> cache;
  std::string const key = facts.key();
  {
    std::lock_guard<std::mutex> g(lock);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  source_set src;
  for (auto const& f : library_files())
    if (f.path.ends_with(".kc")) src.add(std::string(f.path), std::string(f.text), facts);
  check_all(src, facts);
  std::lock_guard<std::mutex> g(lock);
  if (cache.size() >= 64) cache.clear();
  cache.emplace(key, src);
  return src;
}

namespace {

// The function a [threads.NAME] table's code runs as.
std::string thread_function(std::string const& name) { return "thread_" + name; }

// The function [setup]'s code runs as; its thread is named "setup".
constexpr std::string_view setup_function = "setup";

// Model code written `line` lines down a file: blank lines before it, so
// errors and traces name the file's own line numbers.
std::string at_line(int line, std::string const& text) { return std::string(static_cast<std::size_t>(std::max(line - 1, 0)), '\n') + text; }

}  // namespace

void add_scenario_code(source_set& src, spec const& s, scenario_facts const& facts) {
  // The era's patch stack, then the patches applied, in order: each function
  // replaces what it says it replaces.
  std::vector<function_patch const*> patches;
  for (auto const& fp : s.era_patches) patches.push_back(&fp);
  for (auto const& fp : s.function_patches) patches.push_back(&fp);
  for (auto const* p : patches) {
    auto const& fp = *p;
    function const* now = src.find(fp.with.name);
    if (fp.replaces) {
      if (!now)
        throw spec_error(fp.patch, fp.replaces->line, 1,
                         "the patch replaces '" + fp.with.name + "', which the library does not define for " +
                             std::string(models::name_of(s.sc.kernel)));
      if (code_text(preprocess(fp.replaces->text, fp.patch, facts.kernel)) != code_text(now->text))
        throw spec_error(fp.patch, fp.replaces->line, 1,
                         "the function '" + fp.with.name + "' has changed since the patch was written against it; for " +
                             std::string(models::name_of(s.sc.kernel)) + " it reads:\n" + now->text);
    } else if (now) {
      throw spec_error(fp.patch, fp.with.line, 1,
                       "the patch adds '" + fp.with.name + "', which the library already defines: give replaces = "
                       "\"...\" with the function as the patch found it");
    }
    src.add(fp.patch, at_line(fp.with.line, fp.with.text), facts, true, &fp.with.name);
    if (!src.find(fp.with.name))
      throw spec_error(fp.patch, fp.with.line, 1, "[functions." + fp.with.name + "] defines no function of that name");
  }
  // The spec's own functions override the library's.
  for (auto const& f : s.functions) {
    src.add(s.path, at_line(f.line, f.text), facts, true);
    if (!src.find(f.name)) throw spec_error(s.path, f.line, 1, "[functions] " + f.name + " defines no function of that name");
  }
  for (auto const& t : s.threads) {
    if (src.find(thread_function(t.name)))
      throw spec_error(s.path, t.line, 1, "two threads are named '" + t.name + "'");
    src.add(s.path, at_line(t.line - 1, "void " + thread_function(t.name) + "(void) {\n" + t.text + "\n}\n"), facts);
  }
  if (s.setup) {
    if (src.find(std::string(setup_function)))
      throw spec_error(s.path, s.setup->line, 1, "the model code already has a function '" + std::string(setup_function) + "'");
    for (auto const& t : s.threads)
      if (t.name == "setup") throw spec_error(s.path, t.line, 1, "a thread named 'setup' beside [setup]: rename the thread");
    src.add(s.path, at_line(s.setup->line - 1, "void " + std::string(setup_function) + "(void) {\n" + s.setup->text + "\n}\n"),
            facts);
  }
  check_all(src, facts);
}


namespace {

// A scenario's threads compiled, and the files they came from.
struct compiled_code {
  std::vector<program> threads;
  std::vector<std::string> files;
};

// Everything a scenario's compiled threads depend on, as one string.
std::string code_key(spec const& s, scenario_facts const& facts) {
  std::string k = s.path + '\n' + std::to_string(facts.kernel) + ' ' + std::to_string(facts.pagemap_type) + ' ' +
                  std::to_string(facts.pages) + '\n';
  for (int a = 0; a < s.sc.actor_count; ++a) k += std::to_string(static_cast<int>(s.sc.actors[static_cast<std::size_t>(a)])) + ' ';
  auto add = [&](std::string const& what, std::string const& text, int line) {
    k += '\n' + what + ' ' + std::to_string(line) + ' ' + std::to_string(text.size()) + '\n' + text;
  };
  for (auto const* list : {&s.era_patches, &s.function_patches})
    for (auto const& fp : *list) {
      add("patch " + fp.patch + ' ' + fp.with.name, fp.with.text, fp.with.line);
      if (fp.replaces) add("replaces", fp.replaces->text, fp.replaces->line);
    }
  for (auto const& f : s.functions) add("function " + f.name, f.text, f.line);
  for (auto const& t : s.threads) add("thread " + t.name, t.text, t.line);
  if (s.setup) add("setup", s.setup->text, s.setup->line);
  return k;
}

// The scenario's threads compiled: loading the library and a spec's code is
// most of a small check's time, and diff and test check one scenario many
// times (a property at a time, each side, the replay), so the result is kept
// for the next call with the same inputs. Bad model code throws every time.
std::shared_ptr<compiled_code const> compiled(spec const& s, scenario_facts const& facts) {
  static std::mutex lock;
  static std::map<std::string, std::shared_ptr<compiled_code const>> cache;
  std::string const key = code_key(s, facts);
  {
    std::lock_guard<std::mutex> g(lock);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  source_set src = load_library(facts);
  add_scenario_code(src, s, facts);
  auto out = std::make_shared<compiled_code>();
  for (int a = 0; a < s.sc.actor_count; ++a) {
    auto const k = static_cast<std::size_t>(s.sc.actors[static_cast<std::size_t>(a)]);
    std::string const& name = s.actor_labels.at(static_cast<std::size_t>(a));  // "gup#0", as the parser named it
    if (!src.find(std::string(models::actor_names[k])))
      throw spec_error(s.path, 1, 1,
                       "actor kind '" + std::string(models::actor_names[k]) +
                           "' has no harness in the kernel library (models/harness/actors.kc)");
    out->threads.push_back(compile_thread(src, std::string(models::actor_names[k]), name, facts));
  }
  for (auto const& t : s.threads) out->threads.push_back(compile_thread(src, thread_function(t.name), t.name, facts));
  if (s.setup) out->threads.push_back(compile_thread(src, std::string(setup_function), "setup", facts));
  out->files = src.files();
  std::lock_guard<std::mutex> g(lock);
  if (cache.size() >= 256) cache.clear();
  return cache.emplace(key, std::move(out)).first->second;
}

}  // namespace

namespace {

code_model build(spec const& s, witness const* w) {
  scenario_facts facts;
  facts.kernel = release_of(s.sc.kernel);
  facts.pagemap_type = type_code(s.sc.type);
  facts.pages = s.sc.pages;
  facts.align_pmd = s.sc.align_pmd;
  auto const code = compiled(s, facts);

  // The era's values (and a patch's): the initial state and the ref-leak baseline.
  auto const& rule = s.sc.rule;
  code_setup setup;
  setup.facts = facts;
  setup.free_refcount = rule.free_refcount;
  setup.initial_pgmap_ref = 1 + (rule.memremap_pgmap_refs ? s.sc.pages : 0);
  setup.p2pdma = s.sc.type == models::pagemap::p2pdma;
  setup.failures = s.failures;
  setup.mapped_refcount = rule.mapped_refcount;
  setup.cached_refcount = rule.cached_refcount;
  setup.allocated_pgmap_ref = rule.allocated_pgmap_ref;
  setup.mapped_pgmap_ref = rule.mapped_pgmap_ref;
  if (w) {
    setup.required = w->history(code->threads, code->files);

  } else if (s.expect) {
    for (auto const kind : s.expect->involves) {
      std::uint32_t group = 0;
      for (int a = 0; a < s.sc.actor_count; ++a)
        if (s.sc.actors[static_cast<std::size_t>(a)] == kind) group |= 1u << a;
      setup.required.push_back({group, {}});
    }
    for (auto const& f : s.expect->passes) {
      std::uint32_t group = 0;
      for (std::size_t t = 0; t < code->threads.size(); ++t)
        for (auto const& where : code->threads[t].sites)
          if (runs_in(where, f.name))
            group |= 1u << t;
      if (group == 0)
        throw spec_error(s.path, f.line, f.column,
                         "[expect] passes '" + f.name + "': no thread of this scenario runs that model function");
      setup.required.push_back({group, f.name});
    }
  }
  setup.file_mapped = false;  // a VMA exists iff an actor maps the file; threads of a spec's own add none
  for (int a = 0; a < s.sc.actor_count; ++a)
    if (models::maps_file(s.sc.actors[static_cast<std::size_t>(a)])) setup.file_mapped = true;
  if (s.setup) {  // the last thread; it runs before the search, alone
    setup.setup_thread = static_cast<int>(code->threads.size()) - 1;
    setup.setup_line = s.setup->line;
    setup.file_mapped = setup.file_mapped || s.setup_mapped;
  }
  if (!s.path.empty()) setup.path = s.path;
  code_model m(code->threads, setup);
  m.set_files(code->files);
  if (w) w->bind(m);  // witness_error: run_witness places it
  return m;
}

}  // namespace

code_model build_code_model(spec const& s) { return build(s, nullptr); }
code_model build_code_model(spec const& s, witness const& w) { return build(s, &w); }

}  // namespace pgmapcheck::lang
