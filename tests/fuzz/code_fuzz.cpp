// libFuzzer target: model code. The input is a model file: preprocessed for
// an era, parsed, checked and added over the kernel library (its functions
// may replace the library's, as a patch's do), then each function of its
// own with no parameters runs as a thread (up to three) in a bounded search.
// The first input byte picks the era and the pagemap type. Bad model code
// must be a spec_error (file:line:col, exit 2), never a crash, a hang, or an
// internal error.
#include "lang/error.hpp"
#include "search/explorer.hpp"
#include "lang/library.hpp"
#include "lang/parse.hpp"
#include "lang/runtime.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

using namespace pgmapcheck;

namespace {

constexpr std::array<int, 4> releases{lang::release(5, 10), lang::release(5, 18), lang::release(6, 1),
                                      lang::release(6, 15)};

// The library for one era and type, loaded once.
lang::source_set const& library(int era, int type) {
  static std::array<std::array<lang::source_set, 5>, releases.size()> sets;
  static std::array<std::array<bool, 5>, releases.size()> loaded{};
  auto& s = sets[static_cast<std::size_t>(era)][static_cast<std::size_t>(type - 1)];
  if (!loaded[static_cast<std::size_t>(era)][static_cast<std::size_t>(type - 1)]) {
    lang::scenario_facts facts;
    facts.kernel = releases[static_cast<std::size_t>(era)];
    facts.pagemap_type = type;
    facts.pages = 2;
    for (auto const& f : lang::library_files())
      if (f.path.ends_with(".kc")) s.add(std::string(f.path), std::string(f.text), facts);
    loaded[static_cast<std::size_t>(era)][static_cast<std::size_t>(type - 1)] = true;
  }
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  if (size == 0) return 0;
  int const era = data[0] % static_cast<int>(releases.size());
  int const type = 1 + (data[0] / 4) % 5;
  std::string const text(reinterpret_cast<char const*>(data) + 1, size - 1);
  lang::scenario_facts facts;
  facts.kernel = releases[static_cast<std::size_t>(era)];
  facts.pagemap_type = type;
  facts.pages = 2;
  try {
    lang::source_set src = library(era, type);
    src.add("fuzz.kc", text, facts, true);
    lang::check_all(src, facts);
    std::vector<lang::program> threads;
    for (auto const& [name, f] : src.functions())
      if (src.files()[f.pos.file] == "fuzz.kc" && f.params.empty() && threads.size() < 3)
        threads.push_back(lang::compile_thread(src, name, name, facts));
    if (threads.empty()) return 0;
    lang::code_setup setup;
    setup.facts = facts;
    setup.p2pdma = type == 5;
    lang::code_model const m(std::move(threads), setup);
    limits lim;
    lim.max_states = 2000;
    (void)explore(m, property_set::all(), lim);
  } catch (spec_error const&) {
    return 0;
  }
  return 0;
}
