// The visited set: hash tables of fixed-length byte strings that a search's
// threads fill together, and the set of states built on them.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cassert>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <sys/mman.h>
#include <optional>
#include <span>
#include <thread>
#include <utility>
#include <vector>

namespace pgmapcheck::detail {

inline std::uint64_t hash_bytes(void const* data, std::size_t n) {
  auto const* p = static_cast<unsigned char const*>(data);
  std::uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
  while (n >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ (w * 0xff51afd7ed558ccdull)) * 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 29;
    p += 8;
    n -= 8;
  }
  std::uint64_t w = 0;
  std::memcpy(&w, p, n);
  h = (h ^ (w * 0xff51afd7ed558ccdull)) * 0xc4ceb9fe1a85ec53ull;
  return h ^ (h >> 32);
}

// Returns true iff the n bytes at a and b are the same: inline, eight at a
// time (states and their parts are a few dozen bytes; a call to memcmp per
// comparison cost more than the comparing).
inline bool same_bytes(unsigned char const* a, unsigned char const* b, std::size_t n) {
  std::uint64_t x, y;
  if (n < 8) {
    for (std::size_t i = 0; i < n; ++i)
      if (a[i] != b[i]) return false;
    return true;
  }
  for (std::size_t i = 0; i + 8 <= n; i += 8) {
    std::memcpy(&x, a + i, 8);
    std::memcpy(&y, b + i, 8);
    if (x != y) return false;
  }
  std::memcpy(&x, a + n - 8, 8);  // the last eight, overlapping what was compared
  std::memcpy(&y, b + n - 8, 8);
  return x == y;
}

// The memory a search's tables hold, shared by all of them: every allocation
// is taken from it first and refused past the limit (0: none).
class memory_account {
 public:
  explicit memory_account(std::uint64_t limit) : limit_(limit) {}
  // Returns true iff n more bytes fit; then they are counted as held.
  bool take(std::uint64_t n) {
    std::uint64_t const now = held_.fetch_add(n, std::memory_order_relaxed) + n;
    if (limit_ && now > limit_) {
      held_.fetch_sub(n, std::memory_order_relaxed);
      return false;
    }
    std::uint64_t p = peak_.load(std::memory_order_relaxed);
    while (p < now && !peak_.compare_exchange_weak(p, now, std::memory_order_relaxed)) {
    }
    return true;
  }
  void give(std::uint64_t n) { held_.fetch_sub(n, std::memory_order_relaxed); }
  std::uint64_t held() const { return held_.load(std::memory_order_relaxed); }
  // Bytes that still fit under the limit (all there are, with none).
  std::uint64_t left() const { return limit_ ? limit_ - std::min(limit_, held()) : ~std::uint64_t{0} / 2; }
  std::uint64_t peak() const { return peak_.load(std::memory_order_relaxed); }

 private:
  std::uint64_t limit_;
  std::atomic<std::uint64_t> held_{0};
  std::atomic<std::uint64_t> peak_{0};
};

// An array a search holds beside its tables for a while (a level's order),
// counted in their memory account in whole pages and mapped on its own, so
// that its pages go back to the system as soon as it goes. Zeroed.
template <class T>
class counted_array {
 public:
  counted_array() = default;
  // n values; none (false) when the limit (or the system) refuses them.
  counted_array(memory_account& memory, std::size_t n) {
    std::size_t const bytes = held(n);
    if (bytes == 0 || !memory.take(bytes)) return;
    void* const p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      memory.give(bytes);
      return;
    }
    memory_ = &memory;
    data_ = static_cast<T*>(p);
    size_ = n;
  }
  counted_array(counted_array&& o) noexcept
      : memory_(std::exchange(o.memory_, nullptr)), data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  counted_array& operator=(counted_array&& o) noexcept {
    std::swap(memory_, o.memory_);
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    return *this;
  }
  ~counted_array() {
    if (!data_) return;
    ::munmap(data_, held(size_));
    memory_->give(held(size_));
  }

  explicit operator bool() const { return data_ != nullptr; }
  std::size_t size() const { return size_; }
  T* begin() { return data_; }
  T* end() { return data_ + size_; }
  T& operator[](std::size_t i) { return data_[i]; }
  std::span<T const> all() const { return {data_, size_}; }

 private:
  static std::size_t held(std::size_t n) { return (n * sizeof(T) + 4095) / 4096 * 4096; }
  memory_account* memory_ = nullptr;
  T* data_ = nullptr;
  std::size_t size_ = 0;
};

enum class insert_status : std::uint8_t { old, fresh, full, no_memory };

struct inserted {
  std::uint32_t index = 0;
  insert_status status = insert_status::old;
};

// Records are kept in chunks of this many, allocated as they fill.
inline constexpr std::size_t chunk_records = 4096;
// The most parts a state may be cut into.
inline constexpr std::size_t max_parts = 64;

// How a hash_table keeps its records: byte strings of one length, each
// with 8 bytes of its own beside it if asked for (`extra`), one after the
// other in a chunk.
class fixed_records {
 public:
  using key = unsigned char const*;
  static constexpr bool relaid = false;  // a chunk is laid out once

  fixed_records(std::size_t length, bool extra)
      : length_(length), extra_at_(extra ? (length + 7) / 8 * 8 : length), stride_(extra ? extra_at_ + 8 : length) {}

