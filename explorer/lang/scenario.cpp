// A scenario file run on the kernel library.
#include "pgmapcheck/lang/scenario.hpp"

#include "pgmapcheck/error.hpp"
#include "pgmapcheck/lang/library.hpp"
#include "pgmapcheck/lang/parse.hpp"

namespace pgmapcheck::lang {

int release_of(models::era e) {
  switch (e) {
    case models::era::v5_10:
    case models::era::rfc_v3: return release(5, 10);
    case models::era::v5_18: return release(5, 18);
    case models::era::v6_1: return release(6, 1);
    case models::era::v6_15: return release(6, 15);
  }
  return release(5, 10);
}

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
  source_set src;
  for (auto const& f : library_files()) src.add(std::string(f.path), std::string(f.text), facts);
  check_all(src, facts);
  return src;
}

code_model build_code_model(spec const& s) {
  if (s.sc.kernel == models::era::rfc_v3)
    throw spec_error(s.path, 1, 1,
                     "kernel 'rfc-v3' is a patch stack on v5.10 in the kernel library, not written yet: run it with "
                     "--engine actors");
  if (!s.patch.empty() || !s.applied_patch.empty() || s.sc.variants)
    throw spec_error(s.path, 1, 1,
                     "knob patches and model variants change the actor model; the kernel library takes patches as "
                     "functions (not yet): run it with --engine actors");
  scenario_facts facts;
  facts.kernel = release_of(s.sc.kernel);
  facts.pagemap_type = type_code(s.sc.type);
  facts.pages = s.sc.pages;
  source_set const src = load_library(facts);

  code_setup setup;
  setup.facts = facts;
  setup.free_refcount = s.sc.rule.free_refcount;
  setup.initial_pgmap_ref = 1 + (s.sc.rule.memremap_pgmap_refs ? s.sc.pages : 0);
  setup.p2pdma = s.sc.type == models::pagemap::p2pdma;
  // The ref-leak baseline of pages still out of their allocator at the end.
  auto const& rule = s.sc.rule;
  bool const device = s.sc.type == models::pagemap::device_private || s.sc.type == models::pagemap::device_coherent;
  switch (s.sc.type) {
    case models::pagemap::device_private:
    case models::pagemap::device_coherent:
      setup.mapped_refcount = 1 + (s.sc.type == models::pagemap::device_private && rule.private_free_at == 1 ? 1 : 0);
      break;
    case models::pagemap::p2pdma: setup.mapped_refcount = 1; break;
    case models::pagemap::fs_dax: setup.mapped_refcount = rule.free_refcount + (rule.fs_dax_map_ref ? 1 : 0); break;
    case models::pagemap::generic:
      setup.mapped_refcount = rule.free_refcount + (s.sc.kernel == models::era::v6_15 ? 1 : 0);
      break;
  }
  setup.mapped_pgmap_ref = s.sc.type == models::pagemap::p2pdma && rule.p2p_mmap_ref ? 1 : 0;
  setup.allocated_pgmap_ref =
      device && rule.private_alloc == static_cast<std::int8_t>(models::private_alloc::zone_device_page_init) ? 1 : 0;
  setup.file_mapped = false;
  std::vector<program> threads;
  std::array<int, models::actor_names.size()> seen{};
  for (int a = 0; a < s.sc.actor_count; ++a) {
    auto const kind = s.sc.actors[static_cast<std::size_t>(a)];
    auto const k = static_cast<std::size_t>(kind);
    if (kind == models::actor_kind::fault || kind == models::actor_kind::user ||
        kind == models::actor_kind::driver || kind == models::actor_kind::p2p_mmap)
      setup.file_mapped = true;
    std::string const name = std::string(models::actor_names[k]) + "#" + std::to_string(seen[k]++);
    if (!src.find(std::string(models::actor_names[k])))
      throw spec_error(s.path, 1, 1,
                       "actor kind '" + std::string(models::actor_names[k]) +
                           "' has no harness in the kernel library yet (models/harness/actors.kc): run it with --engine actors");
    threads.push_back(compile_thread(src, std::string(models::actor_names[k]), name, facts));
  }
  return code_model(std::move(threads), setup);
}

}  // namespace pgmapcheck::lang
