// Scenario parsing: good specs resolve; every bad one names file:line:col and the problem.
#include "lang/spec.hpp"
#include "check/result.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

using namespace pgmapcheck;

namespace {

std::string const good = R"(title = "t"
kernel = "v5.10"
pagemap = "p2pdma"
pages = 2
[actors]
stray_put = 1
p2p_alloc = 1
memunmap = 1
)";

std::string error_of(std::string const& text) {
  try {
    parse_spec(text, "specs/x.toml");
  } catch (spec_error const& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("spec: a good spec resolves its kernel, type, actors in file order", "[spec]") {
  spec s = parse_spec(good, "specs/p2pdma/x.toml");
  CHECK(s.name == "x");
  CHECK(s.sc.type == models::pagemap::p2pdma);
  CHECK(s.sc.kernel == models::kernels::v5_10);
  CHECK(s.sc.pages == 2);
  REQUIRE(s.sc.actor_count == 3);
  CHECK(s.actor_labels == std::vector<std::string>{"stray_put#0", "p2p_alloc#0", "memunmap#0"});
  CHECK(s.sc.rule == models::preset(models::kernels::v5_10, models::pagemap::p2pdma));
  CHECK_FALSE(s.checked.has(property::dax_truncate_busy));  // applies to fs_dax only
  CHECK(s.checked.has(property::deadlock));
  CHECK_FALSE(s.expect);
}

TEST_CASE("spec: non-ASCII text is fine in comments, refused elsewhere", "[spec]") {
  CHECK_NOTHROW(parse_spec("# J\xc3\xa9r\xc3\xb4me Glisse, HMM \xe2\x86\x92 ZONE_DEVICE\n" + good, "x.toml"));
  std::string e = error_of("title = \"caf\xc3\xa9\"\n" + good);
  CHECK(e.rfind("specs/x.toml:1:13: ", 0) == 0);
  CHECK(e.find("non-ASCII") != std::string::npos);
  CHECK(error_of("kernel = \"v5.10\"\r= 1\n").rfind("specs/x.toml:1:17: ", 0) == 0);
}

TEST_CASE("spec: [patch], properties and [expect]", "[spec]") {
  spec s = parse_spec(good + R"([patch]
memremap_pgmap_refs = false
mapped_refcount = 2
[expect]
verdict = "violation"
property = "deadlock"
)" + "", "x.toml");
  CHECK(s.sc.rule.memremap_pgmap_refs == 0);
  CHECK(s.sc.rule.mapped_refcount == 2);
  REQUIRE(s.patch.size() == 2);
  REQUIRE(s.expect);
  CHECK(s.expect->result == verdict::violation);
  CHECK(s.expect->violated == property::deadlock);

  // Another kernel: its values, the spec's own [patch] again on top.
  spec r = with_kernel(s, models::kernels::rfc_v3);
  CHECK(r.sc.kernel == models::kernels::rfc_v3);
  CHECK(r.declared_kernel == models::kernels::v5_10);
  CHECK(r.sc.rule.free_refcount == 0);
  CHECK(r.sc.rule.memremap_pgmap_refs == 0);
  CHECK_FALSE(r.era_patches.empty());  // the RFC's patch stack on v5.10
}

TEST_CASE("spec: bad input names file, line, column and what was expected", "[spec]") {
  struct bad_case {
    std::string text;
    std::string where;
    std::string says;
  };
  auto const cases = std::vector<bad_case>{
      {"kernel = \"v5.10\"\npagemap = \"p2pdma\"\n[actors]\nmemunmap = 1\nnonsense = 3\n", "specs/x.toml:5:12",
       "unknown actor kind 'nonsense'"},
      {"kernel = \"v9.9\"\n", "specs/x.toml:1:10", "unknown kernel 'v9.9': expected a release from v5.0 to v7.0"},
      {"kernel = 5\n", "specs/x.toml:1:10", "kernel must be a string"},
      {"pagemap = \"p2pdma\"\n", "specs/x.toml:1:1", "missing key 'kernel'"},
      {"kernel = \"v5.10\"\npagemap = \"zone_normal\"\n", "specs/x.toml:2:11", "unknown pagemap 'zone_normal'"},
      {"kernel = \"v5.10\"\npagemap = \"device_coherent\"\n", "specs/x.toml:2:11", "at v5.10: MEMORY_DEVICE_COHERENT came in v6.0"},
      {"kernel = \"v5.10\"\npagemap = \"p2pdma\"\npages = 0\n[actors]\nmemunmap = 1\n", "specs/x.toml:3:9",
       "pages is 0: expected an integer from 1 to 16"},
      {"kernel = \"v5.10\"\npagemap = \"p2pdma\"\npages = 99\n", "specs/x.toml:3:9", "pages is 99"},
      {"kernel = \"v5.10\"\npagemap = \"p2pdma\"\npages = \"two\"\n", "specs/x.toml:3:9", "pages must be an integer"},
      {"kernel = \"v5.10\"\npagemap = \"p2pdma\"\n", "specs/x.toml:1:1", "missing table [actors]"},
      {"kernel = \"v5.10\"\npagemap = \"p2pdma\"\n[actors]\nmemunmap = 0\n", "specs/x.toml:3:1", "no actors"},
      {"kernel = \"v5.10\"\npagemap = \"p2pdma\"\n[actors]\nmemunmap = 2\n", "specs/x.toml:4:12",
       "memunmap runs at most once"},
      {"kernel = \"v5.10\"\npagemap = \"p2pdma\"\n[actors]\np2p_alloc = -1\n", "specs/x.toml:4:13", "is -1"},
      {"kernel = \"v5.10\"\npagemap = \"p2pdma\"\n[actors]\np2p_alloc = 20\nstray_put = 20\n", "specs/x.toml:5:13",
       "too many actors"},
      {"kernel = \"v5.10\"\npagemap = \"p2pdma\"\n[actors]\ntruncate = 1\n", "specs/x.toml:4:12",
       "does not run against pagemap 'p2pdma'"},
      {"kernel = \"v5.10\"\npagemap = \"p2pdma\"\ncolour = 1\n", "specs/x.toml:3:10", "unknown key 'colour'"},
      {"kernel = \"v5.10\"\npagemap = \"p2pdma\"\n[actors]\nmemunmap = 1\n[patch]\nwarp_drive = true\n",
       "specs/x.toml:6:14", "unknown knob 'warp_drive'"},
      {"kernel = \"v5.10\"\npagemap = \"p2pdma\"\n[actors]\nmemunmap = 1\n[patch]\nmemremap_pgmap_refs = 1\n",
       "specs/x.toml:6:23", "must be true or false"},
      {"kernel = \"v5.10\"\npagemap = \"p2pdma\"\n[actors]\nmemunmap = 1\n[patch]\ncached_refcount = 0\n",
       "specs/x.toml:6:19", "does not apply to pagemap 'p2pdma'"},
      {"kernel = \"v5.10\"\npagemap = \"p2pdma\"\n[actors]\nmemunmap = 1\n[patch]\nmapped_refcount = 3\n",
       "specs/x.toml:6:19", "mapped_refcount' is 3: expected an integer from 0 to 2"},
      {"kernel = \"v5.10\"\npagemap = \"p2pdma\"\n[actors]\nmemunmap = 1\n[patch]\nfs_dax_idle = 0\n",
       "specs/x.toml:6:15", "unknown knob 'fs_dax_idle'"},
      {"kernel = \"v5.10\"\npagemap = \"p2pdma\"\nproperties = [\"speed\"]\n[actors]\nmemunmap = 1\n", "specs/x.toml:3:15",
       "unknown property 'speed'"},
      {"kernel = \"v5.10\"\npagemap = \"p2pdma\"\nproperties = [\"dax-truncate-busy\"]\n[actors]\nmemunmap = 1\n",
       "specs/x.toml:3:15", "does not apply"},
      {"kernel = \"v5.10\"\npagemap = \"p2pdma\"\n[actors]\nmemunmap = 1\n[expect]\nverdict = \"maybe\"\n",
       "specs/x.toml:6:11", "expected 'holds' or 'violation'"},
      {"kernel = \"v5.10\"\npagemap = \"p2pdma\"\n[actors]\nmemunmap = 1\n[expect]\nproperty = \"deadlock\"\n",
       "specs/x.toml:5:1", "needs verdict"},
      {"kernel = \"v5.10\"\npagemap = \"p2pdma\"\n[actors]\nmemunmap = 1\n[expect]\nverdict = \"violation\"\ninvolves = [\"gup\"]\n",
       "specs/x.toml:7:13", "'gup' is not among this spec's [actors]"},
      {"kernel = \"v5.10\"\npagemap = \"p2pdma\"\n[actors]\nmemunmap = 1\n[expect]\nverdict = \"holds\"\ninvolves = [\"memunmap\"]\n",
       "specs/x.toml:5:1", "says what a counterexample involves but expects 'holds'"},
      {"kernel = \"v5.10\"\npagemap = \"p2pdma\"\n[actors]\nmemunmap = 1\n[expect]\nverdict = \"violation\"\npasses = \"f\"\n",
       "specs/x.toml:7:10", "'passes' must be a non-empty array of model function names"},
      {"kernel = \"v5.10\"\npagemap = \"p2pdma\"\n[actors]\nmemunmap = 1\n[expect]\nverdict = \"holds\"\npasses = [\"f\"]\n",
       "specs/x.toml:5:1", "which functions a counterexample passes through but expects 'holds'"},
      {"kernel = \"v5.10\"\npagemap = \"p2pdma\"\n[actors]\nmemunmap = 1\n[expect]\nverdict = \"holds\"\nproperty = \"deadlock\"\n",
       "specs/x.toml:5:1", "names a property but expects 'holds'"},
      {"kernel = \"v5.10\"\npagemap = [\n", "specs/x.toml:2:13", "malformed TOML"},
      {"kernel = \"v5.10\" = 3\n", "specs/x.toml:1:18", "malformed TOML"},
      {std::string("\xff\xfe\x00garbage", 10), "specs/x.toml:1:1", "non-ASCII text outside a comment"},
      {"", "specs/x.toml:1:1", "missing key 'kernel'"},
      {"kernel = \"v6.1\"\npagemap = \"p2pdma\"\n[actors]\np2p_mmap = 1\n", "specs/x.toml:4:12", "needs the P2PDMA mmap path"},
      {"kernel = \"v5.10\"\npagemap = \"p2pdma\"\npatches = []\n[actors]\nmemunmap = 1\n", "specs/x.toml:3:11",
       "'patches' must be a non-empty array"},
      {"kernel = \"v5.10\"\npagemap = \"p2pdma\"\npatches = [\"nowhere.toml\"]\n[actors]\nmemunmap = 1\n",
       "specs/x.toml:3:12", "no patch file 'specs/nowhere.toml'"},
  };
  for (auto const& c : cases) {
    INFO(c.text);
    std::string e = error_of(c.text);
    CHECK(e.rfind(c.where + ": ", 0) == 0);
    CHECK(e.find(c.says) != std::string::npos);
  }
}

TEST_CASE("spec: every input the fuzzer once crashed on is handled", "[spec][fuzz]") {
  int replayed = 0;
  for (auto const& e : std::filesystem::directory_iterator(std::filesystem::path(PGMAPCHECK_SOURCE_DIR) / "tests/fuzz/regressions")) {
    INFO(e.path());
    ++replayed;
    spec s;
    try {
      s = load_spec(e.path());
    } catch (spec_error const&) {
      continue;  // refused with a position: fine
    }
    limits lim;
    lim.max_states = 5000;
    for (auto const& named : models::named_kernels) {
      // A spec_error (an era the spec cannot take, model code that does not
      // compile) is a clear error; anything else is a crash.
      auto run = [&] {
        try {
          (void)run_check(with_kernel(s, named.kernel), lim);
        } catch (spec_error const&) {
        }
      };
      CHECK_NOTHROW(run());
    }
  }
  CHECK(replayed >= 4);
}

TEST_CASE("spec: unreadable paths are errors too", "[spec]") {
  CHECK_THROWS_AS(load_spec("/nonexistent/spec.toml"), spec_error);
  CHECK_THROWS_AS(load_spec("/"), spec_error);
}

TEST_CASE("spec: align = \"pmd\" is a device-dax region's, up to v6.14", "[spec]") {
  std::string const base = "kernel = \"v5.10\"\npagemap = \"generic\"\n[actors]\nfault = 1\n";
  CHECK(parse_spec("align = \"pmd\"\n" + base, "specs/x.toml").sc.align_pmd);
  CHECK_FALSE(parse_spec(base, "specs/x.toml").sc.align_pmd);
  CHECK_FALSE(parse_spec("align = \"pte\"\n" + base, "specs/x.toml").sc.align_pmd);
  CHECK_THAT(error_of("align = \"pud\"\n" + base), Catch::Contains("x.toml:1:9: unknown align 'pud'"));
  CHECK_THAT(error_of("align = \"pmd\"\nkernel = \"v5.10\"\npagemap = \"fs_dax\"\n[actors]\nfault = 1\n"),
             Catch::Contains("it needs pagemap = \"generic\""));
  CHECK_THAT(error_of("align = \"pmd\"\nkernel = \"v6.15\"\npagemap = \"generic\"\n[actors]\nfault = 1\n"),
             Catch::Contains("modelled up to v6.14"));
  spec s = parse_spec("align = \"pmd\"\n" + base, "specs/x.toml");
  CHECK_THROWS_WITH(with_kernel(s, models::kernels::v6_15), Catch::Contains("modelled up to v6.14"));
}

TEST_CASE("spec: patches = [...] stacks patch files on the spec's kernel", "[spec]") {
  std::filesystem::path const root(PGMAPCHECK_SOURCE_DIR);
  spec s = load_spec(root / "specs/p2pdma/mmap-error-fixed-v6.15.toml");
  CHECK(s.applied_patch == "p2pdma-mmap-put-on-error-on-v6.15");
  REQUIRE(s.function_patches.size() == 1);
  CHECK(s.function_patches.front().with.name == "p2pmem_alloc_mmap");
  // A patch written for another kernel is refused where the spec names it.
  std::string const text = "kernel = \"v6.1\"\npagemap = \"p2pdma\"\npatches = [\"../patches/p2pdma-mmap-put-on-error-on-v6.15.toml\"]\n"
                           "[actors]\nmemunmap = 1\n";
  CHECK_THROWS_WITH(parse_spec(text, (root / "specs/p2pdma/x.toml").string()),
                    Catch::Contains("x.toml:3:12: patch 'p2pdma-mmap-put-on-error-on-v6.15' is written for v6.15, and "
                                    "this spec's kernel is v6.1"));
}
