// The lockless hash table a search's threads fill together (Laarman, van de
// Pol and Weber, "Boosting Multi-Core Reachability Performance with Shared
// Hash Tables", FMCAD 2010: open addressing with linear probing, a slot
// claimed by compare-and-swap, part of the hash memoized in the slot), here
// with records in chunks beside the slots and growth between inserts, and
// the simplest way to keep its records: byte strings of one length.
#pragma once

#include "search/memory.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <new>
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

enum class insert_status : std::uint8_t { old, fresh, full, no_memory };

struct inserted {
  std::uint32_t index = 0;
  insert_status status = insert_status::old;
};

// Records are kept in chunks of this many, allocated as they fill.
inline constexpr std::size_t chunk_records = 4096;

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
// reader that meets a claimed slot with its own tag waits for it. A record
// that cannot be stored (the memory limit) leaves its slot as a tombstone:
// taken, holding nothing, passed over by lookups. Growing rehashes the
// records in index order, from the records themselves, tombstones left out.
//
// As in Laarman et al.'s table (above), a slot holds a memoized part of the
// hash beside the index, and find_or_insert never locks; unlike it, the
// records live in chunks the slots index (so a record's index is its order
// of insertion, which BFS levels and traces rest on), and the table grows
// only between inserts, where theirs has a fixed size.
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
        tombstones_(std::move(o.tombstones_)), final_(std::move(o.final_)) {
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
    slot_type const low = low_, claimed = low_, tombstone = low_ - 1;
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
        // (An index the slot cannot hold, which only records under a tombstone can
        // lead to, is refused as they were.)
        unsigned char* chunk = index + 1 < tombstone ? chunk_for(index) : nullptr;
        if (!chunk || !records_.write(chunk, index % chunk_records, s, extra)) {
          {
            std::lock_guard lock(*allocating_);
            tombstones_.push_back(index);
          }
          slots_[i].store(tag | tombstone, std::memory_order_release);
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
      if ((slot & low) == tombstone) continue;
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
    std::sort(tombstones_.begin(), tombstones_.end());
    auto skip = tombstones_.begin();
    // In batches: a batch's home slots are asked for before any is written.
    constexpr std::uint32_t batch = 16;
    std::array<std::uint64_t, batch> hashes;
    for (std::uint32_t from = 0; from < size(); from += batch) {
      std::uint32_t const to = std::min<std::uint32_t>(from + batch, static_cast<std::uint32_t>(size()));
      std::uint32_t kept = 0;  // bit i: record from + i is stored
      for (std::uint32_t index = from; index < to; ++index) {
        if (skip != tombstones_.end() && *skip == index) {
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
  // records must be laid out alike (the same stride), and no tombstones.
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
  // Written by every fresh insert: on a cache line of its own, so that the
  // fields above, which every lookup reads, do not move between cores with it.
  alignas(64) std::atomic<std::uint32_t> size_{0};
  std::atomic<bool> refused_{false};  // an insert found the table full
  alignas(64) std::unique_ptr<std::mutex> allocating_ = std::make_unique<std::mutex>();  // guards chunk allocation, tombstones_
  std::vector<std::uint32_t> tombstones_;  // indices whose record could not be stored
  chunk_arena final_;                     // the chunks laid out for good
};

using byte_table = hash_table<fixed_records>;

}  // namespace pgmapcheck::detail
