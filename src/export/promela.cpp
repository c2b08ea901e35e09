// The Promela export (src/export/promela.hpp). Each primitive's
// effect is written again here in Promela, beside its C++ semantics in
// lang/executor.hpp (executor::action); SPIN's state count on the export equals
// the unreduced search's only when the two agree, which tests/export/spin_crosscheck.sh checks.
//
// The state: the world's bytes are global scalars, each page field an array
// over the pages, each thread record field an array over the threads, and a
// thread's pc and locals are its proctype's locals. A thread's proctype is
// one loop whose options are its steps, each a d_step guarded by the pc it
// starts at and by its enabledness, so SPIN stores exactly the states at
// which some thread rests between steps, as the search does.
#include "export/promela.hpp"

#include "lang/layout.hpp"
#include "models/lifecycle.hpp"
#include "lang/error.hpp"
#include "lang/primitives.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace pgmapcheck::lang {

using namespace layout;

namespace {
constexpr std::string_view page_fields[] = {"refcount", "mapcount", "pstate", "pflags", "pins", "io", "life"};
// The lifecycle events by id (models/lifecycle.hpp), as Promela names.
constexpr std::string_view event_ids[] = {"alloc", "release", "map", "unmap", "get_page", "put_page", "put_base"};
static_assert(std::size(event_ids) == models::event_names.size());
}  // namespace

class promela_writer {
 public:
  promela_writer(code_model const& m, property_set checked, std::string file)
      : m_(m), checked_(checked), file_(std::move(file)), pages_(m.setup_.facts.pages),
        // [setup]'s thread (the last) has run before the search: it has no steps, so no proctype
        threads_(static_cast<int>(m.threads_.size()) - (m.setup_.setup_thread >= 0 ? 1 : 0)) {
    for (auto const& t : m_.threads_)
      for (auto const& in : t.code)
        if (in.k == instr::kind::action && static_cast<prim>(in.prim) == prim::prepare_to_wait_exclusive) exclusive_waits_ = true;
  }

  std::string write(std::string const& title) {
    for (auto const& r : m_.setup_.required)
      if (r.line > 0) fail("the Promela export does not cover a witness's ran(...) atoms");
    gated_ = !m_.setup_.required.empty();
    auto const s0 = m_.initial();
    auto const* b = s0.bytes.data();
    if (m_.setup_.setup_thread >= 0) {
      auto const& l = m_.layout_[static_cast<std::size_t>(m_.setup_.setup_thread)];
      for (std::size_t at = t_wait; at < t_fixed; ++at)
        if (at != t_flags && b[l.base + at] != 0)
          fail("the Promela export does not cover a [setup] that ends holding a page reference or an RCU read lock");
    }
    std::string o;
    o += fmt::format("/* {}\n * Written by pgmapcheck promela: the scenario's model code as Promela, one d_step per\n"
                     " * pgmapcheck step. With reductions off both explore the same states. Livelock (a state\n"
                     " * from which no run ends) is not asserted: a safety search cannot see it. */\n\n",
                     comment(title));
    o += fmt::format("#define P {}\n#define T {}\n\n", pages_, threads_);
    o += "/* The world: pgmap->ref and the shared objects. */\n";
    o += fmt::format("short pgmap_ref = {};\n", static_cast<std::int8_t>(b[w_ref]));
    o += fmt::format("byte ref_mode = {};   /* 0 live, 1 killed, 2 exited */\n", b[w_mode]);
    o += fmt::format("byte wflags = {};\nbyte completion_done = {};\nbyte failures = {};\nbyte wflags2 = {};\n",
                     b[w_flags], b[w_done], b[w_failures], b[w_flags2]);
    o += fmt::format("byte locks[{}] = {};\n", lock_objects.size(), uniform(b + w_locks, 1, lock_objects.size(), "locks"));
    for (std::size_t g = 0; g < m_.globals_.size(); ++g)
      if (int const at = m_.globals_[g].at; at >= 0)
        o += fmt::format("short g{} = {};  /* {} */\n", g, static_cast<std::int8_t>(b[at]), m_.globals_[g].var.name);
    o += "\n/* The pages. */\n";
    for (std::size_t f = 0; f < p_size; ++f) {
      int const v = uniform(b + m_.pages_at_ + f, p_size, static_cast<std::size_t>(pages_), page_fields[f]);
      o += fmt::format("{} {}[P] = {};\n", f == p_refcount ? "short" : "byte", page_fields[f],
                       f == p_refcount ? static_cast<std::int8_t>(v) : v);
    }
    o += "\n/* The thread records (pc and locals are the proctypes' own). */\n";
    for (auto [field, at] : {std::pair{"twait", t_wait}, {"tflags", t_flags}, {"trcu", t_rcu}}) {
      int v = -1;
      for (int t = 0; t < threads_; ++t) {
        auto const& l = m_.layout_[static_cast<std::size_t>(t)];
        if (v >= 0 && b[l.base + at] != v) fail(std::string("threads start with different ") + field);
        v = b[l.base + at];
      }
      o += fmt::format("byte {}[T] = {};\n", field, v);
    }
    o += "byte held[T * P];  /* held[t * P + p]: the references thread t holds on page p */\n";
    bool gp = false;
    for (int t = 0; t < threads_; ++t) gp |= m_.layout_[static_cast<std::size_t>(t)].gp != 0;
    if (gp) o += "int gp[T];  /* the readers a grace period waits for */\n";
    o += "\n/* The checked properties: each assert names the one it checks. */\n";
    for (std::size_t i = 0; i < property_count; ++i)
      if (on(static_cast<property>(i))) o += "hidden byte " + flag(static_cast<property>(i)) + " = 1;\n";
    o += "\nhidden short hp, hc, hv, hw;\nhidden byte hi;\nhidden int hm;\n";
    if (gated_)
      o += "/* [expect] involves and passes: met's bit r is set once requirement r is met (pgmapcheck's\n"
           " * own byte); a step's violations (viol) count only once all are; stepped: the step acted\n"
           " * on a page. */\nbyte met = 0;\nhidden byte viol, stepped;\n";
    o += "\n";
    o += helpers();
    for (int t = 0; t < threads_; ++t) o += proctype(t, b);
    in_terminal_ = true;
    o += terminal();
    return o;
  }

 private:
  [[noreturn]] void fail(std::string const& what) const { throw spec_error(file_, 1, 1, what); }

  int uniform(std::uint8_t const* at, std::size_t stride, std::size_t n, std::string_view what) const {
    for (std::size_t i = 1; i < n; ++i)
      if (at[i * stride] != at[0])  // only a [setup] leaves them so
        fail(fmt::format("the Promela export does not cover a start where the {} differ from one another "
                         "([setup] left them so)", what));
    return at[0];
  }

  bool on(property p) const { return checked_.has(p); }
  // A checked property's name as a Promela constant: SPIN prints it with the
  // assert that fails (refcount_underflow for refcount-underflow).
  static std::string flag(property p) {
    std::string f(name_of(p));
    std::replace(f.begin(), f.end(), '-', '_');
    return f;
  }
  // A violation of p when cond holds: a failed assert if p is checked.
  // With requirements, a step's violation is noted (viol) and asserted at
  // the step's end, once the step's own requirement bits are set: the
  // search counts a violation only on a run that met them all (model-range
  // on any run).
  std::string check(property p, std::string const& cond) const {
    if (!on(p)) return "";
    if (gated_ && !in_terminal_ && p != property::model_range) return fmt::format("if :: {} && ({}) -> viol = 1 :: else fi;\n", flag(p), cond);
    return fmt::format("assert(!({} && ({})));\n", flag(p), cond);
  }
  // The step acted on a page (code_step::page), which an involves
  // requirement asks of the thread's step.
  std::string mark_page() const { return gated_ ? "stepped = 1;\n" : ""; }
  // The end of thread t's step from visible pc: the requirements it meets
  // (code_model::for_each_successor), then its noted violations asserted.
  std::string step_end(int t, std::uint16_t pc) const {
    if (!gated_) return "";
    std::string out;
    auto const& req = m_.setup_.required;
    for (std::size_t r = 0; r < req.size(); ++r) {
      if (!m_.meets_[r][static_cast<std::size_t>(t)][pc]) continue;
      std::string const set = fmt::format("met = met | {}", 1u << r);
      out += req[r].function.empty() ? "if :: stepped -> " + set + " :: else fi;\n" : set + ";\n";
    }
    out += fmt::format("assert(!(viol && met == {}));\nviol = 0;\nstepped = 0;\n", (1u << req.size()) - 1);
    return out;
  }

