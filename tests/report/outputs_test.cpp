// Outputs (trace text, DOT, SVG, report.json) and the catalog's coverage of every property.
#include "report/dot.hpp"
#include "lang/error.hpp"
#include "report/html.hpp"
#include "check/check.hpp"
#include "lang/spec.hpp"
#include "report/render.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>

using namespace pgmapcheck;

namespace {

std::filesystem::path const specs_dir = std::filesystem::path(PGMAPCHECK_SOURCE_DIR) / "specs";

spec catalog(std::string const& rel) { return load_spec(specs_dir / rel); }

std::string without_timing(std::string const& json) {
  auto j = nlohmann::ordered_json::parse(json);
  j.erase("timing");
  return j.dump();
}

}  // namespace

TEST_CASE("outputs: the V1 trace reads like a kernel race diagram", "[outputs]") {
  auto r = run_check(catalog("p2pdma/v1-unbalanced-put-v5.10.toml"), {});
  REQUIRE(r.result == verdict::violation);
  std::string text = render_text(r);
  CHECK(text.rfind("p2pdma v5.10, 2 pages: refcount-underflow (shortest: 9 steps)\n", 0) == 0);
  CHECK(text.find("p2p_alloc#0") != std::string::npos);
  // Three threads that never overlap share one CPU column, each named at its
  // first step; a step stands under the function it runs in.
  CHECK(text.find("     CPU0 ") != std::string::npos);
  CHECK(text.find("\n     stray_put#0:\n") != std::string::npos);
  CHECK(text.find("\n     memunmap_pages()\n       dev_pagemap_kill()\n") != std::string::npos);
  CHECK(text.find(">  9     put_page_testzero(page0)") != std::string::npos);
  CHECK(text.find("^ refcount-underflow: page0 refcount -1 (models/kernel/include/linux/mm.kc:37") != std::string::npos);
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) CHECK(line.size() <= 80);
  REQUIRE(r.trace.size() == 9);
  CHECK(r.trace.back().violating);
  CHECK(r.trace.back().page_refs == std::vector<int>{-1, 1});
  CHECK(r.trace.back().pgmap_ref == 3);
}

TEST_CASE("outputs: the race diagram fits the width asked and hides threads that did nothing", "[outputs]") {
  auto fits = [](std::string const& text, std::size_t width) {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);)
      if (line.size() > width) return false;
    return true;
  };
  auto const v11 = run_check(catalog("p2pdma/v11-teardown-window-v5.10.toml"), {});
  CHECK(fits(render_text(v11), 80));
  CHECK(fits(render_text(v11, {.width = 60}), 60));
  CHECK_FALSE(fits(render_text(v11, {.width = 200}), 80));  // room to spare: no statement wraps

  // A ref-leak is a final state: every thread must finish, so the second
  // stray put, which finds nothing handed out, is in the trace.
  auto const idle = run_check(parse_spec("kernel = \"v5.10\"\npagemap = \"p2pdma\"\npages = 1\n"
                                         "properties = [\"ref-leak\"]\n[actors]\np2p_alloc = 1\nstray_put = 2\n",
                                         "idle.toml"),
                                {});
  REQUIRE(idle.result == verdict::violation);
  auto const hidden = std::count_if(idle.trace.begin(), idle.trace.end(), [](trace_row const& r) { return r.idle; });
  CHECK(hidden > 0);
  for (auto const& row : idle.trace) CHECK(row.idle == (idle.scenario.actor_labels[row.actor] == "stray_put#1"));
  auto const text = render_text(idle);
  CHECK(text.find("(not shown: stray_put#1 found no page to act on; --all-steps shows its steps)") != std::string::npos);
  CHECK(text.find("-> NULL") == std::string::npos);
  auto const all = render_text(idle, {.all_steps = true});
  CHECK(all.find("not shown") == std::string::npos);
  CHECK(all.find("-> NULL") != std::string::npos);
}

