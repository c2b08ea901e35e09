// Scenario files: TOML in, a validated scenario out; every error names file, line and column.
#include "lang/spec.hpp"

#include "lang/witness.hpp"

#include "lang/budget.hpp"
#include "lang/library.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <fstream>

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sstream>

namespace pgmapcheck {

std::optional<property> parse_property(std::string_view name) {
  for (std::size_t i = 0; i < property_count; ++i)
    if (property_names[i] == name) return static_cast<property>(i);
  return std::nullopt;
}

namespace models {
std::optional<kernel_version> parse_kernel(std::string_view name) {
  for (auto const& n : named_kernels)
    if (n.name == name) return n.kernel;
  // "v5.15": digits, a dot, digits, and nothing else.
  if (name.size() < 4 || name.front() != 'v') return std::nullopt;
  auto const dot = name.find('.');
  auto digits = [](std::string_view d) {
    return !d.empty() && d.size() <= 2 && (d.size() == 1 || d[0] != '0') && std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (dot == std::string_view::npos || !digits(name.substr(1, dot - 1)) || !digits(name.substr(dot + 1)))
    return std::nullopt;
  int const r = kernel_release(std::stoi(std::string(name.substr(1, dot - 1))), std::stoi(std::string(name.substr(dot + 1))));
  if (r < oldest_release || r > newest_release || !is_release(r)) return std::nullopt;
  return kernel_version{static_cast<std::uint16_t>(r), 0};
}
std::string name_of(kernel_version k) {
  for (auto const& n : named_kernels)
    if (n.kernel == k) return std::string(n.name);
  return "v" + std::to_string(k.release / 100) + "." + std::to_string(k.release % 100);
}
std::optional<pagemap> parse_pagemap(std::string_view name) {
  for (std::size_t i = 0; i < pagemap_names.size(); ++i)
    if (pagemap_names[i] == name) return static_cast<pagemap>(i);
  return std::nullopt;
}
}  // namespace models

bool applies(property p, models::pagemap t) { return p != property::dax_truncate_busy || t == models::pagemap::fs_dax; }

namespace {

// A device-dax PMD (align = "pmd") maps devmap pages up to v6.14; from v6.15
// it maps a folio (aed877c2b425), which the model does not have.
bool align_pmd_modelled(models::kernel_version k) { return k.before(models::kernel_release(6, 15)); }
// p2pmem_alloc_mmap came in v6.2 (7e9c7ef83d78).
bool p2p_mmap_modelled(models::kernel_version k) { return !k.before(models::kernel_release(6, 2)); }
constexpr char const* p2p_mmap_refusal =
    "actor kind 'p2p_mmap' needs the P2PDMA mmap path (p2pmem_alloc_mmap, 7e9c7ef83d78): expected kernel 'v6.2' or later";
constexpr char const* align_pmd_refusal =
    "align = \"pmd\" is modelled up to v6.14: from v6.15 a device-dax PMD maps a folio, which the model does not have";

}  // namespace

namespace {

using models::actor_kind;

std::vector<function_patch> era_functions(models::kernel_version k) {
  std::vector<function_patch> out;
  for (auto const& p : era_patch_stack(k)) out.insert(out.end(), p.functions.begin(), p.functions.end());
  return out;
}

// Stacks patch p on s, whose kernel is p's base: its functions and the knobs
// that concern s's type. `own`: the spec names the patch, so its
// knobs join the spec's own [patch] (another era re-applies them).
void stack(spec& s, patch_file const& p, bool own) {
  s.applied_patch = s.applied_patch.empty() ? p.name : s.applied_patch + " + " + p.name;
  s.function_patches.insert(s.function_patches.end(), p.functions.begin(), p.functions.end());
  auto apply = [&](patch_entry const& e) {
    auto const* k = models::find_knob(e.knob);
    if (!models::concerns(*k, s.sc.type)) return;
    s.sc.rule.*(k->field) = e.value;
    if (own) s.patch.push_back(e);
  };
  for (auto const& e : p.common) apply(e);
  for (auto const& e : p.per_type[static_cast<std::size_t>(s.sc.type)]) apply(e);
}

class parser {
 public:
  explicit parser(std::string path) : path_(std::move(path)) {}

  [[noreturn]] void fail(toml::node const& at, std::string const& message) const {
    auto const& b = at.source().begin;
    throw spec_error(path_, static_cast<int>(b.line ? b.line : 1), static_cast<int>(b.column ? b.column : 1), message);
  }
  [[noreturn]] void fail_top(std::string const& message) const { throw spec_error(path_, 1, 1, message); }

