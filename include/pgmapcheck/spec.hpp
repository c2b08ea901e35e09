// Scenario files (specs/*.toml): parsing and validation into a runnable scenario.
#pragma once

#include "models/world.hpp"
#include "pgmapcheck/explorer.hpp"
#include "pgmapcheck/model.hpp"

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace pgmapcheck {

// Bad input: what() reads "file:line:col: what was expected".
class spec_error : public std::runtime_error {
 public:
  spec_error(std::string const& file, int line, int column, std::string const& message)
      : std::runtime_error(file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message) {}
};

struct expectation {
  verdict result = verdict::holds;
  std::optional<property> violated;
};

struct patch_entry {
  std::string knob;
  std::int8_t value = 0;
  std::string text;  // the value as written
};

struct spec {
  std::string path;
  std::string name;  // the file's stem
  std::string title;
  models::scenario sc;
  models::era declared_kernel = models::era::v5_10;  // as the file says; sc.kernel may be overridden
  property_set checked = property_set::all();
  std::vector<patch_entry> patch;
  std::optional<expectation> expect;
  std::vector<std::string> actor_labels;  // "memunmap#0", in column order
};

// Returns true iff property p applies to pagemap type t.
bool applies(property p, models::pagemap t);

// Parses and validates a scenario; throws spec_error on bad input.
spec parse_spec(std::string_view text, std::string const& path);
spec load_spec(std::filesystem::path const& path);

// The spec under another kernel era (the patch is re-applied over its preset).
spec with_kernel(spec s, models::era e);

}  // namespace pgmapcheck
