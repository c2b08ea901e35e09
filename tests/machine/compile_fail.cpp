// Compile-fail cases for the DSL's static checks: exactly one PGMAPCHECK_CASE_*
// is defined; every case but CONTROL must be rejected by a static_assert.
#include "machine/machine.hpp"

namespace cf {
enum class st : unsigned char { free, cache, pinned };
struct alloc {
  static constexpr std::string_view name = "alloc";
};
struct release {
  static constexpr std::string_view name = "release";
};
struct pin {
  static constexpr std::string_view name = "pin";
};
struct unpin {
  static constexpr std::string_view name = "unpin";
};
}  // namespace cf

template <>
struct pgmapcheck::machine::state_traits<cf::st> {
  static constexpr std::array<std::string_view, 3> names{"free", "cache", "pinned"};
  static constexpr cf::st initial = cf::st::free;
  static constexpr std::array<std::pair<cf::st, cf::st>, 1> forbidden_edges{{{cf::st::free, cf::st::pinned}}};
  static constexpr std::array<std::pair<cf::st, std::string_view>, 1> forbidden_events{{{cf::st::free, "release"}}};
};

namespace cf {
using pgmapcheck::machine::event;
using enum st;

// clang-format off
constexpr auto table = pgmapcheck::machine::make_table(
  free   + event<alloc>   = cache,
  cache  + event<release> = free,
#if !defined(PGMAPCHECK_CASE_UNREACHABLE)
  cache  + event<pin>     = pinned,
#endif
#if defined(PGMAPCHECK_CASE_DUPLICATE)
  cache  + event<pin>     = cache,
#endif
#if defined(PGMAPCHECK_CASE_FORBIDDEN_EDGE)
  free   + event<pin>     = pinned,
#endif
#if defined(PGMAPCHECK_CASE_DOUBLE_FREE)
  free   + event<release> = free,
#endif
  pinned + event<unpin>   = cache
);
// clang-format on

static_assert(pgmapcheck::machine::validate_unique(pgmapcheck::machine::describe(table)), "duplicate row");
static_assert(pgmapcheck::machine::validate_reachable(pgmapcheck::machine::describe(table)), "unreachable state");
static_assert(pgmapcheck::machine::validate_allowed(pgmapcheck::machine::describe(table)), "forbidden row");
}  // namespace cf
