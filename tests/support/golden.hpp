// Golden files: a test's output against a reviewed copy. A mismatch fails
// with a line diff; BLESS=1 in the environment rewrites the copy instead, on
// purpose, and the run names every file it wrote.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace golden {

inline std::vector<std::string> lines_of(std::string const& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// A unified diff of `want` against `got` ("-" the golden copy's lines, "+"
// the output's), two lines of context around each change; "" if equal.
inline std::string diff(std::string const& want, std::string const& got) {
  if (want == got) return "";
  auto const a = lines_of(want), b = lines_of(got);
  // The longest common subsequence, by dynamic programming from the ends:
  // golden files are a few hundred lines.
  std::vector<std::vector<int>> lcs(a.size() + 1, std::vector<int>(b.size() + 1, 0));
  for (std::size_t i = a.size(); i-- > 0;)
    for (std::size_t j = b.size(); j-- > 0;)
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
  struct edit {
    char op;  // ' ', '-', '+'
    std::size_t line;  // where in the golden copy it is, or goes
    std::string const* text;
  };
  std::vector<edit> edits;
  std::size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (i < a.size() && j < b.size() && a[i] == b[j]) {
      edits.push_back({' ', i, &a[i]});
      ++i, ++j;
    } else if (j < b.size() && (i == a.size() || lcs[i][j + 1] > lcs[i + 1][j])) {
      edits.push_back({'+', i, &b[j]});
      ++j;
    } else {
      edits.push_back({'-', i, &a[i]});
      ++i;
    }
  }
  std::string out;
  constexpr std::size_t context = 2;
  std::size_t shown = edits.size();  // the last edit shown, or none
  for (std::size_t k = 0; k < edits.size(); ++k) {
    bool near = false;
    for (std::size_t d = k >= context ? k - context : 0; d <= k + context && d < edits.size(); ++d)
      near |= edits[d].op != ' ';
    if (!near) continue;
    if (shown == edits.size() || shown + 1 != k) out += "@@ golden line " + std::to_string(edits[k].line + 1) + " @@\n";
    out += edits[k].op;
    out += *edits[k].text;
    out += '\n';
    shown = k;
  }
  if (out.empty()) out = "(the texts differ only in a final newline)\n";
  return out;
}

// Compares `got` with the golden file: "" when they match, else the diff.
// With BLESS=1 the file is rewritten to `got` and `blessed` set.
inline std::string check(std::filesystem::path const& file, std::string const& got, bool& blessed) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream want;
  want << in.rdbuf();
  blessed = false;
  if (want.str() == got) return "";
  if (char const* b = std::getenv("BLESS"); b && std::string_view(b) == "1") {
    std::ofstream(file, std::ios::binary | std::ios::trunc) << got;
    blessed = true;
    return "";
  }
  return file.string() + " differs (BLESS=1 rewrites it, on purpose):\n" + diff(want.str(), got);
}

}  // namespace golden
