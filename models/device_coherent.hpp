// The MEMORY_DEVICE_COHERENT page lifecycle (v6.1+): the device-private
// lifecycle, driver allocation through zone_device_page_init and page_free +
// put_dev_pagemap at 0 (mm/memremap.c:free_zone_device_page, v6.1), with
// ordinary CPU-addressable mappings (no migrate_to_ram).
#pragma once

#include "models/device_private.hpp"

namespace pgmapcheck::models::device_coherent {

inline constexpr auto const& table = device_private::table;

static_assert(machine::validate_unique(machine::describe(table)), "device_coherent: duplicate (src, event, guard) row");
static_assert(machine::validate_reachable(machine::describe(table)), "device_coherent: a state is unreachable from free");
static_assert(machine::validate_allowed(machine::describe(table)), "device_coherent: a forbidden edge or event");

// Its monitor is the device-private one: the same moves, by the same primitives.
inline constexpr auto const& monitor = device_private::monitor;

}  // namespace pgmapcheck::models::device_coherent
