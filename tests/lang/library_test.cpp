// The kernel library against the catalog: the specs whose actors the
// library already runs give their expected verdict on model code too.
#include "pgmapcheck/explorer.hpp"
#include "pgmapcheck/lang/check.hpp"
#include "pgmapcheck/lang/library.hpp"
#include "pgmapcheck/lang/scenario.hpp"
#include "pgmapcheck/spec.hpp"

#include <catch2/catch.hpp>

#include <iostream>
#include <optional>

using namespace pgmapcheck;

namespace {

// Returns true iff the library runs every actor of s, under s's era (rfc-v3:
// v5.10 under the library's RFC patch stack).
bool library_runs(spec const& s) {
  if (!s.patch.empty() || !s.applied_patch.empty()) return false;
  for (int a = 0; a < s.sc.actor_count; ++a) {
    auto k = s.sc.actors[static_cast<std::size_t>(a)];
    if (k != models::actor_kind::memunmap && k != models::actor_kind::p2p_alloc &&
        k != models::actor_kind::stray_put && k != models::actor_kind::stray_get_put &&
        k != models::actor_kind::pgmap_lookup && k != models::actor_kind::fault && k != models::actor_kind::gup &&
        k != models::actor_kind::truncate && k != models::actor_kind::user && k != models::actor_kind::driver &&
        k != models::actor_kind::cpu_fault && k != models::actor_kind::p2p_mmap)
      return false;
  }
  return true;
}

// Where model code, read from the kernel source, answers differently from a
// spec's [expect] (written for the actor model): the verdict it gives and the
// source that decides it.
struct difference {
  std::string_view spec;
  verdict result;
  std::optional<property> violated;
  std::string_view source;
};
constexpr std::array<difference, 6> differences{{
    {"p2pdma/p2p-mmap-v6.15.toml", verdict::violation, property::deadlock,
     "v6.15's p2pmem_alloc_mmap keeps the tryget's pgmap reference when vm_insert_page fails (7e9c7ef83d78, v6.2; "
     "fixed by 6220694c52a5): with the default failure budget memunmap_pages waits for ever "
     "(p2pdma/mmap-error-leak-v6.15, specs/patches/p2pdma-mmap-put-on-error-on-v6.15.toml)"},
    {"device_private/v4-migrate-to-ram-uaf-v5.10.toml", verdict::holds, std::nullopt,
     "munmap holds mmap_lock for write and do_swap_page runs under it for read (mm/mmap.c, mm/memory.c, v5.10): "
     "the user actor cannot race the fault; the race is with a second fault: device_private/v4-two-faults-v5.10"},
    {"device_private/v4-migrate-to-ram-uaf-v5.18.toml", verdict::holds, std::nullopt,
     "as in v5.10: munmap cannot overlap do_swap_page (mmap_lock)"},
    {"p2pdma/v5-lookup-after-exit-v5.10.toml", verdict::holds, std::nullopt,
     "percpu_ref_tryget_live on an exited ref reads only __PERCPU_REF_DEAD (include/linux/percpu-refcount.h, "
     "v5.10): no use-after-free; the window's hazard is the NULL pgmap->ref dev_pagemap_cleanup leaves, a "
     "kernel-bug (next test)"},
    {"fs_dax/rfc-open-gup-at-zero-rfc-v3.toml", verdict::violation, property::kernel_warn,
     "gup never takes a page at 0: try_grab_page WARNs (\"WARN_ON_ONCE(page_ref_count(page) <= 0)\") and fails "
     "(mm/gup.c, v5.10); the RFC's open problem is that WARN and a failed gup, not a pin from 0"},
    {"fs_dax/v7-unmapped-gup-v5.10.toml", verdict::violation, property::kernel_warn,
     "the kernel catches V7 itself, one step before the block is freed: dax_disassociate_entry's "
     "\"WARN_ON_ONCE(trunc && page_ref_count(page) > 1)\" (fs/dax.c, v5.10) fires on the pinned page"},
}};

difference const* known_difference(std::filesystem::path const& path) {
  for (auto const& d : differences)
    if (path.string().size() >= d.spec.size() && path.string().compare(path.string().size() - d.spec.size(), d.spec.size(), d.spec) == 0)
      return &d;
  return nullptr;
}

}  // namespace

TEST_CASE("library: every model file loads and checks for every era and type", "[library]") {
  for (auto e : {models::era::v5_10, models::era::v5_18, models::era::v6_1, models::era::v6_15})
    for (int type = 1; type <= 5; ++type) {
      lang::scenario_facts facts;
      facts.kernel = lang::release_of(e);
      facts.pagemap_type = type;
      INFO(name_of(e) << " type " << type);
      CHECK_NOTHROW(lang::load_library(facts));
    }
}

