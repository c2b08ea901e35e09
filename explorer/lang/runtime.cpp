// The primitives (the atomic kernel operations model code calls) and the
// step semantics of compiled model code: a step is one visible instruction
// of one thread, then that thread's invisible instructions up to its next
// visible one.
#include "pgmapcheck/lang/runtime.hpp"

#include "pgmapcheck/error.hpp"

#include <algorithm>
#include <cstring>
#include <map>

namespace pgmapcheck::lang {

namespace {

using V = value_type;
using K = prim_kind;

// clang-format off
// name, kind, result, params, arity, the kernel function it stands for.
std::vector<primitive> const primitive_table{
  // Page refcount atomics (include/linux/page_ref.h, include/linux/mm.h).
  {"page_ref_count",         K::read,     V::integer, {V::page},                       1, "include/linux/page_ref.h:page_ref_count"},
  {"page_ref_inc",           K::action,   V::void_,   {V::page},                       1, "include/linux/page_ref.h:page_ref_inc"},
  {"page_ref_dec",           K::action,   V::void_,   {V::page},                       1, "include/linux/page_ref.h:page_ref_dec"},
  {"page_ref_dec_return",    K::action,   V::integer, {V::page},                       1, "include/linux/page_ref.h:page_ref_dec_return"},
  {"put_page_testzero",      K::action,   V::boolean, {V::page},                       1, "include/linux/mm.h:put_page_testzero"},
  {"page_ref_add_unless",    K::action,   V::boolean, {V::page, V::integer, V::integer}, 3, "include/linux/page_ref.h:page_ref_add_unless"},
  {"set_page_count",         K::action,   V::void_,   {V::page, V::integer},           2, "include/linux/page_ref.h:set_page_count"},
  {"get_page",               K::action,   V::void_,   {V::page},                       1, "include/linux/mm.h:get_page (VM_BUG_ON_PAGE at 0)"},
  {"try_get_page",           K::action,   V::boolean, {V::page},                       1, "include/linux/mm.h:try_get_page (WARN_ON_ONCE at <= 0, fails)"},
  {"page_var",               K::constant, V::object,  {V::page},                       1, "&page->_refcount (a wait_var_event key)"},
  {"pfn_to_page",            K::constant, V::page,    {V::integer},                    1, "include/asm-generic/memory_model.h:pfn_to_page (pfn i of the pgmap: page i)"},
  // pgmap->ref (include/linux/percpu-refcount.h, lib/percpu-refcount.c).
  {"percpu_ref_get",         K::action,   V::void_,   {V::object},                     1, "include/linux/percpu-refcount.h:percpu_ref_get"},
  {"percpu_ref_get_many",    K::action,   V::void_,   {V::object, V::integer},         2, "include/linux/percpu-refcount.h:percpu_ref_get_many"},
  {"percpu_ref_put",         K::action,   V::void_,   {V::object},                     1, "include/linux/percpu-refcount.h:percpu_ref_put"},
  {"percpu_ref_put_many",    K::action,   V::void_,   {V::object, V::integer},         2, "include/linux/percpu-refcount.h:percpu_ref_put_many"},
  {"percpu_ref_tryget_live", K::action,   V::boolean, {V::object},                     1, "include/linux/percpu-refcount.h:percpu_ref_tryget_live"},
  {"percpu_ref_kill",        K::action,   V::void_,   {V::object},                     1, "lib/percpu-refcount.c:percpu_ref_kill_and_confirm"},
  {"percpu_ref_exit",        K::action,   V::void_,   {V::object},                     1, "lib/percpu-refcount.c:percpu_ref_exit"},
  {"percpu_ref_is_zero",     K::read,     V::boolean, {V::object},                     1, "lib/percpu-refcount.c:percpu_ref_is_zero"},
  // Completions and wait queues (kernel/sched/completion.c, wait.c, wait_bit.c).
  {"complete",               K::action,   V::void_,   {V::object},                     1, "kernel/sched/completion.c:complete"},
  {"wait_for_completion",    K::action,   V::void_,   {V::object},                     1, "kernel/sched/completion.c:wait_for_completion"},
  {"wake_up_var",            K::action,   V::void_,   {V::object},                     1, "kernel/sched/wait_bit.c:wake_up_var"},
  {"wake_up",                K::action,   V::void_,   {V::object},                     1, "kernel/sched/wait.c:__wake_up"},
  {"prepare_to_wait_event",  K::action,   V::void_,   {V::object},                     1, "kernel/sched/wait.c:prepare_to_wait_event"},
  {"schedule",               K::action,   V::void_,   {},                              0, "kernel/sched/core.c:schedule (returns once woken)"},
  {"finish_wait",            K::local,    V::void_,   {V::object},                     1, "kernel/sched/wait.c:finish_wait"},
  // Locks (a lock excludes other holders of that lock only).
  {"spin_lock",              K::action,   V::void_,   {V::object},                     1, "include/linux/spinlock.h:spin_lock"},
  {"spin_unlock",            K::action,   V::void_,   {V::object},                     1, "include/linux/spinlock.h:spin_unlock"},
  {"mutex_lock",             K::action,   V::void_,   {V::object},                     1, "kernel/locking/mutex.c:mutex_lock"},
  {"mutex_unlock",           K::action,   V::void_,   {V::object},                     1, "kernel/locking/mutex.c:mutex_unlock"},
  {"down_read",              K::action,   V::void_,   {V::object},                     1, "kernel/locking/rwsem.c:down_read"},
  {"up_read",                K::action,   V::void_,   {V::object},                     1, "kernel/locking/rwsem.c:up_read"},
  {"down_write",             K::action,   V::void_,   {V::object},                     1, "kernel/locking/rwsem.c:down_write"},
  {"up_write",               K::action,   V::void_,   {V::object},                     1, "kernel/locking/rwsem.c:up_write"},
  // RCU (include/linux/rcupdate.h, kernel/rcu/tree.c).
  {"rcu_read_lock",          K::action,   V::void_,   {},                              0, "include/linux/rcupdate.h:rcu_read_lock"},
  {"rcu_read_unlock",        K::action,   V::void_,   {},                              0, "include/linux/rcupdate.h:rcu_read_unlock"},
  {"synchronize_rcu",        K::action,   V::void_,   {},                              0, "kernel/rcu/tree.c:synchronize_rcu (waits for readers inside a section when it starts)"},
  // Failures outside the model, within the failure budget.
  {"should_fail",            K::action,   V::boolean, {},                              0, "an allocation, vm_insert_page, a page-table allocation: fails or not"},
  // Checks and choices the compiler emits.
  {"WARN_ON",                K::local,    V::boolean, {V::integer},                    1, "include/asm-generic/bug.h:WARN_ON"},
  {"BUG_ON",                 K::local,    V::boolean, {V::integer},                    1, "include/asm-generic/bug.h:BUG_ON"},
  {"choose_page",            K::action,   V::page,    {V::boolean, V::integer},        2, "the search picks a page for which the predicate holds"},
};
// clang-format on

std::map<std::string_view, int> const primitive_index = [] {
  std::map<std::string_view, int> m;
  for (std::size_t i = 0; i < primitive_table.size(); ++i) m[primitive_table[i].name] = static_cast<int>(i);
  return m;
}();

// World bytes: the pgmap and the other shared objects, before the pages.
enum : std::size_t {
  w_ref = 0,      // pgmap->ref as an integer
  w_mode = 1,     // 0 live, 1 killed, 2 exited
  w_flags = 2,    // world_flag
  w_done = 3,     // pgmap->done's count
  w_failures = 4, // failure budget left
  w_locks = 5,    // one byte per lock object: 0x80 write-held, else the reader count
  w_size = 12,
};
enum world_flag : std::uint8_t {
  wf_published = 1,       // the pgmap is in pgmap_array
  wf_pages_freed = 2,     // pageunmap_range freed the struct pages
  wf_struct_freed = 4,    // the struct embedding the pgmap was freed
  wf_counters_freed = 8,  // percpu_ref_exit freed the counters
  wf_pool_gone = 16,      // the p2pdma pool was destroyed
  wf_p2pdma = 32,         // pdev->p2pdma is published
  wf_file_mapped = 64,    // a process maps the file
};
constexpr std::array<object, 5> lock_objects{object::mmap_lock, object::page_table_lock, object::invalidate_lock,
                                             object::lock_a, object::lock_b};
int lock_index(int obj) {
  for (std::size_t i = 0; i < lock_objects.size(); ++i)
    if (static_cast<int>(lock_objects[i]) == obj) return static_cast<int>(i);
  return -1;
}

// Page bytes.
enum : std::size_t { p_refcount = 0, p_mapcount = 1, p_state = 2, p_flags = 3, p_size = 4 };

// Thread record bytes.
enum : std::size_t { t_pc = 0, t_wait = 2, t_flags = 3, t_rcu = 4, t_fixed = 5 };
enum thread_flag : std::uint8_t { tf_woken = 1, tf_done = 2, tf_gp_started = 4 };

}  // namespace

std::vector<primitive> const& primitives() { return primitive_table; }

int find_primitive(std::string_view name) {
  auto it = primitive_index.find(name);
  return it == primitive_index.end() ? -1 : it->second;
}

code_model::code_model(std::vector<program> threads, code_setup const& setup)
    : threads_(std::move(threads)), setup_(setup) {
  pages_at_ = w_size;
  std::size_t at = pages_at_ + p_size * static_cast<std::size_t>(setup_.facts.pages);
  for (auto const& t : threads_) {
    thread_layout l;
    l.base = at;
    at += t_fixed;
    if (t.uses_rcu_gp) {
      l.gp = at;
      at += 4;
    }
    l.locals = at;
    at += t.slot_names.size();
    layout_.push_back(l);
  }
  state_bytes_ = at;
  if (state_bytes_ > max_state_bytes)
    throw spec_error("<scenario>", 1, 1,
                     "the scenario needs " + std::to_string(state_bytes_) + " bytes of state; at most " +
                         std::to_string(max_state_bytes) + " fit (fewer threads, pages or locals)");
  if (threads_.size() > 32) throw spec_error("<scenario>", 1, 1, "at most 32 threads");
}

// Executes instructions of one thread on one state: the interpreter.
class executor {
 public:
  executor(code_model const& m, code_state& s, code_step& st, int thread)
      : m_(m), s_(s), st_(st), t_(thread), prog_(m.threads_[static_cast<std::size_t>(thread)]),
        lay_(m.layout_[static_cast<std::size_t>(thread)]) {}

