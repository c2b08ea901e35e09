// The command line's exit codes and output files.
#include "cli/cli.hpp"
#include "lang/spec.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::filesystem::path const specs_dir = std::filesystem::path(PGMAPCHECK_SOURCE_DIR) / "specs";

int cli(std::initializer_list<std::string> args) {
  std::vector<std::string> words{"pgmapcheck"};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  return pgmapcheck::run_cli(static_cast<int>(words.size()), argv.data());
}

std::filesystem::path scratch(std::string const& name) {
  auto dir = std::filesystem::temp_directory_path() / ("pgmapcheck-cli-test-" + name);
  std::filesystem::remove_all(dir);
  return dir;
}

std::string spec(std::string const& rel) { return (specs_dir / rel).string(); }

}  // namespace

TEST_CASE("cli: check exits 1 on a violation and writes the four outputs", "[cli]") {
  auto out = scratch("violation");
  CHECK(cli({"check", "--quiet", "--out", out.string(), spec("p2pdma/v1-unbalanced-put-v5.10.toml")}) == 1);
  for (auto const* f : {"trace.txt", "trace.dot", "trace.svg", "report.json"}) CHECK(std::filesystem::exists(out / f));
  for (auto const& e : std::filesystem::directory_iterator(out)) CHECK(e.path().string().find(".tmp") == std::string::npos);
}

TEST_CASE("cli: check exits 0 when every property holds", "[cli]") {
  auto out = scratch("holds");
  CHECK(cli({"check", "--quiet", "--out", out.string(), spec("fs_dax/gup-vs-truncate-v5.10.toml")}) == 0);
  CHECK(std::filesystem::exists(out / "report.json"));
  CHECK_FALSE(std::filesystem::exists(out / "trace.dot"));
}

TEST_CASE("cli: a state limit exits 3, incomplete", "[cli]") {
  auto out = scratch("incomplete");
  CHECK(cli({"check", "--quiet", "--max-states", "3", "--out", out.string(), spec("fs_dax/gup-vs-truncate-v5.10.toml")}) == 3);
  std::ifstream in(out / "trace.txt");
  std::string line;
  std::getline(in, line);
  CHECK(line.find("incomplete") != std::string::npos);
}

TEST_CASE("cli: bad input and bad usage exit 2", "[cli]") {
  auto dir = scratch("bad");
  std::filesystem::create_directories(dir);
  auto bad = dir / "bad.toml";
  std::ofstream(bad) << "kernel = \"v5.10\"\npagemap = \"p2pdma\"\n[actors]\nwizard = 1\n";
  CHECK(cli({"check", "--quiet", bad.string()}) == 2);
  CHECK(cli({"check", "--quiet", (dir / "missing.toml").string()}) == 2);
  CHECK(cli({"check", "--quiet", "--kernel", "v4.19", spec("p2pdma/memunmap-alone-v5.10.toml")}) == 2);
  CHECK(cli({"check", "--quiet", "--kernel", "v5.18", spec("device_coherent/driver-unmap-v6.1.toml")}) == 2);
  CHECK(cli({"frobnicate"}) == 2);
  CHECK(cli({}) == 2);
  CHECK(cli({"check"}) == 2);
  CHECK(cli({"check", "--max-states", "many", spec("p2pdma/memunmap-alone-v5.10.toml")}) == 2);
  auto file_as_dir = dir / "file";
  std::ofstream(file_as_dir) << "x";
  CHECK(cli({"check", "--quiet", "--out", (file_as_dir / "sub").string(), spec("p2pdma/memunmap-alone-v5.10.toml")}) == 2);
  CHECK(cli({"test", bad.string()}) == 2);
}

TEST_CASE("cli: every malformed spec exits 2 and names the problem", "[cli]") {
  auto dir = scratch("malformed");
  std::filesystem::create_directories(dir);
  struct bad_case {
    std::string text, says;
  };
  auto const cases = std::vector<bad_case>{
      {"", "missing key 'kernel'"},
      {std::string("\x7f\x45\x4c\x46\x02\x01\x01\x00", 8), "malformed TOML"},
      {"kernel = \"v5.10\"\npagemap = \"p2pdma\"\npages = -3\n[actors]\nmemunmap = 1\n", "pages is -3"},
      {"kernel = \"v5.10\"\npagemap = \"p2pdma\"\npages = 99999999999\n[actors]\nmemunmap = 1\n", "pages is 99999999999"},
      {"kernel = \"v5.10\"\npagemap = \"p2pdma\"\n[actors]\np2p_alloc = 1e3\n", "must be an integer"},
      {"kernel = [\"v5.10\"]\n", "kernel must be a string"},
      {"kernel = \"v5.10\"\npagemap = \"p2pdma\"\nactors = 3\n", "'actors' must be a table"},
      {"kernel = \"v5.10\"\npagemap = \"p2pdma\"\n[actors]\ndriver = 1\n", "does not run against pagemap 'p2pdma'"},
      {"kernel = \"v5.10\"\npagemap = \"device_coherent\"\n[actors]\nmemunmap = 1\n", "at v5.10: MEMORY_DEVICE_COHERENT came in v6.0"},
      {"kernel = \"v5.10\"\npagemap = \"p2pdma\"\n[actors]\nmemunmap = 1\n[patch]\nfree_refcount = 7\n", "is 7"},
      {"kernel = \"v5.10\"\npagemap = \"p2pdma\"\n[actors]\nmemunmap = 1\n[expect]\nverdict = \"holds\"\nmood = 1\n",
       "unknown key 'mood' in [expect]"},
      {"kernel = \"v5.10\"\npagemap = \"p2pdma\"\nproperties = []\n[actors]\nmemunmap = 1\n", "non-empty array"},
  };
  int n = 0;
  for (auto const& c : cases) {
    auto file = dir / ("bad" + std::to_string(n++) + ".toml");
    std::ofstream(file, std::ios::binary) << c.text;
    INFO(c.text);
    CHECK(cli({"check", "--quiet", "--out", (dir / "out").string(), file.string()}) == 2);
    try {
      pgmapcheck::load_spec(file);
      FAIL("parsed");
    } catch (pgmapcheck::spec_error const& e) {
      CHECK(std::string(e.what()).rfind(file.string() + ":", 0) == 0);
      CHECK(std::string(e.what()).find(c.says) != std::string::npos);
    }
  }
}