  std::size_t chunk_bytes() const { return chunk_records * stride_; }
  std::size_t chunk_bytes(unsigned char const*) const { return chunk_bytes(); }
  double record_bytes() const { return static_cast<double>(stride_); }
  void init(unsigned char*) const {}
  // How a chunk should be laid out now, if not as it is: as it is (one
  // length is all there is).
  struct layout {};
  std::optional<layout> plan(unsigned char const*, std::size_t) const { return std::nullopt; }
  // Returns true iff a chunk so laid out is laid out for good.
  bool final(layout) const { return false; }
  bool final(unsigned char const*) const { return false; }
  std::size_t chunk_bytes(layout) const { return chunk_bytes(); }
  void init(unsigned char*, layout) const {}
  void recode(unsigned char const*, unsigned char*, std::size_t) const {}

  bool write(unsigned char* chunk, std::size_t j, key s, std::uint64_t extra) const {
    unsigned char* r = chunk + j * stride_;
    std::memcpy(r, s, length_);
    if (stride_ != length_) std::memcpy(r + extra_at_, &extra, sizeof extra);
    return true;
  }
  // Returns true iff record j of the chunk is s.
  bool equal(unsigned char const* chunk, std::size_t j, key s) const {
    return same_bytes(chunk + j * stride_, s, length_);
  }
  unsigned char const* bytes(unsigned char const* chunk, std::size_t j) const { return chunk + j * stride_; }
  // The hash find_or_insert was given for record j (hash_bytes of it).
  std::uint64_t hash(unsigned char const* chunk, std::size_t j) const { return hash_bytes(chunk + j * stride_, length_); }
  std::uint64_t* extra(unsigned char* chunk, std::size_t j) const {
    return std::launder(reinterpret_cast<std::uint64_t*>(chunk + j * stride_ + extra_at_));
  }
  // Record j as bytes (its extra with it), and how many they are.
  unsigned char* record(unsigned char* chunk, std::size_t j) const { return chunk + j * stride_; }
  std::size_t record_stride(unsigned char const*) const { return stride_; }

 private:
  std::size_t length_;
  std::size_t extra_at_;
  std::size_t stride_;
};