  std::uint8_t* b() { return s_.bytes.data(); }
  std::uint16_t pc() const {
    return static_cast<std::uint16_t>(s_.bytes[lay_.base + t_pc] | (s_.bytes[lay_.base + t_pc + 1] << 8));
  }
  void set_pc(std::uint16_t pc) {
    b()[lay_.base + t_pc] = static_cast<std::uint8_t>(pc & 0xff);
    b()[lay_.base + t_pc + 1] = static_cast<std::uint8_t>(pc >> 8);
  }
  std::uint8_t& tflags() { return b()[lay_.base + t_flags]; }
  std::uint8_t& twait() { return b()[lay_.base + t_wait]; }
  std::uint8_t& trcu() { return b()[lay_.base + t_rcu]; }
  std::int8_t& slot(int i) { return reinterpret_cast<std::int8_t&>(b()[lay_.locals + static_cast<std::size_t>(i)]); }
  std::uint8_t& wflags() { return b()[w_flags]; }
  std::int8_t& ref() { return reinterpret_cast<std::int8_t&>(b()[w_ref]); }
  std::uint8_t* page(int p) { return b() + m_.pages_at_ + p_size * static_cast<std::size_t>(p); }
  std::int8_t& refcount(int p) { return reinterpret_cast<std::int8_t&>(page(p)[p_refcount]); }