TEST_CASE("cli: several kernels give a table and one folder per kernel", "[cli]") {
  auto out = scratch("kernels");
  CHECK(cli({"check", "--quiet", "--kernel", "v5.10", "--kernel", "rfc-v3", "--out", out.string(),
             spec("fs_dax/gup-vs-truncate-v5.10.toml")}) == 1);
  CHECK(std::filesystem::exists(out / "fs_dax" / "gup-vs-truncate" / "v5.10" / "report.json"));
  CHECK(std::filesystem::exists(out / "fs_dax" / "gup-vs-truncate" / "rfc-v3" / "trace.svg"));
}

TEST_CASE("cli: test compares expectations; list answers", "[cli]") {
  CHECK(cli({"test", (specs_dir / "p2pdma").string()}) == 0);
  CHECK(cli({"list"}) == 0);
  CHECK(cli({"list", "--json"}) == 0);
  auto out = scratch("draw");
  CHECK(cli({"draw", "p2pdma", "--out", out.string()}) == 0);
  CHECK(std::filesystem::exists(out / "p2pdma.svg"));
  CHECK(cli({"draw", "device_private", "--out", out.string()}) == 0);
  CHECK(cli({"draw", "zone_normal"}) == 2);

  // An era's rows, two eras on one picture, a function's control flow.
  auto const fs = (specs_dir / "fs_dax").string();
  CHECK(cli({"draw", "fs_dax", "--kernel", "v5.10", "--diff-kernel", "v6.15", "--specs", fs, "--out", out.string()}) == 0);
  std::ifstream both(out / "fs_dax-v5.10-vs-v6.15.dot");
  std::string const two((std::istreambuf_iterator<char>(both)), std::istreambuf_iterator<char>());
  // memunmap_pages' put_page loop (v5.10) became put_many (the RFC's, v5.18 on).
  CHECK(two.find("[label=\"put_page(base)\", color=blue") != std::string::npos);
  CHECK(two.find("color=red") == std::string::npos);  // v6.15 takes no row v5.10 does not
  CHECK(cli({"draw", "fs_dax", "--kernel", "v6.15", "--specs", fs, "--out", out.string()}) == 0);
  std::ifstream one(out / "fs_dax-v6.15.dot");
  std::string const v615((std::istreambuf_iterator<char>(one)), std::istreambuf_iterator<char>());
  CHECK(v615.find("[label=\"put_page(base)\", style=dashed") != std::string::npos);
  CHECK(cli({"draw", "p2pdma", "--function", "pci_alloc_p2pmem", "--kernel", "v5.10", "--out", out.string()}) == 0);
  std::ifstream cfg(out / "p2pdma-pci_alloc_p2pmem.dot");
  std::string const flow((std::istreambuf_iterator<char>(cfg)), std::istreambuf_iterator<char>());
  CHECK(flow.find("rcu_read_lock();\\lrcu_read_lock") != std::string::npos);
  CHECK(flow.find("[label=\"yes\"]") != std::string::npos);
  CHECK(flow.find("-> exit") != std::string::npos);
  CHECK(std::filesystem::exists(out / "p2pdma-pci_alloc_p2pmem.svg"));
  CHECK(cli({"draw", "p2pdma", "--function", "no_such_function", "--out", out.string()}) == 2);
  CHECK(cli({"draw", "p2pdma", "--kernel", "v4.19", "--out", out.string()}) == 2);
  CHECK(cli({"draw", "p2pdma", "--diff-kernel", "v6.1", "--out", out.string()}) == 2);
}

