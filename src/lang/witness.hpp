// Witnesses: a condition on a state ("memunmap done with a page pinned",
// "truncate asleep in ext4_break_layouts", "line 72 of fs/dax.kc ran"), and
// the search for a shortest run that reaches one (docs/user-guide.md).
#pragma once

#include "lang/runtime.hpp"

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace pgmapcheck::lang {

// A parsed witness condition. Atoms:
//   done(T)            thread T has returned
//   asleep(T)          T cannot go on (asleep in a wait, or blocked on a lock)
//   asleep(T, F)       ... with F on its call path (the wait it is in)
//   ran(F)             some thread has taken a step in model function F
//   ran(FILE:LINE)     some thread has run that model line
//   mapped(pageN), pinned(pageN) (a thread holds a reference), free(pageN)
//   refcount(pageN), mapcount(pageN), pins(pageN), ref (pgmap->ref): integers
// with == != < <= > >=, !, &&, || and parentheses. T is a thread's name
// ("memunmap#0") or an actor kind ("memunmap": some instance).
// A condition that does not parse, or names what the scenario lacks: where
// in the condition (1-based column) and what was expected; what() reads
// "column N: message".
struct witness_error : std::invalid_argument {
  witness_error(std::size_t col, std::string const& msg)
      : std::invalid_argument("column " + std::to_string(col) + ": " + msg), column(col), message(msg) {}
  std::size_t column;
  std::string message;
};

class witness {
 public:
  // Parses text; throws witness_error.
  explicit witness(std::string text);
  ~witness();
  witness(witness&&) noexcept;
  witness& operator=(witness&&) noexcept;

  std::string const& text() const { return text_; }
  // What ran(...) atoms need the state to remember: requirements to add to
  // the scenario's code_setup, in order, for the model that evaluates it.
  std::vector<code_setup::requirement> history(std::vector<program> const& threads,
                                               std::vector<std::string> const& files) const;
  // Checks names against the model (threads, pages, functions, lines); throws
  // witness_error naming the first that does not exist.
  void bind(code_model const& m) const;
  // Returns true iff the condition holds in s; `first` is the index of the
  // witness's first requirement in the model's setup.
  bool holds(code_model const& m, code_state const& s, std::size_t first) const;

  struct node;

 private:
  std::string text_;
  std::unique_ptr<node> root_;
};

}  // namespace pgmapcheck::lang