TEST_CASE("outputs: --fewest-switches keeps the length and the property, and switches least", "[outputs]") {
  limits fewest;
  fewest.fewest_switches = true;
  for (auto const* rel : {"p2pdma/v11-teardown-window-v5.10.toml", "device_private/v4-two-faults-v5.10.toml",
                          "p2pdma/mmap-error-leak-v6.15.toml", "fs_dax/v7-unmapped-gup-v5.10.toml"}) {
    INFO(rel);
    auto const bfs = run_check(catalog(rel), {});
    auto const few = run_check(catalog(rel), fewest);
    REQUIRE(few.result == verdict::violation);
    CHECK(few.fewest_switches);
    CHECK(few.violated == bfs.violated);
    CHECK(few.trace.size() == bfs.trace.size());
    CHECK(few.switches() <= bfs.switches());
    CHECK(few.trace.back().violating == bfs.trace.back().violating);
    CHECK(headline(few).find(fmt::format("fewest switches: {})", few.switches())) != std::string::npos);
    CHECK(render_text(few) == render_text(run_check(catalog(rel), fewest)));
  }
  // V11: the allocation runs alone after the whole teardown, one switch.
  auto const v11 = run_check(catalog("p2pdma/v11-teardown-window-v5.10.toml"), fewest);
  CHECK(v11.switches() == 1);
  CHECK(run_check(catalog("p2pdma/v11-teardown-window-v5.10.toml"), {}).switches() > 1);
}

TEST_CASE("outputs: same input, same bytes", "[outputs]") {
  for (auto const* rel : {"p2pdma/v1-balanced-get-put-v5.10.toml", "fs_dax/v7-unmapped-gup-v5.10.toml",
                          "fs_dax/gup-vs-truncate-v5.10.toml"}) {
    INFO(rel);
    auto a = run_check(catalog(rel), {});
    auto b = run_check(catalog(rel), {});
    CHECK(without_timing(render_json(a)) == without_timing(render_json(b)));
    CHECK(render_text(a) == render_text(b));
    if (a.result == verdict::violation) CHECK(render_dot(a) == render_dot(b));
  }
}

TEST_CASE("outputs: DOT is a sequence diagram small enough to paste; SVG renders", "[outputs]") {
  auto r = run_check(catalog("fs_dax/v7-unmapped-gup-v5.10.toml"), {});
  REQUIRE(r.result == verdict::violation);
  std::string dot = render_dot(r);
  for (auto const& lane : r.scenario.actor_labels) CHECK(dot.find("<B>" + lane + "</B>") != std::string::npos);
  CHECK(dot.find("BGCOLOR=\"#fbd5d5\"") != std::string::npos);  // the violating row
  CHECK(dot.find("asleep until woken") != std::string::npos);      // the legend
  std::string svg = render_svg(dot);
  CHECK(svg.find("<svg") != std::string::npos);
  CHECK(svg.find("truncate#0") != std::string::npos);
  CHECK_THROWS(render_svg("digraph {"));

  // A 9-step trace: well under 800 px tall (SVG sizes are in points, 4/3 px).
  auto const v1 = render_svg(render_dot(run_check(catalog("p2pdma/v1-unbalanced-put-v5.10.toml"), {})));
  auto const at = v1.find("height=\"");
  REQUIRE(at != std::string::npos);
  double const points = std::stod(v1.substr(at + 8));
  CHECK(points * 4 / 3 < 500);

  // A deadlock draws the sleeper asleep to the end, naming its wait.
  auto const dead = render_dot(run_check(catalog("p2pdma/mmap-error-leak-v6.15.toml"), {}));
  CHECK(dead.find("asleep in wait_for_completion on &amp;pgmap-&gt;done") != std::string::npos);
}

