// libFuzzer target: the spec parser, [patch] validation, era overrides, the
// model code a spec carries, and a bounded check of whatever scenario parses.
// Bad input must be a spec_error, never a crash, a hang, or an internal error.
#include "lang/spec.hpp"
#include "check/result.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  std::string_view text(reinterpret_cast<char const*>(data), size);
  pgmapcheck::spec s;
  try {
    s = pgmapcheck::parse_spec(text, "fuzz.toml");
  } catch (pgmapcheck::spec_error const&) {
    return 0;
  }
  pgmapcheck::limits lim;
  lim.max_states = 2000;
  try {
    (void)pgmapcheck::run_check(s, lim);
  } catch (pgmapcheck::spec_error const&) {
    return 0;  // model code the spec carries that does not compile: a clear error, exit 2
  }
  // One property at a time, as `diff` checks: the search goes on past
  // violations of the others, into the states after a bug.
  for (std::size_t i = 0; i < pgmapcheck::property_count; ++i) {
    auto only = s;
    only.checked = pgmapcheck::property_set{};
    only.checked.add(static_cast<pgmapcheck::property>(i));
    lim.max_states = 500;
    (void)pgmapcheck::run_check(only, lim);
  }
  lim.max_states = 2000;
  for (auto const& named : pgmapcheck::models::named_kernels) {
    try {
      auto other = pgmapcheck::with_kernel(s, named.kernel);
      (void)pgmapcheck::run_check(other, lim);
    } catch (pgmapcheck::spec_error const&) {
    }
  }
  return 0;
}
