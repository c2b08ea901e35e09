// Seeded bugs for the mutation harness (tests/mutation): each is a change a
// kernel patch could make. Only a build with PGMAPCHECK_MUTATION can switch
// one on; elsewhere every hook is a constant false and compiles away.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace pgmapcheck::models {

enum class mutant : std::uint8_t {
  none,
  drop_put_page,         // a holder's put_page is left out
  drop_put_dev_pagemap,  // put_dev_pagemap does nothing
  skip_memunmap_wait,    // memunmap_pages does not wait_for_completion
  swap_exit_unpublish,   // percpu_ref_exit and the unpublish swap places
  skip_truncate_wait,    // truncate frees blocks without waiting for idle
  ref_not_dropped,       // a pgmap ref is taken and never put (pci_free_p2pmem, put_dev_pagemap)
  free_at_wrong_count,   // the free callback fires one count too high
};

inline constexpr std::array<std::string_view, 8> mutant_names{
    "none",
    "drop a put_page",
    "drop a put_dev_pagemap",
    "skip memunmap's wait",
    "swap exit and unpublish",
    "skip the truncate wait",
    "take a ref without dropping it",
    "free callback at the wrong count",
};

#ifdef PGMAPCHECK_MUTATION
inline mutant active_mutant = mutant::none;
// Returns true iff mutant m is switched on.
inline bool mutated(mutant m) { return active_mutant == m; }
#else
// Returns true iff mutant m is switched on: never, outside the mutation harness.
constexpr bool mutated(mutant) { return false; }
#endif

}  // namespace pgmapcheck::models
