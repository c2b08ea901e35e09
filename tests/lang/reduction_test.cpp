// Reductions keep every verdict: the catalog with thread symmetry on and off.
#include "lang/runtime.hpp"
#include "lang/scenario.hpp"
#include "lang/spec.hpp"
#include "check/result.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <optional>

using namespace pgmapcheck;

namespace {

std::filesystem::path const specs_dir = std::filesystem::path(PGMAPCHECK_SOURCE_DIR) / "specs";

// Returns true iff the trace's rows are a run of the model without any
// reduction, from its initial state, ending in the counters shown.
bool replays(spec const& s, check_result const& r) {
  auto const m = lang::build_code_model(s);
  auto cur = m.initial();
  for (auto const& row : r.trace) {
    std::optional<lang::code_state> next;
    m.for_each_successor(cur, [&](lang::code_step const& st, lang::code_state const& after) {
      if (!next && st.thread == row.actor && st.pc == row.op && st.page == row.page && st.outcome == row.outcome)
        next = after;
    });
    if (!next) return false;
    cur = *next;
    for (int p = 0; p < s.sc.pages; ++p)
      if (m.view(cur).page_refcount(p) != row.page_refs[static_cast<std::size_t>(p)]) return false;
    if (m.view(cur).pgmap_ref() != row.pgmap_ref) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("reduction: thread symmetry keeps every catalog verdict and shortest length", "[reduction][catalog]") {
  limits off;
  off.no_reduction = true;
  std::uint64_t reduced = 0, full = 0;
  int fewer = 0;
  for (auto const& file : catalog_files(specs_dir)) {
    spec const s = load_spec(file);
    INFO(s.path);
    auto const a = run_check(s, {});
    auto const b = run_check(s, off);
    CHECK(a.result == b.result);
    CHECK(a.violated == b.violated);
    CHECK(a.trace.size() == b.trace.size());  // the quotient keeps distances: still a shortest run
    CHECK(a.states <= b.states);
    CHECK(replays(s, a));  // a concrete run, thread names and all
    reduced += a.states;
    full += b.states;
    fewer += a.states < b.states;
  }
  CHECK(fewer >= 5);  // scenarios with two instances of a kind
  CHECK(reduced * 2 < full);
}

TEST_CASE("reduction: off, the explorer stores exactly the reachable states", "[reduction]") {
  // A holds explores everything: with no reduction its count is the state
  // graph's, built by a separate breadth-first walk over raw successors.
  limits off;
  off.no_reduction = true;
  for (auto const* rel : {"p2pdma/v5-fixed-v6.1.toml", "device_private/teardown-evict-v6.1.toml"}) {
    INFO(rel);
    spec const s = load_spec(specs_dir / rel);
    auto const plain = run_check(s, off);
    REQUIRE(plain.result == verdict::holds);
    auto const g = build_state_graph(s, plain, 300);
    auto const states = std::count_if(g.vertices.begin(), g.vertices.end(), [](auto const& v) { return !v.violation; });
    CHECK(plain.states == static_cast<std::uint64_t>(states));
    CHECK(run_check(s, {}).states <= plain.states);
  }
}

TEST_CASE("limits: sixteen pages and thirty-two threads load", "[reduction]") {
  spec const s = parse_spec("kernel = \"v5.10\"\npagemap = \"p2pdma\"\npages = 16\n[actors]\np2p_alloc = 16\n"
                            "stray_get_put = 15\nmemunmap = 1\n",
                            "big.toml");
  auto const m = lang::build_code_model(s);
  CHECK(m.threads().size() == 32);
  CHECK(m.pages() == 16);
  CHECK(m.state_bytes() <= lang::max_state_bytes);
  limits few;
  few.max_states = 5000;  // the search runs: a stray get on a page memunmap already put to 0
  auto const r = run_check(s, few);
  REQUIRE(r.result == verdict::violation);
  CHECK(r.violated == property::get_from_zero);
  CHECK(r.trace.size() == 9);
}