TEST_CASE("library: the catalog's specs hold or fail as expected on model code", "[library]") {
  int ran = 0;
  for (auto const& path : catalog_files(std::string(PGMAPCHECK_SOURCE_DIR) + "/specs")) {
    spec s = load_spec(path);
    if (!library_runs(s) || !s.expect) continue;
    auto m = lang::build_code_model(s);
    auto r = explore(m, checked_on_code(s));
    INFO(path.string() << ": " << name_of(r.result) << " " << (r.result == verdict::violation ? name_of(r.violated) : "")
                       << " (" << r.states << " states)");
    ++ran;
    if (auto const* d = known_difference(path)) {
      INFO(d->source);
      CHECK(r.result == d->result);
      if (d->violated && r.result == verdict::violation) CHECK(r.violated == *d->violated);
      continue;
    }
    CHECK(r.result == s.expect->result);
    if (s.expect->violated && r.result == verdict::violation) CHECK(r.violated == *s.expect->violated);
  }
  CHECK(ran >= 9);
}

TEST_CASE("library: V5 in v5.10 is get_dev_pagemap dereferencing the NULL pgmap->ref", "[library]") {
  spec s = load_spec(std::string(PGMAPCHECK_SOURCE_DIR) + "/specs/p2pdma/v5-lookup-after-exit-v5.10.toml");
  s.properties_listed = false;
  s.checked = property_set{};
  s.checked.add(property::kernel_bug);
  auto r = run_code_check(s, {});
  REQUIRE(r.result == verdict::violation);
  CHECK(*r.violated == property::kernel_bug);
  CHECK(r.message == "NULL pointer dereference: if (pgmap && !percpu_ref_tryget_live(pgmap->ref))");
  // From b80892ca022e (v5.17) the ref is embedded: the same race is safe.
  auto v518 = run_code_check(with_kernel(s, models::era::v5_18), {});
  CHECK(v518.result == verdict::holds);
}

TEST_CASE("library: a holds says which model lines, failure branches and wake-ups never ran", "[library]") {
  spec s = load_spec(std::string(PGMAPCHECK_SOURCE_DIR) + "/specs/p2pdma/mmap-error-leak-v6.15.toml");
  s.failures = 0;
  auto r = run_code_check(s, {});
  REQUIRE(r.result == verdict::holds);
  REQUIRE_FALSE(r.code_lines.empty());
  CHECK(r.never_ran.size() < r.code_lines.size());
  // With no failure budget, vm_insert_page's failing branch never ran: the holds says nothing about it.
  REQUIRE(r.failures_never_taken.size() == 1);
  CHECK(r.failures_never_taken[0].find("models/kernel/drivers/pci/p2pdma.kc:") == 0);
  CHECK(render_coverage(r).find("failure branches never taken") != std::string::npos);
  // With one, it ran (and the leak shows).
  s.failures = 1;
  auto leaky = run_code_check(s, {});
  CHECK(leaky.result == verdict::violation);
  CHECK(leaky.failures_never_taken.empty());
}

TEST_CASE("library: rfc-v3 is the RFC's two patches on v5.10, as function patches", "[library]") {
  auto const& stack = era_patch_stack(models::era::rfc_v3);
  REQUIRE(stack.size() == 2);
  CHECK(stack[0].link == "20201001181715.17416-2-rcampbell@nvidia.com");
  CHECK(stack[1].link == "20201001181715.17416-3-rcampbell@nvidia.com");
  for (auto const& p : stack) {
    CHECK(p.base == models::era::v5_10);
    CHECK_FALSE(p.functions.empty());
  }
  CHECK(era_patch_stack(models::era::v5_10).empty());
  for (auto t : models::all_types) {
    if (!models::exists_in(t, models::era::rfc_v3)) continue;
    // The stack's values over v5.10 are the rfc-v3 preset's.
    spec s;
    s.sc.type = t;
    for (auto const& p : stack) s = with_patch(s, p);
    CHECK(s.sc.rule.free_refcount == models::preset(models::era::rfc_v3, t).free_refcount);
    // Every function it replaces still reads as the patch found it.
    s = spec{};
    s.sc.type = t;
    s = with_kernel(s, models::era::rfc_v3);
    lang::scenario_facts facts;
    facts.kernel = lang::release_of(models::era::rfc_v3);
    facts.pagemap_type = static_cast<int>(t) + 1;
    auto src = lang::load_library(facts);
    INFO(name_of(t));
    CHECK_NOTHROW(lang::add_scenario_code(src, s, facts));
    REQUIRE(src.find("put_page"));
    CHECK(src.find("put_page")->text.find("page_is_devmap_managed") == std::string::npos);
  }
}
