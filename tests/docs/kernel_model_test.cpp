// docs/kernel-model.md covers everything `pgmapcheck list` prints, and every
// knob's source points at the doc's section for it.
#include "lang/kernels.hpp"
#include "lang/actors.hpp"
#include "lang/releases.hpp"
#include "lang/assumptions.hpp"
#include "search/model.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::string read_doc() {
  std::ifstream in(std::string(PGMAPCHECK_SOURCE_DIR) + "/docs/kernel-model.md");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The set of "### name" headings of the doc.
std::set<std::string> headings(std::string const& doc) {
  std::set<std::string> out;
  std::istringstream in(doc);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("### ", 0) == 0) out.insert(line.substr(4));
  return out;
}

// The lines of the doc's section `heading` ("## Assumptions"), up to the
// next heading of its level or above, that start with `prefix`.
std::vector<std::string> section_lines(std::string const& doc, std::string const& heading, std::string const& prefix) {
  std::vector<std::string> out;
  auto const at = doc.find("\n" + heading + "\n");
  if (at == std::string::npos) return out;
  std::size_t const level = heading.find(' ');
  std::istringstream in(doc.substr(at + heading.size() + 2));
  for (std::string line; std::getline(in, line);) {
    std::size_t const hashes = line.find_first_not_of('#');
    if (hashes > 0 && hashes <= level && hashes != std::string::npos && line[hashes] == ' ') break;
    if (line.rfind(prefix, 0) == 0) out.push_back(line);
  }
  return out;
}

}  // namespace

TEST_CASE("kernel-model.md: a section for every actor, property and knob", "[docs]") {
  auto const doc = read_doc();
  REQUIRE_FALSE(doc.empty());
  auto const h = headings(doc);
  for (auto name : pgmapcheck::models::actor_names) CHECK(h.count(std::string(name)) == 1);
  for (auto name : pgmapcheck::property_names) CHECK(h.count(std::string(name)) == 1);
  for (auto const& k : pgmapcheck::models::knobs) CHECK(h.count(std::string(k.name)) == 1);
}

TEST_CASE("kernel-model.md: every pagemap type and era is described", "[docs]") {
  auto const doc = read_doc();
  for (auto name : pgmapcheck::models::pagemap_names) CHECK(doc.find("`" + std::string(name) + "`") != std::string::npos);
  for (auto const& n : pgmapcheck::models::named_kernels) CHECK(doc.find("### " + std::string(n.name)) != std::string::npos);
}

TEST_CASE("knob sources cite the kernel and the doc's section", "[docs]") {
  auto const h = headings(read_doc());
  for (auto const& k : pgmapcheck::models::knobs) {
    INFO(k.name << ": " << k.source);
    auto const anchor = "docs/kernel-model.md#" + std::string(k.name);
    CHECK(k.source.find(anchor) != std::string_view::npos);
    // A kernel file:function, as "dir/file.c:function" or "dir/file.h:function".
    CHECK((k.source.find(".c:") != std::string_view::npos || k.source.find(".h:") != std::string_view::npos));
  }
}

TEST_CASE("kernel-model.md: the boundary table is the library's", "[docs]") {
  // Rows "| v5.18 | 27674ef6c73f | [src] | ... |" under "### Every boundary".
  std::set<std::string> in_doc, in_library;
  for (auto const& line : section_lines(read_doc(), "### Every boundary", "| v")) {
    std::istringstream cells(line);
    std::string release, commit, read, cell;
    std::getline(cells, cell, '|');
    std::getline(cells, release, '|');
    std::getline(cells, commit, '|');
    std::getline(cells, read, '|');
    auto trim = [](std::string x) {
      x.erase(0, x.find_first_not_of(' '));
      x.erase(x.find_last_not_of(' ') + 1);
      return x;
    };
    in_doc.insert(trim(release) + " " + trim(commit) + " " + trim(read));
  }
  for (auto const& u : pgmapcheck::lang::boundary_uses()) {
    int const r = u.where.release;
    in_library.insert("v" + std::to_string(r / 100) + "." + std::to_string(r % 100) + " " + u.where.commit + " [" +
                      std::string(pgmapcheck::lang::name_of(u.where.read)) + "]");
  }
  CHECK(in_library.size() >= 40);
  CHECK(in_doc == in_library);
}

TEST_CASE("kernel-model.md: the assumptions are the library's", "[docs]") {
  // Items "- `name` (...)" under "## Assumptions".
  std::set<std::string> in_doc, in_library;
  for (auto const& line : section_lines(read_doc(), "## Assumptions", "- `")) in_doc.insert(line.substr(3, line.find('`', 3) - 3));
  for (auto const& a : pgmapcheck::lang::library_assumptions()) in_library.insert(a.name);
  CHECK(in_library.size() >= 10);
  CHECK(in_doc == in_library);
}
