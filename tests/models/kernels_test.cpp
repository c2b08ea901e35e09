// The era presets against docs/kernel-model.md's era table, and the knob registry.
#include "models/kernels.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace pgmapcheck::models;
using enum pagemap;

TEST_CASE("kernels: refcount of a free page, per era and type", "[kernels]") {
  for (auto t : all_types) {
    CHECK(preset(era::v5_10, t).free_refcount == 1);
    CHECK(preset(era::rfc_v3, t).free_refcount == 0);
    CHECK(preset(era::v5_18, t).free_refcount == 1);
  }
  CHECK(preset(era::v6_1, device_private).free_refcount == 0);
  CHECK(preset(era::v6_1, device_coherent).free_refcount == 0);
  CHECK(preset(era::v6_1, fs_dax).free_refcount == 1);
  CHECK(preset(era::v6_1, p2pdma).free_refcount == 1);
  CHECK(preset(era::v6_15, generic).free_refcount == 1);
  for (auto t : {device_private, device_coherent, fs_dax, p2pdma}) CHECK(preset(era::v6_15, t).free_refcount == 0);
}

TEST_CASE("kernels: memremap refs and memunmap's drop", "[kernels]") {
  CHECK(preset(era::v5_10, p2pdma).memunmap_drop == static_cast<std::int8_t>(memunmap_drop::put_page));
  CHECK(preset(era::rfc_v3, p2pdma).memunmap_drop == static_cast<std::int8_t>(memunmap_drop::put_many));
  CHECK(preset(era::v5_18, fs_dax).memunmap_drop == static_cast<std::int8_t>(memunmap_drop::put_many));
  CHECK(preset(era::v6_1, device_private).memunmap_drop == static_cast<std::int8_t>(memunmap_drop::none));
  CHECK(preset(era::v6_1, device_private).memremap_pgmap_refs == 0);
  CHECK(preset(era::v6_1, generic).memremap_pgmap_refs == 1);
}

TEST_CASE("kernels: what a put to 0 does", "[kernels]") {
  for (auto t : all_types) {
    CHECK(preset(era::v5_10, t).zero_put_drops_pgmap == 1);
    CHECK(preset(era::rfc_v3, t).zero_put_drops_pgmap == 0);
  }
  CHECK(preset(era::v6_1, device_private).zero_put_drops_pgmap == 1);
  CHECK(preset(era::v6_1, generic).zero_put_drops_pgmap == 0);
  CHECK(preset(era::v6_1, device_coherent).zero_put_drops_pgmap == 1);  // mm/memremap.c:free_zone_device_page, 6.1
  for (auto t : all_types) {  // only v5.18's device-private pages are reset after page_free
    CHECK(preset(era::v6_1, t).reset_after_free == 0);
    CHECK(preset(era::v6_15, t).reset_after_free == 0);
  }
  CHECK(preset(era::v6_15, p2pdma).zero_put_frees == 1);
  CHECK(preset(era::v5_18, device_private).reset_after_free == 1);
}

TEST_CASE("kernels: fs-dax, cpu fault and memunmap order by era", "[kernels]") {
  CHECK(preset(era::v5_10, fs_dax).fs_dax_idle == 1);
  CHECK(preset(era::rfc_v3, fs_dax).fs_dax_idle == 0);
  CHECK(preset(era::v6_15, fs_dax).fs_dax_idle == 0);
  CHECK(preset(era::v6_15, fs_dax).fs_dax_map_ref == 1);
  CHECK(preset(era::v6_1, fs_dax).fs_dax_map_ref == 0);
  CHECK(preset(era::v6_15, fs_dax).truncate_skips_unmapped == 0);
  CHECK(preset(era::v6_1, fs_dax).truncate_skips_unmapped == 1);
  CHECK(preset(era::v5_18, device_private).cpu_fault_page_ref == 0);
  CHECK(preset(era::v6_1, device_private).cpu_fault_page_ref == 1);
  CHECK(preset(era::v5_18, p2pdma).exit_before_unpublish == 1);
  CHECK(preset(era::v6_1, p2pdma).exit_before_unpublish == 0);
}

TEST_CASE("kernels: device_coherent exists from v6.1", "[kernels]") {
  CHECK_FALSE(exists_in(device_coherent, era::v5_10));
  CHECK_FALSE(exists_in(device_coherent, era::v5_18));
  CHECK(exists_in(device_coherent, era::v6_1));
  CHECK(exists_in(p2pdma, era::v5_10));
}

TEST_CASE("kernels: every rules field is exactly one named, sourced knob", "[kernels]") {
  std::set<std::string_view> names;
  std::set<std::size_t> fields;  // each field's offset, through a rules value
  rules probe{};
  for (auto const& k : knobs) {
    CHECK(!k.meaning.empty());
    CHECK(!k.source.empty());
    CHECK(k.concerns_count >= 1);
    names.insert(k.name);
    fields.insert(static_cast<std::size_t>(reinterpret_cast<char const*>(&(probe.*(k.field))) -
                                           reinterpret_cast<char const*>(&probe)));
    CHECK(find_knob(k.name) == &k);
  }
  CHECK(names.size() == knobs.size());
  CHECK(fields.size() == knobs.size());
  CHECK(sizeof(rules) == knobs.size());  // rules holds nothing but knobs
  CHECK(find_knob("no_such_knob") == nullptr);
}
