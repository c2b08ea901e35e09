// [setup]: model code run alone before the search, whose end is the state the
// search starts from; a setup that cannot run to its end is bad input.
#include "export/promela.hpp"
#include "lang/runtime.hpp"
#include "lang/scenario.hpp"
#include "lang/spec.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace pgmapcheck;

namespace {

std::string const head = "title = \"t\"\nkernel = \"v6.1\"\npagemap = \"device_private\"\npages = 2\n";
std::string const teardown = "[threads.teardown]\ncode = \"\"\"\n\tmemunmap_pages(pgmap);\n\"\"\"\n";

std::string error_of(std::string const& text) {
  try {
    auto const s = parse_spec(text, "specs/x.toml");
    (void)lang::build_code_model(s);
  } catch (spec_error const& e) {
    return e.what();
  }
  return "";
}

std::string with_setup(std::string const& code, std::string const& extra = "") {
  return head + "[setup]\n" + extra + "code = \"\"\"\n" + code + "\n\"\"\"\n" + teardown;
}

}  // namespace

TEST_CASE("setup: the search starts where the setup ends", "[setup]") {
  // The driver migrates one page into the device, under mmap_lock as its
  // ioctl does: the lowest free page, mapped, and its pgmap reference taken.
  auto const s = parse_spec(with_setup("\tdown_read(&mm->mmap_lock);\n\tdmirror_migrate_to_device();\n"
                                       "\tup_read(&mm->mmap_lock);",
                                       "mapped = true\n"),
                            "specs/x.toml");
  auto const m = lang::build_code_model(s);
  auto const s0 = m.initial();
  auto const v = m.view(s0);
  CHECK(v.page_mapped(0));
  CHECK_FALSE(v.page_mapped(1));  // each choice takes its first outcome: the lowest page
  CHECK(v.page_refcount(0) == 1);  // the PTE's reference (6.1: free at 0)
  CHECK_FALSE(v.page_free(0));
  CHECK(v.page_free(1));
  // Without the setup, nothing is mapped.
  auto const bare = parse_spec(head + teardown, "specs/x.toml");
  auto const m0 = lang::build_code_model(bare);
  CHECK_FALSE(m0.view(m0.initial()).page_mapped(0));
}

TEST_CASE("setup: a harness entry point runs in it, and finds a VMA only with mapped = true", "[setup]") {
  std::string const dax = "title = \"t\"\nkernel = \"v6.1\"\npagemap = \"fs_dax\"\npages = 1\n";
  std::string const unbind = "[actors]\nmemunmap = 1\n";
  auto code = [&](std::string const& extra) {
    return dax + "[setup]\n" + extra + "code = \"\"\"\n\tfault();\n\"\"\"\n" + unbind;
  };
  auto const mapped = lang::build_code_model(parse_spec(code("mapped = true\n"), "specs/x.toml"));
  CHECK(mapped.view(mapped.initial()).page_mapped(0));  // the fault mapped the file's page
  auto const none = lang::build_code_model(parse_spec(code(""), "specs/x.toml"));
  CHECK_FALSE(none.view(none.initial()).page_mapped(0));  // no VMA: the access's SIGSEGV
}

TEST_CASE("setup: a setup that cannot run to its end is refused with the spec's line", "[setup]") {
  // It sleeps: nothing else runs to wake it.
  CHECK_THAT(error_of(with_setup("\tmutex_lock(&devmem_lock);\n\tmutex_lock(&devmem_lock);")),
             Catch::Contains("specs/x.toml:7:1") && Catch::Contains("[setup] sleeps or waits for a lock"));
  // It breaks a property: a put on a free page (6.1: at 0).
  CHECK_THAT(error_of(with_setup("\tput_page(pfn_to_page(0));")),
             Catch::Contains("specs/x.toml:7:1") && Catch::Contains("[setup] breaks refcount-underflow"));
  // A check fires in code with no step at all (the setup's whole body is invisible).
  CHECK_THAT(error_of(with_setup("\tWARN_ON(1);")),
             Catch::Contains("specs/x.toml:7:1") && Catch::Contains("[setup] breaks kernel-warn"));
  // It does not end.
  CHECK_THAT(error_of(with_setup("\tfor (;;) {\n\t\tmutex_lock(&devmem_lock);\n\t\tmutex_unlock(&devmem_lock);\n\t}")),
             Catch::Contains("[setup] takes more than 100000 steps"));
}

TEST_CASE("setup: bad [setup] tables name what was expected", "[setup]") {
  CHECK_THAT(error_of(head + "setup = 3\n" + teardown), Catch::Contains("specs/x.toml:5:9") &&
                                                         Catch::Contains("'setup' must be a table with code"));
  CHECK_THAT(error_of(head + "[setup]\nmapped = true\n" + teardown),
             Catch::Contains("specs/x.toml:5:1") && Catch::Contains("[setup] needs code"));
  CHECK_THAT(error_of(with_setup("\tdriver_stop();", "mapped = \"yes\"\n")),
             Catch::Contains("specs/x.toml:6:10") && Catch::Contains("[setup] mapped must be true or false"));
  CHECK_THAT(error_of(with_setup("\tdriver_stop();", "when = 1\n")),
             Catch::Contains("specs/x.toml:6:8") && Catch::Contains("unknown key 'when' in [setup]"));
  CHECK_THAT(error_of(with_setup("\tdriver_stop();") + "[threads.setup]\ncode = \"\"\"\n\tdriver_stop();\n\"\"\"\n"),
             Catch::Contains("a thread named 'setup' beside [setup]"));
  CHECK_THAT(error_of(with_setup("\tno_such_function();")), Catch::Contains("no_such_function"));
}

TEST_CASE("setup: the Promela export starts where the setup ends, or says what it does not cover", "[setup]") {
  // One page: every page alike, and the setup's thread is no proctype.
  std::string const migrate = "\tdown_read(&mm->mmap_lock);\n\tdmirror_migrate_to_device();\n\tup_read(&mm->mmap_lock);";
  auto const one = parse_spec("title = \"t\"\nkernel = \"v6.1\"\npagemap = \"device_private\"\npages = 1\n[setup]\n"
                              "mapped = true\ncode = \"\"\"\n" + migrate + "\n\"\"\"\n" + teardown,
                              "specs/x.toml");
  auto const pml = to_promela(lang::build_code_model(one), one.checked, "t", one.path);
  CHECK_THAT(pml, Catch::Contains("#define T 1") && Catch::Contains("short refcount[P] = 1;"));
  // Two pages, one mapped: the export cannot start them apart.
  auto const two = parse_spec(with_setup(migrate, "mapped = true\n"), "specs/x.toml");
  CHECK_THROWS_WITH(to_promela(lang::build_code_model(two), two.checked, "t", two.path),
                    Catch::Contains("the Promela export does not cover"));
}