  void violate(property p, reason why) {
    st_.violated = static_cast<std::uint16_t>(st_.violated | (1u << static_cast<unsigned>(p)));
    if (st_.why == reason::none) st_.why = why;
  }

  // --- expressions ------------------------------------------------------
  int eval(std::uint16_t id) {
    auto const& e = prog_.exprs[id];
    switch (e.k) {
      case cexpr::kind::constant: return e.value;
      case cexpr::kind::local: return slot(e.value);
      case cexpr::kind::unary: {
        int v = eval(e.args[0]);
        return e.op == '!' ? !v : e.op == '-' ? -v : ~v;
      }
      case cexpr::kind::logical_and: return eval(e.args[0]) && eval(e.args[1]);
      case cexpr::kind::logical_or: return eval(e.args[0]) || eval(e.args[1]);
      case cexpr::kind::ternary: return eval(e.args[0]) ? eval(e.args[1]) : eval(e.args[2]);
      case cexpr::kind::binary: {
        int a = eval(e.args[0]), c = eval(e.args[1]);
        switch (static_cast<binop>(e.op)) {
          case binop::add: return a + c;
          case binop::sub: return a - c;
          case binop::mul: return a * c;
          case binop::div: return c ? a / c : 0;
          case binop::mod: return c ? a % c : 0;
          case binop::shl: return a << (c & 15);
          case binop::shr: return a >> (c & 15);
          case binop::lt: return a < c;
          case binop::le: return a <= c;
          case binop::gt: return a > c;
          case binop::ge: return a >= c;
          case binop::eq: return a == c;
          case binop::ne: return a != c;
          case binop::band: return a & c;
          case binop::bor: return a | c;
          case binop::bxor: return a ^ c;
        }
        return 0;
      }
      case cexpr::kind::read: return read(e);
    }
    return 0;
  }

