// The model language's compiler: name resolution, load-time checks, and the
// lowering of a thread's code, calls inlined, into a flat program.
#include "lang/compile.hpp"

#include "lang/error.hpp"
#include "lang/budget.hpp"
#include "lang/primitives.hpp"
#include "lang/parse.hpp"

#include <algorithm>
#include <array>
#include <deque>
#include <functional>
#include <initializer_list>
#include <optional>
#include <set>
#include <string_view>

namespace pgmapcheck::lang {

namespace {
// The check macros the compiler expands (include/asm-generic/bug.h,
// include/linux/mmdebug.h), each with its argument count and whether it
// warns (the WARN_ON primitive) or BUGs (BUG_ON). The VM_ ones are as under
// CONFIG_DEBUG_VM, which the model assumes (docs/kernel-model.md).
struct check_macro {
  std::string_view name;
  std::size_t args;
  bool warns;
};
constexpr std::array<check_macro, 10> check_macros{{
    {"WARN_ON", 1, true},
    {"WARN_ON_ONCE", 1, true},
    {"WARN", 2, true},
    {"WARN_ONCE", 2, true},
    {"VM_WARN_ON", 1, true},
    {"VM_WARN_ON_ONCE", 1, true},
    {"VM_WARN_ON_ONCE_PAGE", 2, true},
    {"BUG_ON", 1, false},
    {"VM_BUG_ON", 1, false},
    {"VM_BUG_ON_PAGE", 2, false},
}};
check_macro const* find_check_macro(std::string_view name) {
  for (auto const& c : check_macros)
    if (c.name == name) return &c;
  return nullptr;
}
// The wait macros (include/linux/wait_bit.h, wait.h), expanded as their loops.
constexpr std::array<std::string_view, 3> wait_macros{"wait_var_event", "wait_event", "___wait_var_event"};
bool is_wait_macro(std::string_view name) {
  return std::find(wait_macros.begin(), wait_macros.end(), name) != wait_macros.end();
}

// Names model code calls but cannot define: the primitives and the macros.
bool reserved(std::string const& name) {
  return find_primitive(name) >= 0 || find_check_macro(name) || is_wait_macro(name);
}
std::optional<int> constant_named(std::string const& n);
std::optional<object> global_named(std::string const& n);
}  // namespace

void source_set::add(std::string const& name, std::string const& text, scenario_facts const& facts, bool replace,
                     std::string const* only) {
  auto const index = static_cast<std::uint16_t>(files_.size());
  // The preprocessed copy, the lines kept for traces (a string each), and
  // each function's text: about three copies of the file.
  charge_load(3 * text.size() + 64 * static_cast<std::uint64_t>(std::count(text.begin(), text.end(), '\n')), name, 1, 1);
  std::string const pre = preprocess(text, name, facts.kernel);
  unit u = parse_unit(pre, name, index);
  for (auto const& f : u.functions) {
    auto fail_at = [&](std::string const& why) {
      throw spec_error(name, static_cast<int>(f.pos.line), static_cast<int>(f.pos.column), why);
    };
    if (reserved(f.name))
      fail_at("'" + f.name + "' is a primitive or macro the checker defines (pgmapcheck list): model code cannot define it");
    if (only && f.name != *only)
      fail_at("this defines '" + f.name + "': a patch's with defines the function it replaces, '" + *only +
              "', and no other");
    if (find_global(f.name)) fail_at("'" + f.name + "' is a file-scope variable already");
  }
  files_.push_back(name);
  std::vector<std::string> lines;
  std::size_t at = 0;
  while (at <= text.size()) {
    std::size_t eol = text.find('\n', at);
    if (eol == std::string::npos) eol = text.size();
    lines.emplace_back(text.substr(at, eol - at));
    at = eol + 1;
  }
  lines_.push_back(std::move(lines));
  for (auto& f : u.functions) {
    auto it = functions_.find(f.name);
    if (it != functions_.end() && !replace) {
      auto const& prev = it->second;
      throw spec_error(name, static_cast<int>(f.pos.line), static_cast<int>(f.pos.column),
                       "function '" + f.name + "' is already defined at " + files_[prev.pos.file] + ":" +
                           std::to_string(prev.pos.line));
    }
    functions_[f.name] = std::move(f);
  }
  for (auto& g : u.globals) {
    auto fail_at = [&](std::string const& why) {
      throw spec_error(name, static_cast<int>(g.pos.line), static_cast<int>(g.pos.column), why);
    };
    if (reserved(g.name) || constant_named(g.name) || global_named(g.name))
      fail_at("'" + g.name + "' is a name the checker defines (pgmapcheck list): model code cannot define it");
    if (functions_.count(g.name)) fail_at("'" + g.name + "' is a function already");
    if (auto prev = find_global(g.name))
      fail_at("'" + g.name + "' is already defined at " + files_[globals_[*prev].pos.file] + ":" +
              std::to_string(globals_[*prev].pos.line));
    if (globals_.size() >= 64) fail_at("more than 64 file-scope variables");
    if (g.init < -128 || g.init > 127) fail_at("a file-scope variable starts between -128 and 127 (it is one byte)");
    globals_.push_back(g);
  }
}

function const* source_set::find(std::string const& name) const {
  auto it = functions_.find(name);
  return it == functions_.end() ? nullptr : &it->second;
}

std::optional<std::uint16_t> source_set::find_global(std::string const& name) const {
  for (std::size_t i = 0; i < globals_.size(); ++i)
    if (globals_[i].name == name) return static_cast<std::uint16_t>(i);
  return std::nullopt;
}

namespace {

// Named integer constants model code may use.
std::optional<int> constant_named(std::string const& n) {
  static const std::map<std::string, int> table{
      {"NULL", 0},
      {"false", 0},
      {"true", 1},
      {"MEMORY_DEVICE_PRIVATE", 1},
      {"MEMORY_DEVICE_COHERENT", 2},
      {"MEMORY_DEVICE_FS_DAX", 3},
      {"MEMORY_DEVICE_GENERIC", 4},
      {"MEMORY_DEVICE_PCI_P2PDMA", 5},
      {"EPERM", 1},
      {"ENOENT", 2},
      {"EINTR", 4},
      {"EAGAIN", 11},
      {"EIO", 5},
      {"ENXIO", 6},
      {"ENOMEM", 12},
      {"EFAULT", 14},
      {"EBUSY", 16},
      {"ENODEV", 19},
      {"EINVAL", 22},
      {"EOPNOTSUPP", 95},
      {"EREMOTEIO", 121},
      {"ERESTARTSYS", 127},  // 512 in the kernel; model values are small
      {"TASK_UNINTERRUPTIBLE", 2},
      {"TASK_INTERRUPTIBLE", 1},
      {"GFP_KERNEL", 0},
      {"PAGE_SIZE", 1},  // model allocations are one page
      {"VM_FAULT_OOM", 1},
      {"VM_FAULT_SIGBUS", 2},
      {"VM_FAULT_NOPAGE", 64},
      {"VM_FAULT_RETRY", 128},  // the handler dropped mmap_lock: the arch handler faults again
      {"FOLL_GET", 1},
      {"FOLL_PIN", 2},
      {"FOLL_PCI_P2PDMA", 4},  // 4003f107fa2e (v6.2)
      {"MIGRATEPAGE_SUCCESS", 0},
      {"MIGRATE_PFN_VALID", 1},  // include/linux/migrate.h: bits of a src/dst entry (the pfn apart)
      {"MIGRATE_PFN_MIGRATE", 2},
      {"MIGRATE_PFN_LOCKED", 4},  // until ab09243aa95a (v5.16)
      {"MIGRATE_PFN_WRITE", 8},
      {"WAKE_ALL", 0},  // fs/dax.c: enum dax_wake_mode (698ab77aebff, v5.13)
      {"WAKE_NEXT", 1},
      {"MF_COUNT_INCREASED", 1},  // include/linux/mm.h: enum mf_flags
  };
  auto it = table.find(n);
  if (it == table.end()) return std::nullopt;
  return it->second;
}

// A release constant: V6_1 is release(6, 1).
std::optional<int> release_named(std::string const& n) {
  if (n.size() < 4 || n[0] != 'V') return std::nullopt;
  auto us = n.find('_');
  if (us == std::string::npos || us < 2 || us + 1 >= n.size()) return std::nullopt;
  for (std::size_t i = 1; i < n.size(); ++i)
    if (i != us && (n[i] < '0' || n[i] > '9')) return std::nullopt;
  return release(std::stoi(n.substr(1, us - 1)), std::stoi(n.substr(us + 1)));
}

// Global objects model code names directly (harness code passes them down).
std::optional<object> global_named(std::string const& n) {
  static const std::map<std::string, object> table{
      {"pgmap", object::pgmap},     {"pgmap_array", object::pgmap_array}, {"mm", object::mm},
      {"mapping", object::mapping}, {"pdev", object::pdev},               {"p2p_pgmap", object::p2p_pgmap},
      {"lock_a", object::lock_a},   {"lock_b", object::lock_b},           {"devmem_lock", object::lock_a},
      {"alloc_file_active", object::lock_b},           {"var_a", object::var_a},
      {"var_b", object::var_b},     {"queue", object::queue},             {"module_refcnt", object::module_refcnt},
      {"dmem_mutex", object::lock_a},  // nouveau's drm->dmem->mutex (no scenario has both drivers)
  };
  auto it = table.find(n);
  if (it == table.end()) return std::nullopt;
  return it->second;
}

field_rule const* find_field(std::string const& field, std::optional<object> base, bool page_base) {
  for (auto const& r : field_rules)
    if (r.field == field && ((page_base && r.base == object::null) || (!page_base && (!base || r.base == *base))))
      return &r;
  return nullptr;
}

int binop_code(std::string const& op) {
  static const std::map<std::string, binop> table{
      {"+", binop::add}, {"-", binop::sub}, {"*", binop::mul},  {"/", binop::div}, {"%", binop::mod},
      {"<<", binop::shl}, {">>", binop::shr}, {"<", binop::lt}, {"<=", binop::le}, {">", binop::gt},
      {">=", binop::ge}, {"==", binop::eq}, {"!=", binop::ne}, {"&", binop::band}, {"|", binop::bor},
      {"^", binop::bxor},
  };
  return static_cast<int>(table.at(op));
}

std::string trim(std::string s) {
  auto b = s.find_first_not_of(" \t");
  auto e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

std::string type_name(value_type t) {
  switch (t) {
    case value_type::void_: return "void";
    case value_type::integer: return "an integer";
    case value_type::boolean: return "a boolean";
    case value_type::page: return "a struct page *";
    case value_type::object: return "a struct pointer";
    case value_type::any: return "a value";
  }
  return "?";
}

value_type value_type_of(type_ref const& t) {
  switch (t.kind) {
    case type_kind::void_: return value_type::void_;
    case type_kind::integer: return value_type::integer;
    case type_kind::boolean: return value_type::boolean;
    case type_kind::page: return value_type::page;
    case type_kind::object: return value_type::object;
  }
  return value_type::integer;
}

// Returns true iff a value of type `have` may stand where `want` is expected.
bool fits(value_type want, value_type have) {
  if (want == value_type::any || want == have) return true;
  bool const want_num = want == value_type::integer || want == value_type::boolean;
  bool const have_num = have == value_type::integer || have == value_type::boolean;
  return want_num && have_num;
}

// Lowers one thread (or checks one function) into a program.
class lowerer {
 public:
  lowerer(source_set const& src, scenario_facts const& facts, program& p) : src_(src), facts_(facts), p_(p) {}

  void run_root(function const& f) {
    if (!f.params.empty())
      fail(f.pos, "a thread runs a function with no parameters; '" + f.name + "' takes " +
                      std::to_string(f.params.size()));
    prune_ = true;
    inline_call(f, {}, f.pos);
    emit_finish(f.pos);
    mark_visibility();
  }

  // The value of expression e if the scenario fixes it: constants under
  // !, comparisons, && and || (no arithmetic: its checks run when it does).
  std::optional<int> fold(std::uint16_t e) const {
    auto const& x = p_.exprs[e];
    using K = cexpr::kind;
    switch (x.k) {
      case K::constant: return x.op == 1 ? std::nullopt : std::optional<int>(x.value);
      case K::unary:
        if (x.op != '!') return std::nullopt;
        if (auto v = fold(x.args[0])) return !*v;
        return std::nullopt;
      case K::logical_and:
      case K::logical_or: {
        auto a = fold(x.args[0]);
        if (!a) return std::nullopt;
        if (x.k == K::logical_and && !*a) return 0;
        if (x.k == K::logical_or && *a) return 1;
        auto b = fold(x.args[1]);
        if (!b) return std::nullopt;
        return *b != 0;
      }
      case K::binary: {
        auto a = fold(x.args[0]);
        auto b = a ? fold(x.args[1]) : std::nullopt;
        if (!b) return std::nullopt;
        switch (static_cast<binop>(x.op)) {
          case binop::eq: return *a == *b;
          case binop::ne: return *a != *b;
          case binop::lt: return *a < *b;
          case binop::le: return *a <= *b;
          case binop::gt: return *a > *b;
          case binop::ge: return *a >= *b;
          default: return std::nullopt;
        }
      }
      default: return std::nullopt;
    }
  }

  // True iff statement s holds a label (a goto may jump into it).
  static bool has_label(stmt const& s) {
    if (s.k == stmt::kind::label) return true;
    for (auto const& b : s.body)
      if (has_label(b)) return true;
    return false;
  }

  // Checks a function alone: its parameters become slots.
  void check_only(function const& f) {
    frame fr;
    fr.fn = &f;
    frames_.push_back(std::move(fr));
    scopes_.emplace_back();
    for (auto const& prm : f.params)
      if (prm.type.out) scopes_.back()["*" + prm.name] = new_slot(prm.name, value_type_of(prm.type));
      else declare(prm.name, value_type_of(prm.type), prm.pos);
    lower_body(f);
    scopes_.pop_back();
    frames_.pop_back();
  }

 private:
  struct frame {
    function const* fn = nullptr;
    int result_slot = -1;
    std::vector<std::uint16_t> returns;  // jumps to patch to the exit
    std::map<std::string, std::uint16_t> labels;
    std::vector<std::pair<std::string, std::uint16_t>> gotos;  // (label, instr)
    std::set<std::string> used_labels;
    std::map<std::string, source_pos> label_pos;
    std::vector<std::string> calls;
  };
  struct loop {
    std::vector<std::uint16_t> breaks;
    std::vector<std::uint16_t> continues;
  };

  [[noreturn]] void fail(source_pos const& pos, std::string const& message) const {
    throw spec_error(src_.files()[pos.file], static_cast<int>(pos.line), static_cast<int>(pos.column), message);
  }

  // Charges the load budget for what the program grows by at pos.
  void charge(source_pos const& pos, std::uint64_t bytes) const {
    charge_load(bytes, src_.files()[pos.file], pos.line, pos.column);
  }
  // A string's heap bytes, if it outgrows its own buffer.
  static std::uint64_t heap_bytes(std::string const& s) { return s.size() > 15 ? s.size() + 1 + 16 : 0; }

  // --- emission -----------------------------------------------------------

  std::uint16_t site_for(source_pos const& pos) {
    site s;
    s.pos = pos;
    auto const& lines = src_.lines(pos.file);
    if (pos.line >= 1 && pos.line <= lines.size()) s.text = trim(lines[pos.line - 1]);
    s.function = frames_.empty() ? std::string() : frames_.back().fn->name;
    if (!frames_.empty()) s.calls = frames_.back().calls;
    if (!p_.sites.empty()) {
      auto const& last = p_.sites.back();
      if (last.pos.file == s.pos.file && last.pos.line == s.pos.line && last.calls == s.calls)
        return static_cast<std::uint16_t>(p_.sites.size() - 1);
    }
    std::uint64_t bytes = 2 * sizeof(site) + heap_bytes(s.text) + heap_bytes(s.function) + 16;
    for (auto const& c : s.calls) bytes += sizeof(std::string) + heap_bytes(c);
    charge(pos, bytes);
    p_.sites.push_back(std::move(s));
    return static_cast<std::uint16_t>(p_.sites.size() - 1);
  }

  // A thread's program, its calls inlined, stays within what its pcs and
  // expression ids (16 bits) name.
  static constexpr std::size_t max_instructions = 30000;
  static constexpr std::size_t max_exprs = 60000;

  std::uint16_t emit(instr in, source_pos const& pos) {
    if (p_.code.size() >= max_instructions)
      fail(pos, "the thread's code, its calls inlined, runs past " + std::to_string(max_instructions) +
                    " instructions: call fewer functions, or smaller ones");
    last_pos_ = pos;
    in.site = site_for(pos);
    charge(pos, 2 * sizeof(instr));  // the vector may be twice as long as it is full
    p_.code.push_back(in);
    return static_cast<std::uint16_t>(p_.code.size() - 1);
  }
  std::uint16_t here() const { return static_cast<std::uint16_t>(p_.code.size()); }
  void patch(std::uint16_t at, std::uint16_t target) { p_.code[at].target = target; }
  void emit_finish(source_pos const& pos) {
    instr in;
    in.k = instr::kind::finish;
    emit(in, pos);
  }
  std::uint16_t emit_jump(source_pos const& pos) {
    instr in;
    in.k = instr::kind::jump;
    return emit(in, pos);
  }
  std::uint16_t emit_branch(std::uint16_t cond, source_pos const& pos) {
    instr in;
    in.k = instr::kind::branch;
    in.a = cond;
    return emit(in, pos);
  }
  void emit_assign(int slot, std::uint16_t value, source_pos const& pos) {
    instr in;
    in.k = instr::kind::assign;
    in.dest = static_cast<std::int16_t>(slot);
    in.a = value;
    emit(in, pos);
  }

  // Emits a call of primitive `prim` on `args` (expression ids); its result
  // goes to a new slot named after it when `result` is a type, and that
  // slot is returned (-1 otherwise).
  int emit_action(std::string_view prim, std::initializer_list<std::uint16_t> args, source_pos const& pos,
                  std::optional<value_type> result = std::nullopt, std::uint16_t wait_cond = 0xffff) {
    instr in;
    in.k = instr::kind::action;
    in.prim = static_cast<std::uint16_t>(find_primitive(prim));
    for (auto a : args) in.args[in.nargs++] = a;
    in.wait_cond = wait_cond;
    int slot = -1;
    if (result) {
      slot = new_slot("(" + std::string(prim) + ")", *result);
      in.dest = static_cast<std::int16_t>(slot);
    }
    emit(in, pos);
    return slot;
  }

  std::uint16_t add_expr(cexpr e) {
    if (p_.exprs.size() >= max_exprs)
      fail(last_pos_, "the thread's code, its calls inlined, runs past " + std::to_string(max_exprs) +
                          " expression nodes: call fewer functions, or smaller ones");
    charge(last_pos_, 2 * sizeof(cexpr));
    p_.exprs.push_back(e);
    return static_cast<std::uint16_t>(p_.exprs.size() - 1);
  }
  std::uint16_t constant(int v, value_type t = value_type::integer) {
    cexpr e;
    e.k = cexpr::kind::constant;
    e.value = static_cast<std::int16_t>(v);
    e.type = t;
    return add_expr(e);
  }
  std::uint16_t local(int slot) {
    cexpr e;
    e.k = cexpr::kind::local;
    e.value = static_cast<std::int16_t>(slot);
    e.type = p_.slot_types[static_cast<std::size_t>(slot)];
    return add_expr(e);
  }

  // --- names --------------------------------------------------------------

  int new_slot(std::string const& name, value_type t) {
    p_.slot_names.push_back((frames_.empty() ? std::string() : frames_.back().fn->name + ".") + name);
    p_.slot_types.push_back(t);
    return static_cast<int>(p_.slot_names.size() - 1);
  }
  int declare(std::string const& name, value_type t, source_pos const& pos) {
    if (scopes_.back().count(name)) fail(pos, "'" + name + "' is already declared in this scope");
    int slot = new_slot(name, t);
    scopes_.back()[name] = slot;
    return slot;
  }
  std::optional<int> lookup(std::string const& name) const {
    // Only the scopes of the current function are visible.
    for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
      auto f = it->find(name);
      if (f != it->end()) return f->second;
      if (it->count("\x01frame")) break;
    }
    return std::nullopt;
  }

  // --- expressions --------------------------------------------------------

  // Returns true iff evaluating e has effects: it calls an action or a model function.
  bool has_effects(expr const& e) const {
    if (e.k == expr::kind::call) {
      if (src_.find(e.text)) return true;
      int p = find_primitive(e.text);
      if (e.text == "choose_page" || e.text.find("WARN") == 0 || e.text.find("BUG_ON") != std::string::npos ||
          e.text.find("wait_") != std::string::npos)
        return true;
      if (p >= 0 && primitives()[static_cast<std::size_t>(p)].kind == prim_kind::action) return true;
    }
    if (e.k == expr::kind::assign || e.k == expr::kind::postfix) return true;
    for (auto const& k : e.kids)
      if (has_effects(k)) return true;
    return false;
  }

  // The object an expression denotes at load time, if it is one: a global,
  // &obj->field, or a constant field of a known object.
  std::optional<object> static_object(expr const& e) {
    if (e.k == expr::kind::name) {
      if (lookup(e.text)) return std::nullopt;
      return global_named(e.text);
    }
    bool const addr = e.k == expr::kind::unary && e.text == "&";
    expr const& m = addr ? e.kids[0] : e;
    if (addr && m.k == expr::kind::name) return lookup(m.text) ? std::nullopt : global_named(m.text);
    if (m.k != expr::kind::member) return std::nullopt;
    // The base: a known object. A local's field is read when it runs
    // (member): the local may hold NULL, and reading through it oopses.
    std::optional<object> b = static_object(m.kids[0]);
    if (!b) return std::nullopt;
    field_rule const* r = find_field(m.text, b, false);
    if (!r || (r->mutable_ptr && !addr)) return std::nullopt;
    return r->result;
  }

  // obj->field (or &obj->field, `addr`) where obj is a value known only at
  // run time, or a mutable pointer field: a member node checked against
  // NULL when it runs.
  std::uint16_t member(expr const& e, bool addr = false) {
    std::uint16_t base = value(e.kids[0]);
    value_type const bt = p_.exprs[base].type;
    if (bt != value_type::object && bt != value_type::page && bt != value_type::any)
      fail(e.pos, "'->" + e.text + "' needs a struct pointer, not " + type_name(bt));
    // A known object's fields are its own; a local's, those of any object it may hold.
    std::optional<object> const known = static_object(e.kids[0]);
    field_rule const* r = find_field(e.text, known, bt == value_type::page);
    if (!r) fail(e.pos, "unknown field '" + e.text + "': shared state is read through primitives (docs/language.md)");
    if (r->addr_only && !addr) fail(e.pos, "'" + e.text + "' is named as &obj->" + e.text);
    cexpr m;
    m.k = cexpr::kind::member;
    m.value = static_cast<std::int16_t>(r - field_rules.data());
    m.args[0] = base;
    m.nargs = 1;
    m.type = value_type::object;
    m.op = r->mutable_ptr && !addr ? 1 : 0;
    return add_expr(m);
  }

  std::uint16_t value(expr const& e) {
    switch (e.k) {
      case expr::kind::number: return constant(static_cast<int>(e.value));
      case expr::kind::string: fail(e.pos, "a string stands only as a WARN message");
      case expr::kind::name: return name_value(e);
      case expr::kind::member:
      case expr::kind::unary: return unary_or_member(e);
      case expr::kind::binary: return e.text == "&&" || e.text == "||" ? logical(e) : binary(e);
      case expr::kind::ternary: return ternary(e);
      case expr::kind::assign: return assign(e);
      case expr::kind::postfix: return postfix(e);
      case expr::kind::call: return call(e, true);
    }
    fail(e.pos, "expected an expression");
  }

  // A local, a parameter, a constant, a global object, a release.
  std::uint16_t name_value(expr const& e) {
    if (auto slot = lookup(e.text)) return local(*slot);
    if (auto g = used_global(e.text)) {
      if (src_.globals()[*g].key) fail(e.pos, "'" + e.text + "' is a static key: read it with static_branch_unlikely(&" + e.text + ")");
      return global_read(*g);
    }
    if (auto c = constant_named(e.text))
      return constant(*c, e.text == "true" || e.text == "false" ? value_type::boolean
                          : e.text == "NULL"                    ? value_type::any
                                                                : value_type::integer);
    if (auto o = global_named(e.text)) return constant(static_cast<int>(*o), value_type::object);
    if (e.text == "KERNEL") return constant(facts_.kernel);
    if (auto r = release_named(e.text)) return constant(*r);
    fail(e.pos, "unknown name '" + e.text + "': expected a local, a parameter or a constant");
  }

  // -x, !x, ~x; pgmap->type; &page->_refcount; an object's field or its
  // address; &local (an out-parameter).
  std::uint16_t unary_or_member(expr const& e) {
    if (e.k == expr::kind::unary && e.text == "*") return local(out_slot(e.kids[0]));
    if (e.k == expr::kind::unary && e.text != "&") {
      cexpr u;
      u.k = cexpr::kind::unary;
      u.op = static_cast<std::uint8_t>(e.text[0]);
      u.args[0] = value(e.kids[0]);
      u.nargs = 1;
      u.type = e.text == "!" ? value_type::boolean : value_type::integer;
      return add_expr(u);
    }
    if (e.k == expr::kind::member && e.text == "type") {
      // pgmap->type: the scenario's one pgmap has one type. Through a
      // local, the read is checked against NULL when it runs (a member
      // node, then the type).
      std::uint16_t base = value(e.kids[0]);
      if (p_.exprs[base].type != value_type::object) fail(e.pos, "'->type' needs the pgmap");
      if (static_object(e.kids[0])) return constant(facts_.pagemap_type);
      cexpr read;
      read.k = cexpr::kind::member;
      read.value = static_cast<std::int16_t>(find_field("ref", object::pgmap, false) - field_rules.data());
      read.args[0] = base;
      read.nargs = 1;
      read.type = value_type::object;
      cexpr then;
      then.k = cexpr::kind::ternary;
      then.args = {add_expr(read), constant(facts_.pagemap_type), constant(facts_.pagemap_type)};
      then.nargs = 3;
      return add_expr(then);
    }
    if (e.k == expr::kind::unary && e.text == "&" && e.kids[0].k == expr::kind::member &&
        e.kids[0].text == "_refcount") {
      // &page->_refcount: the wait-variable of that page.
      cexpr r;
      r.k = cexpr::kind::read;
      r.prim = static_cast<std::uint16_t>(prim::page_var);
      r.args[0] = value(e.kids[0].kids[0]);
      r.nargs = 1;
      r.type = value_type::object;
      if (p_.exprs[r.args[0]].type != value_type::page) fail(e.pos, "&X->_refcount needs a struct page *");
      return add_expr(r);
    }
    if (auto o = static_object(e)) return constant(static_cast<int>(*o), value_type::object);
    if (e.k == expr::kind::member) return member(e);
    if (e.text == "&" && e.kids[0].k == expr::kind::member) return member(e.kids[0], true);
    if (e.text == "&" && e.kids[0].k == expr::kind::name && !lookup(e.kids[0].text)) {
      // &key: a static key, as static_branch_inc and friends take it.
      auto g = used_global(e.kids[0].text);
      if (!g || !src_.globals()[*g].key) fail(e.pos, "'&' applies to a local, an object's field or a static key here");
      return constant(*g, value_type::integer);
    }
    if (e.text == "&" && e.kids[0].k == expr::kind::name && lookup(e.kids[0].text)) {
      // &local: an out-parameter of a primitive (gen_pool_alloc_owner's owner).
      cexpr o;
      o.k = cexpr::kind::constant;
      o.value = static_cast<std::int16_t>(*lookup(e.kids[0].text));
      o.type = value_type::any;
      o.op = 1;  // an out-parameter: value is the slot
      return add_expr(o);
    }
    fail(e.pos, "'" + e.text + "' applies only to an object's field here");
  }

  // && and ||: an expression, or control flow where the right side has effects.
  std::uint16_t logical(expr const& e) {
    bool const is_and = e.text == "&&";
    if (!has_effects(e.kids[1])) {
      cexpr l;
      l.k = is_and ? cexpr::kind::logical_and : cexpr::kind::logical_or;
      l.args[0] = value(e.kids[0]);
      l.args[1] = value(e.kids[1]);
      l.nargs = 2;
      l.type = value_type::boolean;
      return add_expr(l);
    }
    // The right side has effects: short-circuit with control flow.
    int t = new_slot("(" + e.text + ")", value_type::boolean);
    std::uint16_t lhs = value(e.kids[0]);
    emit_assign(t, truth(lhs), e.pos);
    std::uint16_t skip = 0;
    if (is_and) {
      skip = emit_branch(local(t), e.pos);
    } else {
      cexpr n;
      n.k = cexpr::kind::unary;
      n.op = '!';
      n.args[0] = local(t);
      n.nargs = 1;
      skip = emit_branch(add_expr(n), e.pos);
    }
    std::uint16_t rhs = value(e.kids[1]);
    emit_assign(t, truth(rhs), e.pos);
    patch(skip, here());
    return local(t);
  }

  std::uint16_t binary(expr const& e) {
    cexpr b;
    b.k = cexpr::kind::binary;
    b.op = static_cast<std::uint8_t>(binop_code(e.text));
    b.args[0] = value(e.kids[0]);
    b.args[1] = value(e.kids[1]);
    b.nargs = 2;
    auto const op = static_cast<binop>(b.op);
    b.type = op >= binop::lt && op <= binop::ne ? value_type::boolean : value_type::integer;
    if (op == binop::add || op == binop::sub) {
      // page + n: the next page in pfn order (for_each style walks).
      if (p_.exprs[b.args[0]].type == value_type::page) b.type = value_type::page;
    }
    return add_expr(b);
  }

  // c ? a : b: an expression, or control flow where a side has effects.
  std::uint16_t ternary(expr const& e) {
    if (!has_effects(e.kids[1]) && !has_effects(e.kids[2])) {
      cexpr t;
      t.k = cexpr::kind::ternary;
      t.args[0] = value(e.kids[0]);
      t.args[1] = value(e.kids[1]);
      t.args[2] = value(e.kids[2]);
      t.nargs = 3;
      t.type = p_.exprs[t.args[1]].type;
      return add_expr(t);
    }
    int t = new_slot("(?:)", value_type::integer);
    std::uint16_t c = value(e.kids[0]);
    std::uint16_t to_else = emit_branch(c, e.pos);
    emit_assign(t, value(e.kids[1]), e.pos);
    std::uint16_t to_end = emit_jump(e.pos);
    patch(to_else, here());
    emit_assign(t, value(e.kids[2]), e.pos);
    patch(to_end, here());
    return local(t);
  }

  // x++, x--: x += 1, x -= 1.
  std::uint16_t postfix(expr const& e) {
    expr rewritten;
    rewritten.k = expr::kind::assign;
    rewritten.pos = e.pos;
    rewritten.text = e.text == "++" ? "+=" : "-=";
    rewritten.kids.push_back(e.kids[0]);
    expr one;
    one.k = expr::kind::number;
    one.value = 1;
    one.pos = e.pos;
    rewritten.kids.push_back(one);
    return assign(rewritten);
  }

  std::uint16_t truth(std::uint16_t v) {
    cexpr n;
    n.k = cexpr::kind::binary;
    n.op = static_cast<std::uint8_t>(binop::ne);
    n.args[0] = v;
    n.args[1] = constant(0);
    n.nargs = 2;
    n.type = value_type::boolean;
    return add_expr(n);
  }

  // A file-scope variable model code names: its id, recorded as one this
  // thread uses (its state byte exists only then).
  std::optional<std::uint16_t> used_global(std::string const& name) {
    auto g = src_.find_global(name);
    if (!g) return std::nullopt;
    p_.globals.emplace(*g, src_.globals()[*g]);
    return g;
  }

  std::uint16_t global_read(std::uint16_t g) {
    cexpr r;
    r.k = cexpr::kind::read;
    r.prim = static_cast<std::uint16_t>(prim::global_read);
    r.args[0] = constant(g);
    r.nargs = 1;
    r.type = src_.globals()[g].boolean ? value_type::boolean : value_type::integer;
    return add_expr(r);
  }

  // g = v is one store; g op= v (and g++) reads g in a step of its own,
  // then stores: a read-modify-write other threads can come between, as C's.
  // A value that reads shared state is read in a step of its own first (a
  // slot); any other is an expression over locals no later code changes, so
  // it is stored and is the assignment's value, with no slot of its own.
  std::uint16_t assign_global(expr const& e, std::uint16_t g) {
    std::uint16_t v;
    if (e.text == "=") {
      v = value(e.kids[1]);
    } else {
      int const old = new_slot("(" + src_.globals()[g].name + ")", value_type::integer);
      emit_assign(old, global_read(g), e.pos);
      cexpr b;
      b.k = cexpr::kind::binary;
      b.op = static_cast<std::uint8_t>(binop_code(e.text.substr(0, 1)));
      b.args[0] = local(old);
      b.args[1] = value(e.kids[1]);
      b.nargs = 2;
      b.type = value_type::integer;
      v = add_expr(b);
    }
    if (reads_shared(v)) {
      int const read = new_slot("(" + src_.globals()[g].name + " =)", p_.exprs[v].type);
      emit_assign(read, v, e.pos);
      v = local(read);
    }
    emit_action("global_write", {constant(g), v}, e.pos);
    return v;
  }

  std::uint16_t assign(expr const& e) {
    auto const& lhs = e.kids[0];
    if (lhs.k == expr::kind::member && e.text == "=") {
      // obj->ptr = v on a mutable pointer field: a store others can see.
      std::optional<object> b = static_object(lhs.kids[0]);
      bool const local_base = !b && lhs.kids[0].k == expr::kind::name && lookup(lhs.kids[0].text) &&
                              p_.slot_types[static_cast<std::size_t>(*lookup(lhs.kids[0].text))] == value_type::object;
      field_rule const* r = b || local_base ? find_field(lhs.text, b, false) : nullptr;
      if (!r || !r->mutable_ptr) fail(lhs.pos, "expected a pointer field model code may store to (pdev->p2pdma, pgmap->ref)");
      // Through a local: the local may hold NULL, and the store oopses (member).
      std::uint16_t const target = b ? constant(static_cast<int>(r->result), value_type::object) : member(lhs, true);
      std::uint16_t const v = value(e.kids[1]);
      emit_action("store_pointer", {target, v}, e.pos);
      return v;
    }
    if (lhs.k == expr::kind::name && !lookup(lhs.text))
      if (auto g = used_global(lhs.text)) return assign_global(e, *g);
    bool const through_out = lhs.k == expr::kind::unary && lhs.text == "*";
    if (!through_out && (lhs.k != expr::kind::name || !lookup(lhs.text)))
      fail(lhs.pos, "expected a local variable to assign to (shared state changes through primitives)");
    int slot = through_out ? out_slot(lhs.kids[0]) : *lookup(lhs.text);
    std::uint16_t rhs = value(e.kids[1]);
    if (e.text != "=") {
      cexpr b;
      b.k = cexpr::kind::binary;
      b.op = static_cast<std::uint8_t>(binop_code(e.text.substr(0, 1)));
      b.args[0] = local(slot);
      b.args[1] = rhs;
      b.nargs = 2;
      b.type = p_.slot_types[static_cast<std::size_t>(slot)];
      rhs = add_expr(b);
    }
    value_type const want = p_.slot_types[static_cast<std::size_t>(slot)];
    if (!fits(want, p_.exprs[rhs].type) && p_.exprs[rhs].type != value_type::any)
      fail(e.kids[1].pos, "expected " + type_name(want) + " for '" + (through_out ? "*" + lhs.kids[0].text : lhs.text) + "', got " +
                              type_name(p_.exprs[rhs].type));
    emit_assign(slot, rhs, e.pos);
    return local(slot);
  }

  // The local an out-parameter p stands for, as *p names it.
  int out_slot(expr const& p) {
    if (p.k == expr::kind::name)
      if (auto slot = lookup("*" + p.text)) return *slot;
    fail(p.pos, "'*' applies only to an out-parameter (struct X **p) here: pointers to scalars are not modelled");
  }

  // The argument of an out-parameter: &local of the parameter's type, or an
  // out-parameter of the caller's, passed on.
  int out_argument(expr const& a, type_ref const& t, std::string const& fn, std::size_t i) {
    std::optional<int> slot;
    if (a.k == expr::kind::unary && a.text == "&" && a.kids[0].k == expr::kind::name) slot = lookup(a.kids[0].text);
    else if (a.k == expr::kind::name) slot = lookup("*" + a.text);
    if (!slot)
      fail(a.pos, "argument " + std::to_string(i + 1) + " of '" + fn + "' is an out-parameter (" + t.spelling +
                      "): expected &local");
    value_type const want = value_type_of(t);
    if (p_.slot_types[static_cast<std::size_t>(*slot)] != want)
      fail(a.pos, "argument " + std::to_string(i + 1) + " of '" + fn + "': expected the address of a " + t.spelling.substr(0, t.spelling.size() - 1) + "local");
    return *slot;
  }

  // A call: a primitive, a check macro, or a model function (inlined).
  std::uint16_t call(expr const& e, bool want_value) {
    std::string const& n = e.text;
    if (check_macro const* macro = find_check_macro(n)) {
      std::size_t const want = macro->args;
      if (e.kids.size() != want)
        fail(e.pos, n + " takes " + std::to_string(want) + " argument" + (want == 1 ? "" : "s") + ", not " +
                        std::to_string(e.kids.size()));
      std::uint16_t c = value(e.kids[0]);
      return local(emit_action(macro->warns ? "WARN_ON" : "BUG_ON", {c}, e.pos, value_type::boolean));
    }
    if (n == "choose_page") return choose_page(e);
    if (is_wait_macro(n)) return wait_loop(e);
    if (function const* f = src_.find(n)) {
      std::vector<std::uint16_t> args;
      if (e.kids.size() != f->params.size())
        fail(e.pos, "'" + n + "' takes " + std::to_string(f->params.size()) + " argument" +
                        (f->params.size() == 1 ? "" : "s") + ", not " + std::to_string(e.kids.size()));
      std::vector<int> outs(e.kids.size(), -1);
      for (std::size_t i = 0; i < e.kids.size(); ++i) {
        if (f->params[i].type.out) {
          outs[i] = out_argument(e.kids[i], f->params[i].type, n, i);
          args.push_back(0);
          continue;
        }
        args.push_back(value(e.kids[i]));
        check_arg(e.kids[i], args.back(), value_type_of(f->params[i].type), n, i);
      }
      if (want_value && f->result.kind == type_kind::void_) fail(e.pos, "'" + n + "' returns no value");
      int result = inline_call(*f, args, e.pos, outs);
      return result < 0 ? constant(0) : local(result);
    }
    int pid = find_primitive(n);
    if (pid < 0) fail(e.pos, "unknown function or primitive '" + n + "' (pgmapcheck list --primitives)");
    auto const& prim = primitives()[static_cast<std::size_t>(pid)];
    if (e.kids.size() != prim.arity)
      fail(e.pos, "'" + n + "' takes " + std::to_string(prim.arity) + " argument" + (prim.arity == 1 ? "" : "s") +
                      ", not " + std::to_string(e.kids.size()));
    if (want_value && prim.result == value_type::void_) fail(e.pos, "'" + n + "' returns no value");
    std::array<std::uint16_t, 4> args{};
    for (std::size_t i = 0; i < e.kids.size(); ++i) {
      args[i] = value(e.kids[i]);
      check_arg(e.kids[i], args[i], prim.params[i], n, i);
    }
    if (prim.kind == prim_kind::read || prim.kind == prim_kind::constant) {
      cexpr r;
      r.k = cexpr::kind::read;
      r.prim = static_cast<std::uint16_t>(pid);
      r.args = args;
      r.nargs = prim.arity;
      r.type = prim.result;
      return add_expr(r);
    }
    if (n == "synchronize_rcu" || n == "kill_dax") p_.uses_rcu_gp = true;
    instr in;
    in.k = instr::kind::action;
    in.prim = static_cast<std::uint16_t>(pid);
    if (n == "schedule") in.wait_cond = wait_cond_;
    in.args = args;
    in.nargs = prim.arity;
    int t = -1;
    if (prim.result != value_type::void_) {
      t = new_slot("(" + n + ")", prim.result);
      in.dest = static_cast<std::int16_t>(t);
    }
    emit(in, e.pos);
    return t < 0 ? constant(0) : local(t);
  }

  void check_arg(expr const& arg, std::uint16_t v, value_type want, std::string const& callee, std::size_t i) {
    value_type have = p_.exprs[v].type;
    if (have == value_type::any) return;  // NULL
    if (!fits(want, have))
      fail(arg.pos, "argument " + std::to_string(i + 1) + " of '" + callee + "': expected " + type_name(want) +
                        ", got " + type_name(have));
  }

  // choose_page(pred): the page, among those for which the model function
  // pred(page) (one `return EXPR;` over reads) holds, that the search picks;
  // NULL when none does.
  std::uint16_t choose_page(expr const& e) {
    if (e.kids.size() != 1 || e.kids[0].k != expr::kind::name)
      fail(e.pos, "choose_page takes one argument: a predicate function bool f(struct page *page)");
    function const* f = src_.find(e.kids[0].text);
    if (!f) fail(e.kids[0].pos, "unknown predicate function '" + e.kids[0].text + "'");
    if (f->params.size() != 1 || f->params[0].type.kind != type_kind::page)
      fail(f->pos, "a choose_page predicate takes one struct page * parameter");
    auto const& body = f->body.body;
    if (body.size() != 1 || body[0].k != stmt::kind::return_ || body[0].exprs.empty() || has_effects(body[0].exprs[0]))
      fail(f->pos, "a choose_page predicate is one 'return EXPR;' over reads of shared state");
    int page_slot = new_slot(f->name + "." + f->params[0].name, value_type::page);
    frame fr;
    fr.fn = f;
    frames_.push_back(fr);
    scopes_.push_back({{"\x01frame", -1}, {f->params[0].name, page_slot}});
    std::uint16_t pred = value(body[0].exprs[0]);
    scopes_.pop_back();
    frames_.pop_back();
    // The second argument is the slot the predicate reads its page from.
    return local(emit_action("choose_page", {pred, static_cast<std::uint16_t>(page_slot)}, e.pos, value_type::page));
  }

  // wait_var_event(var, cond), wait_event(wq, cond) and
  // ___wait_var_event(var, cond, state, exclusive, ret, cmd), as
  // include/linux/wait_bit.h and wait.h expand them:
  //   for (;;) { prepare_to_wait_event(var); if (cond) break; cmd; }  finish_wait(var);
  // where cmd is schedule() unless given. The sleeper looks at cond again only
  // after a wake-up (wake_up_var, wake_up) makes schedule() return.
  std::uint16_t wait_loop(expr const& e) {
    bool const full = e.text == "___wait_var_event";
    if (e.kids.size() != (full ? 6u : 2u))
      fail(e.pos, e.text + " takes " + (full ? "6 arguments (var, condition, state, exclusive, ret, cmd)"
                                             : "2 arguments (var, condition)"));
    std::uint16_t var = value(e.kids[0]);
    if (p_.exprs[var].type != value_type::object) fail(e.kids[0].pos, "expected the address a waker names");
    std::uint16_t top = here();
    emit_action("prepare_to_wait_event", {var}, e.pos);
    std::uint16_t cond = value(e.kids[1]);
    cexpr n;
    n.k = cexpr::kind::unary;
    n.op = '!';
    n.args[0] = cond;
    n.nargs = 1;
    n.type = value_type::boolean;
    std::uint16_t to_done = emit_branch(add_expr(n), e.pos);  // if (cond) break
    std::uint16_t const saved = wait_cond_;
    wait_cond_ = cond;
    if (full) {
      if (e.kids[5].k != expr::kind::call) fail(e.kids[5].pos, "expected the command to run: a call");
      call(e.kids[5], false);
    } else {
      emit_action("schedule", {}, e.pos, std::nullopt, cond);
    }
    wait_cond_ = saved;
    patch(emit_jump(e.pos), top);
    patch(to_done, here());
    emit_action("finish_wait", {var}, e.pos);
    return constant(0);
  }

  // --- functions ----------------------------------------------------------

  // Inlines f with the given argument values; returns the result slot or -1.
  int inline_call(function const& f, std::vector<std::uint16_t> const& args, source_pos const& at,
                  std::vector<int> const& outs = {}) {
    for (auto const& fr : frames_)
      if (fr.fn == &f) fail(at, "recursion: '" + f.name + "' calls itself (model code is inlined)");
    if (frames_.size() > 32) fail(at, "calls nested deeper than 32");
    // Parameters are evaluated in the caller's scope, then bound.
    std::vector<int> slots;
    frame fr;
    fr.fn = &f;
    fr.calls = frames_.empty() ? std::vector<std::string>{} : frames_.back().calls;
    fr.calls.push_back(f.name);
    if (f.result.kind != type_kind::void_) fr.result_slot = -2;  // allocated below, named after f
    frames_.push_back(std::move(fr));
    auto& cur = frames_.back();
    if (cur.result_slot == -2) cur.result_slot = new_slot("(return)", value_type_of(f.result));
    scopes_.push_back({{"\x01frame", -1}});
    int const first_slot = static_cast<int>(p_.slot_names.size());
    for (std::size_t i = 0; i < f.params.size(); ++i) {
      if (f.params[i].type.out) {  // *p is the caller's local itself
        scopes_.back()["*" + f.params[i].name] = outs[i];
        continue;
      }
      int s = declare(f.params[i].name, value_type_of(f.params[i].type), f.params[i].pos);
      emit_assign(s, args[i], f.params[i].pos);
    }
    lower_body(f);
    std::uint16_t exit = here();
    for (auto r : frames_.back().returns) patch(r, exit);
    int const last_slot = static_cast<int>(p_.slot_names.size());
    if (last_slot > first_slot) {  // the callee's locals die at its exit
      instr in;
      in.k = instr::kind::clear;
      in.dest = static_cast<std::int16_t>(first_slot);
      in.value = static_cast<std::int16_t>(last_slot - first_slot);
      emit(in, f.body.pos);
    }
    int result = frames_.back().result_slot;
    scopes_.pop_back();
    frames_.pop_back();
    return result;
  }

  void lower_body(function const& f) {
    check_reachability(f.body, f);
    stmt_(f.body);
    auto& fr = frames_.back();
    for (auto const& [label, at] : fr.gotos) {
      auto it = fr.labels.find(label);
      if (it == fr.labels.end()) fail(p_.sites[p_.code[at].site].pos, "goto to an undefined label '" + label + "'");
      patch(at, it->second);
    }
    for (auto const& [label, at] : fr.labels)
      if (!fr.used_labels.count(label)) fail(fr.label_pos.at(label), "label '" + label + "' is never used");
  }

  // Unreachable code: a statement after return, goto, break or continue in
  // the same block, unless it carries a label.
  void check_reachability(stmt const& s, function const& f) {
    if (s.k == stmt::kind::block) {
      bool dead = false;
      for (auto const& c : s.body) {
        if (dead && c.k != stmt::kind::label && c.k != stmt::kind::empty)
          fail(c.pos, "unreachable code in '" + f.name + "'");
        if (c.k == stmt::kind::label) dead = false;
        auto const& last = c.k == stmt::kind::label ? c.body[0] : c;
        if (last.k == stmt::kind::return_ || last.k == stmt::kind::goto_ || last.k == stmt::kind::break_ ||
            last.k == stmt::kind::continue_)
          dead = true;
      }
    }
    for (auto const& c : s.body) check_reachability(c, f);
  }

  // --- statements ---------------------------------------------------------

  // return [value]: the value goes to the frame's result slot, then a jump to
  // the function's exit.
  void return_stmt(stmt const& s) {
    auto& fr = frames_.back();  // frames_ is a deque: this stays valid while value() inlines calls
    if (!s.exprs.empty()) {
      if (fr.fn->result.kind == type_kind::void_) fail(s.pos, "'" + fr.fn->name + "' returns void");
      std::uint16_t v = value(s.exprs[0]);
      value_type want = value_type_of(fr.fn->result);
      if (!fits(want, p_.exprs[v].type) && p_.exprs[v].type != value_type::any)
        fail(s.exprs[0].pos, "'" + fr.fn->name + "' returns " + type_name(want) + ", not " +
                                 type_name(p_.exprs[v].type));
      if (fr.result_slot >= 0) emit_assign(fr.result_slot, v, s.pos);
    } else if (fr.fn->result.kind != type_kind::void_) {
      fail(s.pos, "'" + fr.fn->name + "' must return a value");
    }
    fr.returns.push_back(emit_jump(s.pos));
  }

  void stmt_(stmt const& s) {
    using K = stmt::kind;
    switch (s.k) {
      case K::block:
        scopes_.emplace_back();
        for (auto const& c : s.body) stmt_(c);
        scopes_.pop_back();
        return;
      case K::decls:
        for (auto const& c : s.body) stmt_(c);
        return;
      case K::expression:
        if (s.exprs[0].k == expr::kind::call) {
          std::uint16_t v = call(s.exprs[0], false);
          // A read alone as a statement still reads: it is a step of its own.
          if (p_.exprs[v].k == cexpr::kind::read) emit_assign(new_slot("(" + s.exprs[0].text + ")", p_.exprs[v].type), v, s.pos);
        }
        else if (s.exprs[0].k == expr::kind::assign || s.exprs[0].k == expr::kind::postfix)
          value(s.exprs[0]);
        else
          fail(s.pos, "a statement with no effect");
        return;
      case K::decl: {
        value_type t = value_type_of(s.type);
        std::optional<std::uint16_t> init;
        if (!s.exprs.empty()) init = value(s.exprs[0]);  // before the name is in scope
        int slot = declare(s.name, t, s.pos);
        if (init) {
          if (!fits(t, p_.exprs[*init].type) && p_.exprs[*init].type != value_type::any)
            fail(s.exprs[0].pos, "expected " + type_name(t) + " for '" + s.name + "', got " +
                                     type_name(p_.exprs[*init].type));
          emit_assign(slot, *init, s.pos);
        } else {
          emit_assign(slot, constant(0), s.pos);
        }
        return;
      }
      case K::if_: {
        std::uint16_t c = value(s.exprs[0]);
        if (auto known = prune_ ? fold(c) : std::nullopt) {
          // A condition fixed for this scenario (the pagemap's type, the
          // release): only the branch taken is code; the other takes no
          // locals. A branch holding a label stays, for the gotos to it.
          std::size_t const dead = *known ? 1 : 0;
          if (dead >= s.body.size() || !has_label(s.body[dead])) {
            if (*known) stmt_(s.body[0]);
            else if (s.body.size() > 1) stmt_(s.body[1]);
            return;
          }
        }
        std::uint16_t to_else = emit_branch(c, s.pos);
        stmt_(s.body[0]);
        if (s.body.size() > 1) {
          std::uint16_t to_end = emit_jump(s.pos);
          patch(to_else, here());
          stmt_(s.body[1]);
          patch(to_end, here());
        } else {
          patch(to_else, here());
        }
        return;
      }
      case K::while_:
      case K::for_:
      case K::do_while: {
        scopes_.emplace_back();
        if (s.k == K::for_) stmt_(s.body[0]);
        stmt const& body = s.k == K::for_ ? s.body[1] : s.body[0];
        std::uint16_t top = here();
        std::optional<std::uint16_t> exit_branch;
        if (s.k != K::do_while) exit_branch = emit_branch(value(s.exprs[0]), s.pos);
        loops_.emplace_back();
        stmt_(body);
        std::uint16_t cont = here();
        if (s.k == K::for_ && !(s.exprs[1].k == expr::kind::number)) value(s.exprs[1]);
        if (s.k == K::do_while) {
          cexpr n;
          n.k = cexpr::kind::unary;
          n.op = '!';
          n.args[0] = value(s.exprs[0]);
          n.nargs = 1;
          patch(emit_branch(add_expr(n), s.pos), top);
        } else {
          patch(emit_jump(s.pos), top);
        }
        std::uint16_t end = here();
        if (exit_branch) patch(*exit_branch, end);
        close_loop(end, cont);
        scopes_.pop_back();
        return;
      }
      case K::foreach: return foreach(s);
      case K::return_: return return_stmt(s);
      case K::goto_: {
        auto at = emit_jump(s.pos);
        frames_.back().gotos.emplace_back(s.name, at);
        frames_.back().used_labels.insert(s.name);
        return;
      }
      case K::label: {
        auto& fr = frames_.back();
        if (fr.labels.count(s.name)) fail(s.pos, "label '" + s.name + "' is defined twice");
        fr.labels[s.name] = here();
        fr.label_pos[s.name] = s.pos;
        stmt_(s.body[0]);
        return;
      }
      case K::break_:
      case K::continue_: {
        if (loops_.empty()) fail(s.pos, std::string(s.k == K::break_ ? "break" : "continue") + " outside a loop");
        auto at = emit_jump(s.pos);
        (s.k == K::break_ ? loops_.back().breaks : loops_.back().continues).push_back(at);
        return;
      }
      case K::empty: return;
    }
  }

  // for_each_device_pfn(page, pgmap) BODY: every page of the pgmap in pfn order.
  void foreach(stmt const& s) {
    if (s.name != "for_each_device_pfn")
      fail(s.pos, "unknown iterator '" + s.name + "': expected for_each_device_pfn(page, pgmap)");
    if (s.exprs.size() != 2 || s.exprs[0].k != expr::kind::name)
      fail(s.pos, "for_each_device_pfn takes (page, pgmap)");
    auto slot = lookup(s.exprs[0].text);
    if (!slot || p_.slot_types[static_cast<std::size_t>(*slot)] != value_type::page)
      fail(s.exprs[0].pos, "expected a struct page * local to iterate with");
    if (p_.exprs[value(s.exprs[1])].type != value_type::object) fail(s.exprs[1].pos, "expected the pgmap");
    emit_assign(*slot, constant(1, value_type::page), s.pos);
    std::uint16_t top = here();
    cexpr le;
    le.k = cexpr::kind::binary;
    le.op = static_cast<std::uint8_t>(binop::le);
    le.args[0] = local(*slot);
    le.args[1] = constant(facts_.pages);
    le.nargs = 2;
    le.type = value_type::boolean;
    std::uint16_t exit_branch = emit_branch(add_expr(le), s.pos);
    loops_.emplace_back();
    stmt_(s.body[0]);
    std::uint16_t cont = here();
    cexpr inc;
    inc.k = cexpr::kind::binary;
    inc.op = static_cast<std::uint8_t>(binop::add);
    inc.args[0] = local(*slot);
    inc.args[1] = constant(1);
    inc.nargs = 2;
    inc.type = value_type::page;
    emit_assign(*slot, add_expr(inc), s.pos);
    patch(emit_jump(s.pos), top);
    std::uint16_t end = here();
    patch(exit_branch, end);
    close_loop(end, cont);
  }

  // The innermost loop ends: its breaks go to `end`, its continues to `cont`.
  void close_loop(std::uint16_t end, std::uint16_t cont) {
    for (auto b : loops_.back().breaks) patch(b, end);
    for (auto c : loops_.back().continues) patch(c, cont);
    loops_.pop_back();
  }

  // --- visibility ---------------------------------------------------------

  bool reads_shared(std::uint16_t e) const {
    auto const& x = p_.exprs[e];
    if (x.k == cexpr::kind::read && primitives()[x.prim].kind == prim_kind::read) return true;
    if (x.k == cexpr::kind::member && x.op == 1) return true;
    for (std::uint8_t i = 0; i < x.nargs; ++i)
      if (x.k != cexpr::kind::constant && x.k != cexpr::kind::local && reads_shared(x.args[i])) return true;
    return false;
  }

  // An instruction is a step when it acts on shared state or reads it.
  void mark_visibility() {
    for (auto& in : p_.code) {
      switch (in.k) {
        case instr::kind::action: {
          auto kind = primitives()[in.prim].kind;
          bool reads = false;
          for (std::uint8_t i = 0; i < in.nargs; ++i)
            if (!(in.prim == static_cast<std::uint16_t>(prim::choose_page) && i == 1)) reads = reads || reads_shared(in.args[i]);
          in.visible = kind == prim_kind::action || reads;
          break;
        }
        case instr::kind::assign:
        case instr::kind::branch: in.visible = reads_shared(in.a); break;
        default: in.visible = false;
      }
    }
  }

 private:
  source_set const& src_;
  bool prune_ = false;  // compiling a thread: a branch the scenario rules out is left out
  scenario_facts const& facts_;
  program& p_;
  std::deque<frame> frames_;  // a deque: a reference into it stays valid while a call inlines (pushes)
  source_pos last_pos_{};  // the statement last emitted: where a program too large is reported
  std::vector<std::map<std::string, int>> scopes_;
  std::vector<loop> loops_;
  std::uint16_t wait_cond_ = 0xffff;  // inside a wait macro's command: the condition it waits for
};

}  // namespace

program compile_thread(source_set const& sources, std::string const& root, std::string const& thread_name,
                       scenario_facts const& facts) {
  function const* f = sources.find(root);
  if (!f) throw spec_error("<model>", 1, 1, "unknown thread function '" + root + "'");
  program p;
  p.name = thread_name;
  lowerer l(sources, facts, p);
  l.run_root(*f);
  return p;
}

std::uint64_t footprint(program const& p) {
  auto heap = [](std::string const& s) -> std::uint64_t { return s.capacity() > 15 ? s.capacity() + 1 + 16 : 0; };
  std::uint64_t bytes = sizeof(program) + p.code.capacity() * sizeof(instr) + p.exprs.capacity() * sizeof(cexpr) +
                        p.sites.capacity() * sizeof(site) + p.slot_names.capacity() * sizeof(std::string) +
                        p.slot_types.capacity() * sizeof(value_type);
  for (auto const& s : p.sites) {
    bytes += heap(s.text) + heap(s.function) + s.calls.capacity() * sizeof(std::string);
    for (auto const& c : s.calls) bytes += heap(c);
  }
  for (auto const& n : p.slot_names) bytes += heap(n);
  return bytes;
}

void check_all(source_set const& sources, scenario_facts const& facts) {
  for (auto const& [name, f] : sources.functions()) {
    program p;
    lowerer l(sources, facts, p);
    l.check_only(f);
  }
}

}  // namespace pgmapcheck::lang
