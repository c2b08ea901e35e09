// The era values against docs/kernel-model.md's era table, and the knob registry.
#include "lang/kernels.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace pgmapcheck::models;
using enum pagemap;

TEST_CASE("kernels: refcount of a free page, per era and type", "[kernels]") {
  for (auto t : all_types) {
    CHECK(preset(kernels::v5_10, t).free_refcount == 1);
    CHECK(preset(kernels::rfc_v3, t).free_refcount == 0);
    CHECK(preset(kernels::v5_18, t).free_refcount == 1);
  }
  CHECK(preset(kernels::v6_1, device_private).free_refcount == 0);
  CHECK(preset(kernels::v6_1, device_coherent).free_refcount == 0);
  CHECK(preset(kernels::v6_1, fs_dax).free_refcount == 1);
  CHECK(preset(kernels::v6_1, p2pdma).free_refcount == 1);
  CHECK(preset(kernels::v6_15, generic).free_refcount == 1);
  for (auto t : {device_private, device_coherent, fs_dax, p2pdma}) CHECK(preset(kernels::v6_15, t).free_refcount == 0);
}

TEST_CASE("kernels: memremap's refs and the ref-leak baseline, per era and type", "[kernels]") {
  CHECK(preset(kernels::v6_1, device_private).memremap_pgmap_refs == 0);
  CHECK(preset(kernels::v6_1, generic).memremap_pgmap_refs == 1);
  CHECK(preset(kernels::v5_10, p2pdma).memremap_pgmap_refs == 1);
  // A driver's page rests at 2 in v5.10 (get_page on allocation), at 1 after.
  CHECK(preset(kernels::v5_10, device_private).mapped_refcount == 2);
  CHECK(preset(kernels::rfc_v3, device_private).mapped_refcount == 1);
  CHECK(preset(kernels::v5_18, device_private).mapped_refcount == 1);
  CHECK(preset(kernels::v6_1, device_private).mapped_refcount == 1);
  // FS_DAX and device-dax mappings take a reference only from v6.15.
  CHECK(preset(kernels::rfc_v3, fs_dax).mapped_refcount == 0);
  CHECK(preset(kernels::v6_1, fs_dax).mapped_refcount == 1);
  CHECK(preset(kernels::v6_15, fs_dax).mapped_refcount == 1);
  CHECK(preset(kernels::v6_15, generic).mapped_refcount == 2);
  // zone_device_page_init (v6.1) and the P2PDMA mmap path (v6.2) hold pgmap refs.
  CHECK(preset(kernels::v5_18, device_private).allocated_pgmap_ref == 0);
  CHECK(preset(kernels::v6_1, device_coherent).allocated_pgmap_ref == 1);
  CHECK(preset(kernels::v6_1, p2pdma).mapped_pgmap_ref == 0);
  CHECK(preset(kernels::v6_15, p2pdma).mapped_pgmap_ref == 1);
  for (auto t : all_types)
    for (auto e : {kernels::v5_10, kernels::rfc_v3, kernels::v5_18, kernels::v6_1, kernels::v6_15, kernels::v7_0}) CHECK(preset(e, t).cached_refcount == 0);
}

TEST_CASE("kernels: device_coherent is modelled from v6.1; v6.0 had it and says so", "[kernels]") {
  CHECK_FALSE(exists_in(device_coherent, kernels::v5_10));
  CHECK_FALSE(exists_in(device_coherent, kernels::v5_18));
  CHECK(type_refusal(device_coherent, *parse_kernel("v5.19")).find("came in v6.0") != std::string_view::npos);
  CHECK(type_refusal(device_coherent, *parse_kernel("v6.0")).find("from v6.1") != std::string_view::npos);
  CHECK(exists_in(device_coherent, kernels::v6_1));
  CHECK(exists_in(p2pdma, kernels::v5_10));
}

TEST_CASE("kernels: any release from v5.0 to v7.0 resolves, and nothing else", "[kernels]") {
  for (int major : {5, 6})
    for (int minor = 0; minor <= 19; ++minor) {
      std::string const name = "v" + std::to_string(major) + "." + std::to_string(minor);
      auto const k = parse_kernel(name);
      REQUIRE(k);
      CHECK(k->release == kernel_release(major, minor));
      CHECK(name_of(*k) == name);
    }
  CHECK(parse_kernel("v7.0") == kernels::v7_0);
  CHECK(parse_kernel("rfc-v3") == kernels::rfc_v3);
  CHECK(name_of(kernels::rfc_v3) == "rfc-v3");
  for (auto bad : {"v4.19", "v5.20", "v6.20", "v7.1", "v05.10", "v5.010", "5.10", "v5.", "v5.1x", "v5.10.7", "v", ""})
    CHECK_FALSE(parse_kernel(bad));
}

TEST_CASE("kernels: a release between the named ones takes the values of its boundaries", "[kernels]") {
  auto const at = [](char const* k, pagemap t) { return preset(*parse_kernel(k), t); };
  // Before 27674ef6c73f (v5.18): v5.10's values, back to v5.0.
  for (auto k : {"v5.0", "v5.3", "v5.17"})
    for (auto t : all_types) CHECK(at(k, t) == preset(kernels::v5_10, t));
  for (auto t : all_types) {
    CHECK(at("v5.19", t) == preset(kernels::v5_18, t));
    CHECK(at("v6.0", t) == preset(kernels::v5_18, t));
  }
  // 7e9c7ef83d78 (v6.2): a page p2pmem_alloc_mmap maps holds a pgmap reference.
  CHECK(at("v6.1", p2pdma).mapped_pgmap_ref == 0);
  CHECK(at("v6.2", p2pdma).mapped_pgmap_ref == 1);
  CHECK(at("v6.14", p2pdma).free_refcount == 1);
  CHECK(at("v6.15", p2pdma).free_refcount == 0);
  for (auto t : {device_private, fs_dax, generic}) CHECK(at("v6.14", t) == preset(kernels::v6_1, t));
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
    CHECK(preset(kernels::v7_0, t) == preset(kernels::v6_15, t));
    CHECK(exists_in(t, kernels::v7_0));
  }
  CHECK(newest_kernel == kernels::v7_0);
}