  // A page argument: page index + 1 in the value; NULL is a model error the
  // kernel would oops on.
  int page_arg(int v) {
    if (v < 1 || v > m_.setup_.facts.pages) {
      violate(property::kernel_bug, reason::bug_fired);  // a NULL or stray struct page dereference
      return -1;
    }
    return v - 1;
  }

  // A step reads or writes struct page p.
  void touch_page(int p) {
    st_.page = static_cast<std::int8_t>(p);
    if (wflags() & wf_pages_freed) violate(property::use_after_free, reason::struct_pages_freed);
  }
  // A step reads or writes pgmap->ref's counters.
  void touch_counters() {
    if (wflags() & wf_struct_freed)
      violate(property::use_after_free, reason::pgmap_freed);
    else if (wflags() & wf_counters_freed)
      violate(property::use_after_free, reason::counters_freed);
  }

  int read(cexpr const& e) {
    auto const& name = primitive_table[e.prim].name;
    int a0 = e.nargs > 0 ? eval(e.args[0]) : 0;
    if (name == "page_var") return a0 >= 1 ? page_var(a0 - 1) : 0;
    if (name == "pfn_to_page") return a0 >= 0 && a0 < m_.setup_.facts.pages ? a0 + 1 : 0;
    if (name == "page_ref_count") {
      int p = page_arg(a0);
      if (p < 0) return 0;
      touch_page(p);
      return refcount(p);
    }
    if (name == "percpu_ref_is_zero") return ref() == 0;
    return 0;
  }

  // --- wait queues ------------------------------------------------------
  // Wakes every thread queued on `target`: each looks at its condition again.
  void wake_all(std::uint8_t target) {
    for (std::size_t u = 0; u < m_.threads_.size(); ++u) {
      auto const& l = m_.layout_[u];
      if (b()[l.base + t_wait] == target) {
        b()[l.base + t_wait] = 0;
        b()[l.base + t_flags] = static_cast<std::uint8_t>(b()[l.base + t_flags] | tf_woken);
      }
    }
  }
  // Returns true iff this thread is queued on a wait queue and not yet woken.
  bool asleep() { return twait() != 0 && !(tflags() & tf_woken); }

