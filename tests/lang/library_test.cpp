// The kernel library: every file loads for every era and type, the hazards
// it finds where the source puts them, what a holds leaves unrun, and the
// RFC as a patch stack.
#include "search/explorer.hpp"
#include "check/check.hpp"
#include "report/render.hpp"
#include "lang/library.hpp"
#include "lang/scenario.hpp"
#include "lang/spec.hpp"

#include <catch2/catch.hpp>


using namespace pgmapcheck;

TEST_CASE("library: every model file loads and checks for every era and type", "[library]") {
  for (auto e : {models::kernels::v5_10, models::kernels::v5_18, models::kernels::v6_1, models::kernels::v6_15, models::kernels::v7_0})
    for (int type = 1; type <= 5; ++type) {
      lang::scenario_facts facts;
      facts.kernel = lang::release_of(e);
      facts.pagemap_type = type;
      INFO(name_of(e) << " type " << type);
      CHECK_NOTHROW(lang::load_library(facts));
    }
}

TEST_CASE("library: V5 in v5.10 is get_dev_pagemap dereferencing the NULL pgmap->ref", "[library]") {
  spec s = load_spec(std::string(PGMAPCHECK_SOURCE_DIR) + "/specs/p2pdma/v5-lookup-after-exit-v5.10.toml");
  s.properties_listed = false;
  s.checked = property_set{};
  s.checked.add(property::kernel_bug);
  auto r = run_check(s, {});
  REQUIRE(r.result == verdict::violation);
  CHECK(*r.violated == property::kernel_bug);
  CHECK(r.message == "NULL pointer dereference: if (pgmap && !percpu_ref_tryget_live(pgmap->ref))");
  // From b80892ca022e (v5.17) the ref is embedded: the same race is safe.
  auto v518 = run_check(with_kernel(s, models::kernels::v5_18), {});
  CHECK(v518.result == verdict::holds);
}

TEST_CASE("library: a holds says which model lines, failure branches and wake-ups never ran", "[library]") {
  spec s = load_spec(std::string(PGMAPCHECK_SOURCE_DIR) + "/specs/p2pdma/mmap-error-leak-v6.15.toml");
  s.failures = 0;
  auto r = run_check(s, {});
  REQUIRE(r.result == verdict::holds);
  REQUIRE_FALSE(r.code_lines.empty());
  CHECK(r.never_ran.size() < r.code_lines.size());
  // With no failure budget, vm_insert_page's failing branch never ran: the holds says nothing about it.
  REQUIRE(r.failures_never_taken.size() == 1);
  CHECK(r.failures_never_taken[0].find("models/kernel/drivers/pci/p2pdma.kc:") == 0);
  CHECK(render_coverage(r).find("failure branches never taken") != std::string::npos);
  // With one, it ran (and the leak shows).
  s.failures = 1;
  auto leaky = run_check(s, {});
  CHECK(leaky.result == verdict::violation);
  CHECK(leaky.failures_never_taken.empty());
}

TEST_CASE("library: rfc-v3 is the RFC's two patches on v5.10, as function patches", "[library]") {
  auto const& stack = era_patch_stack(models::kernels::rfc_v3);
  REQUIRE(stack.size() == 2);
  CHECK(stack[0].link == "20201001181715.17416-2-rcampbell@nvidia.com");
  CHECK(stack[1].link == "20201001181715.17416-3-rcampbell@nvidia.com");
  for (auto const& p : stack) {
    CHECK(p.base == models::kernels::v5_10);
    CHECK_FALSE(p.functions.empty());
  }
  CHECK(era_patch_stack(models::kernels::v5_10).empty());
  for (auto t : models::all_types) {
    if (!models::exists_in(t, models::kernels::rfc_v3)) continue;
    // The stack's values over v5.10 are the rfc-v3 preset's.
    spec s;
    s.sc.type = t;
    for (auto const& p : stack) s = with_patch(s, p);
    CHECK(s.sc.rule == models::preset(models::kernels::rfc_v3, t));
    // Every function it replaces still reads as the patch found it.
    s = spec{};
    s.sc.type = t;
    s = with_kernel(s, models::kernels::rfc_v3);
    lang::scenario_facts facts;
    facts.kernel = lang::release_of(models::kernels::rfc_v3);
    facts.pagemap_type = static_cast<int>(t) + 1;
    auto src = lang::load_library(facts);
    INFO(name_of(t));
    CHECK_NOTHROW(lang::add_scenario_code(src, s, facts));
    REQUIRE(src.find("put_page"));
    CHECK(src.find("put_page")->text.find("page_is_devmap_managed") == std::string::npos);
  }
}
