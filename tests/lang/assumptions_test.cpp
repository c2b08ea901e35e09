// The model's declared assumptions: ASSUME(name): reason, to the end of its
// comment; a malformed or doubled one is refused with file:line.
#include "lang/assumptions.hpp"

#include "lang/error.hpp"

#include <catch2/catch.hpp>

using namespace pgmapcheck;
using namespace pgmapcheck::lang;

TEST_CASE("assumptions: a declaration runs to the end of its comment", "[assumptions]") {
  auto const a = assumptions_of("int x;\n/* f: the kernel function.\n * ASSUME(fault-once): a fault runs\n *   once. */\n",
                                "x.kc");
  REQUIRE(a.size() == 1);
  CHECK(a[0].name == "fault-once");
  CHECK(a[0].reason == "a fault runs once.");
  CHECK(a[0].line == 3);
  CHECK(a[0].file == "x.kc");
  CHECK(assumptions_of("/* no declaration here */\nint x;\n", "x.kc").empty());
  for (auto const* bad : {"/* ASSUME(Fault): x */", "/* ASSUME(fault) x */", "/* ASSUME(): x */", "/* ASSUME(fault):  */",
                          "/* ASSUME(a): x ASSUME(b): y */", "/* ASSUME(fault: x */"}) {
    INFO(bad);
    CHECK_THROWS_WITH(assumptions_of(bad, "x.kc"), Catch::Contains("x.kc:1:1"));
  }
}

TEST_CASE("assumptions: the library declares each once, with a reason", "[assumptions]") {
  auto const& all = library_assumptions();
  REQUIRE(all.size() >= 10);
  for (auto const& a : all) {
    INFO(a.name);
    CHECK(a.reason.size() > 20);
    CHECK(a.file.rfind("models/", 0) == 0);
  }
}
