// Bit-packed rows of indices: how a collapsed visited set's table keeps a
// state as one index per part (SPIN's COLLAPSE keeps a state as indices
// into per-part tables, Holzmann, "State Compression in SPIN: Recursive
// Indexing and Compression Training Runs", SPIN Workshop 1997; here each
// index takes only the bits its part's table needs so far).
#pragma once

#include "search/hash_table.hpp"

#include <array>
#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>

namespace pgmapcheck::detail {

// The most parts a state may be cut into.
inline constexpr std::size_t max_parts = 64;

// How a hash_table keeps the rows of a collapsed visited set: a row is one
// index per part, each stored in as many bits as its part's table can hand
// out (the bit width of its slot count less one). A chunk starts with how
// it is laid out:
//
// - open: the rows, and beside them each row's parent key as a whole 8-byte word,
//   which a breadth-first search lowers with a compare-and-swap while the
//   row's level runs;
// - sealed: the rows alone, every one stored and its parent key spent (a
//   breadth-first search keeps a level in the order its parent keys gave, and
//   finds a counterexample's steps again by expanding the level before).
//
// set_widths changes the widths of chunks to come; the table lays a chunk
// out again (plan, recode) where it is open and narrower, before it takes
// rows whose indices would not fit, and seals it once it is full and the
// set allows it.
class packed_rows {
 public:
  using key = std::uint32_t const*;  // one index per part
  static constexpr std::size_t max_fields = max_parts;
  static constexpr bool relaid = true;

  // How a chunk is laid out: its first bytes.
  struct head {
    std::uint32_t stride = 0;  // bytes a row takes
    std::uint32_t fields = 0;  // packed: the parts
    std::uint32_t parts = 0;
    std::uint32_t sealed = 0;
    std::array<std::uint8_t, max_fields + 8> width{};  // a field's bits
  };
  static_assert(sizeof(head) % 8 == 0);
  using layout = head;

  explicit packed_rows(std::size_t parts) {
    now_.parts = now_.fields = static_cast<std::uint32_t>(parts);
  }

  // The widths of chunks laid out from now on: width[k] bits for part k.
  void set_widths(std::array<std::uint8_t, max_parts> const& width) {
    for (std::size_t k = 0; k < now_.parts; ++k) now_.width[k] = width[k];
    now_.stride = stride_of(now_);
  }
  // Lets full chunks seal from now on, their parent keys dropped (every parent key
  // of them spent); without it (seal_none), a chunk stays open.
  void seal_full() { sealing_ = true; }
  void seal_none() { sealing_ = false; }
  // Bytes an open row takes now (its parent key apart).
  std::uint32_t stride() const { return now_.stride; }

  std::size_t chunk_bytes() const { return bytes(now_); }
  std::size_t chunk_bytes(layout const& h) const { return bytes(h); }
  std::size_t chunk_bytes(unsigned char const* chunk) const { return bytes(head_of(chunk)); }
  double record_bytes() const { return now_.stride + static_cast<double>(sizeof(head)) / chunk_records; }
  void init(unsigned char* chunk) const { init(chunk, now_); }
  void init(unsigned char* chunk, layout const& h) const { std::memcpy(chunk, &h, sizeof h); }

  // Returns true iff a chunk so laid out is laid out for good (sealed).
  bool final(layout const& h) const { return h.sealed != 0; }
  bool final(unsigned char const* chunk) const { return head_of(chunk).sealed != 0; }
  // How chunk (holding `count` rows) should be laid out now, if not as it
  // is: sealed if it is full, open, and sealing is allowed; open at the
  // widths of now if it is open at others.
  std::optional<layout> plan(unsigned char const* chunk, std::size_t count) const {
    head const& h = head_of(chunk);
    if (h.sealed) return std::nullopt;
    if (count == chunk_records && sealing_) {
      head c = now_;
      c.sealed = 1;
      return c;
    }
    if (std::memcmp(&h, &now_, sizeof h) != 0) return now_;
    return std::nullopt;
  }
  // Lays the first `count` rows of chunk `from` out again in `to` (laid out
  // as plan said), with their parent keys if both are open.
  void recode(unsigned char const* from, unsigned char* to, std::size_t count) const {
    head const &a = head_of(from), &b = head_of(to);
    std::array<std::uint32_t, max_fields> row;
    if (!a.sealed && !b.sealed) std::memcpy(to + sizeof(head), from + sizeof(head), count * sizeof(std::uint64_t));
    for (std::size_t j = 0; j < count; ++j) {
      unpack(a, row_at(a, from, j), row.data());
      [[maybe_unused]] bool const fits = pack(b, row.data(), row_at(b, to, j));
      assert(fits);
    }
  }

