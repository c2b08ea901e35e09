// The era values against docs/kernel-model.md's era table, and the knob registry.
#include "lang/kernels.hpp"

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

TEST_CASE("kernels: memremap's refs and the ref-leak baseline, per era and type", "[kernels]") {
  CHECK(preset(era::v6_1, device_private).memremap_pgmap_refs == 0);
  CHECK(preset(era::v6_1, generic).memremap_pgmap_refs == 1);
  CHECK(preset(era::v5_10, p2pdma).memremap_pgmap_refs == 1);
  // A driver's page rests at 2 in v5.10 (get_page on allocation), at 1 after.
  CHECK(preset(era::v5_10, device_private).mapped_refcount == 2);
  CHECK(preset(era::rfc_v3, device_private).mapped_refcount == 1);
  CHECK(preset(era::v5_18, device_private).mapped_refcount == 1);
  CHECK(preset(era::v6_1, device_private).mapped_refcount == 1);
  // FS_DAX and device-dax mappings take a reference only from v6.15.
  CHECK(preset(era::rfc_v3, fs_dax).mapped_refcount == 0);
  CHECK(preset(era::v6_1, fs_dax).mapped_refcount == 1);
  CHECK(preset(era::v6_15, fs_dax).mapped_refcount == 1);
  CHECK(preset(era::v6_15, generic).mapped_refcount == 2);
  // zone_device_page_init (v6.1) and the P2PDMA mmap path (v6.2) hold pgmap refs.
  CHECK(preset(era::v5_18, device_private).allocated_pgmap_ref == 0);
  CHECK(preset(era::v6_1, device_coherent).allocated_pgmap_ref == 1);
  CHECK(preset(era::v6_1, p2pdma).mapped_pgmap_ref == 0);
  CHECK(preset(era::v6_15, p2pdma).mapped_pgmap_ref == 1);
  for (auto t : all_types)
    for (auto e : {era::v5_10, era::rfc_v3, era::v5_18, era::v6_1, era::v6_15, era::v7_0}) CHECK(preset(e, t).cached_refcount == 0);
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

TEST_CASE("kernels: v7.0 changes code only, no era value", "[kernels]") {
  // The three P2PDMA fixes v7.0 brings are model code (p2pmem_alloc_mmap);
  // every value of the era table is v6.15's.
  for (auto t : all_types) {
    CHECK(preset(era::v7_0, t) == preset(era::v6_15, t));
    CHECK(exists_in(t, era::v7_0));
  }
  CHECK(newest_era == era::v7_0);
}
