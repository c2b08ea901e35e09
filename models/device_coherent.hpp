// The MEMORY_DEVICE_COHERENT page lifecycle (v6.1+): the device-private
// lifecycle, driver allocation through zone_device_page_init and page_free +
// put_dev_pagemap at 0 (mm/memremap.c:free_zone_device_page, v6.1), with
// ordinary CPU-addressable mappings (no migrate_to_ram).
#pragma once

#include "models/device_private.hpp"

namespace pgmapcheck::models::device_coherent {

// The device-private table: the same moves, by the same primitives.
inline constexpr auto const& table = device_private::table;

}  // namespace pgmapcheck::models::device_coherent
