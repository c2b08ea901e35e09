// The kernel library against the catalog: the specs whose actors the
// library already runs give their expected verdict on model code too.
#include "pgmapcheck/explorer.hpp"
#include "pgmapcheck/lang/check.hpp"
#include "pgmapcheck/lang/library.hpp"
#include "pgmapcheck/lang/scenario.hpp"
#include "pgmapcheck/spec.hpp"

#include <catch2/catch.hpp>

#include <iostream>

using namespace pgmapcheck;

namespace {

// Returns true iff the library runs every actor of s, under s's era.
bool library_runs(spec const& s) {
  if (s.sc.kernel == models::era::rfc_v3 || !s.patch.empty() || !s.applied_patch.empty()) return false;
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
  std::string_view source;
};
constexpr std::array<difference, 4> differences{{
    {"p2pdma/p2p-mmap-v6.15.toml", verdict::violation,
     "v6.15's p2pmem_alloc_mmap keeps the tryget's pgmap reference when vm_insert_page fails (7e9c7ef83d78, v6.2; "
     "fixed by 6220694c52a5): with the default failure budget memunmap_pages waits for ever "
     "(p2pdma/mmap-error-leak-v6.15, specs/patches/p2pdma-mmap-put-on-error-on-v6.15.toml)"},
    {"device_private/v4-migrate-to-ram-uaf-v5.10.toml", verdict::holds,
     "munmap holds mmap_lock for write and do_swap_page runs under it for read (mm/mmap.c, mm/memory.c, v5.10): "
     "the user actor cannot race the fault; the race is with a second fault: device_private/v4-two-faults-v5.10"},
    {"device_private/v4-migrate-to-ram-uaf-v5.18.toml", verdict::holds,
     "as in v5.10: munmap cannot overlap do_swap_page (mmap_lock)"},
    {"p2pdma/v5-lookup-after-exit-v5.10.toml", verdict::holds,
     "percpu_ref_tryget_live on an exited ref reads only __PERCPU_REF_DEAD (include/linux/percpu-refcount.h, "
     "v5.10): no use-after-free; the window's hazard is the NULL pgmap->ref dev_pagemap_cleanup leaves, a "
     "kernel-bug (next test)"},
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
    property_set checked = s.checked;
    auto r = explore(m, checked);
    INFO(path.string() << ": " << name_of(r.result) << " " << (r.result == verdict::violation ? name_of(r.violated) : "")
                       << " (" << r.states << " states)");
    ++ran;
    if (auto const* d = known_difference(path)) {
      INFO(d->source);
      CHECK(r.result == d->result);
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