// How a hash_table keeps the rows of a collapsed visited set: a row is one
// index per part, each stored in as many bits as its part's table can hand
// out (the bit width of its slot count less one). A chunk starts with how
// it is laid out:
//
// - open: the rows, and beside them each row's link as a whole 8-byte word,
//   which a breadth-first search lowers with a compare-and-swap while the
//   row's level runs;
// - closed: the rows alone, every one stored and its link spent (a
//   breadth-first search keeps a level in the order its links gave, and
//   finds a counterexample's steps again by expanding the level before).
//
// set_widths changes the widths of chunks to come; the table lays a chunk
// out again (plan, recode) where it is open and narrower, before it takes
// rows whose indices would not fit, and closes it once it is full and the
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
    std::uint32_t closed = 0;
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
  // Lets full chunks close from now on, their links dropped (every link
  // of them spent); without it (close_none), a chunk stays open.
  void close_full() { closing_ = true; }
  void close_none() { closing_ = false; }
  // Bytes an open row takes now (its link apart).
  std::uint32_t stride() const { return now_.stride; }

  std::size_t chunk_bytes() const { return bytes(now_); }
  std::size_t chunk_bytes(layout const& h) const { return bytes(h); }
  std::size_t chunk_bytes(unsigned char const* chunk) const { return bytes(head_of(chunk)); }
  double record_bytes() const { return now_.stride + static_cast<double>(sizeof(head)) / chunk_records; }
  void init(unsigned char* chunk) const { init(chunk, now_); }
  void init(unsigned char* chunk, layout const& h) const { std::memcpy(chunk, &h, sizeof h); }

  // Returns true iff a chunk so laid out is laid out for good (closed).
  bool final(layout const& h) const { return h.closed != 0; }
  bool final(unsigned char const* chunk) const { return head_of(chunk).closed != 0; }
  // How chunk (holding `count` rows) should be laid out now, if not as it
  // is: closed if it is full, open, and closing is allowed; open at the
  // widths of now if it is open at others.
  std::optional<layout> plan(unsigned char const* chunk, std::size_t count) const {
    head const& h = head_of(chunk);
    if (h.closed) return std::nullopt;
    if (count == chunk_records && closing_) {
      head c = now_;
      c.closed = 1;
      return c;
    }
    if (std::memcmp(&h, &now_, sizeof h) != 0) return now_;
    return std::nullopt;
  }
  // Lays the first `count` rows of chunk `from` out again in `to` (laid out
  // as plan said), with their links if both are open.
  void recode(unsigned char const* from, unsigned char* to, std::size_t count) const {
    head const &a = head_of(from), &b = head_of(to);
    std::array<std::uint32_t, max_fields> row;
    if (!a.closed && !b.closed) std::memcpy(to + sizeof(head), from + sizeof(head), count * sizeof(std::uint64_t));
    for (std::size_t j = 0; j < count; ++j) {
      unpack(a, row_at(a, from, j), row.data());
      [[maybe_unused]] bool const fits = pack(b, row.data(), row_at(b, to, j));
      assert(fits);
    }
  }

  // Returns false iff the row does not fit the chunk's widths. (The set
  // widens a chunk before its part tables can hand out wider indices, and
  // only a full chunk is closed; only an insert racing a search that ran out
  // of memory meets this.)
  bool write(unsigned char* chunk, std::size_t j, key row, std::uint64_t extra) const {
    head const& h = head_of(chunk);
    if (h.closed) return false;
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
  // Row j as bytes (its link apart), and how many they are: a chunk's rows
  // are that many bytes apart.
  unsigned char* record(unsigned char* chunk, std::size_t j) const { return row_at(head_of(chunk), chunk, j); }
  std::size_t record_stride(unsigned char const* chunk) const { return head_of(chunk).stride; }
  // Row j's link in an open chunk, to write.
  std::uint64_t* extra(unsigned char* chunk, std::size_t j) const {
    assert(!head_of(chunk).closed);
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
  static std::size_t links_bytes(head const& h) { return h.closed ? 0 : chunk_records * sizeof(std::uint64_t); }
  static std::size_t bytes(head const& h) {
    return sizeof(head) + links_bytes(h) + chunk_records * h.stride + 4;  // 4: unpack's read past the last
  }
  static unsigned char* row_at(head const& h, unsigned char* chunk, std::size_t j) {
    return chunk + sizeof(head) + links_bytes(h) + j * h.stride;
  }
  static unsigned char const* row_at(head const& h, unsigned char const* chunk, std::size_t j) {
    return chunk + sizeof(head) + links_bytes(h) + j * h.stride;
  }

  head now_;
  bool closing_ = false;
};

// Memory for chunks laid out for good, which live as long as their table:
// carved in order from blocks, so that the chunks laid out, freed and
// allocated again before them (open row chunks) find their own holes in
// the heap again, not holes split by these. A block is counted whole in the
// memory account when it is taken (a sixteenth of what the blocks hold so
// far, from 256 KiB to 8 MiB), and given back with the arena.
class chunk_arena {
 public:
  explicit chunk_arena(memory_account& memory) : memory_(&memory) {}
  chunk_arena(chunk_arena&& o) noexcept
      : memory_(o.memory_), blocks_(std::move(o.blocks_)), used_(o.used_), block_bytes_(o.block_bytes_),
        held_(o.held_) {
    o.held_ = 0;
  }
  chunk_arena(chunk_arena const&) = delete;
  chunk_arena& operator=(chunk_arena const&) = delete;
  ~chunk_arena() { memory_->give(held_); }

  // Returns `bytes` of memory, or null when the memory limit refuses a block.
  unsigned char* take(std::size_t bytes) {
    bytes = (bytes + 15) / 16 * 16;
    if (blocks_.empty() || used_ + bytes > block_bytes_) {
      std::size_t const size = std::max(bytes, std::clamp(held_ / 16, min_block, max_block));
      if (!memory_->take(size)) return nullptr;
      held_ += size;
      block_bytes_ = size;
      blocks_.emplace_back(new unsigned char[size]);
      used_ = 0;
    }
    unsigned char* const p = blocks_.back().get() + used_;
    used_ += bytes;
    return p;
  }

 private:
  static constexpr std::size_t min_block = std::size_t{256} << 10;
  static constexpr std::size_t max_block = std::size_t{8} << 20;
  memory_account* memory_;
  std::vector<std::unique_ptr<unsigned char[]>> blocks_;
  std::size_t used_ = 0;
  std::size_t block_bytes_ = 0;
  std::size_t held_ = 0;
};

// A hash set of records (Records says how they are kept: fixed_records,
// packed_rows), each with an index (its order of insertion).
//
// Any number of threads may call find_or_insert at once. The table never
// grows under them: an insert that would fill it past 3/4 returns `full`,
// and the caller, once no insert runs, calls grow() and tries again. So a
// table's size and memory depend only on what was inserted, never on the
// threads' timing. A slot is 4 bytes: the index (plus one) in as many low
// bits as the slot count needs, and as many bits of the hash as are left
// above it, a tag that spares most comparisons with a record. It is claimed
// with a compare-and-swap, the record written, then the slot published; a
// reader that meets a claimed slot with its own tag waits for it. Growing
// rehashes the records in index order, from the records themselves.
template <class Records>
class hash_table {
 public:
  using key = typename Records::key;
  // How full a table gets before an insert returns `full` (linear probing:
  // about 8.5 slots looked at for a new string at 3/4, 32 at 7/8).
  static constexpr double max_load = 0.75;

  // first_slots: the slots of the first grow().
  hash_table(memory_account& memory, Records records, std::size_t first_slots = 1024)
      : memory_(&memory), records_(std::move(records)), first_slots_(first_slots), final_(memory) {}
  hash_table(hash_table&& o) noexcept
      : memory_(o.memory_), records_(std::move(o.records_)), first_slots_(o.first_slots_),
        slots_(std::move(o.slots_)), low_(o.low_), capacity_(o.capacity_), fill_limit_(o.fill_limit_), chunks_(std::move(o.chunks_)),
        chunk_slots_(o.chunk_slots_), size_(o.size_.load()), allocating_(std::move(o.allocating_)),
        abandoned_(std::move(o.abandoned_)), final_(std::move(o.final_)) {
    o.capacity_ = o.chunk_slots_ = 0;
    o.size_ = 0;
  }
  hash_table(hash_table const&) = delete;
  hash_table& operator=(hash_table const&) = delete;
  ~hash_table() {
    for (std::size_t c = 0; c < chunk_slots_; ++c) {
      auto* const p = chunks_[c].load(std::memory_order_relaxed);
      if (p && !records_.final(p)) release(p, records_.chunk_bytes(p));  // (a final one is its arena's)
    }
    memory_->give(capacity_ * sizeof(slot_type) + chunk_slots_ * sizeof(void*));
  }

  // Finds the record s (with this hash), inserting it if new with `extra`
  // as its extra bytes. Safe from many threads at once.
  inserted find_or_insert(key s, std::uint64_t hash, std::uint64_t extra = 0) {
    if (capacity_ == 0) {
      refused_.store(true, std::memory_order_relaxed);
      return {0, insert_status::full};
    }
    slot_type const low = low_, claimed = low_, abandoned = low_ - 1;
    slot_type const tag = static_cast<slot_type>(hash) & ~low;
    for (std::size_t i = home(hash, capacity_);; i = i + 1 == capacity_ ? 0 : i + 1) {
      slot_type slot = slots_[i].load(std::memory_order_acquire);
      if (slot == 0) {
        if (size_.load(std::memory_order_relaxed) >= fill_limit_) {
          if (!refused_.load(std::memory_order_relaxed)) refused_.store(true, std::memory_order_relaxed);
          return {0, insert_status::full};
        }
        if (!slots_[i].compare_exchange_strong(slot, tag | claimed, std::memory_order_acq_rel)) {
          i = i == 0 ? capacity_ - 1 : i - 1;  // another thread took the slot: look at it again
          continue;
        }
        std::uint32_t const index = size_.fetch_add(1, std::memory_order_relaxed);
        // (An index the slot cannot hold, which only abandoned records can
        // lead to, is refused as they were.)
        unsigned char* chunk = index + 1 < abandoned ? chunk_for(index) : nullptr;
        if (!chunk || !records_.write(chunk, index % chunk_records, s, extra)) {
          {
            std::lock_guard lock(*allocating_);
            abandoned_.push_back(index);
          }
          slots_[i].store(tag | abandoned, std::memory_order_release);
          return {0, insert_status::no_memory};
        }
        slots_[i].store(tag | (index + 1), std::memory_order_release);
        return {index, insert_status::fresh};
      }
      if ((slot & ~low) != tag) continue;
      while ((slot & low) == claimed) {
        std::this_thread::yield();
        slot = slots_[i].load(std::memory_order_acquire);
      }
      if ((slot & low) == abandoned) continue;
      auto const index = static_cast<std::uint32_t>((slot & low) - 1);
      if (records_.equal(chunk(index), index % chunk_records, s)) return {index, insert_status::old};
    }
  }

  // Asks the cache for the slot a lookup of this hash starts at.
  void prefetch(std::uint64_t hash) const {
    if (capacity_) __builtin_prefetch(&slots_[home(hash, capacity_)]);
  }

  // With no insert running: makes room when the table is past `load` full
  // (or has no slots), doubling until it is not. When the memory limit
  // refuses twice the slots, it takes as many as the limit leaves (at least
  // 1/8 more), else lets the table fill to 31/32: a search's last memory is
  // used. Returns false iff none of these is possible.
  bool grow(double load = max_load) {
    // (The same rounding as fill_limit_'s: a full table always grows.)
    auto past = [&](std::size_t n) { return size() >= static_cast<std::size_t>(load * static_cast<double>(n)); };
    std::size_t count = capacity_ ? capacity_ : first_slots_;
    while (past(count)) count *= 2;
    if (count == capacity_) return true;
    auto cost = [](std::size_t n) { return n * sizeof(slot_type) + (n / chunk_records + 1) * sizeof(void*); };
    if (!memory_->take(cost(count))) {  // old and new tables coexist while rehashing
      // Slots for `fits` records and their chunks, as far as they fill: while
      // rehashing both slot tables are held, after it the old one is free.
      double const left = static_cast<double>(memory_->left()), slot = sizeof(slot_type) + 0.01;
      double const record = records_.record_bytes();
      auto const fits = static_cast<std::size_t>(
          std::min(left / slot, (left + slot * static_cast<double>(capacity_) + record * static_cast<double>(size())) /
                                    (slot + max_load * record)));
      if (size() < fill_limit_) return true;  // room ahead was refused; none is needed yet
      if (fits >= capacity_ + capacity_ / 8 && memory_->take(cost(fits))) {
        count = fits;
      } else {
        fill_limit_ = std::max(fill_limit_, capacity_ - capacity_ / 32);
        return size() < fill_limit_;
      }
    }
    std::size_t const chunk_slots = count / chunk_records + 1;
    auto slots = std::make_unique<std::atomic<slot_type>[]>(count);
    for (std::size_t i = 0; i < count; ++i) slots[i].store(0, std::memory_order_relaxed);
    slot_type const low = low_for(count);
    std::sort(abandoned_.begin(), abandoned_.end());
    auto skip = abandoned_.begin();
    // In batches: a batch's home slots are asked for before any is written.
    constexpr std::uint32_t batch = 16;
    std::array<std::uint64_t, batch> hashes;
    for (std::uint32_t from = 0; from < size(); from += batch) {
      std::uint32_t const to = std::min<std::uint32_t>(from + batch, static_cast<std::uint32_t>(size()));
      std::uint32_t kept = 0;  // bit i: record from + i is stored
      for (std::uint32_t index = from; index < to; ++index) {
        if (skip != abandoned_.end() && *skip == index) {
          ++skip;
          continue;
        }
        kept |= 1u << (index - from);
        hashes[index - from] = records_.hash(chunk(index), place(index));
        __builtin_prefetch(&slots[home(hashes[index - from], count)]);
      }
      for (std::uint32_t index = from; index < to; ++index) {
        if (!(kept >> (index - from) & 1u)) continue;
        std::uint64_t const hash = hashes[index - from];
        std::size_t j = home(hash, count);
        while (slots[j].load(std::memory_order_relaxed) != 0) j = j + 1 == count ? 0 : j + 1;
        slots[j].store((static_cast<slot_type>(hash) & ~low) | (index + 1), std::memory_order_relaxed);
      }
    }
    auto chunks = std::make_unique<std::atomic<unsigned char*>[]>(chunk_slots);
    for (std::size_t c = 0; c < chunk_slots; ++c)
      chunks[c].store(c < chunk_slots_ ? chunks_[c].load(std::memory_order_relaxed) : nullptr,
                      std::memory_order_relaxed);
    memory_->give(capacity_ * sizeof(slot_type) + chunk_slots_ * sizeof(void*));
    slots_ = std::move(slots);
    low_ = low;
    chunks_ = std::move(chunks);
    capacity_ = count;
    fill_limit_ = static_cast<std::size_t>(max_load * static_cast<double>(count));
    chunk_slots_ = chunk_slots;
    return size() < fill_limit_;  // true: the next insert finds room
  }

  // Grows the table if an insert found it full since the last call (see
  // visited_set::grow_refused); returns false iff it could not.
  bool grow_if_refused() {
    if (!refused_.load(std::memory_order_relaxed)) return true;
    refused_.store(false, std::memory_order_relaxed);
    return grow();
  }

  // With no insert running: lays out again, as the records now plan, every
  // chunk from the one of record `from` on. Returns false iff the memory
  // limit refused a chunk.
  bool recode(std::size_t from) {
    for (std::size_t c = from / chunk_records; c < chunk_slots_; ++c) {
      unsigned char* const old = chunks_[c].load(std::memory_order_relaxed);
      if (!old) continue;
      std::size_t const count = std::min(chunk_records, size() - c * chunk_records);
      auto const plan = records_.plan(old, count);
      if (!plan) continue;
      std::size_t const bytes = records_.chunk_bytes(*plan);
      unsigned char* fresh;
      if (records_.final(*plan)) {
        if (!(fresh = final_.take(bytes))) return false;
      } else if (!(fresh = allocate(bytes))) {
        return false;
      }
      records_.init(fresh, *plan);
      records_.recode(old, fresh, count);
      release(old, records_.chunk_bytes(old));  // (a final chunk is never laid out again)
      chunks_[c].store(fresh, std::memory_order_relaxed);
    }
    return true;
  }

  // With no insert running: moves the records from index `first` on, and
  // their slots with them, so that record first + n is the one that was
  // order[n] (order: a permutation of the indices from `first` on). Those
  // records must be laid out alike (the same stride), and none abandoned.
  // The records are read in their old order and copied out in the new, then
  // back. A slot takes its record's new index: for records as many as a
  // 64th of the slots or more, in one pass over every slot (reading them in
  // order costs less than finding as many at random); for fewer, each
  // record's slot is found by its hash (every one before any is changed: a
  // slot given a new index may hold another's old one). in_pieces(n, body)
  // calls body(begin, end) on pieces that make up [0, n), perhaps at once
  // on several threads. Returns false iff the memory limit refused the
  // copies.
  template <class InPieces>
  bool reorder(std::uint32_t first, std::span<std::uint32_t const> order, InPieces&& in_pieces) {
    auto const n = static_cast<std::uint32_t>(order.size());
    assert(first + n == size());
    if (n == 0) return true;
    std::size_t const stride = records_.record_stride(chunk(first));
    bool const scan = std::size_t{n} * 64 >= capacity_;
    counted_array<std::uint32_t> to(*memory_, n), at(*memory_, scan ? 0 : n);  // old -> new; old -> slot
    counted_array<unsigned char> moved(*memory_, n * stride);
    if (!to || (!scan && !at) || !moved) return false;
    auto record = [&](std::uint32_t i) {
      assert(records_.record_stride(chunk(i)) == stride);
      return records_.record(chunk(i), place(i));
    };
    in_pieces(n, [&](std::size_t begin, std::size_t end) {
      for (auto i = static_cast<std::uint32_t>(begin); i < end; ++i) to[order[i] - first] = i;
    });
    if (!scan) {
      constexpr std::uint32_t batch = 16;
      std::array<std::uint64_t, batch> hashes;
      for (std::uint32_t from = 0; from < n; from += batch) {
        std::uint32_t const end = std::min(from + batch, n);
        for (std::uint32_t i = from; i < end; ++i) {
          hashes[i - from] = records_.hash(chunk(first + i), place(first + i));
          __builtin_prefetch(&slots_[home(hashes[i - from], capacity_)]);
        }
        for (std::uint32_t i = from; i < end; ++i) {
          std::size_t j = home(hashes[i - from], capacity_);
          while ((slots_[j].load(std::memory_order_relaxed) & low_) != first + i + 1) j = j + 1 == capacity_ ? 0 : j + 1;
          at[i] = static_cast<std::uint32_t>(j);
        }
      }
    }
    in_pieces(n, [&](std::size_t begin, std::size_t end) {
      for (auto i = static_cast<std::uint32_t>(begin); i < end; ++i)
        std::memcpy(&moved[std::size_t{to[i]} * stride], record(first + i), stride);
    });
    in_pieces(n, [&](std::size_t begin, std::size_t end) {
      for (auto i = static_cast<std::uint32_t>(begin); i < end; ++i)
        std::memcpy(record(first + i), &moved[std::size_t{i} * stride], stride);
    });
    auto renumber = [&](std::atomic<slot_type>& slot, std::uint32_t old) {
      slot.store((slot.load(std::memory_order_relaxed) & ~low_) | (first + to[old] + 1), std::memory_order_relaxed);
    };
    if (!scan) {
      for (std::uint32_t i = 0; i < n; ++i) renumber(slots_[at[i]], i);
      return true;
    }
    // (A batch of slots read twice: first to ask for their new indices.)
    auto old = [&](std::size_t j) { return (slots_[j].load(std::memory_order_relaxed) & low_) - 1 - first; };  // empty: past n
    in_pieces(capacity_, [&](std::size_t begin, std::size_t end) {
      constexpr std::size_t batch = 64;
      for (std::size_t from = begin; from < end; from += batch) {
        std::size_t const to_slot = std::min(from + batch, end);
        for (std::size_t j = from; j < to_slot; ++j)
          if (slot_type const i = old(j); i < n) __builtin_prefetch(&to[i]);
        for (std::size_t j = from; j < to_slot; ++j)
          if (slot_type const i = old(j); i < n) renumber(slots_[j], i);
      }
    });
    return true;
  }

  std::size_t size() const { return size_.load(std::memory_order_relaxed); }
  // Slots: no insert hands out an index of this many or more.
  std::size_t capacity() const { return capacity_; }
  Records const& records() const { return records_; }
  // Changes how chunks to come are laid out; only with no insert running.
  Records& records() { return records_; }
  // Record i's chunk, and its place in it.
  unsigned char const* chunk(std::uint32_t i) const {
    return chunks_[i / chunk_records].load(std::memory_order_acquire);
  }
  unsigned char* chunk(std::uint32_t i) { return chunks_[i / chunk_records].load(std::memory_order_acquire); }
  static std::size_t place(std::uint32_t i) { return i % chunk_records; }

 private:
  using slot_type = std::uint32_t;

  // The low bits of a slot in a table of `count` slots: the index plus one,
  // or all ones (being written), or all ones but the last (its record
  // could not be stored).
  static slot_type low_for(std::size_t count) {
    unsigned const bits = static_cast<unsigned>(std::bit_width(count + 2));
    return bits >= 32 ? ~slot_type{0} : (slot_type{1} << bits) - 1;
  }

  // A hash's first slot in a table of `count` slots: the high half scaled
  // to the count (any count, so a table can grow by less than twice).
  static std::size_t home(std::uint64_t hash, std::size_t count) {
    return static_cast<std::size_t>(((hash >> 32) * count) >> 32);
  }
  // A chunk that is not laid out for good, counted in the memory account:
  // from the heap, or, where the records lay chunks out again
  // (Records::relaid), mapped on its own, so that its pages go back to the
  // system as soon as it is laid out again (counted whole pages, then).
  // Null when the limit (or the system) refuses.
  static std::size_t held(std::size_t bytes) {
    constexpr std::size_t page = 4096;
    return Records::relaid ? (bytes + page - 1) / page * page : bytes;
  }
  unsigned char* allocate(std::size_t bytes) {
    if (!memory_->take(held(bytes))) return nullptr;
    if constexpr (!Records::relaid) {
      return new unsigned char[bytes];
    } else {
      void* const p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p != MAP_FAILED) return static_cast<unsigned char*>(p);
      memory_->give(held(bytes));
      return nullptr;
    }
  }
  void release(unsigned char* p, std::size_t bytes) {
    memory_->give(held(bytes));
    if constexpr (Records::relaid)
      ::munmap(p, bytes);
    else
      delete[] p;
  }
  // Record i's chunk, allocated by whichever thread needs it first (once:
  // the memory held never counts a chunk twice); null when the memory limit
  // refuses it.
  unsigned char* chunk_for(std::size_t i) {
    auto& slot = chunks_[i / chunk_records];
    unsigned char* chunk = slot.load(std::memory_order_acquire);
    if (!chunk) {
      std::lock_guard lock(*allocating_);
      chunk = slot.load(std::memory_order_acquire);
      if (!chunk) {
        chunk = allocate(records_.chunk_bytes());
        if (!chunk) return nullptr;
        records_.init(chunk);
        slot.store(chunk, std::memory_order_release);
      }
    }
    return chunk;
  }

  memory_account* memory_;
  Records records_;
  std::size_t first_slots_;
  std::unique_ptr<std::atomic<slot_type>[]> slots_;  // tag (high bits) | index + 1 (low_ bits); 0: empty
  slot_type low_ = 0;
  std::size_t capacity_ = 0;
  std::size_t fill_limit_ = 0;  // an insert past this many records returns full
  std::unique_ptr<std::atomic<unsigned char*>[]> chunks_;
  std::size_t chunk_slots_ = 0;
  std::atomic<std::uint32_t> size_{0};
  std::atomic<bool> refused_{false};  // an insert found the table full
  std::unique_ptr<std::mutex> allocating_ = std::make_unique<std::mutex>();  // guards chunk allocation, abandoned_
  std::vector<std::uint32_t> abandoned_;  // indices whose record could not be stored
  chunk_arena final_;                     // the chunks laid out for good
};