  // percpu_ref_put_many: the release (memunmap's completion) runs when the
  // count of a killed ref reaches exactly 0.
  void ref_put(int n) {
    touch_counters();
    ref() = static_cast<std::int8_t>(ref() - n);
    if (ref() < 0) violate(property::refcount_underflow, reason::underflow);
    if (ref() == 0 && b()[w_mode] != 0) {
      b()[w_done] = static_cast<std::uint8_t>(std::min(b()[w_done] + 1, 255));
      wake_all(static_cast<std::uint8_t>(object::pgmap_done));
    }
  }

  // --- enabledness ------------------------------------------------------
  // Returns true iff instruction `in` can run now (a lock free, a sleeper woken).
  bool enabled(instr const& in) {
    if (in.k != instr::kind::action) return true;
    auto const& name = primitive_table[in.prim].name;
    if (name == "schedule") return !asleep();
    if (name == "wait_for_completion") return b()[w_done] > 0 || !asleep();
    if (name == "synchronize_rcu") {
      if (!(tflags() & tf_gp_started)) return true;
      std::uint32_t mask;
      std::memcpy(&mask, b() + lay_.gp, 4);
      return mask == 0;
    }
    int lock = -1;
    if (name == "spin_lock" || name == "mutex_lock" || name == "down_write" || name == "down_read")
      lock = lock_index(eval(in.args[0]));
    if (lock < 0) return true;
    std::uint8_t const v = b()[w_locks + static_cast<std::size_t>(lock)];
    return name == "down_read" ? !(v & 0x80) : v == 0;
  }

  // How many outcomes instruction `in` has here.
  int outcomes(instr const& in) {
    if (in.k != instr::kind::action) return 1;
    auto const& name = primitive_table[in.prim].name;
    if (name == "should_fail") return b()[w_failures] > 0 ? 2 : 1;
    if (name == "choose_page") {
      int n = 0;
      for (int p = 0; p < m_.setup_.facts.pages; ++p) n += choose_matches(in, p);
      return std::max(n, 1);
    }
    return 1;
  }

  int choose_matches(instr const& in, int p) {
    slot(in.args[1]) = static_cast<std::int8_t>(p + 1);
    bool ok = eval(in.args[0]) != 0;
    slot(in.args[1]) = 0;
    return ok ? 1 : 0;
  }

  // --- instructions -----------------------------------------------------
  // Runs instruction `in` with outcome `o`; returns false iff the thread stays at it (went to sleep).
  bool run(instr const& in, int o) {
    switch (in.k) {
      case instr::kind::assign: slot(in.dest) = static_cast<std::int8_t>(eval(in.a)); return true;
      case instr::kind::branch:
        if (!eval(in.a)) {
          set_pc(in.target);
          return false;  // pc already moved
        }
        return true;
      case instr::kind::jump: set_pc(in.target); return false;
      case instr::kind::clear:
        for (int i = 0; i < in.value; ++i) slot(in.dest + i) = 0;
        return true;
      case instr::kind::finish:
        tflags() = static_cast<std::uint8_t>(tflags() | tf_done);
        return false;
      case instr::kind::action: return action(in, o);
    }
    return true;
  }

  void result(instr const& in, int v) {
    if (in.dest >= 0) slot(in.dest) = static_cast<std::int8_t>(v);
  }

