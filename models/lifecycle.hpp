// The page lifecycle every pagemap type's table is written over: the states
// (a) free, (b) cache, (c) pinned, the events the kernel's page operations
// fire on them, and the guards a monitor table reads (docs/kernel-model.md,
// Objects; docs/language.md, Lifecycle monitors).
#pragma once

#include "machine/machine.hpp"

#include <array>
#include <cstdint>
#include <string_view>
#include <utility>

namespace pgmapcheck::models {

// A page's lifecycle: (a) free, (b) cache, (c) pinned (docs/kernel-model.md, Objects).
enum class page_state : std::uint8_t { free, cache, pinned };

// The events a page lifecycle machine takes (each an empty struct).
namespace events {
struct alloc {
  static constexpr std::uint8_t id = 0;  // the allocator hands the page out
  static constexpr std::string_view name = "alloc";
};
struct release {
  static constexpr std::uint8_t id = 1;  // the page goes back to its allocator (page_free, gen_pool_free, the block freed)
  static constexpr std::string_view name = "release";
};
struct map {
  static constexpr std::uint8_t id = 2;  // a process PTE comes to map it
  static constexpr std::string_view name = "map";
};
struct unmap {
  static constexpr std::uint8_t id = 3;  // that PTE goes
  static constexpr std::string_view name = "unmap";
};
struct get_page {
  static constexpr std::uint8_t id = 4;  // a thread takes a reference it will put
  static constexpr std::string_view name = "get_page";
};
struct put_page {
  static constexpr std::uint8_t id = 5;  // a holder drops the reference it took
  static constexpr std::string_view name = "put_page";
};
struct put_base {
  static constexpr std::uint8_t id = 6;  // a put that drops no holder's reference: memunmap's loop, a stray put
  static constexpr std::string_view name = "put_page(base)";
};
}  // namespace events
inline constexpr std::array<std::string_view, 7> event_names{"alloc",    "release",  "map",           "unmap",
                                                            "get_page", "put_page", "put_page(base)"};

// What a monitor's guards see of a page, just before the event: the
// lifecycle's own facts, never the kernel counters model code changes.
struct page_view {
  int pins = 0;         // references threads hold on it
  bool mapped = false;  // a process PTE maps it
};

namespace monitor_rows {
// Returns true iff a thread other than the putting one still holds the page.
inline constexpr auto held_by_others = machine::guard("held_by_others", [](page_view const& v) { return v.pins > 1; });
}  // namespace monitor_rows

}  // namespace pgmapcheck::models

template <>
struct pgmapcheck::machine::state_traits<pgmapcheck::models::page_state> {
  using S = pgmapcheck::models::page_state;
  static constexpr std::array<std::string_view, 3> names{"free", "cache", "pinned"};
  static constexpr S initial = S::free;
  // A free page cannot be pinned: gup needs a mapping, get_page an owner.
  static constexpr std::array<std::pair<S, S>, 1> forbidden_edges{{{S::free, S::pinned}}};
  // A free callback with no preceding alloc is a double free.
  static constexpr std::array<std::pair<S, std::string_view>, 1> forbidden_events{{{S::free, "release"}}};
};