using byte_table = hash_table<fixed_records>;

// The states a search has stored, each with a link while its level runs
// (the key a breadth-first search lowers: the first step to reach it).
// Plain: one table of whole states. Collapsed (SPIN's COLLAPSE
// compression), where the model names its state's parts (the shared
// objects; each thread's record): a table per part, where each distinct
// value is stored once, and a table of rows of indices into them, one row
// a state, bit-packed (packed_rows: a part whose table holds 40 values
// takes 6 bits of the row), its link dropped once spent.
template <class State>
class visited_set {
 public:
  using part = std::pair<std::size_t, std::size_t>;  // offset, length
  static constexpr std::size_t max_parts = detail::max_parts;
  // A part table's first slots: its indices' first width is 4 bits.
  static constexpr std::size_t part_first_slots = 16;

  visited_set(std::uint64_t max_bytes, std::size_t state_bytes, std::vector<part> parts)
      : memory_(max_bytes), state_bytes_(state_bytes), parts_(std::move(parts)),
        whole_(memory_, fixed_records(state_bytes, true)), rows_(memory_, packed_rows(parts_.size())) {
    tables_.reserve(parts_.size());
    for (auto const& p : parts_) tables_.emplace_back(memory_, fixed_records(p.second, false), part_first_slots);
  }

