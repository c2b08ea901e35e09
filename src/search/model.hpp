// The Model concept the explorer searches, and the safety properties it checks.
#pragma once

#include <array>
#include <concepts>
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>

namespace pgmapcheck {

// The safety properties (docs/kernel-model.md, Properties), in the order a report lists them.
enum class property : std::uint8_t {
  refcount_underflow,
  get_from_zero,
  memunmap_early,
  use_after_free,
  free_while_used,
  dax_truncate_busy,
  deadlock,
  livelock,
  ref_leak,
  kernel_warn,
  kernel_bug,
  lifecycle,
  model_range,
};
inline constexpr std::size_t property_count = 13;

inline constexpr std::array<std::string_view, property_count> property_names{
    "refcount-underflow", "get-from-zero",     "memunmap-early", "use-after-free",
    "free-while-used",    "dax-truncate-busy", "deadlock",       "livelock",       "ref-leak",
    "kernel-warn",        "kernel-bug",        "lifecycle",      "model-range",
};

inline constexpr std::array<std::string_view, property_count> property_meanings{
    "a page refcount or pgmap->ref goes below 0",
    "get_page/pin on a page at refcount 0 (VM_BUG_ON), other than an era's init op",
    "memunmap reaches done while pgmap->ref > 0, or while a page is still mapped, pinned or referenced",
    "a step touches freed struct pages, freed per-CPU counters, a freed pgmap, or a page freed by someone else",
    "a free callback runs on a page another actor still maps or references; or a double free",
    "truncate frees an FS_DAX block while a gup/DMA reference to it is outstanding",
    "some actor sleeps in a kernel wait and no actor can step",
    "some actor can never finish though actors still step: a busy-wait, a retry loop that never succeeds, "
    "actors that keep each other running (the soft lockup's shape); no run from there ends",
    "a final state where refcounts or pgmap->ref are not back at the era's baseline",
    "a WARN_ON / WARN_ON_ONCE / WARN in model code fires (a kernel warning splat)",
    "a BUG_ON / VM_BUG_ON in model code fires, or a lock is released that is not held",
    "a primitive moves a page in a way its pagemap type's lifecycle table has no row for",
    "a value leaves what the model stores (counts and locals -128..127, a thread's references on a page 0..3): "
    "past the model, not a kernel bug",
};

constexpr std::string_view name_of(property p) { return property_names[static_cast<std::size_t>(p)]; }


std::optional<property> parse_property(std::string_view name);

// A set of properties, one bit each.
class property_set {
 public:
  constexpr property_set() = default;
  static constexpr property_set all() { return property_set{(1u << property_count) - 1}; }
  static constexpr property_set from_bits(std::uint16_t bits) { return property_set{bits}; }
  constexpr void add(property p) { bits_ = static_cast<std::uint16_t>(bits_ | bit(p)); }
  constexpr void remove(property p) { bits_ = static_cast<std::uint16_t>(bits_ & ~bit(p)); }
  // Returns true iff p is in the set.
  constexpr bool has(property p) const { return (bits_ & bit(p)) != 0; }
  // Returns true iff the set is empty.
  constexpr bool empty() const { return bits_ == 0; }
  constexpr property_set operator&(property_set o) const { return property_set{static_cast<std::uint16_t>(bits_ & o.bits_)}; }
  constexpr bool operator==(property_set const&) const = default;
  // The first property of the set in report order, model-range ahead of
  // all (whatever else the step violates was computed past the model's
  // range); the set must not be empty.
  constexpr property first() const {
    if (has(property::model_range)) return property::model_range;
    for (std::size_t i = 0; i < property_count; ++i)
      if (bits_ & (1u << i)) return static_cast<property>(i);
    return property::refcount_underflow;
  }
  constexpr std::uint16_t bits() const { return bits_; }

 private:
  constexpr explicit property_set(std::uint16_t b) : bits_(b) {}
  static constexpr std::uint16_t bit(property p) { return static_cast<std::uint16_t>(1u << static_cast<unsigned>(p)); }
  std::uint16_t bits_ = 0;
};

// A model may also say which properties a state violates when no run from it
// ever ends (every path from it goes round for ever): check_stuck(state).
// The explorer asks it of the first such state once a search has stored
// every state (detail::find_stuck).
template <class M>
concept stuck_model = requires(M const& m, typename M::state const& s) {
  { m.check_stuck(s) } -> std::same_as<property_set>;
};

// A model is what the explorer searches (after Storm's NextStateGenerator and
// LTSmin's PINS): a fixed-size, trivially copyable state hashed as bytes; steps
// that say which properties they violate; and a check on states with no
// successor (deadlock, ref-leak).
template <class M>
concept model = std::is_trivially_copyable_v<typename M::state> &&
                std::has_unique_object_representations_v<typename M::state> &&
                std::is_trivially_copyable_v<typename M::step> &&
                requires(M const& m, typename M::state const& s, typename M::step const& st) {
                  { m.initial() } -> std::same_as<typename M::state>;
                  m.for_each_successor(s, [](typename M::step const&, typename M::state const&) {});
                  { m.check(st) } -> std::same_as<property_set>;
                  { m.check_terminal(s) } -> std::same_as<property_set>;
                };

}  // namespace pgmapcheck
