// The library's release boundaries and each function's history over them.
#include "lang/releases.hpp"

#include "lang/error.hpp"
#include "lang/kernels.hpp"
#include "lang/library.hpp"
#include "lang/parse.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

namespace pgmapcheck::lang {

std::string_view name_of(provenance p) {
  switch (p) {
    case provenance::src: return "src";
    case provenance::commit: return "commit";
    case provenance::inf: return "inf";
  }
  return "inf";
}

namespace {

// A line split into its code and the comments that start on it.
struct split_line {
  std::string code;
  std::string comments;
};

split_line split(std::string_view line, bool& in_comment) {
  split_line out;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (in_comment) {
      if (line.compare(i, 2, "*/") == 0) {
        in_comment = false;
        ++i;
        out.comments += ' ';
      } else {
        out.comments += line[i];
      }
    } else if (line.compare(i, 2, "/*") == 0) {
      in_comment = true;
      ++i;
    } else if (line.compare(i, 2, "//") == 0) {
      out.comments.append(line.substr(i + 2));
      break;
    } else {
      out.code += line[i];
    }
  }
  return out;
}

constexpr char const* note_example = "such as /* 27674ef6c73f [src] */ ([src] read in a tree, [commit] in the "
                                     "commit, [inf] inferred)";

int release_of_token(std::string const& t) {  // "V5_18"
  auto const us = t.find('_');
  return release(std::stoi(t.substr(1, us - 1)), std::stoi(t.substr(us + 1)));
}

bool word_char(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }
bool digit(char c) { return c >= '0' && c <= '9'; }

// The length of a release constant ("V5_18") at s[i], or 0.
std::size_t release_token_at(std::string_view s, std::size_t i) {
  if (s[i] != 'V' || (i > 0 && word_char(s[i - 1]))) return 0;
  std::size_t j = i + 1;
  while (j < s.size() && digit(s[j])) ++j;
  if (j == i + 1 || j >= s.size() || s[j] != '_') return 0;
  std::size_t const k = ++j;
  while (j < s.size() && digit(s[j])) ++j;
  if (j == k || (j < s.size() && word_char(s[j]))) return 0;
  return j - i;
}

// The release constants a line's code names.
std::vector<std::string> release_tokens(std::string_view code) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < code.size(); ++i)
    if (std::size_t const n = release_token_at(code, i)) {
      out.emplace_back(code.substr(i, n));
      i += n - 1;
    }
  return out;
}

// One entry of a note: "[V6_1[:]] <12 to 40 hex digits> [src|commit|inf]".
struct note_entry {
  std::string label;  // "V6_1", or empty
  std::string commit;
  std::string read;   // "src", "commit" or "inf"
};

// The entries of a line's comments, read as words split at white space,
// commas and semicolons, with each '[' starting a word of its own.
std::vector<note_entry> note_entries(std::string_view comments) {
  std::vector<std::string> words;
  std::string w;
  for (char c : comments) {
    if (c == ' ' || c == '\t' || c == ',' || c == ';' || c == '[') {
      if (!w.empty()) words.push_back(w);
      w.clear();
      if (c == '[') w = "[";
    } else {
      w += c;
    }
  }
  if (!w.empty()) words.push_back(w);
  auto const hex = [](std::string const& x) {
    return x.size() >= 12 && x.size() <= 40 &&
           std::all_of(x.begin(), x.end(), [](char c) { return digit(c) || (c >= 'a' && c <= 'f'); });
  };
  std::vector<note_entry> out;
  for (std::size_t i = 0; i + 1 < words.size(); ++i) {
    if (!hex(words[i])) continue;
    std::string const& tag = words[i + 1];
    if (tag != "[src]" && tag != "[commit]" && tag != "[inf]") continue;
    note_entry e{"", words[i], tag.substr(1, tag.size() - 2)};
    if (i > 0) {
      std::string label = words[i - 1];
      if (!label.empty() && label.back() == ':') label.pop_back();
      if (release_token_at(label, 0) == label.size() && !label.empty()) e.label = label;
    }
    out.push_back(std::move(e));
  }
  return out;
}

