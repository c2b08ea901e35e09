// Cross-check of the search: on every catalog spec BFS and DFS agree on the
// verdict; when a spec holds they visit the same states and transitions; a
// DFS counterexample is never shorter than the BFS one.
#include "lang/spec.hpp"
#include "report/render.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

using namespace pgmapcheck;

TEST_CASE("crosscheck: BFS and DFS agree on every catalog spec", "[crosscheck]") {
  int compared = 0;
  for (auto const& file : catalog_files(std::filesystem::path(PGMAPCHECK_SOURCE_DIR) / "specs")) {
    spec s = load_spec(file);
    INFO(s.path);
    limits bfs, dfs;
    dfs.order = search_order::dfs;
    auto a = run_check(s, bfs);
    auto b = run_check(s, dfs);
    REQUIRE(a.result == b.result);
    if (a.result == verdict::holds) {
      CHECK(a.states == b.states);
      CHECK(a.transitions == b.transitions);
    } else {
      CHECK(b.trace.size() >= a.trace.size());
      CHECK(a.shortest);
      CHECK_FALSE(b.shortest);  // DFS never claims it
      CHECK(headline(b).find("not shown shortest") != std::string::npos);
      CHECK((b.trace.empty() || b.terminal || b.trace.back().violating));
    }
    ++compared;
  }
  CHECK(compared >= 30);
}