  // model-range when var leaves the byte pgmapcheck's state keeps it in
  // (Promela's short would go on counting where the byte would wrap).
  std::string range(std::string const& var) const {
    return check(property::model_range, var + " < -128 || " + var + " > 127");
  }

  // --- helpers: the lifecycle monitor, holders, wake-ups, pgmap->ref ------
  std::string helpers() const {
    std::string o;
    int const max_pins = 3 * threads_;
    for (std::size_t e = 0; e < std::size(event_ids); ++e) {
      o += fmt::format("inline life_{}(p) {{\n  if\n", event_ids[e]);
      for (int from = 0; from < 3; ++from)
        for (int mapped = 0; mapped < 2; ++mapped) {
          int pin = 0;
          while (pin <= max_pins) {  // runs of pin counts the table moves alike
            int const to = life_move(m_.setup_.facts.pagemap_type, static_cast<int>(e), from, pin, mapped != 0);
            int end = pin;
            while (end + 1 <= max_pins &&
                   life_move(m_.setup_.facts.pagemap_type, static_cast<int>(e), from, end + 1, mapped != 0) == to)
              ++end;
            std::string const pins = end == max_pins ? fmt::format("pins[p] >= {}", pin)
                                                     : fmt::format("pins[p] >= {} && pins[p] <= {}", pin, end);
            o += fmt::format("  :: life[p] == {} && (pflags[p] & 1) == {} && {} -> ", from, mapped, pins);
            o += to >= 0 ? fmt::format("life[p] = {}\n", to)
                         : or_skip(mark_page() + check(property::lifecycle, "true"));
            pin = end + 1;
          }
        }
      o += "  fi\n}\n";
    }
    o += "inline touch_page(p) {\n  " + mark_page() + or_skip(check(property::use_after_free, "wflags & 2")) + "}\n";
    // A freed pgmap struct is a use-after-free; exited counters, a NULL ref->data.
    o += "inline touch_counters() {\n  " +
         or_skip(check(property::use_after_free, "wflags & 4") + check(property::kernel_bug, "(wflags & 12) == 8")) + "}\n";
    o += "inline hold(t, p) {\n  if :: held[t * P + p] < 3 -> held[t * P + p]++; pins[p]++ :: else -> " +
         or_skip(check(property::model_range, "true")) + "  fi\n}\n";
    o += "inline unhold(t, p) {\n  if :: held[t * P + p] > 0 -> held[t * P + p]--; pins[p]-- :: else fi\n}\n";
    o += "inline life_put(t, p) {\n  if :: held[t * P + p] > 0 -> life_put_page(p) :: else -> life_put_base(p) fi\n}\n";
    o += "inline wake_all(target) {\n  hi = 0;\n  do\n  :: hi < T -> if :: twait[hi] == target -> twait[hi] = 0; "
         "tflags[hi] = tflags[hi] | 1 :: else fi; hi++\n  :: else -> break\n  od\n}\n";
    o += "inline wake_shared(target) {\n  hi = 0;\n  do\n  :: hi < T -> if :: twait[hi] == target && (tflags[hi] & " +
         std::to_string(int{tf_exclusive}) + ") == 0 -> twait[hi] = 0; tflags[hi] = tflags[hi] | 1 :: else fi; hi++\n" +
         "  :: else -> break\n  od\n}\n";
    o += "inline complete_one() {\n  if :: completion_done < 255 -> completion_done++ :: else -> " +
         or_skip(check(property::model_range, "true")) + "  fi\n}\n";
    o += "inline ref_put(n) {\n  touch_counters();\n  pgmap_ref = pgmap_ref - n;\n  " +
         check(property::refcount_underflow, "pgmap_ref < 0") + range("pgmap_ref") +
         fmt::format("  if\n  :: pgmap_ref == 0 && ref_mode != 0 ->\n    complete_one();\n    wake_all({})\n  :: else\n  fi\n}}\n",
                     static_cast<int>(object::pgmap_done));
    o += "inline release_page(t, p) {\n  " + mark_page() + "if\n  :: pstate[p] == 0 -> " +
         or_skip(check(property::free_while_used, "true")) + "  :: else ->\n    " +
         check(property::free_while_used, "(pflags[p] & 1) || pins[p] - held[t * P + p] > 0") +
         "    life_release(p)\n  fi;\n  pstate[p] = 0\n}\n";
    o += "inline lowest_free() {\n  hc = 0; hi = 0;\n  do\n  :: hi < P && hc == 0 -> if :: pstate[hi] == 0 -> hc = hi + 1 "
         ":: else fi; hi++\n  :: else -> break\n  od\n}\n\n";
    return o;
  }
  static std::string or_skip(std::string const& s) { return s.empty() ? "skip\n" : s; }

  // --- expressions -------------------------------------------------------
  struct ctx {
    int t;
    program const& prog;
    int override_slot = -1;  // choose_page's predicate: this slot reads as override_value
    int override_value = 0;
  };

  static std::string slot_name(int i) { return fmt::format("l{}", i); }