  std::string string_at(toml::node const& n, std::string const& what) const {
    if (auto v = n.value<std::string>(); v && n.is_string()) return *v;
    fail(n, what + " must be a string");
  }
  std::int64_t integer_at(toml::node const& n, std::string const& what, std::int64_t lo, std::int64_t hi) const {
    if (!n.is_integer()) fail(n, what + " must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
    std::int64_t v = *n.value<std::int64_t>();
    if (v < lo || v > hi)
      fail(n, what + " is " + std::to_string(v) + ": expected an integer from " + std::to_string(lo) + " to " +
                  std::to_string(hi));
    return v;
  }

  // The TOML document, after prescan; malformed TOML is a spec_error.
  toml::table parse_toml(std::string_view text) const {
    prescan(text);
    try {
      return toml::parse(text, path_);
    } catch (toml::parse_error const& e) {
      auto const& b = e.source().begin;
      throw spec_error(path_, static_cast<int>(b.line), static_cast<int>(b.column),
                       "malformed TOML: " + std::string(e.description()));
    }
  }

  // What toml++ may take for the document, generously: 128 bytes for each
  // value, key or line (measured: 71 a number in an array, 115 an inline
  // table), and two copies of the text.
  static std::uint64_t toml_bytes(std::string_view text) {
    auto const items = std::count_if(text.begin(), text.end(), [](char c) {
      return c == ',' || c == '[' || c == '{' || c == '=' || c == '\n';
    });
    return 128 * static_cast<std::uint64_t>(items) + 2 * text.size();
  }

  spec parse(std::string_view text) {
    lang::load_charge const document(toml_bytes(text), path_, 1, 1);
    toml::table root = parse_toml(text);
    spec s;
    s.path = path_;
    s.name = std::filesystem::path(path_).stem().string();

    static constexpr std::array<std::string_view, 15> top_keys{"title",      "kernel",  "pagemap",   "pages",
                                                               "align",      "actors",  "patch",     "patches",
                                                               "expect",     "properties", "threads", "functions",
                                                               "failures",   "witness", "setup"};
    for (auto const& [key, node] : root)
      if (std::find(top_keys.begin(), top_keys.end(), key.str()) == top_keys.end())
        fail(node, "unknown key '" + std::string(key.str()) + "': expected " + one_of(top_keys));

    if (auto const* n = root.get("title")) s.title = string_at(*n, "title");

    auto const* kernel = root.get("kernel");
    if (!kernel) fail_top("missing key 'kernel': expected " + std::string(models::kernel_expected));
    auto era = models::parse_kernel(string_at(*kernel, "kernel"));
    if (!era)
      fail(*kernel, "unknown kernel '" + string_at(*kernel, "kernel") + "': expected " + std::string(models::kernel_expected));

    auto const* type = root.get("pagemap");
    if (!type) fail_top("missing key 'pagemap': expected one of " + one_of(models::pagemap_names));
    auto pm = models::parse_pagemap(string_at(*type, "pagemap"));
    if (!pm)
      fail(*type, "unknown pagemap '" + string_at(*type, "pagemap") + "': expected " + one_of(models::pagemap_names));
    if (auto why = models::type_refusal(*pm, *era); !why.empty())
      fail(*type, "pagemap '" + std::string(name_of(*pm)) + "' at " + name_of(*era) + ": " + std::string(why));
    s.sc.type = *pm;
    s.sc.kernel = *era;
    s.declared_kernel = *era;
    s.sc.rule = models::preset(*era, *pm);
    s.era_patches = era_functions(*era);

    if (auto const* n = root.get("pages"))
      s.sc.pages = static_cast<int>(integer_at(*n, "pages", 1, models::max_pages));

    if (auto const* n = root.get("align")) {
      std::string const a = string_at(*n, "align");
      if (a != "pte" && a != "pmd") fail(*n, "unknown align '" + a + "': expected \"pte\" or \"pmd\"");
      if (a == "pmd" && s.sc.type != models::pagemap::generic)
        fail(*n, "align = \"pmd\" is a device-dax region's alignment: it needs pagemap = \"generic\"");
      if (a == "pmd" && !align_pmd_modelled(s.sc.kernel)) fail(*n, align_pmd_refusal);
      s.sc.align_pmd = a == "pmd";
    }
    if (auto const* n = root.get("failures")) s.failures = static_cast<int>(integer_at(*n, "failures", 0, 4));
    parse_code(root, s, text);
    parse_actors(root, s);
    if (auto const* n = root.get("patches")) parse_patches(*n, s);
    if (auto const* n = root.get("patch")) parse_patch(*n, s);
    if (auto const* n = root.get("properties")) parse_properties(*n, s);
    for (std::size_t i = 0; i < property_count; ++i)
      if (!applies(static_cast<property>(i), s.sc.type)) s.checked.remove(static_cast<property>(i));
    if (auto const* n = root.get("expect")) parse_expect(*n, s);
    if (auto const* n = root.get("witness")) parse_witness(*n, s);
    return s;
  }

 private:
  // The line a string's text starts on: a multi-line string that opens with a
  // newline starts on the next line.
  int text_line(toml::node const& n, std::string_view text) const {
    auto const& b = n.source().begin;
    int const line = static_cast<int>(b.line);
    std::size_t at = 0;
    for (int l = 1; l < line; ++l) {
      auto nl = text.find('\n', at);
      if (nl == std::string_view::npos) return line;
      at = nl + 1;
    }
    std::string_view rest = text.substr(at);
    rest = rest.substr(0, rest.find('\n'));
    std::size_t const col = b.column > 0 ? b.column - 1 : 0;
    if (col < rest.size() && rest.substr(col).rfind("\"\"\"", 0) == 0 &&
        rest.find_first_not_of(" \t\r", col + 3) == std::string_view::npos)
      return line + 1;
    return line;
  }

  // [threads.NAME] code = "..." and [functions] NAME = "...": model code of the spec's own.
  void parse_code(toml::table const& root, spec& s, std::string_view text) const {
    if (auto const* n = root.get("threads")) {
      auto const* t = n->as_table();
      if (!t) fail(*n, "'threads' must be a table of [threads.NAME] tables, each with code = \"...\"");
      for (auto const& [name, node] : *t) {
        auto const* th = node.as_table();
        if (!th) fail(node, "[threads." + std::string(name.str()) + "] must be a table with code = \"...\"");
        for (auto const& [k, v] : *th)
          if (k.str() != "code") fail(v, "unknown key '" + std::string(k.str()) + "' in a thread: expected 'code'");
        auto const* code = th->get("code");
        if (!code) fail(node, "[threads." + std::string(name.str()) + "] needs code = \"...\"");
        s.threads.push_back({std::string(name.str()), string_at(*code, "code"), text_line(*code, text)});
      }
      if (s.threads.empty()) fail(*n, "'threads' is empty");
    }
    if (auto const* n = root.get("setup")) {
      auto const* t = n->as_table();
      if (!t) fail(*n, "'setup' must be a table with code = \"...\" (and mapped = true or false)");
      for (auto const& [k, v] : *t)
        if (k.str() != "code" && k.str() != "mapped")
          fail(v, "unknown key '" + std::string(k.str()) + "' in [setup]: expected 'code' or 'mapped'");
      auto const* code = t->get("code");
      if (!code) fail(*n, "[setup] needs code = \"...\"");
      s.setup = code_source{"setup", string_at(*code, "code"), text_line(*code, text)};
      if (auto const* m = t->get("mapped")) {
        auto const* b = m->as_boolean();
        if (!b) fail(*m, "[setup] mapped must be true or false");
        s.setup_mapped = b->get();
      }
    }
    if (auto const* n = root.get("functions")) {
      auto const* t = n->as_table();
      if (!t) fail(*n, "'functions' must be a table of NAME = \"function text\"");
      for (auto const& [name, node] : *t)
        s.functions.push_back({std::string(name.str()), string_at(node, "a function"), text_line(node, text)});
    }
  }

  void parse_actors(toml::table const& root, spec& s) const {
    auto const* node = root.get("actors");
    if (!node && !s.threads.empty()) return;  // model code of its own alone
    if (!node) fail_top("missing table [actors]: expected at least one of " + one_of(models::actor_names) + ", or [threads.NAME]");
    auto const* table = node->as_table();
    if (!table) fail(*node, "'actors' must be a table of kind = count");
    // Columns follow the file's order, not the table's (sorted) order.
    std::vector<std::pair<toml::source_position, std::pair<actor_kind, int>>> found;
    int total = 0;
    for (auto const& [key, n] : *table) {
      std::optional<actor_kind> kind;
      for (std::size_t i = 0; i < models::actor_names.size(); ++i)
        if (models::actor_names[i] == key.str()) kind = static_cast<actor_kind>(i);
      if (!kind) fail(n, "unknown actor kind '" + std::string(key.str()) + "': expected " + one_of(models::actor_names));
      if (!models::applies(*kind, s.sc.type))
        fail(n, "actor kind '" + std::string(key.str()) + "' does not run against pagemap '" +
                    std::string(name_of(s.sc.type)) + "' (docs/kernel-model.md, Actors)");
      if (*kind == actor_kind::p2p_mmap && !p2p_mmap_modelled(s.sc.kernel)) fail(n, p2p_mmap_refusal);
      int count = static_cast<int>(integer_at(n, "actor count '" + std::string(key.str()) + "'", 0, models::max_actors));
      if (*kind == actor_kind::memunmap && count > 1) fail(n, "memunmap runs at most once per pgmap: expected 0 or 1");
      total += count;
      if (total > models::max_actors)
        fail(n, "too many actors: expected at most " + std::to_string(models::max_actors) + " in all");
      found.push_back({n.source().begin, {*kind, count}});
    }
    if (total == 0) fail(*node, "no actors: expected at least one actor with a count of 1 or more");
    std::stable_sort(found.begin(), found.end(), [](auto const& a, auto const& b) {
      return a.first.line != b.first.line ? a.first.line < b.first.line : a.first.column < b.first.column;
    });
    for (auto const& [pos, kc] : found)
      for (int i = 0; i < kc.second; ++i) {
        s.sc.actors[static_cast<std::size_t>(s.sc.actor_count++)] = kc.first;
        s.actor_labels.push_back(std::string(name_of(kc.first)) + "#" + std::to_string(i));
      }
  }

  // patches = ["../patches/fix.toml", ...]: the patch files the scenario runs
  // under, stacked in order on its kernel (each written for that kernel).
  // Their knobs join the spec's own, so another era re-applies them.
  void parse_patches(toml::node const& node, spec& s) const {
    auto const* arr = node.as_array();
    if (!arr || arr->empty()) fail(node, "'patches' must be a non-empty array of patch file paths");
    auto const dir = std::filesystem::path(path_).parent_path();
    for (auto const& item : *arr) {
      auto const file = (dir / string_at(item, "a patch file path")).lexically_normal();
      std::error_code ec;
      if (!std::filesystem::is_regular_file(file, ec))
        fail(item, "no patch file '" + file.string() + "' (paths are relative to this spec's folder)");
      patch_file const p = load_patch(file);
      if (p.base != s.sc.kernel)
        fail(item, "patch '" + p.name + "' is written for " + std::string(models::name_of(p.base)) +
                       ", and this spec's kernel is " + std::string(models::name_of(s.sc.kernel)));
      stack(s, p, true);
    }
  }

  void parse_patch(toml::node const& node, spec& s) const {
    auto const* table = node.as_table();
    if (!table) fail(node, "'patch' must be a table of knob = value");
    for (auto const& [key, n] : *table) {
      auto const* k = models::find_knob(key.str());
      if (!k) fail(n, "unknown knob '" + std::string(key.str()) + "' (pgmapcheck list shows the knobs)");
      if (!models::concerns(*k, s.sc.type))
        fail(n, "knob '" + std::string(k->name) + "' does not apply to pagemap '" + std::string(name_of(s.sc.type)) + "'");
      patch_entry e = knob_value(*k, n);
      s.sc.rule.*(k->field) = e.value;
      s.patch.push_back(std::move(e));
    }
  }

 public:
  // The value of knob k as written at n, checked against its kind and range.
  patch_entry knob_value(models::knob const& k, toml::node const& n) const {
    patch_entry e{std::string(k.name), 0, "", static_cast<int>(n.source().begin.line),
                  static_cast<int>(n.source().begin.column)};
    switch (k.kind) {
      case models::knob_kind::boolean:
        if (!n.is_boolean()) fail(n, "knob '" + e.knob + "' must be true or false");
        e.value = *n.value<bool>() ? 1 : 0;
        e.text = e.value ? "true" : "false";
        break;
      case models::knob_kind::integer:
        e.value = static_cast<std::int8_t>(integer_at(n, "knob '" + e.knob + "'", k.min, k.max));
        e.text = std::to_string(e.value);
        break;
    }
    return e;
  }

  patch_file parse_patch_file(std::string_view text) {
    toml::table root = parse_toml(text);
    patch_file p;
    p.path = path_;
    p.name = std::filesystem::path(path_).stem().string();
    static constexpr std::array<std::string_view, 8> keys{"title", "base",  "link",      "scenarios",
                                                          "kernel", "knobs", "functions"};
    for (auto const& [key, node] : root)
      if (std::find(keys.begin(), keys.end(), key.str()) == keys.end())
        fail(node, "unknown key '" + std::string(key.str()) + "' in a patch file: expected " + one_of(keys));
    if (auto const* n = root.get("title")) p.title = string_at(*n, "title");
    if (auto const* n = root.get("link")) p.link = string_at(*n, "link");
    auto const* base = root.get("base");
    if (!base) fail_top("missing key 'base': the kernel the patch applies to, " + std::string(models::kernel_expected));
    auto era = models::parse_kernel(string_at(*base, "base"));
    if (!era)
      fail(*base, "unknown kernel '" + string_at(*base, "base") + "': expected " + std::string(models::kernel_expected));
    p.base = *era;
    if (auto const* n = root.get("kernel")) {
      // The change from base to another kernel: that kernel's code, and nothing else.
      auto k = models::parse_kernel(string_at(*n, "kernel"));
      if (!k) fail(*n, "unknown kernel '" + string_at(*n, "kernel") + "': expected " + std::string(models::kernel_expected));
      if (*k == p.base) fail(*n, "kernel is the base: the patch would change nothing");
      for (auto key : {"knobs", "functions"})
        if (auto const* other = root.get(key))
          fail(*other, "a patch that names a kernel is that kernel's code: it takes no '" + std::string(key) + "'");
      p.kernel = *k;
    }
    if (auto const* n = root.get("scenarios")) {
      auto const* arr = n->as_array();
      if (!arr) fail(*n, "'scenarios' must be an array of spec paths");
      auto const dir = std::filesystem::path(path_).parent_path();
      for (auto const& item : *arr) p.scenarios.push_back((dir / string_at(item, "a scenario path")).lexically_normal());
    }
    if (auto const* n = root.get("functions")) {
      auto const* t = n->as_table();
      if (!t) fail(*n, "'functions' must be a table of [functions.NAME] tables with replaces and with");
      for (auto const& [name, node] : *t) {
        auto const* f = node.as_table();
        if (!f) fail(node, "[functions." + std::string(name.str()) + "] must be a table: replaces = \"...\" (the function as the patch found it), with = \"...\"");
        for (auto const& [k, v] : *f)
          if (k.str() != "replaces" && k.str() != "with")
            fail(v, "unknown key '" + std::string(k.str()) + "' in [functions." + std::string(name.str()) + "]: expected 'replaces' or 'with'");
        auto const* with = f->get("with");
        if (!with) fail(node, "[functions." + std::string(name.str()) + "] needs with = \"...\": the function after the patch");
        function_patch fp;
        fp.patch = path_;
        fp.with = {std::string(name.str()), string_at(*with, "with"), text_line(*with, text)};
        if (auto const* r = f->get("replaces"))
          fp.replaces = code_source{std::string(name.str()), string_at(*r, "replaces"), text_line(*r, text)};
        p.functions.push_back(std::move(fp));
      }
    }
    auto const* knobs = root.get("knobs");
    if (!knobs && (p.kernel || !p.functions.empty())) return p;
    if (!knobs) fail_top("missing table [functions.NAME]: a patch replaces or adds functions, sets knobs, or names a kernel");
    auto const* table = knobs->as_table();
    if (!table) fail(*knobs, "'knobs' must be a table of knob = value");
    for (auto const& [key, n] : *table) {
      if (auto type = models::parse_pagemap(key.str()); type && n.is_table()) {
        for (auto const& [k2, n2] : *n.as_table()) {
          auto const* k = models::find_knob(k2.str());
          if (!k) fail(n2, "unknown knob '" + std::string(k2.str()) + "' (pgmapcheck list shows the knobs)");
          if (!models::concerns(*k, *type))
            fail(n2, "knob '" + std::string(k->name) + "' does not apply to pagemap '" + std::string(key.str()) + "'");
          p.per_type[static_cast<std::size_t>(*type)].push_back(knob_value(*k, n2));
        }
        continue;
      }
      auto const* k = models::find_knob(key.str());
      if (!k)
        fail(n, "unknown knob '" + std::string(key.str()) + "': expected a knob (pgmapcheck list) or a pagemap table " +
                    one_of(models::pagemap_names));
      p.common.push_back(knob_value(*k, n));
    }
    bool any = !p.common.empty();
    for (auto const& v : p.per_type) any = any || !v.empty();
    if (!any) fail(*knobs, "[knobs] is empty: a patch overrides at least one knob");
    return p;
  }

 private:
  void parse_properties(toml::node const& node, spec& s) const {
    auto const* arr = node.as_array();
    if (!arr || arr->empty()) fail(node, "'properties' must be a non-empty array of property names");
    s.checked = property_set{};
    s.properties_listed = true;
    for (auto const& n : *arr) {
      auto p = parse_property(string_at(n, "a property"));
      if (!p) fail(n, "unknown property '" + string_at(n, "a property") + "': expected " + one_of(property_names));
      if (!applies(*p, s.sc.type))
        fail(n, "property '" + std::string(name_of(*p)) + "' does not apply to pagemap '" +
                    std::string(name_of(s.sc.type)) + "'");
      s.checked.add(*p);
    }
    s.checked.add(property::model_range);  // past the model's range, no verdict is sound
  }

  void parse_witness(toml::node const& node, spec& s) const {
    auto const* table = node.as_table();
    if (!table) fail(node, "'witness' must be a table with reach (and expect)");
    witness_entry w;
    for (auto const& [key, n] : *table) {
      if (key.str() == "reach") {
        w.reach = string_at(n, "a witness condition");
        auto const& b = n.source().begin;
        w.line = static_cast<int>(b.line ? b.line : 1);
        w.column = static_cast<int>(b.column ? b.column : 1);
        try {
          lang::witness check_syntax(w.reach);
        } catch (lang::witness_error const& e) {  // its column within the condition, after the quote
          throw spec_error(path_, w.line, w.column + static_cast<int>(e.column), "witness: " + e.message);
        }
      } else if (key.str() == "expect") {
        std::string const v = string_at(n, "expect");
        if (v != "reached" && v != "unreachable") fail(n, "expect '" + v + "': expected 'reached' or 'unreachable'");
        w.expect_reached = v == "reached";
      } else {
        fail(n, "unknown key '" + std::string(key.str()) + "' in [witness]: expected 'reach' or 'expect'");
      }
    }
    if (w.reach.empty()) fail(node, "[witness] needs reach = \"CONDITION\"");
    s.witness = std::move(w);
  }

  void parse_expect(toml::node const& node, spec& s) const {
    auto const* table = node.as_table();
    if (!table) fail(node, "'expect' must be a table with verdict (and property)");
    expectation e;
    for (auto const& [key, n] : *table) {
      if (key.str() == "verdict") {
        std::string v = string_at(n, "verdict");
        if (v == "holds")
          e.result = verdict::holds;
        else if (v == "violation")
          e.result = verdict::violation;
        else
          fail(n, "verdict '" + v + "': expected 'holds' or 'violation'");
      } else if (key.str() == "property") {
        auto p = parse_property(string_at(n, "property"));
        if (!p) fail(n, "unknown property '" + string_at(n, "property") + "': expected " + one_of(property_names));
        if (!s.checked.has(*p)) fail(n, "expected property '" + std::string(name_of(*p)) + "' is not checked here");
        e.violated = *p;
      } else if (key.str() == "involves") {
        auto const* arr = n.as_array();
        if (!arr || arr->empty()) fail(n, "'involves' must be a non-empty array of the spec's actor kinds");
        for (auto const& item : *arr) {
          std::string const name = string_at(item, "an actor kind");
          bool found = false;
          for (int a = 0; a < s.sc.actor_count; ++a)
            if (models::name_of(s.sc.actors[static_cast<std::size_t>(a)]) == name) {
              found = true;
              e.involves.push_back(s.sc.actors[static_cast<std::size_t>(a)]);
              break;
            }
          if (!found) fail(item, "'" + name + "' is not among this spec's [actors]");
        }
      } else if (key.str() == "passes") {
        auto const* arr = n.as_array();
        if (!arr || arr->empty()) fail(n, "'passes' must be a non-empty array of model function names");
        for (auto const& item : *arr) {
          auto const& b = item.source().begin;
          e.passes.push_back({string_at(item, "a model function name"), static_cast<int>(b.line ? b.line : 1),
                              static_cast<int>(b.column ? b.column : 1)});
        }
      } else {
        fail(n, "unknown key '" + std::string(key.str()) +
                    "' in [expect]: expected 'verdict', 'property', 'involves' or 'passes'");
      }
    }
    if (!table->contains("verdict")) fail(node, "[expect] needs verdict = 'holds' or 'violation'");
    if (e.violated && e.result != verdict::violation) fail(node, "[expect] names a property but expects 'holds'");
    if (!e.involves.empty() && e.result != verdict::violation)
      fail(node, "[expect] says what a counterexample involves but expects 'holds'");
    if (!e.passes.empty() && e.result != verdict::violation)
      fail(node, "[expect] says which functions a counterexample passes through but expects 'holds'");
    s.expect = e;
  }

  // Refuses, with its position, input toml++ 3.3 handles badly (found by the
  // fuzzer, tests/fuzz/regressions): a CR not followed by LF (TOML forbids
  // it), and non-ASCII text anywhere but in a comment: toml++'s value
  // look-ahead tests characters with is_whitespace, which reaches
  // __builtin_unreachable on some code points. Every value a spec takes is
  // ASCII, so this refuses no spec that could mean anything.
  void prescan(std::string_view t) const {
    enum { normal, comment, basic, literal, ml_basic, ml_literal } st = normal;
    bool escaped = false;
    int line = 1, column = 1;
    for (std::size_t i = 0; i < t.size(); ++i) {
      char const ch = t[i];
      if (ch == '\r' && (i + 1 == t.size() || t[i + 1] != '\n'))
        throw spec_error(path_, line, column, "malformed TOML: a carriage return must be followed by a line feed");
      if (st != comment && static_cast<unsigned char>(ch) >= 0x80)
        throw spec_error(path_, line, column, "non-ASCII text outside a comment: spec values are ASCII");
      auto skip = [&](std::size_t n) { i += n, column += static_cast<int>(n); };
      switch (st) {
        case normal:
          if (ch == '#')
            st = comment;
          else if (t.substr(i, 3) == "\"\"\"")
            st = ml_basic, skip(2);
          else if (t.substr(i, 3) == "\'\'\'")
            st = ml_literal, skip(2);
          else if (ch == '"')
            st = basic;
          else if (ch == '\'')
            st = literal;
          break;
        case comment:
          if (ch == '\n') st = normal;
          break;
        case basic:
          if (escaped)
            escaped = false;
          else if (ch == '\\')
            escaped = true;
          else if (ch == '"' || ch == '\n')
            st = normal;
          break;
        case literal:
          if (ch == '\'' || ch == '\n') st = normal;
          break;
        case ml_basic:
          if (escaped)
            escaped = false;
          else if (ch == '\\')
            escaped = true;
          else if (t.substr(i, 3) == "\"\"\"")
            st = normal, skip(2);
          break;
        case ml_literal:
          if (t.substr(i, 3) == "\'\'\'") st = normal, skip(2);
          break;
      }
      if (t[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
  }

  std::string path_;
};

}  // namespace

spec parse_spec(std::string_view text, std::string const& path) { return parser(path).parse(text); }

std::vector<std::filesystem::path> catalog_files(std::filesystem::path const& dir) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec); !ec && it != std::filesystem::end(it);
       it.increment(ec)) {
    if (it->is_directory() && it->path().filename() == "patches") {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file() && it->path().extension() == ".toml") files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

patch_file parse_patch_file(std::string_view text, std::string const& path) {
  return parser(path).parse_patch_file(text);
}

namespace {
// The largest spec or patch file read: a scenario or a series is far smaller.
constexpr std::size_t max_file_bytes = std::size_t{1} << 20;

// The text of a regular file of at most max_file_bytes. Opened without
// blocking (a FIFO would wait for a writer) and checked once open, so no
// FIFO, device or directory is read, and nothing past the limit.
std::string read_file(std::filesystem::path const& path) {
  int const fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) throw spec_error(path.string(), 1, 1, "cannot read the file");
  struct closer {
    int fd;
    ~closer() { ::close(fd); }
  } const guard{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw spec_error(path.string(), 1, 1, "cannot read the file");
  if (S_ISDIR(st.st_mode)) throw spec_error(path.string(), 1, 1, "is a directory, expected a file");
  if (!S_ISREG(st.st_mode)) throw spec_error(path.string(), 1, 1, "is not a regular file (a FIFO, a socket or a device)");
  if (static_cast<std::uint64_t>(st.st_size) > max_file_bytes)
    throw spec_error(path.string(), 1, 1, "is larger than 1 MiB: expected a spec or patch file");
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t const n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw spec_error(path.string(), 1, 1, "cannot read the file");
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > max_file_bytes)  // it grew while read
      throw spec_error(path.string(), 1, 1, "is larger than 1 MiB: expected a spec or patch file");
  }
  return text;
}
}  // namespace

patch_file load_patch(std::filesystem::path const& path) { return parse_patch_file(read_file(path), path.string()); }

std::string read_input(std::filesystem::path const& path) { return read_file(path); }

std::vector<patch_file> const& era_patch_stack(models::kernel_version k) {
  static std::array<std::vector<patch_file>, models::named_kernels.size()> const stacks = [] {
    std::array<std::vector<patch_file>, models::named_kernels.size()> out;
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (models::named_kernels[i].kernel.stack == 0) continue;
      std::string const dir = "models/patches/" + std::string(models::named_kernels[i].name) + "/";
      for (auto const& f : lang::library_files())  // sorted by path: the stack's order
        if (f.path.starts_with(dir)) out[i].push_back(parse_patch_file(f.text, std::string(f.path)));
    }
    return out;
  }();
  for (std::size_t i = 0; i < stacks.size(); ++i)
    if (k.stack != 0 && models::named_kernels[i].kernel == k) return stacks[i];
  static std::vector<patch_file> const none;
  return none;
}

spec with_patches(spec s, models::kernel_version base, std::vector<patch_file> const& patches) {
  for (auto const& p : patches) {
    if (p.kernel)
      throw spec_error(p.path, 1, 1,
                       "the patch is kernel " + models::name_of(*p.kernel) +
                           "'s code: it does not stack; diff against it alone");
    if (p.base != base)
      throw spec_error(p.path, 1, 1,
                       "the patch is written for " + models::name_of(p.base) + ", and the stack it joins is on " +
                           models::name_of(base));
  }
  s = with_kernel(std::move(s), base);
  for (auto const& p : patches) stack(s, p, false);
  return s;
}

spec with_patch(spec s, patch_file const& p) {
  if (p.kernel) return with_kernel(std::move(s), *p.kernel);
  return with_patches(std::move(s), p.base, {p});
}

void check_patch_applies(patch_file const& p, std::vector<spec> const& specs) {
  if (!p.functions.empty()) return;  // its functions are the change; its knobs are the values they imply
  for (auto const& e : p.common) {
    auto const* k = models::find_knob(e.knob);
    bool used = std::any_of(specs.begin(), specs.end(), [&](spec const& s) { return models::concerns(*k, s.sc.type); });
    if (!used)
      throw spec_error(p.path, e.line, e.column,
                       "knob '" + e.knob + "' does not apply to any pagemap type among the scenarios of this run");
  }
  for (std::size_t t = 0; t < p.per_type.size(); ++t) {
    bool used = std::any_of(specs.begin(), specs.end(), [&](spec const& s) { return static_cast<std::size_t>(s.sc.type) == t; });
    if (!p.per_type[t].empty() && !used)
      throw spec_error(p.path, p.per_type[t].front().line, p.per_type[t].front().column,
                       "[knobs." + std::string(models::pagemap_names[t]) + "] applies to no scenario of this run");
  }
}

spec load_spec(std::filesystem::path const& path) {
  return parse_spec(read_file(path), path.string());
}

spec with_kernel(spec s, models::kernel_version e) {
  if (auto why = models::type_refusal(s.sc.type, e); !why.empty())
    throw spec_error(s.path, 1, 1, "pagemap '" + std::string(name_of(s.sc.type)) + "' at " + name_of(e) + ": " + std::string(why));
  for (int a = 0; a < s.sc.actor_count; ++a)
    if (s.sc.actors[static_cast<std::size_t>(a)] == models::actor_kind::p2p_mmap && !p2p_mmap_modelled(e))
      throw spec_error(s.path, 1, 1, p2p_mmap_refusal);
  if (s.sc.align_pmd && !align_pmd_modelled(e)) throw spec_error(s.path, 1, 1, align_pmd_refusal);
  s.sc.kernel = e;
  s.sc.rule = models::preset(e, s.sc.type);
  s.era_patches = era_functions(e);
  for (auto const& p : s.patch) s.sc.rule.*(models::find_knob(p.knob)->field) = p.value;
  return s;
}

}  // namespace pgmapcheck
