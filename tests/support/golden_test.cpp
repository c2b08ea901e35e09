// The golden-file helper: its diff, and BLESS=1 rewriting a file only then.
#include "tests/support/golden.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

TEST_CASE("golden: a mismatch is shown as a line diff with context", "[golden]") {
  CHECK(golden::diff("a\nb\nc\n", "a\nb\nc\n").empty());
  CHECK(golden::diff("a\nb\nc\nd\ne\nf\ng\n", "a\nb\nc\nD\ne\nf\ng\n") ==
        "@@ golden line 2 @@\n b\n c\n-d\n+D\n e\n f\n");
  // An added line at the end, and two changes far apart make two hunks.
  CHECK(golden::diff("a\n", "a\nb\n") == "@@ golden line 1 @@\n a\n+b\n");
  CHECK(golden::diff("1\n2\n3\n4\n5\n6\n7\n8\n9\n", "x\n2\n3\n4\n5\n6\n7\n8\ny\n") ==
        "@@ golden line 1 @@\n-1\n+x\n 2\n 3\n@@ golden line 7 @@\n 7\n 8\n-9\n+y\n");
  CHECK(golden::diff("a\n", "a") == "(the texts differ only in a final newline)\n");
}

TEST_CASE("golden: a file is rewritten with BLESS=1, and never without", "[golden]") {
  auto const file = std::filesystem::temp_directory_path() / "pgmapcheck-golden-test.txt";
  std::ofstream(file) << "old\n";
  bool blessed = true;
  char const* given = std::getenv("BLESS");
  std::string const outer = given ? given : "";  // a run blessing on purpose keeps its BLESS
  unsetenv("BLESS");
  std::string const differs = golden::check(file, "new\n", blessed);
  CHECK_FALSE(blessed);
  CHECK(differs.find("differs (BLESS=1 rewrites it, on purpose):\n@@ golden line 1 @@\n-old\n+new\n") !=
        std::string::npos);
  CHECK(golden::check(file, "old\n", blessed).empty());  // untouched
  setenv("BLESS", "1", 1);
  CHECK(golden::check(file, "new\n", blessed).empty());
  CHECK(blessed);
  unsetenv("BLESS");
  CHECK(golden::check(file, "new\n", blessed).empty());
  CHECK_FALSE(blessed);  // matches now: nothing to write
  std::filesystem::remove(file);
  if (given) setenv("BLESS", outer.c_str(), 1);
}
