// Golden traces: the trace.txt (and for some the trace.dot) of a few catalog
// specs run on model code, as reviewed. A change to a model, a step or a
// renderer that changes these is a change to review: the failure prints a
// line diff, and
//   BLESS=1 build/dev/tests/pgmapcheck_tests "[golden]"
// rewrites the files that differ (the run names each), for the review to
// see in git diff.
#include "report/dot.hpp"
#include "lang/spec.hpp"
#include "report/render.hpp"
#include "tests/support/golden.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

using namespace pgmapcheck;

TEST_CASE("golden: model-code traces of catalog specs are as reviewed", "[golden][lang]") {
  std::filesystem::path const root(PGMAPCHECK_SOURCE_DIR);
  int texts = 0, dots = 0;
  for (auto const& e : std::filesystem::directory_iterator(root / "tests" / "report" / "golden")) {
    auto const stem = e.path().stem().string();  // TYPE_NAME
    std::filesystem::path spec_path;
    for (auto type : models::pagemap_names)
      if (stem.rfind(std::string(type) + "_", 0) == 0)
        spec_path = root / "specs" / std::string(type) / (stem.substr(type.size() + 1) + ".toml");
    INFO(e.path().string());
    REQUIRE(std::filesystem::exists(spec_path));
    auto const r = run_check(load_spec(spec_path), {});
    bool const dot = e.path().extension() == ".dot";
    bool blessed = false;
    std::string const differs = golden::check(e.path(), dot ? render_dot(r) : render_text(r), blessed);
    if (blessed) WARN("blessed " << e.path().string());
    INFO(differs);
    CHECK(differs.empty());
    ++(dot ? dots : texts);
  }
  CHECK(texts >= 3);
  CHECK(dots >= 2);
}
