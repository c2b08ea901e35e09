// The memory a search holds: one account every table draws on and is
// refused by past --max-memory, arrays mapped on their own so their pages go
// back at once, and the arena the tables' long-lived chunks are carved from.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <span>
#include <sys/mman.h>
#include <utility>
#include <vector>

namespace pgmapcheck::detail {

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

}  // namespace pgmapcheck::detail