bool is_model_file(std::string_view path) {
  return path.ends_with(".kc") && (path.starts_with("models/kernel/") || path.starts_with("models/harness/"));
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t at = 0;
  while (at <= text.size()) {
    std::size_t eol = text.find('\n', at);
    if (eol == std::string_view::npos) {
      if (at < text.size()) out.push_back(text.substr(at));
      break;
    }
    out.push_back(text.substr(at, eol - at));
    at = eol + 1;
  }
  return out;
}

}  // namespace

std::vector<boundary> boundaries_of(std::string_view text, std::string const& file) {
  std::vector<boundary> out;
  bool in_comment = false;
  int line_no = 0;
  for (auto const line : lines_of(text)) {
    ++line_no;
    auto const parts = split(line, in_comment);
    std::set<int> named;
    for (auto const& t : release_tokens(parts.code)) named.insert(release_of_token(t));
    if (named.empty()) continue;
    auto const first = [&] {
      auto const r = *named.begin();
      return "V" + std::to_string(r / 100) + "_" + std::to_string(r % 100);
    }();
    std::set<int> noted;
    auto const entries = note_entries(parts.comments);
    for (auto const& e : entries) {
      int r = 0;
      if (!e.label.empty()) {
        r = release_of_token(e.label);
        if (!named.contains(r))
          throw spec_error(file, line_no, 1, "the note names " + e.label + ", which this line does not compare with");
      } else if (named.size() > 1) {
        throw spec_error(file, line_no, 1,
                         "this line names several releases: each commit in its note needs its release, such as "
                         "/* V6_1 ef233450898f [src], V6_15 38607c62b34b [src] */");
      } else {
        r = *named.begin();
      }
      noted.insert(r);
      provenance const p = e.read == "src" ? provenance::src : e.read == "commit" ? provenance::commit : provenance::inf;
      out.push_back({r, e.commit, p, file, line_no});
    }
    if (entries.empty())
      throw spec_error(file, line_no, 1,
                       "expected a note naming the commit that changed the kernel at " + first +
                           " and how it was read, " + note_example);
    for (int r : named)
      if (!noted.contains(r))
        throw spec_error(file, line_no, 1,
                         "the note names no commit for V" + std::to_string(r / 100) + "_" + std::to_string(r % 100));
  }
  return out;
}

std::vector<boundary> const& library_boundaries() {
  static std::vector<boundary> const all = [] {
    std::vector<boundary> out;
    for (auto const& f : library_files()) {
      if (!is_model_file(f.path)) continue;
      auto b = boundaries_of(f.text, std::string(f.path));
      out.insert(out.end(), b.begin(), b.end());
    }
    std::stable_sort(out.begin(), out.end(), [](boundary const& a, boundary const& b) {
      return std::tie(a.release, a.file, a.line) < std::tie(b.release, b.file, b.line);
    });
    return out;
  }();
  return all;
}

namespace {

// One function at one release: where it is and what it says.
struct fn_at {
  std::string file;
  int first = 0, last = 0;
  std::string text;  // code_text: comments and white space aside
};

// An #if ... #endif block of one file: its lines and its directives' lines.
struct block {
  int begin = 0, end = 0;
  std::vector<int> directives;
};

std::vector<block> blocks_of(std::string_view text) {
  std::vector<block> out, open;
  int line_no = 0;
  for (auto const line : lines_of(text)) {
    ++line_no;
    auto const first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] != '#') continue;
    auto const rest = line.substr(first + 1);
    auto const word = rest.substr(rest.find_first_not_of(" \t") == std::string_view::npos ? rest.size()
                                                                                          : rest.find_first_not_of(" \t"));
    if (word.starts_with("if")) {
      open.push_back({line_no, 0, {line_no}});
    } else if (word.starts_with("elif") || word.starts_with("else")) {
      if (!open.empty()) open.back().directives.push_back(line_no);
    } else if (word.starts_with("endif") && !open.empty()) {
      open.back().end = line_no;
      out.push_back(std::move(open.back()));
      open.pop_back();
    }
  }
  return out;
}

