// The library's release boundaries: every release its model code names
// (V5_18 in "#if KERNEL < V5_18"), each with the commit that changed the
// kernel there and how that was read, and what changed at each (list
// --kernels, show --history; docs/kernel-model.md, Releases).
//
// A line of library code that names a release ends with a note:
//
//   #if KERNEL < V5_18 /* 27674ef6c73f [src] */
//   #if KERNEL >= V6_1 && KERNEL < V6_15 /* V6_1 ef233450898f [src], V6_15 38607c62b34b [src] */
//
// [src]: read in a kernel tree of that release or the releases around it;
// [commit]: read in the commit itself; [inf]: inferred, not read.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pgmapcheck::lang {

enum class provenance : std::uint8_t { src, commit, inf };
std::string_view name_of(provenance p);

struct boundary {
  int release = 0;     // lang::release: V5_18 is 518
  std::string commit;  // 12 to 40 hex digits
  provenance read = provenance::inf;
  std::string file;
  int line = 0;
};

// The boundaries one model file names, in line order. Throws spec_error
// (file:line) when a line names a release and its note is missing, names a
// release the line does not, or leaves one out.
std::vector<boundary> boundaries_of(std::string_view text, std::string const& file);

// Every boundary of the library's model code (models/kernel, models/harness),
// by release, then file and line.
std::vector<boundary> const& library_boundaries();

// One release where a function's model changed: what it became, and the
// boundaries (in or around the function) that changed it.
struct change_point {
  int release = 0;
  enum { added, changed, removed } what = changed;
  std::vector<boundary> because;
};

// A function's history over every release the library resolves: where its
// model was first and each release where it changed. `file` is where it is
// defined at the newest release that has it; empty when no release has it.
struct function_history {
  std::string file;
  std::vector<change_point> changes;
};
function_history history_of(std::string const& function);

// Every library function that changes at each boundary release (list
// --kernels): release -> boundary -> functions.
struct boundary_use {
  boundary where;
  std::vector<std::string> functions;  // sorted
};
std::vector<boundary_use> const& boundary_uses();

}  // namespace pgmapcheck::lang