  // Returns false iff the row does not fit the chunk's widths. (The set
  // widens a chunk before its part tables can hand out wider indices, and
  // only a full chunk is sealed; only an insert racing a search that ran out
  // of memory meets this.)
  bool write(unsigned char* chunk, std::size_t j, key row, std::uint64_t extra) const {
    head const& h = head_of(chunk);
    if (h.sealed) return false;
    std::memcpy(chunk + sizeof(head) + j * sizeof(std::uint64_t), &extra, sizeof extra);
    return pack(h, row, row_at(h, chunk, j));
  }
  bool equal(unsigned char const* chunk, std::size_t j, key row) const {
    head const& h = head_of(chunk);
    std::array<unsigned char, max_fields * 4 + 4> packed;
    return pack(h, row, packed.data()) && same_bytes(packed.data(), row_at(h, chunk, j), h.stride);
  }
  // Row j's indices.
  void read(unsigned char const* chunk, std::size_t j, std::uint32_t* row) const {
    head const& h = head_of(chunk);
    unpack(h, row_at(h, chunk, j), row);
  }
  // Row j as bytes (its parent key apart), and how many they are: a chunk's rows
  // are that many bytes apart.
  unsigned char* record(unsigned char* chunk, std::size_t j) const { return row_at(head_of(chunk), chunk, j); }
  std::size_t record_stride(unsigned char const* chunk) const { return head_of(chunk).stride; }
  // Row j's parent key in an open chunk, to write.
  std::uint64_t* extra(unsigned char* chunk, std::size_t j) const {
    assert(!head_of(chunk).sealed);
    return std::launder(reinterpret_cast<std::uint64_t*>(chunk + sizeof(head) + j * sizeof(std::uint64_t)));
  }
  // The hash find_or_insert was given for row j: hash_bytes of its indices
  // as 4-byte integers.
  std::uint64_t hash(unsigned char const* chunk, std::size_t j) const {
    std::array<std::uint32_t, max_fields> row;
    read(chunk, j, row.data());
    return hash_bytes(row.data(), now_.parts * sizeof(std::uint32_t));
  }

  // Packs the fields of row at h's widths into h.stride bytes at out;
  // returns false iff one does not fit its width.
  static bool pack(auto const& h, std::uint32_t const* row, unsigned char* out) {
    std::uint64_t acc = 0;
    unsigned bits = 0;
    for (std::size_t k = 0; k < h.fields; ++k) {
      unsigned const w = h.width[k];
      if (w < 32 && row[k] >> w) return false;
      acc |= std::uint64_t{row[k]} << bits;
      bits += w;
      if (bits >= 32) {
        auto const word = static_cast<std::uint32_t>(acc);
        std::memcpy(out, &word, sizeof word);
        out += sizeof word;
        acc >>= 32;
        bits -= 32;
      }
    }
    for (; bits > 0; bits = bits > 8 ? bits - 8 : 0, acc >>= 8) *out++ = static_cast<unsigned char>(acc);
    return true;
  }
  // Unpacks a row packed at h's widths (reading up to 4 bytes past it).
  static void unpack(auto const& h, unsigned char const* in, std::uint32_t* row) {
    std::uint64_t acc = 0;
    unsigned bits = 0;
    for (std::size_t k = 0; k < h.fields; ++k) {
      unsigned const w = h.width[k];
      if (bits < w) {
        std::uint32_t word;
        std::memcpy(&word, in, sizeof word);
        in += sizeof word;
        acc |= std::uint64_t{word} << bits;
        bits += 32;
      }
      row[k] = static_cast<std::uint32_t>(acc & ((std::uint64_t{1} << w) - 1));
      acc >>= w;
      bits -= w;
    }
  }

 private:
  static std::uint32_t stride_of(head const& h) {
    std::uint32_t bits = 0;
    for (std::size_t k = 0; k < h.fields; ++k) bits += h.width[k];
    return (bits + 7) / 8;
  }
  static head const& head_of(unsigned char const* chunk) { return *std::launder(reinterpret_cast<head const*>(chunk)); }
  static std::size_t parent_keys_bytes(head const& h) { return h.sealed ? 0 : chunk_records * sizeof(std::uint64_t); }
  static std::size_t bytes(head const& h) {
    return sizeof(head) + parent_keys_bytes(h) + chunk_records * h.stride + 4;  // 4: unpack's read past the last
  }
  static unsigned char* row_at(head const& h, unsigned char* chunk, std::size_t j) {
    return chunk + sizeof(head) + parent_keys_bytes(h) + j * h.stride;
  }
  static unsigned char const* row_at(head const& h, unsigned char const* chunk, std::size_t j) {
    return chunk + sizeof(head) + parent_keys_bytes(h) + j * h.stride;
  }

  head now_;
  bool sealing_ = false;
};

}  // namespace pgmapcheck::detail
