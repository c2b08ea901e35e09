// The library's release boundaries: every release model code names carries
// its commit and how it was read, each changes some function, and each
// change of a function's model has a boundary that says why.
#include "lang/releases.hpp"

#include "lang/error.hpp"
#include "lang/kernels.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace pgmapcheck;
using namespace pgmapcheck::lang;

TEST_CASE("releases: a line that names a release carries its commit and how it was read", "[releases]") {
  auto const b = boundaries_of("#if KERNEL < V5_18 /* 27674ef6c73f [src] */\n#endif\n", "x.kc");
  REQUIRE(b.size() == 1);
  CHECK(b[0].release == 518);
  CHECK(b[0].commit == "27674ef6c73f");
  CHECK(b[0].read == provenance::src);
  CHECK(b[0].line == 1);
  auto const two = boundaries_of(
      "x\n#if KERNEL >= V6_1 && KERNEL < V6_15 /* V6_1 ef233450898f [src], V6_15 38607c62b34b [commit] */\n", "x.kc");
  REQUIRE(two.size() == 2);
  CHECK(two[1].release == 615);
  CHECK(two[1].read == provenance::commit);
  CHECK(boundaries_of("/* V5_18 in a comment is not code */\n", "x.kc").empty());

  struct bad {
    char const* text;
    char const* says;
  };
  for (auto const& c : {
           bad{"#if KERNEL < V5_18\n", "x.kc:1:1: expected a note naming the commit that changed the kernel at V5_18"},
           bad{"#if KERNEL < V5_18 /* 27674ef6c73f */\n", "expected a note"},
           bad{"#if KERNEL < V5_18 /* 27674ef6 [src] */\n", "expected a note"},
           bad{"#if KERNEL < V5_18 /* V6_1 27674ef6c73f [src] */\n", "names V6_1, which this line does not"},
           bad{"#if KERNEL >= V6_1 && KERNEL < V6_15 /* ef233450898f [src] */\n", "each commit in its note needs its release"},
           bad{"#if KERNEL >= V6_1 && KERNEL < V6_15 /* V6_1 ef233450898f [src] */\n", "names no commit for V6_15"},
           bad{"ok\n\tif (KERNEL >= V6_2)\n", "x.kc:2:1"},
       }) {
    INFO(c.text);
    CHECK_THROWS_WITH(boundaries_of(c.text, "x.kc"), Catch::Contains(c.says));
  }
}

TEST_CASE("releases: every library boundary changes a function, and every change has its boundary", "[releases]") {
  auto const& uses = boundary_uses();
  REQUIRE(uses.size() >= 80);
  std::set<std::string> functions;
  for (auto const& u : uses) {
    INFO(u.where.file << ":" << u.where.line << " " << u.where.commit);
    CHECK(models::is_release(u.where.release));
    CHECK(u.where.release > models::oldest_release);
    CHECK(u.where.release <= models::newest_release);
    CHECK_FALSE(u.functions.empty());
    functions.insert(u.functions.begin(), u.functions.end());
  }
  for (auto const& f : functions) {
    auto const h = history_of(f);
    for (auto const& c : h.changes) {
      INFO(f << " at " << c.release);
      // Only the oldest release may have no boundary: the library's floor.
      if (c.release != models::oldest_release) CHECK_FALSE(c.because.empty());
    }
  }
}

TEST_CASE("releases: a function's history names its boundaries in release order", "[releases]") {
  auto const h = history_of("memunmap_pages");
  CHECK(h.file == "models/kernel/mm/memremap.kc");
  std::vector<int> at;
  for (auto const& c : h.changes) at.push_back(c.release);
  CHECK(at == std::vector<int>{500, 517, 518, 600, 601});
  CHECK(h.changes[1].because.front().commit == "b80892ca022e");
  CHECK(h.changes[3].because.front().commit == "1e57ffb6e3fd");
  auto const mmap = history_of("p2pmem_alloc_mmap");
  REQUIRE(!mmap.changes.empty());
  CHECK(mmap.changes.front().release == 602);  // 7e9c7ef83d78
  CHECK(mmap.changes.front().what == change_point::added);
  auto const gone = history_of("try_grab_folio");
  REQUIRE(gone.changes.size() == 3);
  CHECK(gone.changes.back().what == change_point::removed);  // renamed try_grab_folio_fast, f442fa614137
  CHECK(history_of("no_such_function").changes.empty());
}