TEST_CASE("outputs: the HTML report is one page that fetches nothing", "[outputs]") {
  auto const r = run_check(catalog("p2pdma/v11-teardown-window-v5.10.toml"), {});
  auto const page = render_html(r);
  CHECK(page.rfind("<!doctype html>", 0) == 0);
  for (char const* fetch : {"src=", "<link", "@import", "url(", "<iframe"}) {
    INFO(fetch);
    CHECK(page.find(fetch) == std::string::npos);
  }
  CHECK(page.find("<svg") != std::string::npos);                                   // the sequence diagram inline
  CHECK(page.find("<tr class=\"step violating\" id=\"step-16\"") != std::string::npos);  // the viewer's table
  CHECK(page.find("\"models/kernel/drivers/pci/p2pdma.kc\":\"") != std::string::npos);   // the model code it shows
  CHECK(page.find("<td>use-after-free</td><td class=\"violation\">violated</td>") != std::string::npos);
  auto const held = render_html(run_check(catalog("p2pdma/v5-fixed-v6.1.toml"), {}));
  CHECK(held.find("<td class=\"holds\">holds</td>") != std::string::npos);
  CHECK(held.find("<table class=\"race\">") == std::string::npos);
}

TEST_CASE("outputs: a small run's state graph marks the counterexample; a big one is refused", "[outputs]") {
  auto const s = catalog("p2pdma/v11-teardown-window-v5.10.toml");
  auto const r = run_check(s, {});
  auto const g = build_state_graph(s, r, 300);
  auto const on = std::count_if(g.edges.begin(), g.edges.end(), [](auto const& e) { return e.on_trace; });
  CHECK(static_cast<std::size_t>(on) == r.trace.size());
  CHECK(g.vertices[0].initial);
  auto const sink = std::find_if(g.vertices.begin(), g.vertices.end(), [](auto const& v) { return v.violation; });
  REQUIRE(sink != g.vertices.end());
  CHECK(sink->label == "use-after-free");
  CHECK(sink->on_trace);
  // Every vertex but the initial one is reached by an edge.
  std::vector<bool> reached(g.vertices.size(), false);
  for (auto const& e : g.edges) reached[e.to] = true;
  CHECK(std::count(reached.begin() + 1, reached.end(), false) == 0);
  auto const dot = render_state_graph(g, headline(r));
  CHECK(dot.find("shape=octagon") != std::string::npos);
  CHECK(render_svg(dot).find("<svg") != std::string::npos);
  auto const big = catalog("fs_dax/v7-fixed-v6.15.toml");
  CHECK_THROWS_WITH(build_state_graph(big, run_check(big, {}), 300),
                    "the scenario has more than 300 states, the limit for a state graph");
}

TEST_CASE("outputs: report.json carries the verdict, counts and trace", "[outputs]") {
  auto r = run_check(catalog("p2pdma/v11-teardown-window-v5.10.toml"), {});
  auto j = nlohmann::json::parse(render_json(r));
  CHECK(j["verdict"] == "violation");
  CHECK(j["property"] == "use-after-free");
  CHECK(j["states"].get<std::uint64_t>() == r.states);
  CHECK(j["trace"].size() == r.trace.size());
  CHECK(j["trace"].back()["violating"] == true);
  CHECK(j["timing"]["seconds"].is_number());

  auto h = nlohmann::json::parse(render_json(run_check(catalog("fs_dax/gup-vs-truncate-v5.10.toml"), {})));
  CHECK(h["verdict"] == "holds");
  CHECK(h["property"].is_null());
  CHECK(h["trace"].empty());
}

TEST_CASE("outputs: a state limit gives incomplete, never holds", "[outputs]") {
  limits lim;
  lim.max_states = 3;
  auto r = run_check(catalog("fs_dax/gup-vs-truncate-v5.10.toml"), lim);
  CHECK(r.result == verdict::incomplete);
  CHECK(headline(r).find("incomplete") != std::string::npos);
}