  bool action(instr const& in, int o) {
    auto const& name = primitive_table[in.prim].name;
    auto arg = [&](int i) { return eval(in.args[static_cast<std::size_t>(i)]); };
    // Page atomics.
    if (name == "page_ref_inc" || name == "get_page" || name == "page_ref_dec" || name == "page_ref_dec_return" ||
        name == "put_page_testzero" || name == "set_page_count" || name == "try_get_page" ||
        name == "page_ref_add_unless") {
      int p = page_arg(arg(0));
      if (p < 0) return true;
      touch_page(p);
      std::int8_t& c = refcount(p);
      if (name == "page_ref_inc") {
        c = static_cast<std::int8_t>(c + 1);
      } else if (name == "get_page") {
        if (c <= 0) violate(property::get_from_zero, reason::get_from_zero);
        c = static_cast<std::int8_t>(c + 1);
      } else if (name == "try_get_page") {
        if (c <= 0) {
          violate(property::kernel_warn, reason::warn_fired);
          result(in, 0);
        } else {
          c = static_cast<std::int8_t>(c + 1);
          result(in, 1);
        }
      } else if (name == "page_ref_add_unless") {
        int nr = arg(1), u = arg(2);
        bool ok = c != u;
        if (ok) c = static_cast<std::int8_t>(c + nr);
        result(in, ok);
      } else if (name == "set_page_count") {
        c = static_cast<std::int8_t>(arg(1));
      } else {
        c = static_cast<std::int8_t>(c - 1);
        if (c < 0) violate(property::refcount_underflow, reason::underflow);
        if (name == "page_ref_dec_return") result(in, c);
        if (name == "put_page_testzero") result(in, c == 0);
      }
      return true;
    }
    // pgmap->ref.
    if (name == "percpu_ref_get" || name == "percpu_ref_get_many") {
      touch_counters();
      ref() = static_cast<std::int8_t>(ref() + (in.nargs > 1 ? arg(1) : 1));
      return true;
    }
    if (name == "percpu_ref_put" || name == "percpu_ref_put_many") {
      ref_put(in.nargs > 1 ? arg(1) : 1);
      return true;
    }
    if (name == "percpu_ref_tryget_live") {
      // Fails without touching the counters once killed: it reads only the
      // DEAD flag (include/linux/percpu-refcount.h); a freed struct is a
      // use-after-free.
      if (wflags() & wf_struct_freed) violate(property::use_after_free, reason::pgmap_freed);
      bool ok = b()[w_mode] == 0;
      if (ok) ref() = static_cast<std::int8_t>(ref() + 1);
      result(in, ok);
      return true;
    }
    if (name == "percpu_ref_kill") {
      b()[w_mode] = 1;
      ref_put(1);
      return true;
    }
    if (name == "percpu_ref_exit") {
      b()[w_mode] = 2;
      wflags() = static_cast<std::uint8_t>(wflags() | wf_counters_freed);
      return true;
    }
    // Completions and waits.
    if (name == "complete") {
      b()[w_done] = static_cast<std::uint8_t>(std::min(b()[w_done] + 1, 255));
      wake_all(static_cast<std::uint8_t>(arg(0)));
      return true;
    }
    if (name == "wait_for_completion") {
      if (b()[w_done] > 0) {
        b()[w_done] = static_cast<std::uint8_t>(b()[w_done] - 1);
        twait() = 0;
        tflags() = static_cast<std::uint8_t>(tflags() & ~tf_woken);
        return true;
      }
      twait() = static_cast<std::uint8_t>(arg(0));
      tflags() = static_cast<std::uint8_t>(tflags() & ~tf_woken);
      return false;  // asleep until complete()
    }
    if (name == "wake_up_var" || name == "wake_up") {
      wake_all(static_cast<std::uint8_t>(arg(0)));
      return true;
    }
    if (name == "prepare_to_wait_event") {
      twait() = static_cast<std::uint8_t>(arg(0));
      tflags() = static_cast<std::uint8_t>(tflags() & ~tf_woken);
      return true;
    }
    if (name == "schedule") {
      tflags() = static_cast<std::uint8_t>(tflags() & ~tf_woken);
      return true;
    }
    if (name == "finish_wait") {
      twait() = 0;
      tflags() = static_cast<std::uint8_t>(tflags() & ~tf_woken);
      return true;
    }
    // Locks.
    if (name == "spin_lock" || name == "mutex_lock" || name == "down_write") {
      b()[w_locks + static_cast<std::size_t>(lock_index(arg(0)))] = 0x80;
      return true;
    }
    if (name == "down_read") {
      ++b()[w_locks + static_cast<std::size_t>(lock_index(arg(0)))];
      return true;
    }
    if (name == "spin_unlock" || name == "mutex_unlock" || name == "up_write" || name == "up_read") {
      int li = lock_index(arg(0));
      std::uint8_t& v = b()[w_locks + static_cast<std::size_t>(li)];
      bool const writer = name != "up_read";
      if (li < 0 || (writer ? v != 0x80 : (v == 0 || v == 0x80))) {
        violate(property::kernel_bug, reason::unlock_unheld);
        return true;
      }
      v = writer ? 0 : static_cast<std::uint8_t>(v - 1);
      return true;
    }
    // RCU.
    if (name == "rcu_read_lock") {
      ++trcu();
      return true;
    }
    if (name == "rcu_read_unlock") {
      if (trcu() == 0) {
        violate(property::kernel_bug, reason::unlock_unheld);
        return true;
      }
      if (--trcu() == 0) {  // this reader leaves: no grace period waits for it any more
        for (auto const& l : m_.layout_) {
          if (!l.gp) continue;
          std::uint32_t mask;
          std::memcpy(&mask, b() + l.gp, 4);
          mask &= ~(1u << t_);
          std::memcpy(b() + l.gp, &mask, 4);
        }
      }
      return true;
    }
    if (name == "synchronize_rcu") {
      if (tflags() & tf_gp_started) {  // enabled: every reader it waited for has left
        tflags() = static_cast<std::uint8_t>(tflags() & ~tf_gp_started);
        return true;
      }
      // The grace period starts: it waits for the readers inside a section now.
      std::uint32_t mask = 0;
      for (std::size_t u = 0; u < m_.threads_.size(); ++u)
        if (u != static_cast<std::size_t>(t_) && b()[m_.layout_[u].base + t_rcu] > 0) mask |= 1u << u;
      if (mask == 0) return true;
      std::memcpy(b() + lay_.gp, &mask, 4);
      tflags() = static_cast<std::uint8_t>(tflags() | tf_gp_started);
      return false;
    }
    if (name == "should_fail") {
      if (o == 1) b()[w_failures] = static_cast<std::uint8_t>(b()[w_failures] - 1);
      result(in, o == 1);
      return true;
    }
    if (name == "WARN_ON" || name == "BUG_ON") {
      int c = arg(0);
      if (c) violate(name == "WARN_ON" ? property::kernel_warn : property::kernel_bug,
                     name == "WARN_ON" ? reason::warn_fired : reason::bug_fired);
      result(in, c != 0);
      return true;
    }
    if (name == "choose_page") {
      int k = 0;
      int chosen = 0;
      for (int p = 0; p < m_.setup_.facts.pages && !chosen; ++p)
        if (choose_matches(in, p) && k++ == o) chosen = p + 1;
      result(in, chosen);
      if (chosen) st_.page = static_cast<std::int8_t>(chosen - 1);
      return true;
    }
    return true;
  }

