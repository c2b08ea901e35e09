// Model variants: patches that change the order of kernel code rather than a
// knob. Each is a named C++ change to an actor, registered here so a patch
// file (variants = [...]) or `diff --patch NAME` can switch it on over any era.
// docs/patch-guide.md walks through adding one.
#pragma once

#include "models/kernels.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace pgmapcheck::models {

enum class variant : std::uint8_t {
  // P2PDMA teardown: pci_p2pdma_release (pdev->p2pdma = NULL,
  // synchronize_rcu, gen_pool_destroy) runs before kfree(p2p_pgmap), so no
  // pci_alloc_p2pmem can reach the freed percpu_ref (closes V11).
  p2pdma_release_before_kfree,
};

struct variant_info {
  std::string_view name;
  std::string_view meaning;
  std::string_view changes;  // the actor and steps the variant reorders
  pagemap concerns;
};

inline constexpr std::array<variant_info, 1> variants{{
    {"p2pdma-release-before-kfree",
     "pci_p2pdma_release runs before the p2p_pgmap is freed: the pool is gone before its owner ref is",
     "models/actors.hpp: memunmap, P2PDMA devm teardown (steps 5 and 6 swap)", pagemap::p2pdma},
}};

// The variant named `name`, if any.
constexpr std::optional<variant> find_variant(std::string_view name) {
  for (std::size_t i = 0; i < variants.size(); ++i)
    if (variants[i].name == name) return static_cast<variant>(i);
  return std::nullopt;
}

constexpr std::uint8_t bit(variant v) { return static_cast<std::uint8_t>(1u << static_cast<unsigned>(v)); }

}  // namespace pgmapcheck::models
