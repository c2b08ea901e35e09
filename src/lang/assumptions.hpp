// What the model assumes where it departs from the kernel: each declared in
// the library's model code, in a comment, with its reason (pgmapcheck list
// --assumptions; docs/kernel-model.md, Assumptions):
//
//   /* ...
//    * ASSUME(gup-no-faultin): the slow walk ends at the first page it
//    * cannot follow, where the kernel faults it in. */
//
// The reason runs from the colon to the end of the comment.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pgmapcheck::lang {

struct assumption {
  std::string name;    // lower case, digits and '-'
  std::string reason;  // the comment's text after the colon, one line
  std::string file;
  int line = 0;
};

// The assumptions one model file declares, in line order. Throws spec_error
// (file:line) on a malformed declaration.
std::vector<assumption> assumptions_of(std::string_view text, std::string const& file);

// Every assumption the library declares (models/kernel, models/harness), by
// file and line; a name declared twice is refused.
std::vector<assumption> const& library_assumptions();

}  // namespace pgmapcheck::lang
