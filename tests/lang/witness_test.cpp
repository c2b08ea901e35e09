// Witnesses: the condition language, its errors, and the search for a
// shortest run that reaches a state.
#include "lang/error.hpp"
#include "lang/witness.hpp"
#include "lang/spec.hpp"
#include "report/render.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <stdexcept>

using namespace pgmapcheck;

namespace {

spec catalog(std::string const& rel) { return load_spec(std::filesystem::path(PGMAPCHECK_SOURCE_DIR) / "specs" / rel); }

std::string error_of(spec const& s, std::string const& condition) {
  try {
    run_witness(s, condition, {});
  } catch (spec_error const& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("witness: a malformed condition is refused at its column", "[witness]") {
  auto const s = catalog("fs_dax/v7-fixed-v6.15.toml");
  CHECK(error_of(s, "done(gup) &&") == "--witness \"done(gup) &&\":1:13: expected done(...), asleep(...), ran(...), "
                                      "a page test, a count or a number");
  CHECK(error_of(s, "frob(page0)").find(":1:1: unknown 'frob'") != std::string::npos);
  CHECK(error_of(s, "pinned(page)").find(":1:8: expected a page") != std::string::npos);
  CHECK(error_of(s, "(done(gup)").find("expected ')'") != std::string::npos);
  CHECK(error_of(s, "done(gup) gup").find(":1:11: expected && or || or the end") != std::string::npos);
  // Names the scenario lacks.
  CHECK(error_of(s, "done(memunmap)").find("no thread or actor kind 'memunmap'") != std::string::npos);
  CHECK(error_of(s, "pinned(page1)").find("page1 does not exist: the scenario has 1 page") != std::string::npos);
  CHECK(error_of(s, "ran(no_such_function)").find("no thread of this scenario runs model function") != std::string::npos);
  CHECK(error_of(s, "ran(models/kernel/fs/dax.kc:1)").find("runs model line") != std::string::npos);
}

TEST_CASE("witness: a [witness] table is checked where it is written", "[witness]") {
  auto bad = [](std::string const& table) {
    try {
      parse_spec("kernel = \"v5.10\"\npagemap = \"p2pdma\"\n[actors]\nmemunmap = 1\n[witness]\n" + table, "w.toml");
    } catch (spec_error const& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK(bad("reach = \"done(memunmap) &&\"\n") == "w.toml:6:27: witness: expected done(...), asleep(...), ran(...), "
                                                 "a page test, a count or a number");
  CHECK(bad("expect = \"reached\"\n").find("w.toml:5:1: [witness] needs reach") != std::string::npos);
  CHECK(bad("reach = \"done(memunmap)\"\nexpect = \"maybe\"\n").find("w.toml:7:10: expect 'maybe'") != std::string::npos);
  CHECK(bad("reach = \"done(memunmap)\"\ncolour = 1\n").find("unknown key 'colour' in [witness]") != std::string::npos);
}

TEST_CASE("witness: the search finds a shortest run, or says none exists", "[witness]") {
  // refcount(page0) < 0 is V1's underflow: the witness is as short as the
  // shortest counterexample of refcount-underflow.
  auto const v1 = catalog("p2pdma/v1-unbalanced-put-v5.10.toml");
  auto const underflow = run_check(v1, {});
  auto const w = run_witness(v1, "refcount(page0) < 0", {});
  REQUIRE(w.witness_reached);
  CHECK(w.shortest);
  CHECK(w.trace.size() == underflow.trace.size());
  CHECK(w.trace.back().page_refs[0] < 0);
  CHECK(headline(w) == "p2pdma v5.10, 2 pages: witness reached (shortest: 9 steps)");

  // An unreachable condition explores everything; a state limit says so.
  auto const fixed = catalog("fs_dax/v7-fixed-v6.15.toml");
  auto const never = run_witness(fixed, "refcount(page0) < 0", {});
  CHECK_FALSE(never.witness_reached);
  CHECK(never.result == verdict::holds);
  limits plain;  // a witness may name one instance of a kind: its search stores every state as it is
  plain.no_reduction = true;
  CHECK(never.states == run_check(fixed, plain).states);
  limits few;
  few.max_states = 10;
  auto const cut = run_witness(fixed, "refcount(page0) < 0", few);
  CHECK(cut.result == verdict::incomplete);
  CHECK(headline(cut).find("witness incomplete") != std::string::npos);

  // History: ran() remembers a line run in the past; asleep(T, F) the wait.
  auto const slept = run_witness(fixed, "ran(ext4_wait_dax_page) && !asleep(truncate)", {});
  REQUIRE(slept.witness_reached);
  bool woke = false;
  for (auto const& row : slept.trace) woke |= row.function.find("ext4_wait_dax_page") != std::string::npos;
  CHECK(woke);
  auto const waits = run_witness(fixed, "asleep(truncate, ext4_break_layouts) && pinned(page0)", {});
  REQUIRE(waits.witness_reached);
  CHECK_FALSE(waits.trace.back().blocks.empty());
  CHECK(run_witness(fixed, "asleep(truncate, dax_iomap_pte_fault)", {}).witness_reached == false);
}

TEST_CASE("witness: ran(FILE:LINE) names a file by its path or the end of it", "[witness]") {
  // The patch's function comes from wherever the command line reached the
  // patch file; the end of its path names it from any directory.
  auto const s = catalog("p2pdma/mmap-reset-fixed-v7.0.toml");
  std::string const line = ":98";  // set_page_count(page, 0) before gen_pool_free
  for (std::string file : {"p2pdma-reset-before-free-on-v7.0.toml", "patches/p2pdma-reset-before-free-on-v7.0.toml"}) {
    INFO(file);
    auto const w = run_witness(s, "ran(" + file + line + ")", {});
    CHECK(w.witness_reached);
  }
  // A part of a name is not the end of a path; a line no step is on is refused.
  CHECK(error_of(s, "ran(free-on-v7.0.toml:98)").find("runs model line") != std::string::npos);
  CHECK(error_of(s, "ran(p2pdma-reset-before-free-on-v7.0.toml:3)").find("runs model line") != std::string::npos);
  // An end two paths share (mm/memremap.kc, include/linux/memremap.kc) names neither.
  CHECK(error_of(s, "ran(memremap.kc:1)").find("ends more than one model file's path") != std::string::npos);
  CHECK(error_of(s, "ran(mm/memremap.kc:1)").find("ends more than one") == std::string::npos);
}
