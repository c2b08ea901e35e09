// Witness conditions: a small expression language over a model state, parsed
// by recursive descent, evaluated by the witness search.
#include "lang/witness.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <stdexcept>

namespace pgmapcheck::lang {

struct witness::node {
  enum class kind { number, ref, page_int, done, asleep, ran, page_bool, negate, both, either, compare };
  kind k = kind::number;
  int value = 0;          // number; page_int/page_bool: the page
  std::string name;       // the thread, function, "file:line", or the page attribute
  std::string function;   // asleep(T, F): F
  std::string op;         // compare: == != < <= > >=
  std::size_t ran = 0;    // ran: its index among the witness's requirements
  std::unique_ptr<node> a, b;
  std::size_t column = 0;
};

namespace {

using node = witness::node;

class parser {
 public:
  explicit parser(std::string const& t) : t_(t) {}

  std::unique_ptr<node> parse() {
    auto n = either();
    skip();
    if (at_ < t_.size()) fail("expected && or || or the end");
    return n;
  }
  std::size_t ran_count = 0;

 private:
  [[noreturn]] void fail(std::string const& what) const {
    throw witness_error(at_ + 1, what);
  }
  void skip() {
    while (at_ < t_.size() && std::isspace(static_cast<unsigned char>(t_[at_]))) ++at_;
  }
  bool eat(std::string_view s) {
    skip();
    if (t_.compare(at_, s.size(), s) != 0) return false;
    at_ += s.size();
    return true;
  }
  // A name: letters, digits, '_', '#', and in ran(...) a path with '/', '.', ':'.
  std::string word(bool path = false) {
    skip();
    std::size_t const from = at_;
    while (at_ < t_.size() && (std::isalnum(static_cast<unsigned char>(t_[at_])) || t_[at_] == '_' || t_[at_] == '#' ||
                               (path && (t_[at_] == '/' || t_[at_] == '.' || t_[at_] == ':' || t_[at_] == '-'))))
      ++at_;
    return t_.substr(from, at_ - from);
  }
  std::unique_ptr<node> make(node::kind k, std::size_t column) {
    if (++made_ > max_terms) fail("a witness of more than " + std::to_string(max_terms) + " terms");
    auto n = std::make_unique<node>();
    n->k = k;
    n->column = column;
    return n;
  }
  // a || b || ...: a chain of both(); a && b && ...: a chain of compare().
  std::unique_ptr<node> either() { return chain("||", node::kind::either, &parser::both); }
  std::unique_ptr<node> both() { return chain("&&", node::kind::both, &parser::compare); }
  std::unique_ptr<node> chain(std::string_view op, node::kind k, std::unique_ptr<node> (parser::*operand)()) {
    auto n = (this->*operand)();
    while (eat(op)) {
      auto o = make(k, at_);
      o->a = std::move(n);
      o->b = (this->*operand)();
      n = std::move(o);
    }
    return n;
  }
  std::unique_ptr<node> compare() {
    auto n = unary();
    for (std::string_view op : {"==", "!=", "<=", ">=", "<", ">"}) {
      if (!eat(op)) continue;
      auto o = make(node::kind::compare, at_);
      o->op = std::string(op);
      o->a = std::move(n);
      o->b = unary();
      return o;
    }
    return n;
  }
  int page_argument() {
    skip();
    std::size_t const from = at_;
    std::string const p = word();
    if (p.size() < 5 || p.compare(0, 4, "page") != 0 ||
        !std::all_of(p.begin() + 4, p.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
      at_ = from;
      fail("expected a page: page0, page1, ...");
    }
    return number_in(p.substr(4), from + 5, 0, 255, "a page number");
  }
  // The integer `digits` (its text at column `column`) if it lies in [lo, hi].
  int number_in(std::string_view digits, std::size_t column, int lo, int hi, std::string const& what) {
    int v = 0;
    auto const [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (ec != std::errc() || end != digits.data() + digits.size() || v < lo || v > hi) {
      at_ = column - 1;
      fail(fmt::format("expected {} from {} to {}", what, lo, hi));
    }
    return v;
  }
  std::unique_ptr<node> unary() {
    skip();
    std::size_t const column = at_;
    if (t_.compare(at_, 1, "!") == 0 || t_.compare(at_, 1, "(") == 0) {
      if (nest_ >= max_nest) fail("nested more than " + std::to_string(max_nest) + " deep");
      ++nest_;
      std::unique_ptr<node> n;
      if (eat("!")) {
        n = make(node::kind::negate, column);
        n->a = unary();
      } else {
        eat("(");
        n = either();
        if (!eat(")")) fail("expected ')'");
      }
      --nest_;
      return n;
    }
    if (at_ < t_.size() && (std::isdigit(static_cast<unsigned char>(t_[at_])) || t_[at_] == '-')) {
      std::size_t end = at_ + 1;
      while (end < t_.size() && std::isdigit(static_cast<unsigned char>(t_[end]))) ++end;
      auto n = make(node::kind::number, column);
      n->value = number_in(std::string_view(t_).substr(at_, end - at_), at_ + 1, -1000000, 1000000, "a number");
      at_ = end;
      return n;
    }
    std::string const name = word();
    if (name.empty()) fail("expected done(...), asleep(...), ran(...), a page test, a count or a number");
    if (name == "ref") return make(node::kind::ref, column);
    if (!eat("(")) fail("expected '(' after " + name);
    std::unique_ptr<node> n;
    if (name == "done" || name == "asleep") {
      n = make(name == "done" ? node::kind::done : node::kind::asleep, column);
      n->name = word();
      if (n->name.empty()) fail("expected a thread (memunmap#0) or an actor kind (memunmap)");
      if (name == "asleep" && eat(",")) {
        n->function = word();
        if (n->function.empty()) fail("expected the model function the thread waits in");
      }
    } else if (name == "ran") {
      n = make(node::kind::ran, column);
      n->name = word(true);
      if (n->name.empty()) fail("expected a model function or FILE:LINE");
      n->ran = ran_count++;
    } else if (name == "refcount" || name == "mapcount" || name == "pins") {
      n = make(node::kind::page_int, column);
      n->name = name;
      n->value = page_argument();
    } else if (name == "mapped" || name == "pinned" || name == "free") {
      n = make(node::kind::page_bool, column);
      n->name = name;
      n->value = page_argument();
    } else {
      at_ = column;
      fail("unknown '" + name + "': expected done, asleep, ran, mapped, pinned, free, refcount, mapcount, pins or ref");
    }
    if (!eat(")")) fail("expected ')'");
    return n;
  }

  // Bounds that keep the recursive descent's stack and the tree small.
  static constexpr std::size_t max_terms = 1000;
  static constexpr int max_nest = 64;
  std::string const& t_;
  std::size_t at_ = 0;
  std::size_t made_ = 0;  // nodes made
  int nest_ = 0;          // ! and ( open
};

template <class F>
void each(node const& n, F&& f) {
  f(n);
  if (n.a) each(*n.a, f);
  if (n.b) each(*n.b, f);
}

// The threads a name stands for: the one so named, or every instance of a kind.
std::vector<int> threads_named(code_model const& m, std::string const& name) {
  std::vector<int> out;
  for (std::size_t t = 0; t < m.threads().size(); ++t) {
    auto const& label = m.threads()[t].name;
    if (label == name || (label.rfind(name + "#", 0) == 0 && name.find('#') == std::string::npos))
      out.push_back(static_cast<int>(t));
  }
  return out;
}

bool is_line(std::string const& name) { return name.find(':') != std::string::npos; }

int value(node const& n, code_model const& m, code_state const& s, std::size_t first);

bool truth(node const& n, code_model const& m, code_state const& s, std::size_t first) {
  switch (n.k) {
    case node::kind::done:
    case node::kind::asleep:
      for (int t : threads_named(m, n.name)) {
        auto const v = m.view(s);
        if (n.k == node::kind::done ? v.finished(t)
                                    : !v.blocked_on(t).empty() && (n.function.empty() || v.in_function(t, n.function)))
          return true;
      }
      return false;
    case node::kind::ran: return m.view(s).met(first + n.ran);
    case node::kind::page_bool:
      if (n.name == "mapped") return m.view(s).page_mapped(n.value);
      if (n.name == "pinned") return m.view(s).page_pins(n.value) > 0;
      return m.view(s).page_free(n.value);
    case node::kind::negate: return !truth(*n.a, m, s, first);
    case node::kind::both: return truth(*n.a, m, s, first) && truth(*n.b, m, s, first);
    case node::kind::either: return truth(*n.a, m, s, first) || truth(*n.b, m, s, first);
    case node::kind::compare: {
      int const x = value(*n.a, m, s, first), y = value(*n.b, m, s, first);
      if (n.op == "==") return x == y;
      if (n.op == "!=") return x != y;
      if (n.op == "<") return x < y;
      if (n.op == "<=") return x <= y;
      if (n.op == ">") return x > y;
      return x >= y;
    }
    default: return value(n, m, s, first) != 0;
  }
}

int value(node const& n, code_model const& m, code_state const& s, std::size_t first) {
  switch (n.k) {
    case node::kind::number: return n.value;
    case node::kind::ref: return m.view(s).pgmap_ref();
    case node::kind::page_int:
      if (n.name == "refcount") return m.view(s).page_refcount(n.value);
      if (n.name == "mapcount") return m.view(s).page_mapcount(n.value);
      return m.view(s).page_pins(n.value);
    default: return truth(n, m, s, first) ? 1 : 0;
  }
}

}  // namespace

witness::witness(std::string text) : text_(std::move(text)) {
  parser p(text_);
  root_ = p.parse();
}
witness::~witness() = default;
witness::witness(witness&&) noexcept = default;
witness& witness::operator=(witness&&) noexcept = default;

namespace {

// The model file FILE names in ran(FILE:LINE): the file of that name, or
// else the one file whose path ends in "/FILE" (a patch or spec as the
// command line reached it: "../specs/patches/fix.toml" for "fix.toml" or
// "specs/patches/fix.toml"). -1 if none, -2 if more than one.
int file_named(std::vector<std::string> const& files, std::string_view want) {
  if (auto const it = std::find(files.begin(), files.end(), want); it != files.end())
    return static_cast<int>(it - files.begin());
  int found = -1;
  for (std::size_t i = 0; i < files.size(); ++i) {
    std::string_view const f = files[i];
    if (f.size() > want.size() && f.ends_with(want) && f[f.size() - want.size() - 1] == '/')
      found = found == -1 ? static_cast<int>(i) : -2;
  }
  return found;
}

}  // namespace

std::vector<code_setup::requirement> witness::history(std::vector<program> const& threads,
                                                      std::vector<std::string> const& files) const {
  std::vector<code_setup::requirement> out;
  each(*root_, [&](node const& n) {
    if (n.k != node::kind::ran) return;
    code_setup::requirement r;
    r.threads = threads.size() >= 32 ? 0xffffffffu : (1u << threads.size()) - 1;
    if (is_line(n.name)) {
      auto const colon = n.name.rfind(':');
      r.file = std::max(-1, file_named(files, std::string_view(n.name).substr(0, colon)));
      r.line = std::atoi(n.name.c_str() + colon + 1);
    } else {
      r.function = n.name;
    }
    out.resize(std::max(out.size(), n.ran + 1));
    out[n.ran] = r;
  });
  return out;
}

void witness::bind(code_model const& m) const {
  each(*root_, [&](node const& n) {
    auto fail = [&](std::string const& what) { throw witness_error(n.column + 1, what); };
    if ((n.k == node::kind::done || n.k == node::kind::asleep) && threads_named(m, n.name).empty())
      fail("no thread or actor kind '" + n.name + "' in this scenario");
    if ((n.k == node::kind::page_int || n.k == node::kind::page_bool) && n.value >= m.pages())
      fail(fmt::format("page{} does not exist: the scenario has {} page{}", n.value,
                                                        m.pages(), m.pages() == 1 ? "" : "s"));
    bool const fn = n.k == node::kind::ran ? !is_line(n.name) : n.k == node::kind::asleep && !n.function.empty();
    if (fn || (n.k == node::kind::ran && is_line(n.name))) {
      std::string const& want = n.k == node::kind::ran ? n.name : n.function;
      int file = -1;
      std::uint32_t line = 0;
      if (!fn) {
        auto const colon = want.rfind(':');
        file = file_named(m.files(), std::string_view(want).substr(0, colon));
        if (file == -2) fail("'" + want.substr(0, colon) + "' ends more than one model file's path: write more of it");
        line = static_cast<std::uint32_t>(std::atoi(want.c_str() + colon + 1));
      }
      bool found = false;
      for (auto const& prog : m.threads())
        for (auto const& in : prog.code) {
          auto const& w = prog.sites[in.site];
          if (fn ? runs_in(w, want) : static_cast<int>(w.pos.file) == file && w.pos.line == line) found = true;
        }
      if (!found)
        fail(std::string(fn ? "no thread of this scenario runs model function '"
                            : "no thread of this scenario runs model line '") +
             want + "'");
    }
  });
}

bool witness::holds(code_model const& m, code_state const& s, std::size_t first) const {
  return truth(*root_, m, s, first);
}

}  // namespace pgmapcheck::lang
