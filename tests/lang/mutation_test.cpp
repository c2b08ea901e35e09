// The mutation harness on the kernel library: seeded bugs as edits to
// library functions (the model side of a bad kernel patch), each killed by
// the catalog: some spec run on model code no longer gives its expected verdict.
#include "check/check.hpp"
#include "lang/scenario.hpp"
#include "lang/spec.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace pgmapcheck;

namespace {

struct mutant {
  char const* what;
  char const* function;
  char const* from;  // text of the function as the era loads it
  char const* to;
};

// clang-format off
mutant const mutants[] = {
  {"drop a put (v5.10)",              "put_dev_pagemap",      "percpu_ref_put(pgmap->ref);",          ";"},
  {"drop a put",                      "put_dev_pagemap",      "percpu_ref_put(&pgmap->ref);",         ";"},
  {"drop a wake-up",                  "put_devmap_managed_page", "wake_up_var(&page->_refcount);",    ";"},
  {"drop a wake-up (v5.10)",          "free_devmap_managed_page", "wake_up_var(&page->_refcount);",   ";"},
  {"swap two teardown lines",         "p2pdma_devm_release",  "kfree(p2p_pgmap);\n\tpci_p2pdma_release(pdev);", "pci_p2pdma_release(pdev);\n\tkfree(p2p_pgmap);"},
  {"skip the put on gup's way out",   "get_user_page",        "if (ctx_pgmap)\n\t\tput_dev_pagemap(ctx_pgmap);", ";"},
  {"take a lock late",                "truncate",             "down_write(&mapping->invalidate_lock);\n\text4_break_layouts(mapping);", "ext4_break_layouts(mapping);\n\tdown_write(&mapping->invalidate_lock);"},
  {"skip an error-path put",          "pci_alloc_p2pmem",     "gen_pool_free(p2pdma->pool, ret, size);\n", ""},  // from v5.15 (V12 masks v5.10's)
  {"poll where the kernel sleeps",    "memunmap_pages",       "wait_for_completion(&pgmap->done);",   "while (!percpu_ref_is_zero(&pgmap->ref))\n\t\t;"},  // a deadlock becomes a livelock
  {"keep memory failure's pgmap reference", "memory_failure_dev_pagemap", "put_dev_pagemap(pgmap);\n\treturn rc;", "return rc;"},
  {"give a page back before mapping it", "p2pmem_alloc_mmap",   "ret = vm_insert_page(page);",          "gen_pool_free(p2pdma->pool, page, PAGE_SIZE);\n\tret = vm_insert_page(page);"},
};
// clang-format on

// The catalog on model code: every spec with an [expect].
std::vector<spec> code_catalog() {
  std::vector<spec> out;
  for (auto const& path : catalog_files(std::string(PGMAPCHECK_SOURCE_DIR) + "/specs")) {
    spec s = load_spec(path);
    if (s.expect) out.push_back(std::move(s));
  }
  return out;
}

// Returns true iff some spec's verdict under the mutant differs from its
// verdict on the unmutated library.
bool killed(mutant const& m, std::vector<spec> const& specs, std::vector<check_result> const& base, std::string& by) {
  for (std::size_t i = 0; i < specs.size(); ++i) {
    lang::scenario_facts facts;
    facts.kernel = lang::release_of(specs[i].sc.kernel);
    auto const lib = lang::load_library(facts);
    auto const* f = lib.find(m.function);
    if (!f) continue;
    std::string text = f->text;
    auto at = text.find(m.from);
    if (at == std::string::npos) continue;  // not this era's code
    text.replace(at, std::string(m.from).size(), m.to);
    spec s = specs[i];
    s.functions.push_back({m.function, text, 1});
    auto r = run_check(s, {});
    if (r.result != base[i].result || r.violated != base[i].violated) {
      by = s.path + ": " + std::string(name_of(r.result)) +
           (r.violated ? " " + std::string(name_of(*r.violated)) : std::string()) + " (was " +
           std::string(name_of(base[i].result)) + ")";
      return true;
    }
  }
  return false;
}

}  // namespace

TEST_CASE("library mutants: each seeded bug is killed by the catalog on model code", "[library][mutation]") {
  auto const specs = code_catalog();
  REQUIRE(specs.size() >= 35);
  std::vector<check_result> base;
  for (auto const& s : specs) base.push_back(run_check(s, {}));
  for (auto const& m : mutants) {
    std::string by;
    INFO(m.what << " in " << m.function);
    CHECK(killed(m, specs, base, by));
    if (!by.empty()) WARN(m.what << ": killed by " << by);
  }
}

TEST_CASE("library mutants: a move the lifecycle table has no row for is caught as lifecycle", "[library][mutation]") {
  // The seeded bug: p2pmem_alloc_mmap gives its page back to the pool, then
  // maps it. No counter goes wrong at the map; the P2PDMA table has no row
  // for map from free.
  spec s = load_spec(std::string(PGMAPCHECK_SOURCE_DIR) + "/specs/p2pdma/p2p-mmap-v6.15.toml");
  s.failures = 0;
  REQUIRE(run_check(s, {}).result == verdict::holds);
  auto const& m = mutants[std::size(mutants) - 1];
  lang::scenario_facts facts;
  facts.kernel = lang::release_of(s.sc.kernel);
  auto const lib = lang::load_library(facts);
  REQUIRE(lib.find(m.function));
  std::string text = lib.find(m.function)->text;
  auto at = text.find(m.from);
  REQUIRE(at != std::string::npos);
  text.replace(at, std::string(m.from).size(), m.to);
  s.functions.push_back({m.function, text, 1});
  auto r = run_check(s, {});
  REQUIRE(r.result == verdict::violation);
  CHECK(*r.violated == property::lifecycle);
  CHECK(r.message.find("p2pdma's lifecycle has no row for map from free") != std::string::npos);
}
