// Golden traces: the trace.txt (and for some the trace.dot) of a few catalog
// specs run on model code, as reviewed. A change to a model, a step or a
// renderer that changes these is a change to review: regenerate with
//   build/dev/pgmapcheck check specs/TYPE/NAME.toml --out /tmp/g &&
//   cp /tmp/g/trace.txt tests/golden/TYPE_NAME.txt && cp /tmp/g/trace.dot tests/golden/TYPE_NAME.dot
#include "pgmapcheck/dot.hpp"
#include "pgmapcheck/spec.hpp"
#include "pgmapcheck/trace.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace pgmapcheck;

TEST_CASE("golden: model-code traces of catalog specs are as reviewed", "[golden][lang]") {
  std::filesystem::path const root(PGMAPCHECK_SOURCE_DIR);
  int texts = 0, dots = 0;
  for (auto const& e : std::filesystem::directory_iterator(root / "tests" / "golden")) {
    auto const stem = e.path().stem().string();  // TYPE_NAME
    std::filesystem::path spec_path;
    for (auto type : models::pagemap_names)
      if (stem.rfind(std::string(type) + "_", 0) == 0)
        spec_path = root / "specs" / std::string(type) / (stem.substr(type.size() + 1) + ".toml");
    INFO(e.path().string());
    REQUIRE(std::filesystem::exists(spec_path));
    std::ifstream in(e.path());
    std::stringstream want;
    want << in.rdbuf();
    auto const r = run_check(load_spec(spec_path), {});
    if (e.path().extension() == ".dot") {
      CHECK(render_dot(r) == want.str());
      ++dots;
    } else {
      CHECK(render_text(r) == want.str());
      ++texts;
    }
  }
  CHECK(texts >= 3);
  CHECK(dots >= 2);
}
