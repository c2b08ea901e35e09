// Loading model code: parse every file for an era, check it, and compile a
// thread's root function, its calls inlined, into a program.
#pragma once

#include "lang/ast.hpp"
#include "lang/program.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pgmapcheck::lang {

// What model code may ask of the scenario at load time.
struct scenario_facts {
  int kernel = 510;   // release (lang::release)
  int pagemap_type = 0;  // MEMORY_DEVICE_* as the kernel numbers them
  int pages = 1;
  bool has_page_free = false;  // the pgmap has ops->page_free in this era
  bool align_pmd = false;      // align = "pmd": the device-dax region's faults map PMDs

  // Every field, as load_library's cache key.
  std::string key() const {
    return std::to_string(kernel) + ' ' + std::to_string(pagemap_type) + ' ' + std::to_string(pages) + ' ' +
           std::to_string(has_page_free) + ' ' + std::to_string(align_pmd);
  }
};

// Every function model code can call, by name, with the file it came from.
class source_set {
 public:
  // Parses `text` (preprocessed for facts.kernel) as file `name`; a function
  // already defined is refused unless `replace` (a patch), which records it;
  // `only`: the one name the text may define (a patch's with). A primitive's
  // or a macro's name is refused.
  void add(std::string const& name, std::string const& text, scenario_facts const& facts, bool replace = false,
           std::string const* only = nullptr);

  std::vector<std::string> const& files() const { return files_; }
  std::vector<std::string> const& lines(std::uint16_t file) const { return lines_[file]; }
  function const* find(std::string const& name) const;
  std::map<std::string, function> const& functions() const { return functions_; }
  // The file-scope variables, in the order their files were added: a
  // variable's id is its index here.
  std::vector<global> const& globals() const { return globals_; }
  std::optional<std::uint16_t> find_global(std::string const& name) const;

 private:
  std::vector<std::string> files_;
  std::vector<std::vector<std::string>> lines_;  // each file's source lines, for traces
  std::map<std::string, function> functions_;
  std::vector<global> globals_;
};

// Compiles the thread that runs `root` (a function with no parameters), or
// throws spec_error naming the model file, line and column of what is wrong:
// an unknown function, primitive, name or field, a wrong argument count or
// type, recursion, a label never used or never defined, unreachable code.
program compile_thread(source_set const& sources, std::string const& root, std::string const& thread_name,
                       scenario_facts const& facts);

// Checks every function of the set as compile_thread would, without
// inlining: so a library function no thread calls is still checked.
void check_all(source_set const& sources, scenario_facts const& facts);

}  // namespace pgmapcheck::lang
