// The memory loading model code takes (parse trees, syntax trees, compiled
// programs), charged as it is made, so --max-memory bounds loading as it
// bounds the search.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace pgmapcheck::lang {

// Loading would pass the budget: what() reads "file:line:col: ...", the
// place being loaded when it did.
class load_limit_error : public std::exception {
 public:
  load_limit_error(std::string_view file, std::size_t line, std::size_t column, std::uint64_t limit_bytes);
  char const* what() const noexcept override { return what_.c_str(); }
  // "file:line:col": where loading was.
  std::string const& where() const { return where_; }

 private:
  std::string where_;
  std::string what_;
};

// Live and peak bytes of one load, against a limit (0: none).
class load_budget {
 public:
  explicit load_budget(std::uint64_t limit_bytes) : limit_(limit_bytes) {}
  // Takes `bytes` for what is made at file:line:col; throws
  // load_limit_error when the live total would pass the limit.
  void charge(std::uint64_t bytes, std::string_view file, std::size_t line, std::size_t column);
  void release(std::uint64_t bytes) { live_ -= bytes < live_ ? bytes : live_; }
  std::uint64_t live() const { return live_; }
  std::uint64_t peak() const { return peak_; }

 private:
  std::uint64_t limit_;
  std::uint64_t live_ = 0;
  std::uint64_t peak_ = 0;
};

// While one lives, this thread's loads charge `b` (the innermost scope's).
class load_scope {
 public:
  explicit load_scope(load_budget& b);
  ~load_scope();
  load_scope(load_scope const&) = delete;
  load_scope& operator=(load_scope const&) = delete;

 private:
  load_budget* outer_;
};

// Charges and releases this thread's budget, if a load_scope set one.
void charge_load(std::uint64_t bytes, std::string_view file, std::size_t line, std::size_t column);
void release_load(std::uint64_t bytes);

// A charge for as long as it lives: what a load makes and frees itself.
class load_charge {
 public:
  load_charge(std::uint64_t bytes, std::string_view file, std::size_t line, std::size_t column) : bytes_(bytes) {
    charge_load(bytes, file, line, column);
  }
  ~load_charge() { release_load(bytes_); }
  load_charge(load_charge const&) = delete;
  load_charge& operator=(load_charge const&) = delete;

 private:
  std::uint64_t bytes_;
};

}  // namespace pgmapcheck::lang