  // The slots the clear `outer` (a call's exit) must write: its range less
  // the ranges of the calls nested in that one, whose own exits cleared them
  // already. A frame's locals are 0 whenever the frame is not running, so
  // the states are the executor's (whose memset writes them all); a long
  // inlined call would write one line a local on every path through it, and
  // SPIN's parser slows past a few hundred thousand lines.
  std::vector<int> const& own_slots(program const& prog, instr const& outer) const {
    auto [it, fresh] = own_slots_.try_emplace(&outer);
    if (!fresh) return it->second;
    std::vector<bool> nested(static_cast<std::size_t>(outer.value), false);
    for (auto const& in : prog.code)
      if (in.k == instr::kind::clear && in.value < outer.value && in.dest >= outer.dest &&
          in.dest + in.value <= outer.dest + outer.value)
        for (int i = in.dest; i < in.dest + in.value; ++i) nested[static_cast<std::size_t>(i - outer.dest)] = true;
    for (int i = 0; i < outer.value; ++i)
      if (!nested[static_cast<std::size_t>(i)]) it->second.push_back(outer.dest + i);
    return it->second;
  }
  mutable std::unordered_map<instr const*, std::vector<int>> own_slots_;
  std::string page_ok(std::string const& v) const { return fmt::format("({0}) >= 1 && ({0}) <= P", v); }
  static bool is_number(std::string const& s) {
    return !s.empty() && std::all_of(s.begin() + (s[0] == '-' ? 1 : 0), s.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
           s != "-";
  }

  // The Promela expression for e; the checks its reads make are appended to
  // pre (statements, run before the expression is used).
  std::string ex(ctx const& c, std::uint16_t id, std::string& pre) const {
    auto const& e = c.prog.exprs[id];
    switch (e.k) {
      case cexpr::kind::constant: return std::to_string(e.value);
      case cexpr::kind::local: return e.value == c.override_slot ? std::to_string(c.override_value) : slot_name(e.value);
      case cexpr::kind::unary: {
        auto a = ex(c, e.args[0], pre);
        return e.op == '!' ? "(!" + a + ")" : e.op == '-' ? "(-" + a + ")" : "(~" + a + ")";
      }
      case cexpr::kind::logical_and:
      case cexpr::kind::logical_or:
      case cexpr::kind::ternary: return lazy(c, e, pre);
      case cexpr::kind::binary: {
        auto a = ex(c, e.args[0], pre), b = ex(c, e.args[1], pre);
        switch (static_cast<binop>(e.op)) {
          case binop::add: return "(" + a + " + " + b + ")";
          case binop::sub: return "(" + a + " - " + b + ")";
          case binop::mul: return "(" + a + " * " + b + ")";
          case binop::div:
          case binop::mod:  // a divide error oopses: kernel-bug, as the checker says
            pre += check(property::kernel_bug, "(" + b + ") == 0");
            return fmt::format("(({1}) != 0 -> ({0}) {2} ({1}) : 0)", a, b, e.op == static_cast<std::uint8_t>(binop::div) ? "/" : "%");
          case binop::shl:
          case binop::shr:  // a shift past an int's width: past the model
            pre += check(property::model_range, "(" + b + ") < 0 || (" + b + ") >= 32");
            return fmt::format("((({1}) < 0 || ({1}) >= 32) -> 0 : ({0}) {2} ({1}))", a, b,
                               e.op == static_cast<std::uint8_t>(binop::shl) ? "<<" : ">>");
          case binop::lt: return "(" + a + " < " + b + ")";
          case binop::le: return "(" + a + " <= " + b + ")";
          case binop::gt: return "(" + a + " > " + b + ")";
          case binop::ge: return "(" + a + " >= " + b + ")";
          case binop::eq: return "(" + a + " == " + b + ")";
          case binop::ne: return "(" + a + " != " + b + ")";
          case binop::band: return "(" + a + " & " + b + ")";
          case binop::bor: return "(" + a + " | " + b + ")";
          case binop::bxor: return "(" + a + " ^ " + b + ")";
        }
        return "0";
      }
      case cexpr::kind::read: return read(c, e, pre);
      case cexpr::kind::member: {
        auto base = ex(c, e.args[0], pre);
        auto const& r = field_rules[static_cast<std::size_t>(e.value)];
        if (!(is_number(base) && base != "0")) pre += check(property::kernel_bug, "(" + base + ") == 0");
        int const obj = static_cast<int>(r.result);
        if (!e.op) return std::to_string(obj);
        if (r.result == object::p2pdma) return fmt::format("((wflags & {}) != 0 -> {} : 0)", int{wf_p2pdma}, obj);
        if (r.result == object::pgmap_ref) return fmt::format("((wflags & {}) != 0 -> 0 : {})", int{wf_ref_null}, obj);
        return std::to_string(obj);
      }
    }
    return "0";
  }

  // &&, || and ?: evaluate their right side only when the left says so:
  // when that side's reads check something, it is run as statements.
  std::string lazy(ctx const& c, cexpr const& e, std::string& pre) const {
    auto a = ex(c, e.args[0], pre);
    std::string pb, pc;
    auto b = ex(c, e.args[1], pb);
    std::string d = e.k == cexpr::kind::ternary ? ex(c, e.args[2], pc) : "";
    if (pb.empty() && pc.empty()) {
      if (e.k == cexpr::kind::logical_and) return "(" + a + " && " + b + ")";
      if (e.k == cexpr::kind::logical_or) return "(" + a + " || " + b + ")";
      return "(" + a + " -> " + b + " : " + d + ")";
    }
    // The checks run on the side taken; the value is recomputed (reads have no effect but their checks).
    if (e.k == cexpr::kind::logical_and) pre += "if :: (" + a + ") -> " + or_skip(pb) + " :: else fi;\n";
    if (e.k == cexpr::kind::logical_or) pre += "if :: !(" + a + ") -> " + or_skip(pb) + " :: else fi;\n";
    if (e.k == cexpr::kind::ternary)
      pre += "if :: (" + a + ") -> " + or_skip(pb) + " :: else -> " + or_skip(pc) + " fi;\n";
    if (e.k == cexpr::kind::logical_and) return "(" + a + " && " + b + ")";
    if (e.k == cexpr::kind::logical_or) return "(" + a + " || " + b + ")";
    return "(" + a + " -> " + b + " : " + d + ")";
  }

  std::string read(ctx const& c, cexpr const& e, std::string& pre) const {
    prim const id = static_cast<prim>(e.prim);
    std::string a0 = e.nargs > 0 ? ex(c, e.args[0], pre) : "0";
    auto page_read = [&](std::string const& value, bool touches) {
      pre += check(property::kernel_bug, "!(" + page_ok(a0) + ")");
      if (touches) pre += fmt::format("if :: {} -> touch_page(({}) - 1) :: else fi;\n", page_ok(a0), a0);
      return fmt::format("({} -> {} : 0)", page_ok(a0), value);
    };
    std::string const p = "[(" + a0 + ") - 1]";
    switch (id) {
      case prim::page_var: return fmt::format("(({0}) >= 1 -> {1} + ({0}) - 1 : 0)", a0, object_count);
      case prim::global_read: return fmt::format("g{}", a0);
      case prim::static_branch_unlikely:
      case prim::static_branch_likely:
      case prim::static_key_enabled: return fmt::format("(g{} > 0)", a0);
      case prim::page_waitqueue:
        return fmt::format("(({0}) >= 1 && ({0}) <= P -> {1} + ({0}) - 1 : 0)", a0, object_count + max_pages);
      case prim::dax_entry_waitqueue:
        return fmt::format("(({0}) >= 1 && ({0}) <= P -> {1} + ({0}) - 1 : 0)", a0, object_count + 2 * max_pages);
      case prim::pfn_to_page: return fmt::format("(({0}) >= 0 && ({0}) < P -> ({0}) + 1 : 0)", a0);
      case prim::page_ref_count: return page_read("refcount" + p, true);
      case prim::percpu_ref_is_zero: return "(pgmap_ref == 0)";
      case prim::percpu_ref_is_dying: return "(ref_mode != 0)";
      case prim::alloc_file_removed: return fmt::format("((wflags2 & {}) != 0)", int{wf2_file_removed});
      case prim::dmirror_page_data: {
        auto v = page_read("1", true);
        pre += fmt::format("if :: {} -> {} :: else fi;\n", page_ok(a0),
                           or_skip(check(property::use_after_free, "pstate" + p + " == 0")));
        return v;
      }
      case prim::rcu_dereference:
      case prim::unlikely:
      case prim::likely: return a0;
      case prim::is_zone_device_page: return "1";
      case prim::is_device_private_page: return m_.setup_.facts.pagemap_type == 1 ? "1" : "0";
      case prim::pgmap_nr_pages: return "P";
      case prim::dev_dax_align_pmd: return m_.setup_.facts.align_pmd ? "1" : "0";
      case prim::xa_load: return fmt::format("((wflags & {}) != 0 -> {} : 0)", int{wf_published}, static_cast<int>(object::pgmap));
      case prim::page_allocated: return page_read("(pstate" + p + " != 0)", false);
      case prim::page_mapped: return page_read(fmt::format("((pflags{} & {}) != 0)", p, int{pf_mapped}), false);
      case prim::page_shared: return page_read(fmt::format("((pflags{} & {}) != 0)", p, int{pf_shared}), false);
      case prim::page_associated: return page_read(fmt::format("((pflags{} & {}) != 0)", p, int{pf_associated}), false);
      case prim::PageLocked: return page_read(fmt::format("((pflags{} & {}) != 0)", p, int{pf_locked}), true);
      case prim::dax_is_locked: return page_read(fmt::format("((pflags{} & {}) != 0)", p, int{pf_dax_locked}), false);
      case prim::is_migration_entry: return page_read(fmt::format("((pflags{} & {}) != 0)", p, int{pf_migration}), false);
      case prim::page_mapcount: return page_read("mapcount" + p, true);
      case prim::mapping_mapped: return fmt::format("((wflags & {}) != 0)", int{wf_file_mapped});
      case prim::dax_alive: return fmt::format("((wflags2 & {}) == 0)", int{wf2_dax_dead});
      // Steps, not values: action() (-Wswitch: a value row with no case
      // above does not build).
      PGMAPCHECK_STEP_CASES
        break;
    }
    fail("no Promela for the value of primitive " + std::string(primitives()[e.prim].name));
  }

  // A pure expression: for guards (the checks run when the step does).
  std::string pure(ctx const& c, std::uint16_t id) const {
    std::string ignored;
    return ex(c, id, ignored);
  }
  // An expression as a statement-level value: its checks first.
  std::string arg(ctx const& c, instr const& in, int i, std::string& o) const {
    return ex(c, in.args[static_cast<std::size_t>(i)], o);
  }

  // --- steps -------------------------------------------------------------
  static std::string name_of_prim(instr const& in) { return std::string(primitives()[in.prim].name); }

  std::string enabled(ctx const& c, instr const& in) const {
    if (in.k != instr::kind::action) return "";
    auto const name = name_of_prim(in);
    prim const id = static_cast<prim>(in.prim);
    std::string const t = std::to_string(c.t);
    std::string const asleep = fmt::format("(twait[{0}] != 0 && (tflags[{0}] & {1}) == 0)", t, int{tf_woken});
    if (id == prim::schedule) return "!" + asleep;
    if (id == prim::pgmapcheck_io_done) {
      auto v = pure(c, in.args[0]);
      return fmt::format("(!({0}) || (pins[({1}) - 1] - held[{2} * P + ({1}) - 1] == 0 && io[({1}) - 1] == 0))",
                         page_ok(v), v, t);
    }
    if (id == prim::wait_for_completion) return "(completion_done > 0 || !" + asleep + ")";
    if (id == prim::lock_page) {
      auto v = pure(c, in.args[0]);
      return fmt::format("(!({0}) || (pflags[({1}) - 1] & {2}) == 0)", page_ok(v), v, int{pf_locked});
    }
    if (id == prim::synchronize_rcu || id == prim::kill_dax)
      return fmt::format("((tflags[{}] & {}) == 0 || gp[{}] == 0)", t, int{tf_gp_started}, t);
    if (id == prim::vmf_insert_mixed || id == prim::dax_insert_pfn || id == prim::vm_insert_page)
      return fmt::format("locks[{}] == 0", lock_index(static_cast<int>(object::page_table_lock)));
    if (id == prim::spin_lock || id == prim::mutex_lock || id == prim::down_write || id == prim::down_read) {
      int const li = lock_of(c, in);
      if (li < 0) return "";
      return id == prim::down_read ? fmt::format("(locks[{}] & 128) == 0", li) : fmt::format("locks[{}] == 0", li);
    }
    return "";
  }

  // The lock `in` names; its argument's checks (a NULL base) go to `pre`
  // when given (the step), and nowhere in a guard.
  int lock_of(ctx const& c, instr const& in, std::string* pre = nullptr) const {
    std::string ignored;
    auto v = ex(c, in.args[0], pre ? *pre : ignored);
    if (!is_number(v)) fail("a lock named by a computed value in " + c.prog.name + ": the export needs a fixed lock");
    return lock_index(std::stoi(v));
  }

  // Emits thread c.t's step from the visible instruction at pc with outcome
  // o (for choose_page: o is the page, or -1 for none).
  // The step's invisible code is written once per instruction: where two
  // paths meet (a join), the second one jumps to the first's label, so a
  // step's d_step grows with its code, not with its paths.
  std::string step(ctx const& c, std::uint16_t pc, int o) {
    std::string out;
    ++step_id_;
    joins_ = joins_from(c, pc);
    written_.clear();
    run(c, pc, o, out, {}, true);
    return out + step_end(c.t, pc);
  }

  // The invisible instructions two or more paths of the step from pc reach.
  std::set<std::uint16_t> joins_from(ctx const& c, std::uint16_t pc) const {
    std::map<std::uint16_t, int> in_degree;
    std::vector<std::uint16_t> todo{pc};
    std::set<std::uint16_t> seen{pc};
    while (!todo.empty()) {
      auto const at = todo.back();
      todo.pop_back();
      auto const& in = c.prog.code[at];
      std::vector<std::uint16_t> next;
      if (in.k == instr::kind::branch) next = {static_cast<std::uint16_t>(at + 1), in.target};
      else if (in.k == instr::kind::jump) next = {in.target};
      else if (in.k != instr::kind::finish) next = {static_cast<std::uint16_t>(at + 1)};
      for (auto n : next) {
        if (c.prog.code[n].visible) continue;
        ++in_degree[n];
        if (seen.insert(n).second) todo.push_back(n);
      }
    }
    std::set<std::uint16_t> joins;
    for (auto const& [at, d] : in_degree)
      if (d > 1) joins.insert(at);
    return joins;
  }

  // The invisible code from pc on, up to the next visible instruction.
  void run_from(ctx const& c, std::uint16_t pc, std::string& out, std::set<std::uint16_t> path) {
    auto const& in = c.prog.code[pc];
    if (in.visible) {
      out += fmt::format("at = {};\n", pc);
      return;
    }
    if (!path.insert(pc).second) {
      fail(fmt::format("{}: model code loops without a step (instruction {}, {} line {}: {})", c.prog.name, pc,
                       c.prog.sites[in.site].function, c.prog.sites[in.site].pos.line, c.prog.sites[in.site].text));
    }
    if (joins_.count(pc)) {
      std::string const label = fmt::format("s{}_{}", step_id_, pc);
      if (!written_.insert(pc).second) {
        out += "goto " + label + ";\n";
        return;
      }
      out += label + ":\n";
    }
    if (++emitted_ > 100000) fail(c.prog.name + ": a step's code has too many paths for the export");
    run(c, pc, 0, out, path, false);
  }

  void run(ctx const& c, std::uint16_t pc, int o, std::string& out, std::set<std::uint16_t> const& path, bool first) {
    auto const& in = c.prog.code[pc];
    auto next = [&](std::string& to) { run_from(c, static_cast<std::uint16_t>(pc + 1), to, path); };
    switch (in.k) {
      case instr::kind::assign: {
        auto v = ex(c, in.a, out);
        out += fmt::format("{} = {};\n", slot_name(in.dest), v) + range(slot_name(in.dest));
        next(out);
        return;
      }
      case instr::kind::branch: {
        auto v = ex(c, in.a, out);
        std::string yes, no;
        next(yes);
        run_from(c, in.target, no, path);
        out += "if\n:: (" + v + ") ->\n" + yes + ":: else ->\n" + no + "fi;\n";
        return;
      }
      case instr::kind::jump: run_from(c, in.target, out, path); return;
      case instr::kind::clear:
        for (int i : own_slots(c.prog, in)) out += slot_name(i) + " = 0;\n";
        next(out);
        return;
      case instr::kind::finish:
        out += fmt::format("tflags[{0}] = tflags[{0}] | {1};\nat = {2};\n", c.t, int{tf_done}, pc);
        return;
      case instr::kind::action: action(c, in, o, out, next, first); return;
    }
  }

  void result(instr const& in, std::string const& v, std::string& out) const {
    if (in.dest >= 0) out += fmt::format("{} = {};\n", slot_name(in.dest), v) + range(slot_name(in.dest));
  }

  // A page argument: "hp" holds its index; body runs when it names a page.
  void with_page(std::string const& v, std::string& out, std::string const& body) const {
    out += "hp = (" + v + ") - 1;\nif\n:: hp < 0 || hp >= P -> " + or_skip(check(property::kernel_bug, "true")) +
           ":: else ->\n" + or_skip(body) + "fi;\n";
  }

  // One step's emission, as each primitive's function below gets it: the
  // thread, the instruction and its outcome, the code so far, the rest of
  // the step (the invisible code after it), whether it is the step's first
  // instruction, and the thread's number as text.
  struct step_args {
    promela_writer const& w;
    ctx const& c;
    instr const& in;
    int o;
    std::string& out;
    std::function<void(std::string&)> const& next;
    bool first;
    std::string t;
    // Argument i's value (its checks go to out first); the slot argument i names.
    std::string a(int i) const { return w.arg(c, in, i, out); }
    std::string dest_slot(int i) const {
      return slot_name(c.prog.exprs[in.args[static_cast<std::size_t>(i)]].value);
    }
  };

  // A primitive's effect: one function per primitive or family, below. An
  // argument the C++ primitive does not evaluate (arch_remove_memory's
  // pgmap) is not evaluated here either.
  void action(ctx const& c, instr const& in, int o, std::string& out, std::function<void(std::string&)> const& next,
              bool first) {
    prim const id = static_cast<prim>(in.prim);
    step_args const s{*this, c, in, o, out, next, first, std::to_string(c.t)};
    switch (id) {
      case prim::page_ref_inc:
      case prim::get_page:
      case prim::page_ref_dec:
      case prim::page_ref_dec_return:
      case prim::put_page_testzero:
      case prim::set_page_count:
      case prim::try_get_page:
      case prim::page_ref_add:
      case prim::page_ref_add_unless: return emit_page_count(id, s);
      case prim::percpu_ref_get:
      case prim::percpu_ref_get_many:
      case prim::percpu_ref_put:
      case prim::percpu_ref_put_many:
      case prim::percpu_ref_tryget_live:
      case prim::percpu_ref_kill:
      case prim::percpu_ref_exit: return emit_ref_op(id, s);
      case prim::complete: return emit_complete(s);
      case prim::wait_for_completion: return emit_wait_for_completion(s);
      case prim::wake_up_var:
      case prim::wake_up:
      case prim::__wake_up: return emit_wake_up(id, s);
      case prim::prepare_to_wait_event:
      case prim::prepare_to_wait:
      case prim::prepare_to_wait_exclusive: return emit_prepare_to_wait(id, s);
      case prim::dax_lock_entry:
      case prim::xas_store_unlocked: return emit_dax_entry_lock(id, s);
      case prim::schedule: return emit_schedule(s);
      case prim::finish_wait: return emit_finish_wait(s);
      case prim::spin_lock:
      case prim::mutex_lock:
      case prim::down_write:
      case prim::down_read: return emit_lock(id, s);
      case prim::spin_unlock:
      case prim::mutex_unlock:
      case prim::up_write:
      case prim::up_read: return emit_unlock(id, s);
      case prim::spin_trylock:
      case prim::mutex_trylock:
      case prim::down_read_trylock:
      case prim::down_write_trylock: return emit_trylock(id, s);
      case prim::lock_page:
      case prim::trylock_page:
      case prim::unlock_page: return emit_page_lock(id, s);
      case prim::global_write:
      case prim::static_branch_inc:
      case prim::static_branch_dec: return emit_global(id, s);
      case prim::rcu_read_lock:
      case prim::dax_read_lock: return emit_read_lock(id, s);
      case prim::rcu_read_unlock:
      case prim::dax_read_unlock: return emit_read_unlock(id, s);
      case prim::synchronize_rcu:
      case prim::kill_dax: return emit_grace_period(id, s);
      case prim::store_pointer: return emit_store_pointer(s);
      case prim::kfree: return emit_kfree(s);
      case prim::xa_store_range: return emit_xa_store_range(s);
      case prim::arch_remove_memory: return emit_arch_remove_memory(s);
      case prim::gen_pool_destroy: return emit_pool_destroy(s);
      case prim::gen_pool_alloc_owner:
      case prim::fs_block_alloc:
      case prim::devmem_free_list_pop: return emit_alloc_page(id, s);
      case prim::gen_pool_free_owner:
      case prim::gen_pool_free: return emit_pool_free(id, s);
      case prim::pgmapcheck_io_done:
      case prim::pgmapcheck_share:
      case prim::pgmapcheck_io_begin:
      case prim::pgmapcheck_io_end: return emit_harness_io(id, s);
      case prim::devmem_free_list_add: return emit_free_list_add(s);
      case prim::vmf_insert_mixed:
      case prim::dax_insert_pfn:
      case prim::vm_insert_page:
      case prim::set_pte_device_private: return emit_insert_pte(id, s);
      case prim::zap_pte:
      case prim::set_pte_migration: return emit_zap_pte(id, s);
      case prim::clear_pte_migration: return emit_clear_pte_migration(s);
      case prim::kernfs_remove_alloc_file:
      case prim::driver_stop: return emit_harness_flag(id, s);
      case prim::unlink_file_vma: return emit_unlink_file_vma(s);
      case prim::fs_block_free: return emit_fs_block_free(s);
      case prim::dax_associate_entry:
      case prim::dax_disassociate_entry: return emit_dax_entry(id, s);
      case prim::should_fail: return emit_should_fail(s);
      case prim::WARN_ON:
      case prim::BUG_ON: return emit_check_macro(id, s);
      case prim::choose_page: return emit_choose_page(s);
      // Values, not steps: read() (-Wswitch: a step row with no case above
      // does not build).
      PGMAPCHECK_VALUE_CASES
        break;
    }
    fail("no Promela for primitive " + name_of_prim(in));
  }

  void emit_page_count(prim id, step_args const& s) {
    auto const& [w, c, in, o, out, next, first, t] = s;
    std::string b;  // a body under a page check
    auto v = s.a(0);
    std::string a1 = in.nargs > 1 ? s.a(1) : "", a2 = in.nargs > 2 ? s.a(2) : "";
    b += "touch_page(hp);\n";
    // s.t, not t: clang 14 cannot capture a structured binding.
    auto get = [&] { return "refcount[hp] = refcount[hp] + 1;\n" + range("refcount[hp]") + "life_get_page(hp);\nhold(" + s.t + ", hp);\n"; };
    if (id == prim::page_ref_inc) b += get();
    else if (id == prim::get_page) b += check(property::get_from_zero, "refcount[hp] <= 0") + get();
    else if (id == prim::try_get_page) {
      std::string r0, r1;
      result(in, "0", r0);
      result(in, "1", r1);
      b += "if\n:: refcount[hp] <= 0 ->\n" + or_skip(check(property::kernel_warn, "true") + r0) + ":: else ->\n" + get() +
           r1 + "fi;\n";
    } else if (id == prim::page_ref_add_unless) {
      std::string r;
      result(in, "hv", r);
      b += "hv = (refcount[hp] != (" + a2 + "));\nif\n:: hv ->\nrefcount[hp] = refcount[hp] + (" + a1 + ");\n" +
           range("refcount[hp]") + "life_get_page(hp);\nhold(" + t + ", hp)\n:: else\nfi;\n" + r;
    } else if (id == prim::set_page_count) b += "refcount[hp] = " + a1 + ";\n" + range("refcount[hp]");
    else if (id == prim::page_ref_add) b += "refcount[hp] = refcount[hp] + (" + a1 + ");\n" + range("refcount[hp]");
    else {
      b += "life_put(" + t + ", hp);\nunhold(" + t + ", hp);\nrefcount[hp] = refcount[hp] - 1;\n" +
           check(property::refcount_underflow, "refcount[hp] < 0") + range("refcount[hp]");
      if (id == prim::page_ref_dec_return) result(in, "refcount[hp]", b);
      if (id == prim::put_page_testzero) result(in, "(refcount[hp] == 0)", b);
    }
    with_page(v, out, b);
    next(out);
  }

  void emit_ref_op(prim id, step_args const& s) {
    auto const& [w, c, in, o, out, next, first, t] = s;
    auto r = s.a(0);
    std::string n = in.nargs > 1 ? s.a(1) : "1";
    std::string body;
    if (id == prim::percpu_ref_get || id == prim::percpu_ref_get_many)
      body = "touch_counters();\npgmap_ref = pgmap_ref + (" + n + ");\n" + range("pgmap_ref");
    else if (id == prim::percpu_ref_put || id == prim::percpu_ref_put_many)
      body = "ref_put(" + n + ");\n";
    else if (id == prim::percpu_ref_tryget_live) {
      body = check(property::use_after_free, fmt::format("wflags & {}", int{wf_struct_freed})) +
             "hv = (ref_mode == 0);\nif :: hv -> pgmap_ref = pgmap_ref + 1 :: else fi;\n" + range("pgmap_ref");
      result(in, "hv", body);
    } else if (id == prim::percpu_ref_kill)
      body = "ref_mode = 1;\nref_put(1);\n";
    else if (id == prim::percpu_ref_exit)
      body = fmt::format("ref_mode = 2;\nwflags = wflags | {};\n", int{wf_counters_freed});
    else
      fail("no Promela for primitive " + name_of_prim(in));
    if (is_number(r) && r != "0") {
      out += body;
    } else {
      std::string r0;
      result(in, "0", r0);
      out += "if\n:: (" + r + ") == 0 ->\n" + or_skip(check(property::kernel_bug, "true") + r0) + ":: else ->\n" + body +
             "fi;\n";
    }
    next(out);
  }

  void emit_complete(step_args const& s) {
    auto const& [w, c, in, o, out, next, first, t] = s;
    auto v = s.a(0);
    out += "complete_one();\nhw = " + v + ";\nwake_all(hw);\n";
    next(out);
  }

  void emit_wait_for_completion(step_args const& s) {
    auto const& [w, c, in, o, out, next, first, t] = s;
    auto v = s.a(0);
    int const clear = tf_woken | tf_exclusive;
    std::string go = fmt::format("completion_done--;\ntwait[{0}] = 0;\ntflags[{0}] = tflags[{0}] & ~{1};\n", t, clear);
    next(go);
    out += "if\n:: completion_done > 0 ->\n" + go +
           fmt::format(":: else ->\ntwait[{0}] = {2};\ntflags[{0}] = tflags[{0}] & ~{1};\n", t, clear, v) +
           "fi;\n";
    if (!first) fail(c.prog.name + ": wait_for_completion in a step's invisible code");
    return;
  }

  // wake_up, wake_up_var, __wake_up (the executor's wake_up_step): the
  // waiters that are not exclusive, then the exclusive ones: all when
  // nr_exclusive is 0, else the one outcome o names (a thread; -1 none). A
  // model with no exclusive wait has no exclusive waiter: all are woken.
  void emit_wake_up(prim id, step_args const& s) {
    auto const& [w, c, in, o, out, next, first, t] = s;
    std::string const nr = id == prim::__wake_up ? s.a(1) : "1";
    out += "hw = " + s.a(0) + ";\nhc = " + nr + ";\n";
    if (id == prim::__wake_up) out += check(property::model_range, "hc != 0 && hc != 1");
    if (!exclusive_waits_) {
      out += "wake_all(hw);\n";
    } else {
      out += "wake_shared(hw);\nif :: hc == 0 -> wake_all(hw) :: else fi;\n";
      if (o >= 0) out += fmt::format("twait[{0}] = 0;\ntflags[{0}] = tflags[{0}] | {1};\n", o, int{tf_woken});
    }
    next(out);
  }

  // The guard under which outcome u of a wake-up for one wakes exclusive
  // waiter u (thread u), as the executor's exclusive_waiters counts them.
  std::string exclusive_candidate(ctx const& c, instr const& in, int u) const {
    std::string const nr = static_cast<prim>(in.prim) == prim::__wake_up ? pure(c, in.args[1]) : "1";
    return fmt::format("(twait[{0}] == ({1}) && (tflags[{0}] & {2}) != 0 && ({3}) == 1)", u, pure(c, in.args[0]),
                       int{tf_exclusive}, nr);
  }

  void emit_prepare_to_wait(prim id, step_args const& s) {
    auto const& [w, c, in, o, out, next, first, t] = s;
    out += fmt::format("twait[{0}] = {2};\ntflags[{0}] = tflags[{0}] & ~{1};\n", t, tf_woken | tf_exclusive, s.a(0));
    if (id == prim::prepare_to_wait_exclusive) out += fmt::format("tflags[{0}] = tflags[{0}] | {1};\n", t, int{tf_exclusive});
    next(out);
  }

  // dax_lock_entry, xas_store_unlocked: DAX_LOCKED of the page's entry (no
  // struct page is touched).
  void emit_dax_entry_lock(prim id, step_args const& s) {
    auto const& [w, c, in, o, out, next, first, t] = s;
    std::string b;
    if (id == prim::dax_lock_entry) {
      b = fmt::format("pflags[hp] = pflags[hp] | {};\n", int{pf_dax_locked});
    } else {
      result(in, fmt::format("((pflags[hp] & {}) != 0)", int{pf_dax_locked}), b);
      b += fmt::format("pflags[hp] = pflags[hp] & ~{};\n", int{pf_dax_locked});
    }
    with_page(s.a(0), out, b);
    next(out);
  }

  void emit_schedule(step_args const& s) {
    auto const& [w, c, in, o, out, next, first, t] = s;
    out += fmt::format("tflags[{0}] = tflags[{0}] & ~{1};\n", t, int{tf_woken});
    next(out);
  }

  void emit_finish_wait(step_args const& s) {
    auto const& [w, c, in, o, out, next, first, t] = s;
    out += fmt::format("twait[{0}] = 0;\ntflags[{0}] = tflags[{0}] & ~{1};\n", t, tf_woken | tf_exclusive);
    next(out);
  }

  void emit_lock(prim id, step_args const& s) {
    auto const& [w, c, in, o, out, next, first, t] = s;
    int const li = lock_of(c, in, &out);
    if (li < 0) fail(c.prog.name + ": " + name_of_prim(in) + " on an object that is not a lock");
    out += id == prim::down_read ? fmt::format("locks[{0}] = locks[{0}] + 1;\n", li) : fmt::format("locks[{}] = 128;\n", li);
    next(out);
  }

  void emit_trylock(prim id, step_args const& s) {
    auto const& [w, c, in, o, out, next, first, t] = s;
    int const li = lock_of(c, in, &out);
    if (li < 0) fail(c.prog.name + ": " + name_of_prim(in) + " on an object that is not a lock");
    std::string const v = fmt::format("locks[{}]", li);
    bool const reader = id == prim::down_read_trylock;
    std::string took = reader ? v + " = " + v + " + 1;\n" : v + " = 128;\n", missed;
    result(in, "1", took);
    result(in, "0", missed);
    out += "if\n:: " + (reader ? "(" + v + " & 128) == 0" : v + " == 0") + " ->\n" + took + ":: else ->\n" +
           or_skip(missed) + "fi;\n";
    next(out);
  }

  // A file-scope variable: g<id>, the compiler's constant id.
  void emit_global(prim id, step_args const& s) {
    auto const& [w, c, in, o, out, next, first, t] = s;
    std::string const g = fmt::format("g{}", s.a(0));  // not "g" + ...: GCC 12 -O3 warns (-Wrestrict) on that
    if (id == prim::global_write) out += g + " = " + s.a(1) + ";\n";
    else out += g + " = " + g + (id == prim::static_branch_inc ? " + 1;\n" : " - 1;\n");
    if (id == prim::static_branch_dec) out += check(property::kernel_warn, g + " < 0");
    out += range(g);
    next(out);
  }

  // lock_page runs only when PG_locked is clear (enabled()).
  void emit_page_lock(prim id, step_args const& s) {
    auto const& [w, c, in, o, out, next, first, t] = s;
    std::string b = "touch_page(hp);\n";
    if (id == prim::unlock_page) {
      b += check(property::kernel_bug, fmt::format("(pflags[hp] & {}) == 0", int{pf_locked})) +
           fmt::format("pflags[hp] = pflags[hp] & ~{};\nwake_all({} + hp);\n", int{pf_locked}, object_count + max_pages);
    } else {
      result(in, fmt::format("((pflags[hp] & {}) == 0)", int{pf_locked}), b);
      b += fmt::format("pflags[hp] = pflags[hp] | {};\n", int{pf_locked});
    }
    with_page(s.a(0), out, b);
    next(out);
  }

  void emit_unlock(prim id, step_args const& s) {
    auto const& [w, c, in, o, out, next, first, t] = s;
    int const li = lock_of(c, in, &out);
    bool const writer = id != prim::up_read;
    if (li < 0) {
      out += check(property::kernel_bug, "true");
    } else {
      std::string const v = fmt::format("locks[{}]", li);
      out += "if\n:: " + (writer ? v + " != 128" : "(" + v + " == 0 || " + v + " == 128)") + " ->\n" +
             or_skip(check(property::kernel_bug, "true")) + ":: else ->\n" +
             (writer ? v + " = 0;\n" : v + " = " + v + " - 1;\n") + "fi;\n";
    }
    next(out);
  }

  void emit_read_lock(prim id, step_args const& s) {
    auto const& [w, c, in, o, out, next, first, t] = s;
    out += fmt::format("trcu[{0}] = trcu[{0}] + {1};\n", t, id == prim::rcu_read_lock ? 1 : 16);
    next(out);
  }

  void emit_read_unlock(prim id, step_args const& s) {
    auto const& [w, c, in, o, out, next, first, t] = s;
    bool const rcu = id == prim::rcu_read_unlock;
    std::string const nesting = rcu ? fmt::format("(trcu[{}] & 15)", t) : fmt::format("(trcu[{}] >> 4)", t);
    std::string leave;
    for (int u = 0; u < threads_; ++u) {
      if (!m_.layout_[static_cast<std::size_t>(u)].gp) continue;
      leave += fmt::format("if :: ((tflags[{0}] & {1}) != 0) != {2} -> gp[{0}] = gp[{0}] & ~(1 << {3}) :: else fi;\n", u,
                           int{tf_gp_srcu}, rcu ? 1 : 0, t);
    }
    out += "hv = " + nesting + ";\nif\n:: hv == 0 ->\n" + or_skip(check(property::kernel_bug, "true")) + ":: else ->\n" +
           fmt::format("trcu[{0}] = trcu[{0}] - {1};\n", t, rcu ? 1 : 16) +
           (leave.empty() ? "" : "if\n:: hv == 1 ->\n" + leave + ":: else\nfi;\n") + "fi;\n";
    next(out);
  }

  void emit_grace_period(prim id, step_args const& s) {
    auto const& [w, c, in, o, out, next, first, t] = s;
    bool const rcu = id == prim::synchronize_rcu;
    if (!first) fail(c.prog.name + ": " + name_of_prim(in) + " in a step's invisible code");
    std::string done = fmt::format("tflags[{0}] = tflags[{0}] & ~{1};\n", t, tf_gp_started | tf_gp_srcu);
    next(done);
    std::string start = rcu ? "" : fmt::format("wflags2 = wflags2 | {};\n", int{wf2_dax_dead});
    start += "hm = 0;\n";
    for (int u = 0; u < threads_; ++u)
      if (u != c.t)
        start += fmt::format("if :: {} > 0 -> hm = hm | (1 << {}) :: else fi;\n",
                             rcu ? fmt::format("(trcu[{}] & 15)", u) : fmt::format("(trcu[{}] >> 4)", u), u);
    std::string go;
    next(go);
    start += "if\n:: hm == 0 ->\n" + go + ":: else ->\n" +
             fmt::format("gp[{0}] = hm;\ntflags[{0}] = tflags[{0}] | {1};\n", t, tf_gp_started | (rcu ? 0 : tf_gp_srcu)) +
             "fi;\n";
    out += fmt::format("if\n:: (tflags[{}] & {}) != 0 ->\n", t, int{tf_gp_started}) + done + ":: else ->\n" + start + "fi;\n";
    return;
  }

  void emit_store_pointer(step_args const& s) {
    auto const& [w, c, in, o, out, next, first, t] = s;
    auto target = s.a(0), value = s.a(1);
    if (!is_number(target)) fail(c.prog.name + ": store_pointer to a computed target");
    auto const obj = static_cast<object>(std::stoi(target));
    int const bit = obj == object::p2pdma ? wf_p2pdma : obj == object::pgmap_ref ? wf_ref_null : 0;
    std::string const set = obj == object::pgmap_ref ? "(" + value + ") == 0" : "(" + value + ") != 0";
    if (bit) out += fmt::format("if\n:: {0} -> wflags = wflags | {1}\n:: else -> wflags = wflags & ~{1}\nfi;\n", set, bit);
    next(out);
  }

  void emit_kfree(step_args const& s) {
    auto const& [w, c, in, o, out, next, first, t] = s;
    out += fmt::format("if :: ({0}) == {1} || ({0}) == {2} -> wflags = wflags | {3} :: else fi;\n", s.a(0),
                       static_cast<int>(object::p2p_pgmap), static_cast<int>(object::queue), int{wf_struct_freed});
    next(out);
  }

  void emit_xa_store_range(step_args const& s) {
    auto const& [w, c, in, o, out, next, first, t] = s;
    out += fmt::format("if\n:: ({0}) != 0 -> wflags = wflags | {1}\n:: else -> wflags = wflags & ~{1}\nfi;\n", s.a(1),
                       int{wf_published});
    next(out);
  }

  void emit_arch_remove_memory(step_args const& s) {
    auto const& [w, c, in, o, out, next, first, t] = s;
    out += check(property::memunmap_early, "pgmap_ref > 0");
    for (int p = 0; p < pages_; ++p)
      out += check(property::memunmap_early,
                   fmt::format("(pflags[{0}] & {1}) != 0 || pins[{0}] > 0 || pstate[{0}] == {2}", p,
                               pf_mapped | pf_associated | pf_shared, int{ps_allocated}));
    out += fmt::format("wflags = wflags | {};\n", int{wf_pages_freed});
    next(out);
  }

  void emit_pool_destroy(step_args const& s) {
    auto const& [w, c, in, o, out, next, first, t] = s;
    (void)s.a(0);  // the pool: pdev->p2pdma->pool may read a NULL pdev->p2pdma
    for (int p = 0; p < pages_; ++p) out += check(property::kernel_bug, fmt::format("pstate[{}] != 0", p));
    out += fmt::format("wflags = wflags | {};\n", int{wf_pool_gone});
    next(out);
  }

  void emit_alloc_page(prim id, step_args const& s) {
    auto const& [w, c, in, o, out, next, first, t] = s;
    if (id == prim::gen_pool_alloc_owner) {
      (void)s.a(0);  // the pool: pdev->p2pdma->pool may read a NULL pdev->p2pdma
      out += check(property::use_after_free, fmt::format("wflags & {}", int{wf_pool_gone}));
    }
    bool const driver = id == prim::devmem_free_list_pop;
    out += "lowest_free();\n";
    if (driver) out += fmt::format("if :: (wflags2 & {}) != 0 -> hc = 0 :: else fi;\n", int{wf2_driver_stopped});
    out += "if\n:: hc > 0 ->\n" + mark_page() + std::string(driver ? "touch_page(hc - 1);\n" : "") +
           fmt::format("pstate[hc - 1] = {};\nlife_alloc(hc - 1)\n:: else\nfi;\n", int{driver ? ps_allocated : ps_claimed});
    if (id == prim::gen_pool_alloc_owner)
      out += fmt::format("{} = (hc > 0 -> {} : 0);\n", s.dest_slot(2), static_cast<int>(object::pgmap_ref));
    result(in, "hc", out);
    next(out);
  }

  void emit_pool_free(prim id, step_args const& s) {
    auto const& [w, c, in, o, out, next, first, t] = s;
    (void)s.a(0);  // the pool: pdev->p2pdma->pool may read a NULL pdev->p2pdma
    auto v = s.a(1);
    out += check(property::use_after_free, fmt::format("wflags & {}", int{wf_pool_gone}));
    with_page(v, out, "release_page(" + t + ", hp);\n");
    if (id == prim::gen_pool_free_owner) out += fmt::format("{} = {};\n", s.dest_slot(3), static_cast<int>(object::pgmap_ref));
    next(out);
  }

  void emit_harness_io(prim id, step_args const& s) {
    auto const& [w, c, in, o, out, next, first, t] = s;
    auto v = s.a(0);
    std::string body = id == prim::pgmapcheck_share      ? fmt::format("pflags[hp] = pflags[hp] | {};\n", int{pf_shared})
                       : id == prim::pgmapcheck_io_done  ? fmt::format("pflags[hp] = pflags[hp] & ~{};\n", int{pf_shared})
                       : id == prim::pgmapcheck_io_begin ? "io[hp] = io[hp] + 1;\n"
                                                       : "io[hp] = io[hp] - 1;\n";
    with_page(v, out, body);
    next(out);
  }

  void emit_free_list_add(step_args const& s) {
    auto const& [w, c, in, o, out, next, first, t] = s;
    with_page(s.a(0), out, "touch_page(hp);\nrelease_page(" + t + ", hp);\n");
    next(out);
  }

  void emit_insert_pte(prim id, step_args const& s) {
    auto const& [w, c, in, o, out, next, first, t] = s;
    auto v = s.a(0);
    std::string body = "touch_page(hp);\n";
    std::string rest = "life_map(hp);\n" + fmt::format("pflags[hp] = pflags[hp] | {};\n", int{pf_mapped});
    if (id == prim::dax_insert_pfn || id == prim::vm_insert_page)
      rest += fmt::format("pflags[hp] = pflags[hp] | {};\nrefcount[hp] = refcount[hp] + 1;\nmapcount[hp] = mapcount[hp] + 1;\n",
                          int{pf_pte_ref}) + range("refcount[hp]") + range("mapcount[hp]");
    if (id == prim::set_pte_device_private)
      rest += fmt::format("pflags[hp] = pflags[hp] | {};\nmapcount[hp] = mapcount[hp] + 1;\n", int{pf_pte_ref}) +
              range("mapcount[hp]") +
              fmt::format("if :: held[{} * P + hp] > 0 -> life_put_page(hp) :: else fi;\nunhold({}, hp);\n", t, t);
    result(in, id == prim::vm_insert_page ? "0" : "64", rest);
    if (id == prim::vm_insert_page) {
      if (o == 1) {
        body += "failures = failures - 1;\n";
        result(in, "-12", body);
      } else {
        std::string inval;
        result(in, "-22", inval);
        body += "if\n:: refcount[hp] <= 0 ->\n" + or_skip(inval) + ":: else ->\n" + rest + "fi;\n";
      }
    } else {
      body += rest;
    }
    with_page(v, out, body);
    next(out);
  }

  // zap_pte and set_pte_migration: the page's entry goes (a migration entry
  // takes its place); its reference passes to the thread.
  void emit_zap_pte(prim id, step_args const& s) {
    auto const& [w, c, in, o, out, next, first, t] = s;
    auto v = s.a(0);
    std::string body = id == prim::set_pte_migration ? "touch_page(hp);\n" : "";
    body += fmt::format("hv = ((pflags[hp] & {}) != 0);\n", int{pf_pte_ref});
    body += fmt::format("if :: (pflags[hp] & {}) != 0 -> life_unmap(hp) :: else fi;\n", int{pf_mapped});
    body += fmt::format("pflags[hp] = pflags[hp] & ~{};\n", pf_mapped | pf_pte_ref);
    body += "if :: hv && mapcount[hp] > 0 -> mapcount[hp] = mapcount[hp] - 1 :: else fi;\n";
    body += "if :: hv -> life_get_page(hp); hold(" + t + ", hp) :: else fi;\n";
    result(in, "hv", body);
    body += id == prim::set_pte_migration ? fmt::format("pflags[hp] = pflags[hp] | {};\n", int{pf_migration})
                                          : fmt::format("pflags[hp] = pflags[hp] & ~{};\n", int{pf_migration});
    with_page(v, out, body);
    next(out);
  }

  void emit_clear_pte_migration(step_args const& s) {
    auto const& [w, c, in, o, out, next, first, t] = s;
    with_page(s.a(0), out, fmt::format("touch_page(hp);\npflags[hp] = pflags[hp] & ~{};\n", int{pf_migration}));
    next(out);
  }

  void emit_harness_flag(prim id, step_args const& s) {
    auto const& [w, c, in, o, out, next, first, t] = s;
    out += fmt::format("wflags2 = wflags2 | {};\n", int{id == prim::driver_stop ? wf2_driver_stopped : wf2_file_removed});
    next(out);
  }

  void emit_unlink_file_vma(step_args const& s) {
    auto const& [w, c, in, o, out, next, first, t] = s;
    out += fmt::format("wflags = wflags & ~{};\n", int{wf_file_mapped});
    next(out);
  }

  void emit_fs_block_free(step_args const& s) {
    auto const& [w, c, in, o, out, next, first, t] = s;
    with_page(s.a(0), out,
              mark_page() + check(property::dax_truncate_busy, "pins[hp] > 0") + "if\n:: pstate[hp] == 0 ->\n" +
                  or_skip(check(property::free_while_used, "true")) + ":: else ->\nlife_release(hp)\nfi;\npstate[hp] = 0;\n");
    next(out);
  }

  void emit_dax_entry(prim id, step_args const& s) {
    auto const& [w, c, in, o, out, next, first, t] = s;
    auto v = s.a(0);
    bool const assoc = id == prim::dax_associate_entry;
    std::string body = "touch_page(hp);\n";
    if (assoc) body += check(property::kernel_warn, fmt::format("(pflags[hp] & {}) != 0", int{pf_associated}));
    body += assoc ? fmt::format("pflags[hp] = pflags[hp] | {};\n", int{pf_associated})
                  : fmt::format("pflags[hp] = pflags[hp] & ~{};\n", int{pf_associated});
    with_page(v, out, body);
    next(out);
  }

  void emit_should_fail(step_args const& s) {
    auto const& [w, c, in, o, out, next, first, t] = s;
    if (o == 1) out += "failures = failures - 1;\n";
    result(in, o == 1 ? "1" : "0", out);
    next(out);
  }

  void emit_check_macro(prim id, step_args const& s) {
    auto const& [w, c, in, o, out, next, first, t] = s;
    auto v = s.a(0);
    out += check(id == prim::WARN_ON ? property::kernel_warn : property::kernel_bug, "(" + v + ") != 0");
    result(in, "((" + v + ") != 0)", out);
    next(out);
  }

  void emit_choose_page(step_args const& s) {
    auto const& [w, c, in, o, out, next, first, t] = s;
    result(in, std::to_string(o + 1), out);  // o: the page chosen, -1 for none
    next(out);
  }


  // --- a thread ----------------------------------------------------------
  std::string proctype(int t, std::uint8_t const* b) {
    auto const& prog = m_.threads_[static_cast<std::size_t>(t)];
    auto const& l = m_.layout_[static_cast<std::size_t>(t)];
    ctx const c{t, prog};
    std::string o = fmt::format("/* {} */\nactive proctype t{}() {{\n", prog.name, t);
    o += fmt::format("  short at = {};\n", record_pc(b + l.base));
    for (std::size_t i = 0; i < prog.slot_names.size(); ++i)
      o += fmt::format("  {} {} = {};  /* {} */\n", prog.slot_types[i] == value_type::integer ? "short" : "byte",
                       slot_name(static_cast<int>(i)), static_cast<std::int8_t>(b[l.locals + i]), prog.slot_names[i]);
    o += "end:\n  do\n";
    constexpr int choose = static_cast<int>(prim::choose_page);
    for (std::size_t pc = 0; pc < prog.code.size(); ++pc) {
      auto const& in = prog.code[pc];
      if (!in.visible) continue;
      auto const& where = prog.sites[in.site];
      std::string const label = fmt::format("{}:{} {}", m_.files_.empty() ? "" : m_.files_[where.pos.file], where.pos.line,
                                            where.function);
      std::string guard = fmt::format("at == {} && (tflags[{}] & {}) == 0", pc, t, int{tf_done});
      if (auto e = enabled(c, in); !e.empty()) guard += " && " + e;
      auto option = [&](std::string const& g, int outcome) {
        std::string body = step(c, static_cast<std::uint16_t>(pc), outcome);
        o += fmt::format("  :: d_step {{ /* {} */\n    {} ->\n", comment(label), g);
        for (std::size_t at = 0, nl; at < body.size(); at = nl + 1) {
          nl = body.find('\n', at);
          o += "    " + body.substr(at, nl - at) + "\n";
        }
        o += "    }\n";
      };
      if (in.k == instr::kind::action && in.prim == choose) {
        std::string none;
        for (int p = 0; p < pages_; ++p) {
          ctx pick{t, prog, in.args[1], p + 1};  // choose_page's args[1] is the predicate's parameter slot
          auto match = pure(pick, in.args[0]);
          option(guard + " && (" + match + ")", p);
          none += (none.empty() ? "" : " && ") + std::string("!(") + match + ")";
        }
        option(guard + " && " + (none.empty() ? "true" : none), -1);
        continue;
      }
      auto const id = static_cast<prim>(in.prim);
      if (in.k == instr::kind::action && exclusive_waits_ &&
          (id == prim::wake_up || id == prim::wake_up_var || id == prim::__wake_up)) {
        std::string none;
        for (int u = 0; u < threads_; ++u) {
          std::string const cand = exclusive_candidate(c, in, u);
          option(guard + " && " + cand, u);
          none += (none.empty() ? "" : " && ") + std::string("!") + cand;
        }
        option(guard + " && " + none, -1);
        continue;
      }
      option(guard, 0);
      if (in.k == instr::kind::action) {
        if (has(static_cast<prim>(in.prim), prim_trait::fails)) option(guard + " && failures > 0", 1);
      }
    }
    o += "  od\n}\n\n";
    return o;
  }

  static std::string comment(std::string s) {
    for (std::size_t at; (at = s.find("*/")) != std::string::npos;) s.replace(at, 2, "* /");
    return s;
  }

  // --- terminal states: deadlock and the ref-leak baseline ----------------
  std::string terminal() const {
    auto const& s = m_.setup_;
    std::string all_done;
    for (int t = 0; t < threads_; ++t)
      all_done += fmt::format("{}(tflags[{}] & {}) != 0", t ? " && " : "", t, int{tf_done});
    std::string leak = "hv = " + std::to_string(s.initial_pgmap_ref) + ";\n";
    std::string bad;
    for (int p = 0; p < pages_; ++p) {
      leak += fmt::format("hv = hv + ((pflags[{0}] & {1}) != 0 -> {2} : 0) + (pstate[{0}] != 0 -> {3} : 0);\n", p,
                          int{pf_mapped}, s.mapped_pgmap_ref, s.allocated_pgmap_ref);
      leak += check(property::ref_leak,
                    fmt::format("pins[{0}] != 0 || refcount[{0}] != (pstate[{0}] == 0 -> {1} : ((pflags[{0}] & {2}) != 0 -> "
                                "{3} : {1})) + ((pflags[{0}] & {4}) != 0 -> {5} : 0)",
                                p, s.free_refcount, int{pf_mapped}, s.mapped_refcount, int{pf_associated},
                                s.cached_refcount));
    }
    leak += check(property::ref_leak, "pgmap_ref != hv");
    std::string o = "/* Terminal states: no thread can step (SPIN's timeout). */\nactive proctype terminal() {\nend:\n  do\n";
    // With requirements, a terminal state counts only on a run that met them (code_model::check_terminal).
    std::string const met_all = gated_ ? fmt::format(" && met == {}", (1u << s.required.size()) - 1) : "";
    o += "  :: d_step { timeout" + met_all + " ->\n    if\n    :: !(" + (all_done.empty() ? "true" : all_done) + ") -> " +
         or_skip(check(property::deadlock, "true")) + "    :: else ->\n" +
         fmt::format("      if\n      :: (wflags & {}) != 0 -> {}      :: else ->\n", int{wf_pages_freed},
                     or_skip(check(property::ref_leak, "pgmap_ref != 0"))) +
         leak + "      fi\n    fi\n    }\n  od\n}\n";
    return o;
  }

  code_model const& m_;
  property_set checked_;
  bool gated_ = false;        // the scenario has requirements ([expect] involves, passes)
  bool in_terminal_ = false;  // writing the terminal process: plain asserts, under met's guard
  std::string file_;  // the scenario file, for errors
  int pages_;
  int threads_;
  bool exclusive_waits_ = false;  // some thread waits exclusively: a wake-up for one picks its waiter
  long emitted_ = 0;
  long step_id_ = 0;                     // the step being written: its labels' prefix
  std::set<std::uint16_t> joins_;        // its invisible instructions more than one path reaches
  std::set<std::uint16_t> written_;      // the joins written so far, each under its label
};

std::string to_promela(code_model const& m, property_set checked, std::string const& title, std::string const& file) {
  return promela_writer(m, checked, file).write(title);
}

}  // namespace pgmapcheck::lang
