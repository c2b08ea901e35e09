// The kernel library: the model files under models/ (kernel code paths laid
// out like the kernel tree, the harness that runs them as actors, and the
// patch stacks that make an RFC from its release), compiled into the checker.
#pragma once

#include <string_view>
#include <vector>

namespace pgmapcheck::lang {

struct library_file {
  std::string_view path;  // "models/kernel/mm/memremap.kc", "models/patches/rfc-v3/0001-....toml"
  std::string_view text;
};

// Every model file and library patch, sorted by path.
std::vector<library_file> const& library_files();

}  // namespace pgmapcheck::lang