  // Runs the visible instruction at pc with outcome o, then the invisible
  // ones after it. Returns false iff a loop ran with no step in it.
  bool step(int o) {
    std::uint16_t pc = this->pc();
    instr const& first = prog_.code[pc];
    if (run(first, o)) set_pc(static_cast<std::uint16_t>(pc + 1));
    else if (first.k == instr::kind::action) return true;  // asleep at pc
    return run_invisible();
  }

  // Runs instructions until the next visible one (or the end).
  bool run_invisible() {
    for (int budget = 100000; budget > 0; --budget) {
      std::uint16_t pc = this->pc();
      instr const& in = prog_.code[pc];
      if (in.visible || (tflags() & tf_done)) return true;
      if (run(in, 0)) set_pc(static_cast<std::uint16_t>(pc + 1));
    }
    violate(property::kernel_bug, reason::loop_without_step);
    return false;
  }

 private:
  code_model const& m_;
  code_state& s_;
  code_step& st_;
  int t_;
  program const& prog_;
  code_model::thread_layout const& lay_;
};

code_state code_model::initial() const {
  code_state s{};
  auto* b = s.bytes.data();
  b[w_ref] = static_cast<std::uint8_t>(setup_.initial_pgmap_ref);
  b[w_flags] = wf_published | (setup_.file_mapped ? wf_file_mapped : 0) | (setup_.p2pdma ? wf_p2pdma : 0);
  b[w_failures] = static_cast<std::uint8_t>(setup_.failures);
  for (int p = 0; p < setup_.facts.pages; ++p)
    b[pages_at_ + p_size * static_cast<std::size_t>(p) + p_refcount] = static_cast<std::uint8_t>(setup_.free_refcount);
  for (std::size_t t = 0; t < threads_.size(); ++t) {
    code_step st;
    executor ex(*this, s, st, static_cast<int>(t));
    ex.run_invisible();
  }
  return s;
}

void code_model::successors(state const& s, emit_fn emit, void* ctx) const {
  for (std::size_t t = 0; t < threads_.size(); ++t) {
    if (finished(s, static_cast<int>(t))) continue;
    code_state probe = s;
    code_step dummy;
    executor look(*this, probe, dummy, static_cast<int>(t));
    instr const& in = threads_[t].code[look.pc()];
    if (!look.enabled(in)) continue;
    int const n = look.outcomes(in);
    for (int o = 0; o < n; ++o) {
      code_state next = s;
      code_step st;
      st.thread = static_cast<std::uint8_t>(t);
      st.pc = look.pc();
      st.outcome = static_cast<std::uint8_t>(o);
      executor ex(*this, next, st, static_cast<int>(t));
      ex.step(o);
      emit(ctx, st, next);
    }
  }
}

property_set code_model::check_terminal(state const& s) const {
  property_set bad;
  for (std::size_t t = 0; t < threads_.size(); ++t)
    if (!finished(s, static_cast<int>(t))) bad.add(property::deadlock);
  return bad;
}

int code_model::page_refcount(state const& s, int page) const {
  return static_cast<std::int8_t>(s.bytes[pages_at_ + p_size * static_cast<std::size_t>(page) + p_refcount]);
}
int code_model::pgmap_ref(state const& s) const { return static_cast<std::int8_t>(s.bytes[w_ref]); }
int code_model::local_value(state const& s, int thread, int slot) const {
  return static_cast<std::int8_t>(s.bytes[layout_[static_cast<std::size_t>(thread)].locals + static_cast<std::size_t>(slot)]);
}
bool code_model::finished(state const& s, int thread) const {
  return (s.bytes[layout_[static_cast<std::size_t>(thread)].base + t_flags] & tf_done) != 0;
}

std::string code_model::blocked_on(state const& s, int thread) const {
  if (finished(s, thread)) return "";
  code_state probe = s;
  code_step dummy;
  executor ex(*this, probe, dummy, thread);
  instr const& in = threads_[static_cast<std::size_t>(thread)].code[ex.pc()];
  if (ex.enabled(in)) return "";
  auto const& name = primitives()[in.prim].name;
  std::uint8_t w = s.bytes[layout_[static_cast<std::size_t>(thread)].base + t_wait];
  std::string on = w == 0 ? "" : w < object_count ? std::string(object_names[w])
                                                  : "&page" + std::to_string(w - object_count) + "->_refcount";
  if (name == "schedule" || name == "wait_for_completion") return "asleep in " + std::string(name) + " on " + on;
  if (name == "synchronize_rcu") return "in synchronize_rcu, waiting for readers";
  return "blocked in " + std::string(name);
}

}  // namespace pgmapcheck::lang
