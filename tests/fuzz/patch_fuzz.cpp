// libFuzzer target: patch files (diff --patch, a spec's patches = [...]):
// parsed, stacked on a scenario and checked. Bad input must be a
// spec_error, never a crash, a hang, an internal error or a patch half
// applied.
#include "lang/spec.hpp"
#include "check/result.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  static pgmapcheck::spec const s = pgmapcheck::parse_spec(
      "title = \"fuzz\"\nkernel = \"v6.15\"\npagemap = \"p2pdma\"\npages = 1\nfailures = 1\n[actors]\np2p_mmap = 1\n"
      "memunmap = 1\n",
      "patch-fuzz.toml");
  std::string_view const text(reinterpret_cast<char const*>(data), size);
  pgmapcheck::limits lim;
  lim.max_states = 2000;
  try {
    auto const patch = pgmapcheck::parse_patch_file(text, "fuzz-patch.toml");
    auto const patched = pgmapcheck::with_patch(s, patch);
    (void)pgmapcheck::run_check(patched, lim);
  } catch (pgmapcheck::spec_error const&) {
  }
  return 0;
}
