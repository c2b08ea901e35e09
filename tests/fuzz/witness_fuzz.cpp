// libFuzzer target: witness conditions (check --witness, a spec's [witness]),
// parsed, bound to a scenario and searched for. Bad input must be a
// witness_error or a spec_error, never a crash, a hang or an internal error.
#include "lang/witness.hpp"
#include "lang/spec.hpp"
#include "check/result.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  // Two threads and two pages: every atom has something to name.
  static pgmapcheck::spec const s = pgmapcheck::parse_spec(
      "title = \"fuzz\"\nkernel = \"v5.10\"\npagemap = \"p2pdma\"\npages = 2\n[actors]\np2p_alloc = 1\nmemunmap = 1\n",
      "witness-fuzz.toml");
  std::string const condition(reinterpret_cast<char const*>(data), size);
  pgmapcheck::limits lim;
  lim.max_states = 2000;
  try {
    (void)pgmapcheck::run_witness(s, condition, lim);
  } catch (pgmapcheck::lang::witness_error const&) {
  } catch (pgmapcheck::spec_error const&) {
  }
  return 0;
}
