// Per knob: flipping it changes the behaviour it names. These flips are also
// the seeded bugs: each breaks a kernel rule on purpose, and together they
// make every property fail somewhere, so each check is shown able to fail.
#include "pgmapcheck/spec.hpp"
#include "pgmapcheck/trace.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace pgmapcheck;

namespace {

struct flip {
  std::string_view knob;
  std::string_view value;   // the flipped value, as TOML
  std::string_view header;  // kernel, pagemap, pages, properties
  std::string_view actors;
  std::string_view base;     // "holds" or the property violated without the flip
  std::string_view flipped;  // the same with the flip
};

// clang-format off
std::vector<flip> const flips{
  {"free_refcount", "0", "kernel='v5.10'\npagemap='p2pdma'\npages=1", "p2p_alloc=1\nstray_get_put=1", "holds", "get-from-zero"},
  {"memremap_pgmap_refs", "false", "kernel='v5.10'\npagemap='p2pdma'\npages=2", "memunmap=1", "holds", "refcount-underflow"},
  {"memunmap_drop", "'none'", "kernel='v5.10'\npagemap='p2pdma'\npages=2", "memunmap=1", "holds", "deadlock"},
  {"zero_put_drops_pgmap", "false", "kernel='v5.10'\npagemap='p2pdma'\npages=2", "memunmap=1", "holds", "deadlock"},
  {"zero_put_frees", "true", "kernel='v5.10'\npagemap='p2pdma'\npages=1", "p2p_alloc=1\nstray_put=1", "ref-leak", "free-while-used"},
  {"reset_after_free", "false", "kernel='v5.18'\npagemap='device_private'\npages=1", "driver=1\nuser=1", "holds", "ref-leak"},
  {"private_free_at", "0", "kernel='v5.10'\npagemap='device_private'\npages=1", "driver=1\nuser=1", "holds", "ref-leak"},
  {"private_alloc", "'lock_only'", "kernel='v6.1'\npagemap='device_private'\npages=1", "driver=1\nuser=1", "holds", "free-while-used"},
  {"fs_dax_idle", "0", "kernel='v5.10'\npagemap='fs_dax'\npages=1", "fault=1\ngup=1\ntruncate=1", "holds", "deadlock"},
  {"fs_dax_map_ref", "true", "kernel='rfc-v3'\npagemap='fs_dax'\npages=1", "fault=1\ngup=1\ntruncate=1", "get-from-zero", "holds"},
  {"fs_dax_cache_ref", "true", "kernel='v5.10'\npagemap='fs_dax'\npages=1", "fault=1\nuser=1\nmemunmap=1", "memunmap-early", "deadlock"},
  {"cpu_fault_page_ref", "false", "kernel='v6.1'\npagemap='device_private'\npages=1", "driver=1\ncpu_fault=1\nuser=1", "holds", "use-after-free"},
  {"exit_before_unpublish", "true", "kernel='v6.1'\npagemap='p2pdma'\npages=1\nproperties=['use-after-free']", "pgmap_lookup=1\nmemunmap=1", "holds", "use-after-free"},
  {"p2p_alloc_ref", "false", "kernel='v5.10'\npagemap='p2pdma'\npages=1\nproperties=['memunmap-early']", "p2p_alloc=1\nmemunmap=1", "holds", "memunmap-early"},
  {"p2p_mmap_ref", "false", "kernel='v6.15'\npagemap='p2pdma'\npages=1", "p2p_mmap=1\nuser=1\nmemunmap=1", "holds", "refcount-underflow"},
  {"truncate_skips_unmapped", "false", "kernel='v5.10'\npagemap='fs_dax'\npages=1", "fault=1\ngup=1\nuser=1\ntruncate=1", "dax-truncate-busy", "holds"},
  {"truncate_waits_idle", "false", "kernel='v5.10'\npagemap='fs_dax'\npages=1", "fault=1\ngup=1\ntruncate=1", "holds", "dax-truncate-busy"},
};
// clang-format on

// The knobs are the actor model's: each flip runs there.
std::string outcome(std::string const& text) {
  spec s = parse_spec(text, "flip.toml");
  s.code_engine = false;
  auto r = run_check(s, {});
  return r.result == verdict::holds ? "holds" : r.violated ? std::string(name_of(*r.violated)) : "incomplete";
}

}  // namespace

TEST_CASE("knobs: flipping each knob changes the behaviour it names", "[knobs]") {
  std::set<std::string_view> covered;
  for (auto const& f : flips) {
    std::string base = std::string(f.header) + "\n[actors]\n" + std::string(f.actors) + "\n";
    std::string flipped = base + "[patch]\n" + std::string(f.knob) + " = " + std::string(f.value) + "\n";
    INFO(f.knob);
    CHECK(outcome(base) == f.base);
    CHECK(outcome(flipped) == f.flipped);
    covered.insert(f.knob);
  }
  for (auto const& k : models::knobs) {
    INFO(k.name);
    CHECK(covered.count(k.name) == 1);
  }
}

TEST_CASE("knobs: the seeded bugs make every property fail", "[knobs][seeded]") {
  std::set<std::string_view> caught;
  for (auto const& f : flips) {
    if (f.base != "holds") caught.insert(f.base);
    if (f.flipped != "holds") caught.insert(f.flipped);
  }
  for (auto name : property_names) {
    if (code_only(*parse_property(name))) continue;  // model code only: tests/lang
    INFO(name);
    CHECK(caught.count(name) == 1);
  }
}
