// The model language's front end: the era preprocessor and the PEGTL parser.
#pragma once

#include "lang/ast.hpp"
#include "lang/kernels.hpp"

#include <string>
#include <string_view>

namespace pgmapcheck::lang {

// A kernel release as the preprocessor compares it: V6_1 is 601, V5_10 is 510.
constexpr int release(int major, int minor) { return models::kernel_release(major, minor); }

// Keeps the lines that `#if KERNEL >= V6_1` and friends select for the
// release `kernel`, and blanks the rest (directives included), so line and
// column numbers stay those of the file. Directives: #if, #elif, #else,
// #endif; expressions over KERNEL, release constants (V5_10), integers, the
// comparison operators, !, &&, || and parentheses. Throws spec_error
// ("file:line:col: what was expected") on a bad directive or an unbalanced #if.
std::string preprocess(std::string_view text, std::string const& file, int kernel);

// Model code as it is compared: comments dropped, each run of white space
// (comments included) one space, none at either end. A patch's replaces is
// matched on it, and a function's history tells a change of code from a
// change of comment with it.
std::string code_text(std::string_view text);

// Parses preprocessed model code into functions. Throws spec_error on a
// syntax error, naming the file, line, column and what was expected.
unit parse_unit(std::string_view text, std::string const& file, std::uint16_t file_index);

}  // namespace pgmapcheck::lang
