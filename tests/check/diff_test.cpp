// `pgmapcheck diff`: shipped patches against their expected change lists,
// patch files that restate an era, replay of a fixed counterexample, bad patch
// files, and a stable JSON report.
#include "cli/cli.hpp"
#include "report/diff.hpp"
#include "report/html.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <set>

using namespace pgmapcheck;

namespace {

std::filesystem::path const root = PGMAPCHECK_SOURCE_DIR;
std::filesystem::path const patches = root / "specs/patches";

std::vector<spec> scenarios_of(patch_file const& p) {
  std::vector<spec> specs;
  for (auto const& f : p.scenarios) specs.push_back(load_spec(f));
  return specs;
}

diff_report diff_of(patch_file const& p) {
  return run_diff(scenarios_of(p), on_kernel(p.base), on_patch(p), {});
}

std::string patch_error(std::string const& text) {
  try {
    parse_patch_file(text, "specs/patches/x.toml");
  } catch (spec_error const& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("diff: a fixed counterexample replays to the step the fix changes", "[diff]") {
  patch_file p = load_patch(patches / "fault-page-ref-on-v5.18.toml");
  spec v4 = load_spec(root / "specs/device_private/two-faults-v6.1.toml");
  semantics base = on_kernel(models::kernels::v5_18), patched = on_patch(p);
  auto d = run_diff({v4}, base, patched, {});
  auto it = std::find_if(d.rows.begin(), d.rows.end(), [](diff_row const& r) { return r.prop == property::use_after_free; });
  REQUIRE(it != d.rows.end());
  CHECK(it->what == change::fixed);
  REQUIRE(it->evidence);
  // The fault reads the page at once no more: do_swap_page takes the PTL first.
  CHECK(it->evidence->what.find("cpu_fault#0: dmirror_page_data(page);, dmirror_page_data in dmirror_devmem_fault") !=
        std::string::npos);
  CHECK(it->evidence->cannot_happen);
  CHECK(it->evidence->what.find("it can only do spin_lock in do_swap_page") != std::string::npos);
  // The functions the patch changes on the path to that step (the call path).
  CHECK(it->evidence->why == std::vector<std::string>{"the patch changes dmirror_devmem_fault, do_swap_page"});

  patch_file rfc = load_patch(patches / "rfc-v3-on-v5.10.toml");
  spec v9 = load_spec(root / "specs/device_private/v9-page-free-under-mapping-v5.10.toml");
  semantics v510 = on_kernel(models::kernels::v5_10), rfc_side = on_patch(rfc);
  auto e = run_diff({v9}, v510, rfc_side, {});
  auto fw = std::find_if(e.rows.begin(), e.rows.end(), [](diff_row const& r) { return r.prop == property::free_while_used; });
  REQUIRE(fw != e.rows.end());
  REQUIRE(fw->evidence);
  CHECK(fw->evidence->diverges_at == 5);  // the driver's allocation: init_page_count, not get_page
  CHECK(fw->evidence->cannot_happen);
  CHECK(fw->evidence->what.find("it can only do set_page_count in init_page_count") != std::string::npos);
}

TEST_CASE("diff: on model code, a fixed counterexample replays by step labels", "[diff][lang]") {
  // 6220694c52a5: the error path of vm_insert_page now puts the pgmap reference.
  patch_file const fix = load_patch(patches / "p2pdma-mmap-put-on-error-on-v6.15.toml");
  spec const leak = load_spec(root / "specs/p2pdma/mmap-error-leak-v6.15.toml");
  auto d = run_diff({leak}, on_kernel(models::kernels::v6_15), on_patch(fix), {});
  auto it = std::find_if(d.rows.begin(), d.rows.end(), [](diff_row const& r) { return r.prop == property::deadlock; });
  REQUIRE(it != d.rows.end());
  REQUIRE(it->what == change::fixed);
  REQUIRE(it->evidence);
  auto const& e = *it->evidence;
  CHECK(e.cannot_happen);
  REQUIRE(e.diverges_at > 0);
  CHECK(e.what.find("it can only do percpu_ref_put in p2pmem_alloc_mmap") != std::string::npos);
  CHECK(e.why == std::vector<std::string>{"the patch changes p2pmem_alloc_mmap"});
  // The steps before it replay in the patched model's words, the failed
  // vm_insert_page among them; 'X' marks the step that no longer happens.
  auto const gone = std::find_if(e.steps.begin(), e.steps.end(), [](std::string const& l) { return l.rfind("X", 0) == 0; });
  REQUIRE(gone != e.steps.end());
  REQUIRE(gone != e.steps.begin());
  CHECK(gone->find(fmt::format("X{:>3}", e.diverges_at)) == 0);
  CHECK(gone->find("(the base's step)") != std::string::npos);
  CHECK((gone + 1)->find("^ no longer happens: it can only do percpu_ref_put in p2pmem_alloc_mmap") != std::string::npos);
  CHECK((gone - 1)->find("p2pmem_alloc_mmap: gen_pool_free(p2pdma->pool, page0, PAGE_SIZE)  [p0 1 ref 3]") !=
        std::string::npos);
  CHECK(std::any_of(e.steps.begin(), e.steps.end(),
                    [](std::string const& l) { return l.find("vm_insert_page(page0) -> fails") != std::string::npos; }));

  // The diff's page: the table, the evidence inline, each change's own page linked.
  auto const page = render_diff_html(d);
  CHECK(page.rfind("<!doctype html>", 0) == 0);
  CHECK(page.find("p2pdma/mmap-error-leak/deadlock/fixed/report.html") != std::string::npos);
  CHECK(page.find("no longer happens: it can only do percpu_ref_put in p2pmem_alloc_mmap") != std::string::npos);
  CHECK(page.find("<svg") != std::string::npos);
  for (char const* fetch : {"src=", "<link", "@import", "url("}) CHECK(page.find(fetch) == std::string::npos);

  // The RFC on v5.10: memunmap's put_page loop is gone, put_many instead.
  auto const rfc = root / "models/patches/rfc-v3";
  semantics both = on_kernel(models::kernels::v5_10);
  both.patches = {load_patch(rfc / "0001-ext4-xfs-add-page-refcount-helper.toml"),
                  load_patch(rfc / "0002-mm-remove-extra-ZONE_DEVICE-struct-page-refcount.toml")};
  spec const v1 = load_spec(root / "specs/p2pdma/v1-balanced-get-put-v5.10.toml");
  auto r = run_diff({v1}, on_kernel(models::kernels::v5_10), both, {});
  auto under = std::find_if(r.rows.begin(), r.rows.end(), [](diff_row const& x) { return x.prop == property::refcount_underflow; });
  REQUIRE(under != r.rows.end());
  REQUIRE(under->what == change::fixed);
  REQUIRE(under->evidence);
  CHECK(under->evidence->cannot_happen);
  CHECK(under->evidence->what.find("put_page_testzero in put_page") != std::string::npos);
  CHECK(under->evidence->what.find("percpu_ref_put_many in memunmap_pages") != std::string::npos);
  REQUIRE_FALSE(under->evidence->why.empty());
  CHECK(under->evidence->why.front() == "the patch changes memunmap_pages, put_page");
}

TEST_CASE("diff: bad patch files name the problem", "[diff]") {
  struct bad_case {
    std::string text, says;
  };
  for (auto const& c : std::vector<bad_case>{
           {"base = \"v5.10\"\n[knobs]\nwarp = 1\n", "specs/patches/x.toml:3:8: unknown knob 'warp'"},
           {"base = \"v5.10\"\n[knobs]\nfree_refcount = true\n", "3:17: knob 'free_refcount' must be an integer"},
           {"base = \"v5.10\"\n[knobs]\nmemremap_pgmap_refs = 0\n", "3:23: knob 'memremap_pgmap_refs' must be true or false"},
           {"base = \"v9\"\n[knobs]\nfree_refcount = 0\n", "1:8: unknown kernel 'v9'"},
           {"[knobs]\nfree_refcount = 0\n", "missing key 'base'"},
           {"base = \"v5.10\"\n", "missing table [functions.NAME]"},
           {"base = \"v5.10\"\nkernel = \"v5.10\"\n", "2:10: kernel is the base"},
           {"base = \"v5.10\"\nkernel = \"v5.18\"\n[knobs]\nfree_refcount = 0\n", "3:1: a patch that names a kernel is that kernel's code"},
           {"base = \"v5.10\"\n[knobs]\n", "[knobs] is empty"},
           {"base = \"v5.10\"\nauthor = \"me\"\n[knobs]\nfree_refcount = 0\n", "2:10: unknown key 'author'"},
           {"base = \"v5.10\"\n[knobs.fs_dax]\nmapped_pgmap_ref = true\n", "does not apply to pagemap 'fs_dax'"},
           {"base = \"v5.10\"\n[knobs]\nfs_dax_idle = 0\n", "unknown knob 'fs_dax_idle'"},
       }) {
    INFO(c.text);
    CHECK(patch_error(c.text).find(c.says) != std::string::npos);
  }
  // A knob that concerns no type among the run's scenarios.
  patch_file p = parse_patch_file("base = \"v5.10\"\n[knobs]\ncached_refcount = 1\n", "x.toml");
  std::vector<spec> p2p{load_spec(root / "specs/p2pdma/memunmap-alone-v5.10.toml")};
  CHECK_THROWS_WITH(check_patch_applies(p, p2p), Catch::Contains("x.toml:3:19: knob 'cached_refcount' does not apply to any"));
}

TEST_CASE("diff: the CLI exits 1 when a patch introduces a violation, 0 when not, 2 on bad input", "[diff]") {
  auto run = [](std::vector<std::string> words) {
    words.insert(words.begin(), "pgmapcheck");
    std::vector<char*> argv;
    for (auto& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    return run_cli(static_cast<int>(words.size()), argv.data());
  };
  auto out = (std::filesystem::temp_directory_path() / "pgmapcheck-diff-test").string();
  CHECK(run({"diff", "--base", "v5.18", "--patch", (patches / "v6.1-fixes-on-v5.18.toml").string(), "--out", out}) == 0);
  CHECK(run({"diff", "--base", "v5.10", "--patch", (patches / "rfc-v3-on-v5.10.toml").string(), "--out", out}) == 1);
  CHECK(run({"diff", "--base", "v5.10", "--patch", "v9.9", (root / "specs/p2pdma").string(), "--out", out}) == 2);
  CHECK(run({"diff", "--base", "v5.10", "--patch", "rfc-v3", "--out", out}) == 2);  // no scenarios
  CHECK(run({"diff", "--base", "v5.10", "--patch", "v6.1", (root / "specs/device_coherent").string(), "--out", out}) == 2);
  // Stacks: --base repeated takes patches on the base era, --patch repeated stacks in order.
  auto const rfc = root / "models/patches/rfc-v3";
  auto const gup = (root / "specs/fs_dax/gup-vs-truncate-v5.10.toml").string();
  CHECK(run({"diff", "--base", "v5.10", "--base", (rfc / "0001-ext4-xfs-add-page-refcount-helper.toml").string(), "--patch",
             (rfc / "0002-mm-remove-extra-ZONE_DEVICE-struct-page-refcount.toml").string(), gup, "--out", out}) == 1);
  CHECK(run({"diff", "--base", "v5.10", "--patch", (rfc / "0001-ext4-xfs-add-page-refcount-helper.toml").string(), gup,
             "--out", out}) == 0);
  CHECK(run({"diff", "--base", "v5.10", "--patch", "v5.18", "--patch", "v6.1", gup, "--out", out}) == 2);
  CHECK(run({"diff", "--base", "v5.18", "--patch", (rfc / "0001-ext4-xfs-add-page-refcount-helper.toml").string(), gup,
             "--out", out}) == 2);  // written for v5.10
  CHECK(std::filesystem::exists(std::filesystem::path(out) / "report.json"));
}

TEST_CASE("diff: patches stack, on either side, in order", "[diff]") {
  auto const rfc = root / "models/patches/rfc-v3";
  patch_file const helper = load_patch(rfc / "0001-ext4-xfs-add-page-refcount-helper.toml");
  patch_file const remove = load_patch(rfc / "0002-mm-remove-extra-ZONE_DEVICE-struct-page-refcount.toml");
  spec const gup = load_spec(root / "specs/fs_dax/gup-vs-truncate-v5.10.toml");
  // v5.10 + both patches is the rfc-v3 era, on model code.
  semantics both = on_kernel(models::kernels::v5_10);
  both.patches = {helper, remove};
  CHECK(both.name() == "v5.10 + 0001-ext4-xfs-add-page-refcount-helper + 0002-mm-remove-extra-ZONE_DEVICE-struct-page-refcount");
  spec const stacked = both.apply(gup);
  CHECK(stacked.function_patches.size() == helper.functions.size() + remove.functions.size());
  spec era = with_kernel(gup, models::kernels::rfc_v3);
  auto const a = run_check(stacked, {}), b = run_check(era, {});
  CHECK(a.result == verdict::violation);
  CHECK(a.result == b.result);
  CHECK(a.violated == b.violated);
  CHECK(a.states == b.states);
  // The helper alone changes nothing on v5.10; the base may carry it.
  semantics with_helper = on_kernel(models::kernels::v5_10);
  with_helper.patches = {helper};
  auto const d = run_diff({gup}, on_kernel(models::kernels::v5_10), with_helper, {});
  CHECK(std::all_of(d.rows.begin(), d.rows.end(), [](diff_row const& r) { return r.what == change::unchanged; }));
  auto const e = run_diff({gup}, with_helper, both, {});
  CHECK(e.base_name == "v5.10 + 0001-ext4-xfs-add-page-refcount-helper");  // never the patch's name alone
  auto const warn = std::find_if(e.rows.begin(), e.rows.end(), [](diff_row const& r) { return r.prop == property::kernel_warn; });
  REQUIRE(warn != e.rows.end());
  CHECK(warn->what == change::introduced);  // try_grab_page WARNs on a page mapped at 0
  // A patch written for another base does not join the stack.
  semantics wrong = on_kernel(models::kernels::v5_18);
  wrong.patches = {remove};
  CHECK_THROWS_WITH(wrong.apply(gup), Catch::Contains("is written for v5.10, and the stack it joins is on v5.18"));
}

TEST_CASE("diff: the JSON report is valid and stable", "[diff]") {
  patch_file p = load_patch(patches / "dax-wake-all-on-invalidate-on-v5.10.toml");
  std::string a = render_diff_json(diff_of(p)), b = render_diff_json(diff_of(p));
  CHECK(a == b);
  auto j = nlohmann::json::parse(a);
  CHECK(j["base"] == "v5.10");
  CHECK(j["rows"].size() > 4);
  bool fixed_with_replay = false;
  for (auto const& r : j["rows"])
    if (r["change"] == "fixed") fixed_with_replay = fixed_with_replay || r["replay"]["diverges_at"].get<int>() > 0;
  CHECK(fixed_with_replay);
}

TEST_CASE("diff: no property's row holds on a scenario past the model's range", "[diff]") {
  // model-range-v5.10 wraps pgmap->ref at its second step: every row, the
  // refcount-underflow row among them, stops there on both sides.
  spec const wrap = load_spec(root / "specs/p2pdma/model-range-v5.10.toml");
  auto const d = run_diff({wrap}, on_kernel(models::kernels::v5_10), on_kernel(models::kernels::v5_10), {});
  REQUIRE(d.rows.size() > 1);
  for (auto const& row : d.rows) {
    INFO(name_of(row.prop));
    CHECK(row.base.result == verdict::violation);
    CHECK(row.base.violated == property::model_range);
    CHECK(row.patched.result == verdict::violation);
  }
}
