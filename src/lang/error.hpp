// Bad input: one error type for specs, patch files and model code.
#pragma once

#include <stdexcept>
#include <string>

namespace pgmapcheck {

// Bad input: what() reads "file:line:col: what was expected".
class spec_error : public std::runtime_error {
 public:
  spec_error(std::string const& file, int line, int column, std::string const& message)
      : std::runtime_error(file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message) {}
};

}  // namespace pgmapcheck
