// The kernel library: the model files under models/ (kernel code paths laid
// out like the kernel tree, and the harness that runs them as actors),
// compiled into the checker.
#pragma once

#include <string_view>
#include <vector>

namespace pgmapcheck::lang {

struct library_file {
  std::string_view path;  // "models/kernel/mm/memremap.kc"
  std::string_view text;
};

// Every model file, sorted by path.
std::vector<library_file> const& library_files();

}  // namespace pgmapcheck::lang
