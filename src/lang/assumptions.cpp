// The model's declared assumptions, read from the library's comments.
#include "lang/assumptions.hpp"

#include "lang/error.hpp"
#include "lang/library.hpp"

#include <algorithm>
#include <set>

namespace pgmapcheck::lang {

namespace {

// A comment's text with its " * " line prefixes and runs of white space
// folded into single spaces.
std::string folded(std::string_view s) {
  std::string out;
  bool space = false, line_start = true;
  for (char c : s) {
    if (c == '\n') {
      space = !out.empty();
      line_start = true;
      continue;
    }
    if (line_start && (c == ' ' || c == '\t' || c == '*')) continue;
    line_start = false;
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

int line_at(std::string_view text, std::size_t pos) {
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(pos), '\n'));
}

}  // namespace

std::vector<assumption> assumptions_of(std::string_view text, std::string const& file) {
  std::vector<assumption> out;
  std::size_t at = 0;
  while ((at = text.find("/*", at)) != std::string_view::npos) {
    std::size_t const end = text.find("*/", at + 2);
    std::size_t const stop = end == std::string_view::npos ? text.size() : end;
    std::string_view const comment = text.substr(at + 2, stop - at - 2);
    std::size_t k = 0;
    while ((k = comment.find("ASSUME(", k)) != std::string_view::npos) {
      std::size_t const pos = at + 2 + k;
      int const line = line_at(text, pos);
      std::size_t const close = comment.find(')', k);
      std::string const name(comment.substr(k + 7, close == std::string_view::npos ? 0 : close - k - 7));
      bool const well_named = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
      });
      if (close == std::string_view::npos || !well_named || comment.substr(close + 1, 1) != ":")
        throw spec_error(file, line, 1,
                         "expected ASSUME(name): reason, the name in lower case, digits and '-', such as "
                         "ASSUME(gup-no-faultin): the slow walk ends at the first page it cannot follow");
      std::string reason = folded(comment.substr(close + 2));
      if (auto const next = reason.find("ASSUME("); next != std::string::npos)
        throw spec_error(file, line, 1, "one ASSUME a comment: the reason runs to the end of the comment");
      if (reason.empty()) throw spec_error(file, line, 1, "ASSUME(" + name + ") gives no reason");
      out.push_back({name, std::move(reason), file, line});
      k = close;
    }
    at = stop + 2;
  }
  return out;
}

std::vector<assumption> const& library_assumptions() {
  static std::vector<assumption> const all = [] {
    std::vector<assumption> out;
    std::set<std::string> names;
    for (auto const& f : library_files()) {
      if (!f.path.ends_with(".kc")) continue;
      for (auto& a : assumptions_of(f.text, std::string(f.path))) {
        if (!names.insert(a.name).second)
          throw spec_error(a.file, a.line, 1, "ASSUME(" + a.name + ") is declared twice");
        out.push_back(std::move(a));
      }
    }
    return out;
  }();
  return all;
}

}  // namespace pgmapcheck::lang