TEST_CASE("expect: involves and passes pick which counterexample counts", "[outputs]") {
  auto passes_through = [](check_result const& r, std::string const& function) {
    return std::any_of(r.trace.begin(), r.trace.end(), [&](trace_row const& row) {
      return std::any_of(row.notes.begin(), row.notes.end(),
                         [&](std::string const& n) { return n.find(function) != std::string::npos; });
    });
  };
  spec s = catalog("fs_dax/munmap-while-truncate-sleeps-v5.10.toml");
  auto const sleeping = run_check(s, {});
  REQUIRE(sleeping.result == verdict::violation);
  CHECK(passes_through(sleeping, "ext4_wait_dax_page"));
  CHECK(render_text(sleeping).find("only counterexamples that pass through ext4_wait_dax_page count") !=
        std::string::npos);

  s.expect->passes.clear();  // the shortest counterexample unmaps before truncate looks: no sleep
  auto const any = run_check(s, {});
  REQUIRE(any.result == verdict::violation);
  CHECK_FALSE(passes_through(any, "ext4_wait_dax_page"));
  CHECK(any.trace.size() < sleeping.trace.size());

  s.expect->passes.push_back({"pci_p2pdma_add_resource", 27, 12});  // no thread of this scenario calls it
  try {
    run_check(s, {});
    FAIL("a function no thread runs was accepted");
  } catch (spec_error const& e) {
    CHECK(std::string(e.what()).find(":27:12:") != std::string::npos);
    CHECK(std::string(e.what()).find("no thread of this scenario runs that model function") != std::string::npos);
  }
}

TEST_CASE("expect: a value past the model's range counts on any run, required or not", "[outputs]") {
  // bulk wraps pgmap->ref long before teardown passes memunmap_pages: the
  // run meets no requirement yet, and model-range still ends the search.
  spec const s = parse_spec(R"(kernel = "v5.10"
pagemap = "p2pdma"
pages = 1
[threads.bulk]
code = """
	percpu_ref_get_many(&pgmap->ref, 100);
	percpu_ref_get_many(&pgmap->ref, 100);
	percpu_ref_put_many(&pgmap->ref, 200);
"""
[threads.teardown]
code = """
	memunmap_pages(pgmap);
"""
[expect]
verdict = "violation"
property = "memunmap-early"
passes = ["memunmap_pages"]
)",
                            "specs/x.toml");
  limits off;
  off.no_reduction = true;
  for (auto const& lim : {limits{}, off}) {
    auto const r = run_check(s, lim);
    CHECK(r.result == verdict::violation);
    CHECK(r.violated == property::model_range);
  }
}

TEST_CASE("catalog: every property is violated by one spec and holds in another", "[catalog]") {
  std::map<property, std::vector<std::string>> violated, held;
  for (auto const& file : catalog_files(specs_dir)) {
    spec s = load_spec(file);
    if (!s.expect) continue;
    auto r = run_check(s, {});
    INFO(s.path);
    REQUIRE(r.result == s.expect->result);
    if (r.result == verdict::violation) violated[*r.violated].push_back(s.path);
    if (r.result == verdict::holds)
      for (std::size_t i = 0; i < property_count; ++i)
        if (s.checked.has(static_cast<property>(i))) held[static_cast<property>(i)].push_back(s.path);
  }
  for (std::size_t i = 0; i < property_count; ++i) {
    auto p = static_cast<property>(i);
    INFO(name_of(p));
    CHECK_FALSE(violated[p].empty());
    CHECK_FALSE(held[p].empty());
  }
}

TEST_CASE("outputs: draw renders every row of the table it checks", "[outputs]") {
  std::string dot = render_machine(models::pagemap::p2pdma);
  CHECK(dot.find("free -> cache [label=\"alloc\\l\"]") != std::string::npos);
  CHECK(dot.find("put_page [held_by_others]") != std::string::npos);
  CHECK(dot.find("cache -> free [label=\"release\\l\"]") != std::string::npos);
  CHECK(render_svg(dot).find("<svg") != std::string::npos);
  // Only the types that reuse a block take a put on a page back in cache.
  CHECK(render_machine(models::pagemap::fs_dax).find("cache -> cache [label=\"map\\lunmap\\lput_page\\l") !=
        std::string::npos);
  CHECK(render_machine(models::pagemap::p2pdma).find("unmap\\lput_page\\l") == std::string::npos);
}