  // What insert looks up for a state, worked out ahead (prepare): the
  // parts it shares with its parent, and the hashes of the others (or of
  // the whole state), whose slots prepare asked the cache for. Preparing the
  // successors of a state before inserting any lets their table lookups'
  // cache misses overlap.
  // (Left uninitialised: prepare writes what insert reads.)
  struct prepared {
    std::array<std::uint32_t, max_parts> row;   // a part shared with the parent: its id
    std::array<std::uint64_t, max_parts> hash;  // a changed part's hash (hash[0]: the state's, unparted)
    std::uint64_t changed;                      // bit k: part k is looked up
    std::uint64_t row_hash;                     // the row's hash, once the parts are resolved
  };

  // A stored state's row of part indices (read once for all its successors).
  struct row_of {
    std::array<std::uint32_t, packed_rows::max_fields> index;
    bool known = false;
  };
  row_of row(std::uint32_t i) const {
    row_of r;
    if (!parts_.empty() && i != none) {
      rows_.records().read(rows_.chunk(i), rows_.place(i), r.index.data());
      r.known = true;
    }
    return r;
  }

  void prepare(unsigned char const* s, row_of const& parent, prepared& p) const {
    if (parts_.empty()) {
      p.hash[0] = hash_bytes(s, state_bytes_);
      whole_.prefetch(p.hash[0]);
      return;
    }
    // A successor differs from its parent in a part or two: the parent's
    // parts are compared first, and only a changed part is looked up.
    p.changed = 0;
    for (std::size_t k = 0; k < parts_.size(); ++k) {
      auto const [offset, length] = parts_[k];
      if (parent.known && same_bytes(part_bytes(k, parent.index[k]), s + offset, length)) {
        p.row[k] = parent.index[k];
        continue;
      }
      p.changed |= std::uint64_t{1} << k;
      p.hash[k] = hash_bytes(s + offset, length);
      tables_[k].prefetch(p.hash[k]);
    }
  }

