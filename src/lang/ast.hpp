// The model language's syntax tree: kernel C functions as parsed, before
// names are resolved and calls inlined (lang/compile.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pgmapcheck::lang {

// A place in a model file; what trace lines and error messages name.
struct source_pos {
  std::uint16_t file = 0;  // an index into the source set's file names
  std::uint32_t line = 0;
  std::uint32_t column = 0;
};

// The value domains the language knows. Every struct pointer but a page is
// a singleton (the one pgmap, file, device of a scenario) or NULL.
enum class type_kind : std::uint8_t { void_, integer, boolean, page, object };

struct type_ref {
  type_kind kind = type_kind::integer;
  std::string spelling;  // as written: "struct page *", "int", "vm_fault_t"
  bool out = false;      // a parameter "struct X **p": the caller's local, read and set as *p
};

struct expr {
  enum class kind : std::uint8_t {
    number,   // value
    name,     // text: a local, a parameter or a constant
    unary,    // text: ! - ~ & *; kids[0]
    binary,   // text: the operator; kids[0], kids[1]
    assign,   // text: = += -= |= &=; kids[0] the lvalue, kids[1]
    call,     // text: the callee; kids: the arguments
    member,   // text: the field; kids[0] the object; arrow tells -> from .
    ternary,  // kids: condition, then, else
    postfix,  // text: ++ or --; kids[0]
    string,   // text: a string literal's contents (WARN messages)
  };
  kind k = kind::number;
  source_pos pos;
  std::string text;
  std::int64_t value = 0;
  bool arrow = false;
  std::vector<expr> kids;
};

struct stmt {
  enum class kind : std::uint8_t {
    block,      // body
    expression, // exprs[0]
    decl,       // type, name, exprs[0] if initialised (one per declarator)
    decls,      // body: the decls of one declaration of several names, in the enclosing scope
    if_,        // exprs[0]; body[0] then, body[1] else (optional)
    while_,     // exprs[0]; body[0]
    do_while,   // body[0]; exprs[0]
    for_,       // body[0] init (or empty), exprs[0] condition (or none), exprs[1] step (or none), body[1]
    foreach,    // name: the iterator macro; exprs: its arguments; body[0]
    return_,    // exprs[0] if a value
    goto_,      // name
    label,      // name; body[0]
    break_,
    continue_,
    empty,
  };
  kind k = kind::empty;
  source_pos pos;
  std::string name;
  type_ref type;
  std::vector<expr> exprs;
  std::vector<stmt> body;
};

struct param {
  type_ref type;
  std::string name;
  source_pos pos;
};

struct function {
  std::string name;
  type_ref result;
  std::vector<param> params;
  stmt body;
  source_pos pos;
  std::string comment;  // the comment block right above it: its kernel source
  std::string text;     // the definition as written, for show and for a patch's replaces check
  bool is_static = false;
};

// A file-scope variable: "static int name = 0;" (int or bool), or a static
// key, "DEFINE_STATIC_KEY_FALSE(name);" (its count; TRUE starts at 1).
struct global {
  std::string name;
  bool key = false;
  bool boolean = false;
  int init = 0;  // a constant
  source_pos pos;
};

// One parsed model file.
struct unit {
  std::uint16_t file = 0;
  std::vector<function> functions;
  std::vector<global> globals;
};

}  // namespace pgmapcheck::lang
