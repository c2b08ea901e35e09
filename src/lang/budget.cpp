// The load budget: --max-memory over parsing and compiling.
#include "lang/budget.hpp"

namespace pgmapcheck::lang {

namespace {
thread_local load_budget* current = nullptr;
}

load_limit_error::load_limit_error(std::string_view file, std::size_t line, std::size_t column,
                                   std::uint64_t limit_bytes)
    : where_(std::string(file) + ":" + std::to_string(line) + ":" + std::to_string(column)),
      what_(where_ + ": loading passes --max-memory here (" + std::to_string(limit_bytes >> 20) +
            " MiB)") {}

void load_budget::charge(std::uint64_t bytes, std::string_view file, std::size_t line, std::size_t column) {
  if (limit_ != 0 && live_ + bytes > limit_) throw load_limit_error(file, line, column, limit_);
  live_ += bytes;
  if (live_ > peak_) peak_ = live_;
}

load_scope::load_scope(load_budget& b) : outer_(current) { current = &b; }
load_scope::~load_scope() { current = outer_; }

void charge_load(std::uint64_t bytes, std::string_view file, std::size_t line, std::size_t column) {
  if (current) current->charge(bytes, file, line, column);
}
void release_load(std::uint64_t bytes) {
  if (current) current->release(bytes);
}

}  // namespace pgmapcheck::lang