  // Looks up the changed parts of state s (prepared as p), inserting new
  // ones, and asks the cache for the slot its row's lookup starts at.
  // Returns full or no_memory if a part table refused (nothing of s's row
  // is stored then), else fresh.
  insert_status resolve(unsigned char const* s, prepared& p) {
    if (parts_.empty()) return insert_status::fresh;
    for (std::uint64_t c = p.changed; c; c &= c - 1) {
      auto const k = static_cast<std::size_t>(std::countr_zero(c));
      auto const id = tables_[k].find_or_insert(s + parts_[k].first, p.hash[k]);
      if (id.status == insert_status::full || id.status == insert_status::no_memory) return id.status;
      p.row[k] = id.index;
    }
    p.row_hash = hash_bytes(reinterpret_cast<unsigned char const*>(p.row.data()), parts_.size() * sizeof(std::uint32_t));
    rows_.prefetch(p.row_hash);
    return insert_status::fresh;
  }

  // Finds state s (prepared and resolved as p), inserting it if new with
  // `link` as its link (or, during a parallel search, its key). Safe from
  // many threads at once.
  inserted insert(unsigned char const* s, std::uint64_t link, prepared const& p) {
    if (parts_.empty()) return whole_.find_or_insert(s, p.hash[0], link);
    return rows_.find_or_insert(p.row.data(), p.row_hash, link);
  }