namespace {

// Runs the command line and returns what it printed on stdout.
std::string cli_output(std::initializer_list<std::string> args, int& rc) {
  std::ostringstream captured;
  auto* old = std::cout.rdbuf(captured.rdbuf());
  rc = cli(args);
  std::cout.rdbuf(old);
  return captured.str();
}

}  // namespace

TEST_CASE("cli: show prints a library function's model code for an era", "[cli][lang]") {
  int rc = 0;
  auto v510 = cli_output({"show", "memunmap_pages", "--kernel", "v5.10"}, rc);
  CHECK(rc == 0);
  CHECK(v510.find("models/kernel/mm/memremap.kc:") == 0);
  CHECK(v510.find("for_each_device_pfn(page, pgmap)") != std::string::npos);
  CHECK(v510.find("\tpercpu_ref_put_many(") == std::string::npos);  // only in the comment
  auto v61 = cli_output({"show", "memunmap_pages", "--kernel", "v6.1"}, rc);
  CHECK(v61.find("percpu_ref_put_many(&pgmap->ref, pgmap_nr_pages(pgmap));") != std::string::npos);
  CHECK(v61.find("for_each_device_pfn") == std::string::npos);
  CHECK(cli({"show", "no_such_function"}) == 2);
  CHECK(cli({"show", "put_page", "--kernel", "v9.9"}) == 2);
}

TEST_CASE("cli: any release resolves; show --history and list --kernels print the boundaries", "[cli][lang]") {
  int rc = 0;
  // v5.15 is v5.10's memunmap_pages; v5.17 embeds the ref (b80892ca022e).
  auto v515 = cli_output({"show", "memunmap_pages", "--kernel", "v5.15"}, rc);
  CHECK(rc == 0);
  CHECK(v515.find("for_each_device_pfn(page, pgmap)") != std::string::npos);
  auto v517 = cli_output({"show", "memunmap_pages", "--kernel", "v5.17"}, rc);
  CHECK(v517.find("percpu_ref_kill(&pgmap->ref);") != std::string::npos);
  CHECK(v517.find("for_each_device_pfn(page, pgmap)") != std::string::npos);
  auto absent = cli_output({"show", "p2pmem_alloc_mmap", "--kernel", "v6.1"}, rc);
  CHECK(absent == "p2pmem_alloc_mmap: not in v6.1; the library has it for v6.2 on\n");
  auto h = cli_output({"show", "memunmap_pages", "--history"}, rc);
  CHECK(rc == 0);
  // Each boundary is there, in release order.
  std::vector<std::size_t> at;
  for (auto const* s : {"v5.0 to v5.16", "v5.17 ", "b80892ca022e [src]", "27674ef6c73f [commit]", "1e57ffb6e3fd [src]",
                        "0dc45ca1ce18 [src]"}) {
    INFO(s);
    at.push_back(h.find(s));
    CHECK(at.back() != std::string::npos);
  }
  CHECK(std::is_sorted(at.begin(), at.end()));
  CHECK(cli({"show", "memunmap_pages", "--history", "--kernel", "v6.1"}) == 2);
  CHECK(cli({"show", "no_such_function", "--history"}) == 2);
  auto k = cli_output({"list", "--kernels"}, rc);
  CHECK(rc == 0);
  CHECK(k.find("any release from v5.0 to v7.0") != std::string::npos);
  CHECK(k.find("v5.14    0b0e518d61af [commit] kernel/drivers/gpu/drm/amd/amdkfd/kfd_migrate.kc") != std::string::npos);
  CHECK(k.find("ae21f835a5bd [src] kernel/drivers/pci/p2pdma.kc") != std::string::npos);
  auto j = nlohmann::json::parse(cli_output({"list", "--kernels", "--json"}, rc));
  CHECK(j["releases"]["boundaries"].size() >= 80);
  for (auto const& b : j["releases"]["boundaries"]) {
    auto const read = b["read"].get<std::string>();
    CHECK((read == "src" || read == "commit" || read == "inf"));
    CHECK(b["commit"].get<std::string>().size() >= 12);
  }
  CHECK(cli({"check", "--quiet", "--kernel", "v5.20", spec("p2pdma/memunmap-alone-v5.10.toml")}) == 2);
  CHECK(cli({"check", "--quiet", "--kernel", "v5.13", spec("p2pdma/memunmap-alone-v5.10.toml")}) == 0);
}

TEST_CASE("cli: list names the primitives and the functions a thread can run", "[cli][lang]") {
  int rc = 0;
  auto j = nlohmann::json::parse(cli_output({"list", "--json"}, rc));
  CHECK(rc == 0);
  std::set<std::string> prims, roots;
  for (auto const& p : j["primitives"]) prims.insert(p["name"].get<std::string>());
  for (auto const& f : j["thread_functions"]) roots.insert(f["name"].get<std::string>());
  for (auto const* p : {"percpu_ref_tryget_live", "wake_up_var", "synchronize_rcu", "should_fail", "choose_page"})
    CHECK(prims.count(p) == 1);
  for (auto const& a : pgmapcheck::models::actor_names) CHECK(roots.count(std::string(a)) == 1);
}