// Every release where some model file may change, oldest first: v5.0 and
// every boundary.
std::vector<int> const& candidate_releases() {
  static std::vector<int> const out = [] {
    std::set<int> s{models::oldest_release};
    for (auto const& b : library_boundaries()) s.insert(b.release);
    return std::vector<int>(s.begin(), s.end());
  }();
  return out;
}

// The library's functions at each candidate release.
using snapshot = std::map<std::string, fn_at>;
std::vector<snapshot> const& snapshots() {
  static std::vector<snapshot> const out = [] {
    std::vector<snapshot> all;
    for (int r : candidate_releases()) {
      snapshot s;
      std::uint16_t index = 0;
      for (auto const& f : library_files()) {
        if (!is_model_file(f.path)) continue;
        std::string const path(f.path);
        auto const u = parse_unit(preprocess(f.text, path, r), path, index++);
        for (auto const& fn : u.functions) {
          int const lines = static_cast<int>(std::count(fn.text.begin(), fn.text.end(), '\n'));
          s[fn.name] = {path, static_cast<int>(fn.pos.line), static_cast<int>(fn.pos.line) + lines, code_text(fn.text)};
        }
      }
      all.push_back(std::move(s));
    }
    return all;
  }();
  return out;
}

std::map<std::string, std::vector<block>> const& file_blocks() {
  static std::map<std::string, std::vector<block>> const out = [] {
    std::map<std::string, std::vector<block>> m;
    for (auto const& f : library_files())
      if (is_model_file(f.path)) m[std::string(f.path)] = blocks_of(f.text);
    return m;
  }();
  return out;
}

// True iff boundary b lies in fn's definition or in a directive of a block
// around it.
bool belongs(boundary const& b, fn_at const& fn) {
  if (b.file != fn.file) return false;
  if (b.line >= fn.first && b.line <= fn.last) return true;
  for (auto const& blk : file_blocks().at(fn.file))
    if (blk.begin < fn.first && blk.end >= fn.first &&
        std::find(blk.directives.begin(), blk.directives.end(), b.line) != blk.directives.end())
      return true;
  return false;
}

}  // namespace

function_history history_of(std::string const& function) {
  function_history h;
  auto const& rel = candidate_releases();
  auto const& snaps = snapshots();
  std::optional<fn_at> prev;
  for (std::size_t i = 0; i < rel.size(); ++i) {
    auto const it = snaps[i].find(function);
    std::optional<fn_at> cur;
    if (it != snaps[i].end()) {
      cur = it->second;
      h.file = cur->file;
    }
    bool const same = prev.has_value() == cur.has_value() && (!cur || prev->text == cur->text);
    if (!same) {
      change_point c;
      c.release = rel[i];
      c.what = !prev ? change_point::added : !cur ? change_point::removed : change_point::changed;
      for (auto const& b : library_boundaries())
        if (b.release == rel[i] && ((cur && belongs(b, *cur)) || (prev && belongs(b, *prev)))) c.because.push_back(b);
      h.changes.push_back(std::move(c));
    }
    prev = cur;
  }
  return h;
}

std::vector<boundary_use> const& boundary_uses() {
  static std::vector<boundary_use> const out = [] {
    std::set<std::string> names;
    for (auto const& s : snapshots())
      for (auto const& [name, fn] : s) names.insert(name);
    std::vector<boundary_use> uses;
    for (auto const& b : library_boundaries()) uses.push_back({b, {}});
    for (auto const& name : names)
      for (auto const& c : history_of(name).changes)
        for (auto const& b : c.because)
          for (auto& u : uses)
            if (u.where.file == b.file && u.where.line == b.line && u.where.commit == b.commit &&
                u.where.release == b.release && (u.functions.empty() || u.functions.back() != name))
              u.functions.push_back(name);
    return uses;
  }();
  return out;
}

}  // namespace pgmapcheck::lang