  // The same, unprepared. hint: the index of a stored state s likely shares
  // parts with (its parent), or none.
  inserted insert(unsigned char const* s, std::uint64_t link, std::uint32_t hint = none) {
    prepared p;
    prepare(s, row(hint), p);
    if (auto const st = resolve(s, p); st != insert_status::fresh) return {0, st};
    return insert(s, link, p);
  }

  // Inserts from one thread, growing the tables as needed; no_memory when
  // the limit refuses.
  inserted insert_growing(unsigned char const* s, std::uint64_t link, std::uint32_t hint = none) {
    for (;;) {
      auto r = insert(s, link, hint);
      if (r.status != insert_status::full) return r;
      if (!grow()) return {0, insert_status::no_memory};
    }
  }

  // With no insert running, every link stored spent (in a breadth-first
  // search: at a level's end, once reorder()ed): grows every table past
  // `load` full, and lays out every row chunk filled since the last call at
  // the widths the part tables now need, closing the full ones. So a
  // chunk's layout is that of the first grow() after its last row: the same
  // for any number of workers, and so is the memory the rows hold.
  bool grow(double load = byte_table::max_load) {
    if (parts_.empty()) return whole_.grow(load);
    bool ok = rows_.grow(load);
    for (auto& t : tables_) ok = t.grow(load) && ok;
    return settle() && ok;
  }
  // With no insert running, in the middle of a parallel search's level:
  // grows the tables an insert found full, and only those. Which other
  // tables are full by now depends on the workers' timing; the tables that
  // refuse an insert are the ones the level's values overflow, whatever
  // the order, so the tables' sizes (and memory) are the same for any
  // number of workers. Of the row chunks, only the one rows go on filling
  // is laid out again, and only if a part table's indices outgrew it.
  bool grow_refused() {
    if (parts_.empty()) return whole_.grow_if_refused();
    bool ok = rows_.grow_if_refused();
    for (auto& t : tables_) ok = t.grow_if_refused() && ok;
    set_part_widths();
    rows_.records().close_none();
    return rows_.recode(rows_.size()) && ok;
  }

  // With no insert running: lays out the row chunks filled since the last
  // grow() as that does, without growing anything (so the memory a search
  // reports at its end does not depend on the workers' timing either).
  // Returns false iff the memory limit refused a chunk.
  bool settle() {
    if (parts_.empty()) return true;
    set_part_widths();
    rows_.records().close_full();
    bool const ok = rows_.recode(settled_);
    settled_ = rows_.size();
    return ok;
  }

  // With no insert running, at a breadth-first level's end: puts the
  // level's states (from index `first` on, every one stored) in the order
  // given, state first + n being the one that was order[n], so that a
  // state's index tells its place in its level. Their links are spent.
  // in_pieces: as hash_table::reorder's (by default, one piece). Returns
  // false iff the memory limit refused a chunk or the copies.
  template <class InPieces = void (*)(std::size_t, std::function<void(std::size_t, std::size_t)> const&)>
  bool reorder(std::uint32_t first, std::span<std::uint32_t const> order, InPieces&& in_pieces = one_piece) {
    std::uint32_t same = 0;  // (a one-thread search mostly stores a level in order)
    while (same < order.size() && order[same] == first + same) ++same;
    if (same == order.size()) return true;
    first += same;
    order = order.subspan(same);
    if (parts_.empty()) return whole_.reorder(first, order, in_pieces);
    // Every row chunk from there on open at the widths of now: one stride.
    set_part_widths();
    rows_.records().close_none();
    return rows_.recode(first) && rows_.reorder(first, order, in_pieces);
  }

  // How many parts state s, prepared as p, differs from its parent in
  // (none, unparted).
  unsigned parts_changed(prepared const& p) const {
    return parts_.empty() ? 0 : static_cast<unsigned>(std::popcount(p.changed));
  }
  // How many parts the state stored at index i differs from the state of
  // row r in (none, unparted: whole states are not told apart by parts).
  unsigned parts_apart(std::uint32_t i, row_of const& r) const {
    if (parts_.empty()) return 0;
    auto const here = row(i);
    unsigned n = 0;
    for (std::size_t k = 0; k < parts_.size(); ++k) n += here.index[k] != r.index[k];
    return n;
  }

  // Returns true iff state s is the one stored at index i.
  // (memcmp: not in an insert's way, and fit for states of any size.)
  bool holds(std::uint32_t i, unsigned char const* s) const {
    if (parts_.empty()) return std::memcmp(whole_.records().bytes(whole_.chunk(i), whole_.place(i)), s, state_bytes_) == 0;
    auto const r = row(i);
    for (std::size_t k = 0; k < parts_.size(); ++k)
      if (std::memcmp(part_bytes(k, r.index[k]), s + parts_[k].first, parts_[k].second) != 0) return false;
    return true;
  }

  State operator[](std::uint32_t i) const {
    State s;
    auto* b = reinterpret_cast<unsigned char*>(&s);
    if (parts_.empty()) {
      std::memcpy(b, whole_.records().bytes(whole_.chunk(i), whole_.place(i)), state_bytes_);
      return s;
    }
    auto const r = row(i);
    for (std::size_t k = 0; k < parts_.size(); ++k) std::memcpy(b + parts_[k].first, part_bytes(k, r.index[k]), parts_[k].second);
    return s;
  }

  // A state's link: only a state stored since the last grow() or settle().
  std::uint64_t& link(std::uint32_t i) {
    return parts_.empty() ? *whole_.records().extra(whole_.chunk(i), whole_.place(i))
                          : *rows_.records().extra(rows_.chunk(i), rows_.place(i));
  }
  std::size_t size() const { return parts_.empty() ? whole_.size() : rows_.size(); }
  // Bytes a row takes now, its link apart (unparted: the whole state).
  std::size_t row_bytes() const { return parts_.empty() ? state_bytes_ : rows_.records().stride(); }
  // The account of the memory held (what a search holds beside the set
  // for a while is counted in it too: counted_array).
  memory_account& memory() { return memory_; }
  // Bytes held now, and the most ever held at once.
  std::uint64_t memory_bytes() const { return memory_.held(); }
  std::uint64_t peak_bytes() const { return memory_.peak(); }

  static constexpr std::uint32_t none = 0xffffffffu;

 private:
  static void one_piece(std::size_t n, std::function<void(std::size_t, std::size_t)> const& body) { body(0, n); }
  unsigned char const* part_bytes(std::size_t k, std::uint32_t i) const {
    return tables_[k].records().bytes(tables_[k].chunk(i), tables_[k].place(i));
  }
  // Sets the widths of row chunks to come to what the part tables can hand out.
  void set_part_widths() {
    std::array<std::uint8_t, max_parts> width{};
    for (std::size_t k = 0; k < parts_.size(); ++k)
      width[k] = static_cast<std::uint8_t>(std::bit_width(std::max<std::size_t>(tables_[k].capacity(), 1) - 1));
    rows_.records().set_widths(width);
  }

  memory_account memory_;
  std::size_t state_bytes_;
  std::vector<part> parts_;
  byte_table whole_;                    // unparted: the states
  hash_table<packed_rows> rows_;        // parted: the rows
  std::vector<byte_table> tables_;      // parted: a table per part
  std::size_t settled_ = 0;             // rows before this one were laid out by grow()
};

}  // namespace pgmapcheck::detail
