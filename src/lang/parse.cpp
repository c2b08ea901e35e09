// The model language's front end: the era preprocessor and the PEGTL grammar
// of the kernel C subset, turned into the syntax tree of lang/ast.hpp.
#include "lang/parse.hpp"

#include "lang/error.hpp"
#include "lang/budget.hpp"

#include <tao/pegtl.hpp>
#include <tao/pegtl/contrib/parse_tree.hpp>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace pgmapcheck::lang {

namespace pegtl = tao::pegtl;

namespace grammar {
using namespace tao::pegtl;

// Lexical structure.
struct line_comment : seq<two<'/'>, until<eolf>> {};
struct comment_end : string<'*', '/'> {};
struct comment_rest : until<comment_end> {};
struct block_comment : if_must<string<'/', '*'>, comment_rest> {};
struct ws : sor<plus<space>, line_comment, block_comment> {};
struct _ : star<ws> {};

struct ident_first : sor<alpha, one<'_'>> {};
struct ident_rest : sor<alnum, one<'_'>> {};
struct identifier : seq<ident_first, star<ident_rest>> {};
template <class S>
struct kw : seq<S, not_at<ident_rest>> {};

struct k_if : kw<TAO_PEGTL_STRING("if")> {};
struct k_else : kw<TAO_PEGTL_STRING("else")> {};
struct k_while : kw<TAO_PEGTL_STRING("while")> {};
struct k_for : kw<TAO_PEGTL_STRING("for")> {};
struct k_do : kw<TAO_PEGTL_STRING("do")> {};
struct k_return : kw<TAO_PEGTL_STRING("return")> {};
struct k_goto : kw<TAO_PEGTL_STRING("goto")> {};
struct k_break : kw<TAO_PEGTL_STRING("break")> {};
struct k_continue : kw<TAO_PEGTL_STRING("continue")> {};
struct k_struct : kw<TAO_PEGTL_STRING("struct")> {};
struct k_static : kw<TAO_PEGTL_STRING("static")> {};
struct k_inline : kw<TAO_PEGTL_STRING("inline")> {};
struct k_const : kw<TAO_PEGTL_STRING("const")> {};

// The scalar type words: C's, and the kernel typedefs model code uses.
struct scalar_word : sor<kw<TAO_PEGTL_STRING("void")>, kw<TAO_PEGTL_STRING("int")>, kw<TAO_PEGTL_STRING("bool")>,
                         kw<TAO_PEGTL_STRING("long")>, kw<TAO_PEGTL_STRING("unsigned")>,
                         kw<TAO_PEGTL_STRING("vm_fault_t")>, kw<TAO_PEGTL_STRING("size_t")>,
                         kw<TAO_PEGTL_STRING("pgoff_t")>, kw<TAO_PEGTL_STRING("gfp_t")>> {};
struct keyword : sor<k_if, k_else, k_while, k_for, k_do, k_return, k_goto, k_break, k_continue, k_struct, k_static,
                     k_inline, k_const, scalar_word> {};
struct name : seq<not_at<keyword>, identifier> {};

struct hex_number : seq<one<'0'>, one<'x', 'X'>, plus<xdigit>> {};
struct dec_number : plus<digit> {};
struct number : seq<sor<hex_number, dec_number>, star<one<'u', 'U', 'l', 'L'>>, not_at<ident_rest>> {};
struct string_body : star<not_one<'"', '\n'>> {};
struct string_lit : seq<one<'"'>, string_body, one<'"'>> {};

// Punctuation that a must<> names in its error.
struct lparen : one<'('> {};
struct rparen : one<')'> {};
struct lbrace : one<'{'> {};
struct rbrace : one<'}'> {};
struct semi : one<';'> {};
struct colon : one<':'> {};
struct comma : one<','> {};

// Types: scalar words, or a struct pointer.
struct struct_name : name {};
struct scalar_type : plus<scalar_word, _> {};
struct struct_type : seq<k_struct, _, struct_name, _> {};
struct pointer_star : one<'*'> {};
struct type : seq<opt<k_const, _>, sor<struct_type, scalar_type>> {};

// Expressions, C precedence, no comma operator.
struct expression;
struct paren_expr : if_must<lparen, _, expression, _, rparen> {};
struct primary : sor<number, string_lit, name, paren_expr> {};
struct argument_list : opt<expression, _, star<comma, _, expression, _>> {};
struct call_args : if_must<lparen, _, argument_list, rparen> {};
struct arrow : string<'-', '>'> {};
struct dot : one<'.'> {};
struct field : name {};
struct member_op : seq<sor<arrow, dot>, _, must<field>> {};
struct incdec : sor<string<'+', '+'>, string<'-', '-'>> {};
struct postfix_op : seq<_, sor<call_args, member_op, incdec>> {};
struct postfix_expr : seq<primary, star<postfix_op>> {};
struct unary_op : sor<one<'!'>, seq<one<'-'>, not_at<one<'-', '>'>>>, one<'~'>, seq<one<'&'>, not_at<one<'&'>>>,
                      one<'*'>> {};
struct unary_expr;
struct prefixed : seq<unary_op, _, unary_expr> {};
struct unary_expr : sor<prefixed, postfix_expr> {};

struct mul_op : seq<one<'*', '/', '%'>, not_at<one<'='>>> {};
struct add_op : seq<one<'+', '-'>, not_at<one<'=', '+', '-', '>'>>> {};
struct shift_op : sor<string<'<', '<'>, string<'>', '>'>> {};
struct rel_op : sor<string<'<', '='>, string<'>', '='>, seq<one<'<', '>'>, not_at<one<'<', '>'>>>> {};
struct eq_op : sor<string<'=', '='>, string<'!', '='>> {};
struct band_op : seq<one<'&'>, not_at<one<'&', '='>>> {};
struct bxor_op : seq<one<'^'>, not_at<one<'='>>> {};
struct bor_op : seq<one<'|'>, not_at<one<'|', '='>>> {};
struct land_op : string<'&', '&'> {};
struct lor_op : string<'|', '|'> {};

template <class Op, class Operand>
struct chain : seq<Operand, star<_, Op, _, must<Operand>>> {};
struct mul_expr : chain<mul_op, unary_expr> {};
struct add_expr : chain<add_op, mul_expr> {};
struct shift_expr : chain<shift_op, add_expr> {};
struct rel_expr : chain<rel_op, shift_expr> {};
struct eq_expr : chain<eq_op, rel_expr> {};
struct band_expr : chain<band_op, eq_expr> {};
struct bxor_expr : chain<bxor_op, band_expr> {};
struct bor_expr : chain<bor_op, bxor_expr> {};
struct land_expr : chain<land_op, bor_expr> {};
struct lor_expr : chain<lor_op, land_expr> {};
struct ternary_expr;
struct ternary_tail : if_must<one<'?'>, _, expression, _, colon, _, ternary_expr> {};
struct ternary_expr : seq<lor_expr, opt<_, ternary_tail>> {};
struct assign_op : sor<seq<one<'='>, not_at<one<'='>>>, string<'+', '='>, string<'-', '='>, string<'|', '='>,
                       string<'&', '='>> {};
struct assign_tail : seq<assign_op, _, must<expression>> {};
struct expression : seq<ternary_expr, opt<_, assign_tail>> {};

// Statements.
struct statement;
struct declarator : seq<star<pointer_star, _>, name> {};
struct initializer : seq<one<'='>, not_at<one<'='>>, _, must<expression>> {};
struct init_declarator : seq<declarator, _, opt<initializer, _>> {};
struct decl_stmt : seq<type, init_declarator, star<comma, _, must<init_declarator>>, must<semi>> {};
struct block : if_must<lbrace, _, star<statement, _>, rbrace> {};
struct else_part : seq<k_else, _, must<statement>> {};
struct if_stmt : if_must<k_if, _, lparen, _, expression, _, rparen, _, statement, opt<_, else_part>> {};
struct while_stmt : if_must<k_while, _, lparen, _, expression, _, rparen, _, statement> {};
struct do_stmt : if_must<k_do, _, statement, _, k_while, _, lparen, _, expression, _, rparen, _, semi> {};
struct for_init : sor<decl_stmt, seq<opt<expression>, _, must<semi>>> {};
struct for_cond : opt<expression> {};
struct for_step : opt<expression> {};
struct for_stmt : if_must<k_for, _, lparen, _, for_init, _, for_cond, _, semi, _, for_step, _, rparen, _, statement> {};
struct return_stmt : if_must<k_return, _, opt<expression, _>, semi> {};
struct goto_stmt : if_must<k_goto, _, name, _, semi> {};
struct break_stmt : if_must<k_break, _, semi> {};
struct continue_stmt : if_must<k_continue, _, semi> {};
struct label_stmt : seq<name, _, colon, not_at<colon>, _, must<statement>> {};
struct foreach_name : seq<at<star<not_at<TAO_PEGTL_STRING("for_each")>, ident_rest>, TAO_PEGTL_STRING("for_each")>, name> {};
struct foreach_stmt : seq<foreach_name, _, call_args, _, must<statement>> {};
struct expr_stmt : seq<expression, _, must<semi>> {};
struct empty_stmt : semi {};
struct statement : sor<block, if_stmt, while_stmt, do_stmt, for_stmt, return_stmt, goto_stmt, break_stmt, continue_stmt,
                       decl_stmt, label_stmt, foreach_stmt, expr_stmt, empty_stmt> {};

// Functions.
struct storage : sor<k_static, k_inline> {};
struct param_decl : seq<type, declarator> {};
struct void_params : seq<kw<TAO_PEGTL_STRING("void")>, _, at<rparen>> {};
struct param_list : sor<void_params, opt<param_decl, _, star<comma, _, must<param_decl>, _>>> {};
struct function_body : block {};
struct function_def : seq<star<storage, _>, type, declarator, _, must<lparen>, _, param_list, _, must<rparen>, _,
                          must<function_body>> {};
// File-scope variables: "static int x = 0;" and the static keys.
struct static_key_kind : sor<TAO_PEGTL_STRING("DEFINE_STATIC_KEY_FALSE"), TAO_PEGTL_STRING("DEFINE_STATIC_KEY_TRUE")> {};
struct static_key_def : if_must<static_key_kind, _, lparen, _, name, _, rparen, _, semi> {};
struct global_def : seq<star<storage, _>, type, declarator, _, opt<initializer, _>, semi> {};
struct unit_rule : seq<_, star<sor<static_key_def, global_def, function_def>, _>, must<eof>> {};

// Preprocessor expressions (#if, #elif).
struct pp_expr;
struct pp_release : seq<one<'V'>, plus<digit>, one<'_'>, plus<digit>> {};
struct pp_kernel : kw<TAO_PEGTL_STRING("KERNEL")> {};
struct pp_number : plus<digit> {};
struct pp_paren : if_must<lparen, _, pp_expr, _, rparen> {};
struct pp_atom : sor<pp_release, pp_kernel, pp_number, pp_paren> {};
struct pp_cmp_op : sor<string<'<', '='>, string<'>', '='>, string<'=', '='>, string<'!', '='>, one<'<'>, one<'>'>> {};
struct pp_cmp : seq<pp_atom, opt<_, pp_cmp_op, _, must<pp_atom>>> {};
struct pp_not : one<'!'> {};
struct pp_unary;
struct pp_negated : seq<pp_not, _, pp_unary> {};
struct pp_unary : sor<pp_negated, pp_cmp> {};
struct pp_and : chain<land_op, pp_unary> {};
struct pp_or : chain<lor_op, pp_and> {};
struct pp_expr : pp_or {};
struct pp_line : seq<_, must<pp_expr>, _, must<eof>> {};

}  // namespace grammar

namespace {

template <class>
inline constexpr char const* error_message = nullptr;
// clang-format off
template <> inline constexpr auto error_message<grammar::comment_rest> = "expected '*/' to end the comment";
template <> inline constexpr auto error_message<grammar::lparen> = "expected '('";
template <> inline constexpr auto error_message<grammar::rparen> = "expected ')'";
template <> inline constexpr auto error_message<grammar::rbrace> = "expected '}' or a statement";
template <> inline constexpr auto error_message<grammar::semi> = "expected ';'";
template <> inline constexpr auto error_message<grammar::colon> = "expected ':'";
template <> inline constexpr auto error_message<grammar::expression> = "expected an expression";
template <> inline constexpr auto error_message<grammar::statement> = "expected a statement";
template <> inline constexpr auto error_message<grammar::field> = "expected a field name";
template <> inline constexpr auto error_message<grammar::name> = "expected a name";
template <> inline constexpr auto error_message<grammar::init_declarator> = "expected a name to declare";
template <> inline constexpr auto error_message<grammar::param_decl> = "expected a parameter: a type and a name";
template <> inline constexpr auto error_message<grammar::function_body> = "expected '{' to begin the function body";
template <> inline constexpr auto error_message<grammar::k_while> = "expected 'while' after the do statement";
template <> inline constexpr auto error_message<grammar::ternary_expr> = "expected an expression after ':'";
template <> inline constexpr auto error_message<grammar::argument_list> = "expected arguments";
template <> inline constexpr auto error_message<grammar::for_init> = "expected a declaration or an expression";
template <> inline constexpr auto error_message<grammar::mul_expr> = "expected an operand";
template <> inline constexpr auto error_message<grammar::add_expr> = "expected an operand";
template <> inline constexpr auto error_message<grammar::shift_expr> = "expected an operand";
template <> inline constexpr auto error_message<grammar::rel_expr> = "expected an operand";
template <> inline constexpr auto error_message<grammar::eq_expr> = "expected an operand";
template <> inline constexpr auto error_message<grammar::band_expr> = "expected an operand";
template <> inline constexpr auto error_message<grammar::bxor_expr> = "expected an operand";
template <> inline constexpr auto error_message<grammar::bor_expr> = "expected an operand";
template <> inline constexpr auto error_message<grammar::land_expr> = "expected an operand";
template <> inline constexpr auto error_message<grammar::unary_expr> = "expected an operand";
template <> inline constexpr auto error_message<grammar::pp_unary> = "expected an operand";
template <> inline constexpr auto error_message<grammar::pp_and> = "expected an operand";
template <> inline constexpr auto error_message<grammar::pp_atom> = "expected KERNEL, a release such as V6_1, or a number";
template <> inline constexpr auto error_message<grammar::pp_expr> = "expected a condition over KERNEL";
template <> inline constexpr auto error_message<grammar::eof> = "expected a function definition";
template <> inline constexpr auto error_message<grammar::_> = "expected white space";
// clang-format on

// How deep the recursive-descent parser may go: past it, it would run out
// of stack. Two bounds, whichever comes first, with one message: rules
// inside one another (about 13 nest for each parenthesis, an expression's
// operator levels, so the 64 brackets the pre-scan allows fit), and the
// stack those rules' frames take, measured, as their size differs between
// builds (ASan's frames are several times larger). Each parse starts both.
constexpr int max_parse_depth = 1200;
#if defined(__SANITIZE_ADDRESS__)
constexpr std::ptrdiff_t max_parse_stack = 6 << 20;
#else
constexpr std::ptrdiff_t max_parse_stack = 2 << 20;
#endif
thread_local int parse_depth = 0;
thread_local std::uintptr_t parse_stack_base = 0;  // the stack as the parse began

std::uintptr_t stack_here() { return reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0)); }

void start_parse() {
  parse_depth = 0;
  parse_stack_base = stack_here();
}

// Parses as usual, within those bounds; a must<> that fails raises its
// rule's message.
template <class Rule>
struct control : pegtl::normal<Rule> {
  template <class Input, class... States>
  static void start(Input const& in, States&&...) {
    auto const used = static_cast<std::ptrdiff_t>(parse_stack_base - stack_here());  // the stack grows down
    if (++parse_depth > max_parse_depth || used > max_parse_stack)
      throw pegtl::parse_error("nested too deep (statements, operators or conditions inside one another)", in);
  }
  template <class Input, class... States>
  static void success(Input const&, States&&...) {
    --parse_depth;
  }
  template <class Input, class... States>
  static void failure(Input const&, States&&...) {
    --parse_depth;
  }
  template <class Input, class... States>
  [[noreturn]] static void raise(Input const& in, States&&...) {
    if constexpr (error_message<Rule> != nullptr)
      throw pegtl::parse_error(error_message<Rule>, in);
    else
      throw pegtl::parse_error("expected " + std::string(pegtl::demangle<Rule>()), in);
  }
};

namespace pt = pegtl::parse_tree;
using namespace grammar;

template <class Rule>
using selector = pt::selector<
    Rule,
    pt::store_content::on<number, string_body, name, struct_name, scalar_type, pointer_star, field, unary_op, mul_op,
                          add_op, shift_op, rel_op, eq_op, band_op, bxor_op, bor_op, land_op, lor_op, assign_op, arrow,
                          dot, incdec, storage, foreach_name, type, struct_type, declarator, initializer,
                          init_declarator, decl_stmt, param_decl, void_params, param_list, function_def, function_body,
                          static_key_kind, static_key_def, global_def,
                          block, if_stmt, else_part, while_stmt, do_stmt, for_stmt, for_init, for_cond, for_step,
                          return_stmt, goto_stmt, break_stmt, continue_stmt, label_stmt, foreach_stmt, expr_stmt,
                          empty_stmt, call_args, member_op, prefixed, ternary_tail, assign_tail, string_lit, pp_release,
                          pp_kernel, pp_number, pp_cmp_op, pp_not, pp_negated>,
    pt::fold_one::on<postfix_expr, mul_expr, add_expr, shift_expr, rel_expr, eq_expr, band_expr, bxor_expr, bor_expr,
                     land_expr, lor_expr, ternary_expr, expression, pp_cmp, pp_and, pp_or>>;

// A parse tree node that charges the load budget for itself while it
// lives: the node, its slot in its parent's children (a vector that may be
// twice as long as it is full) and a malloc header. The charge is a call
// of its own, so its locals stay out of the parser's recursive frames;
// what keeps the recursion inside the stack is max_parse_stack.
struct node : pt::basic_node<node> {
  node() = default;
  node(node const&) = delete;
  node& operator=(node const&) = delete;
  ~node() { release_load(charged_); }

  template <class Rule, class Input, class... States>
  void start(Input const& in, States&&... st) {
    pt::basic_node<node>::template start<Rule>(in, st...);
    charge();
  }

 private:
  [[gnu::noinline]] void charge() {
    std::uint64_t const bytes = sizeof(node) + 16 + 2 * sizeof(std::unique_ptr<node>);
    charge_load(bytes, source, m_begin.line, m_begin.column);
    charged_ = bytes;
  }
  std::uint64_t charged_ = 0;
};

[[noreturn]] void fail_at(std::string const& file, pegtl::parse_error const& e) {
  auto const& pos = e.positions().front();
  throw spec_error(file, static_cast<int>(pos.line), static_cast<int>(pos.column), std::string(e.message()));
}

// The syntax tree of one parsed text.
class converter {
 public:
  converter(std::string const& file, std::uint16_t index, std::string_view text)
      : file_(file), index_(index), text_(text) {}

  unit convert(node const& root) {
    unit u;
    u.file = index_;
    std::size_t prev_end = 0;
    for (auto const& f : root.children) {
      if (f->is_type<grammar::function_def>()) u.functions.push_back(function_of(*f, prev_end));
      else u.globals.push_back(global_of(*f));
      prev_end = f->m_end.byte;
    }
    return u;
  }

 private:
  source_pos pos(node const& n) const {
    return {index_, static_cast<std::uint32_t>(n.m_begin.line), static_cast<std::uint32_t>(n.m_begin.column)};
  }
  [[noreturn]] void fail(node const& n, std::string const& message) const {
    throw spec_error(file_, static_cast<int>(n.m_begin.line), static_cast<int>(n.m_begin.column), message);
  }
  // Charges the load budget for the syntax tree made of n: twice the node
  // (a vector's spare room, the nodes a chain of operators adds) and the
  // malloc header. The syntax tree lives until the load ends.
  template <class T>
  void charge(node const& n) const {
    charge_load(2 * (sizeof(T) + 16), file_, n.m_begin.line, n.m_begin.column);
  }

  // The type named by a type node and the stars of a declarator.
  type_ref type_of(node const& t, node const* decl, bool param = false) const {
    type_ref r;
    int stars = 0;
    if (decl)
      for (auto const& c : decl->children)
        if (c->is_type<pointer_star>()) ++stars;
    auto const& base = *t.children.front();
    if (base.is_type<struct_type>()) {
      std::string s = base.children.front()->string();
      r.spelling = "struct " + s + (stars == 2 ? " **" : " *");
      r.out = param && stars == 2;
      if (stars != 1 && !r.out)
        fail(t, "expected a pointer to struct " + s + (param && stars > 2 ? " (or, for an out-parameter, struct " + s + " **)" : " (struct values are not modelled)"));
      r.kind = s == "page" || s == "folio" ? type_kind::page : type_kind::object;
      return r;
    }
    std::string words;
    for (char ch : base.string_view())
      if (ch != ' ' && ch != '\t' && ch != '\n') words += ch;
      else if (!words.empty() && words.back() != ' ') words += ' ';
    while (!words.empty() && words.back() == ' ') words.pop_back();
    r.spelling = words;
    if (stars) fail(t, "expected a struct pointer: pointers to scalars are not modelled");
    r.kind = words == "void" ? type_kind::void_ : words == "bool" ? type_kind::boolean : type_kind::integer;
    return r;
  }

  std::string name_of_declarator(node const& d) const { return d.children.back()->string(); }

  function function_of(node const& n, std::size_t prev_end) const {
    function f;
    f.pos = pos(n);
    std::size_t i = 0;
    while (n.children[i]->is_type<storage>()) {
      if (n.children[i]->string_view() == "static") f.is_static = true;
      ++i;
    }
    node const& t = *n.children[i++];
    node const& d = *n.children[i++];
    f.result = type_of(t, &d);
    f.name = name_of_declarator(d);
    node const& params = *n.children[i++];
    for (auto const& p : params.children) {
      if (p->is_type<void_params>()) continue;
      param q;
      q.type = type_of(*p->children[0], p->children[1].get(), true);
      q.name = name_of_declarator(*p->children[1]);
      q.pos = pos(*p);
      if (q.type.kind == type_kind::void_) fail(*p, "expected a parameter type other than void");
      f.params.push_back(std::move(q));
    }
    f.body = block_of(*n.children[i]);
    f.comment = comment_before(prev_end, n.m_begin.byte);
    f.text = std::string(text_.substr(n.m_begin.byte, n.m_end.byte - n.m_begin.byte));
    return f;
  }

  // The last block comment between the previous function and this one.
  std::string comment_before(std::size_t from, std::size_t to) const {
    std::string_view gap = text_.substr(from, to - from);
    auto end = gap.rfind("*/");
    if (end == std::string_view::npos) return {};
    auto begin = gap.rfind("/*", end);
    if (begin == std::string_view::npos) return {};
    return std::string(gap.substr(begin, end + 2 - begin));
  }

  stmt block_of(node const& n) const {
    stmt s;
    s.k = stmt::kind::block;
    s.pos = pos(n);
    for (auto const& c : n.children) s.body.push_back(stmt_of(*c));
    return s;
  }

  stmt stmt_of(node const& n) const {
    charge<stmt>(n);
    stmt s;
    s.pos = pos(n);
    using K = stmt::kind;
    if (n.is_type<block>()) return block_of(n);
    if (n.is_type<expr_stmt>()) {
      s.k = K::expression;
      s.exprs.push_back(expr_of(*n.children.front()));
    } else if (n.is_type<decl_stmt>()) {
      return decl_of(n);
    } else if (n.is_type<if_stmt>()) {
      s.k = K::if_;
      s.exprs.push_back(expr_of(*n.children[0]));
      s.body.push_back(stmt_of(*n.children[1]));
      if (n.children.size() > 2) s.body.push_back(stmt_of(*n.children[2]->children.front()));
    } else if (n.is_type<while_stmt>()) {
      s.k = K::while_;
      s.exprs.push_back(expr_of(*n.children[0]));
      s.body.push_back(stmt_of(*n.children[1]));
    } else if (n.is_type<do_stmt>()) {
      s.k = K::do_while;
      s.body.push_back(stmt_of(*n.children[0]));
      s.exprs.push_back(expr_of(*n.children[1]));
    } else if (n.is_type<for_stmt>()) {
      s.k = K::for_;
      node const& init = *n.children[0];
      stmt first;
      first.pos = pos(init);
      if (!init.children.empty()) {
        if (init.children.front()->is_type<decl_stmt>())
          first = decl_of(*init.children.front());
        else {
          first.k = K::expression;
          first.exprs.push_back(expr_of(*init.children.front()));
        }
      }
      s.body.push_back(std::move(first));
      node const& cond = *n.children[1];
      node const& step = *n.children[2];
      s.exprs.push_back(cond.children.empty() ? expr{} : expr_of(*cond.children.front()));
      s.exprs.push_back(step.children.empty() ? expr{} : expr_of(*step.children.front()));
      if (cond.children.empty()) s.exprs[0].k = expr::kind::number, s.exprs[0].value = 1, s.exprs[0].pos = pos(cond);
      if (step.children.empty()) s.exprs[1].k = expr::kind::number, s.exprs[1].pos = pos(step);
      s.body.push_back(stmt_of(*n.children[3]));
    } else if (n.is_type<foreach_stmt>()) {
      s.k = K::foreach;
      s.name = n.children[0]->string();
      for (auto const& a : n.children[1]->children) s.exprs.push_back(expr_of(*a));
      s.body.push_back(stmt_of(*n.children[2]));
    } else if (n.is_type<return_stmt>()) {
      s.k = K::return_;
      if (!n.children.empty()) s.exprs.push_back(expr_of(*n.children.front()));
    } else if (n.is_type<goto_stmt>()) {
      s.k = K::goto_;
      s.name = n.children.front()->string();
    } else if (n.is_type<break_stmt>()) {
      s.k = K::break_;
    } else if (n.is_type<continue_stmt>()) {
      s.k = K::continue_;
    } else if (n.is_type<label_stmt>()) {
      s.k = K::label;
      s.name = n.children[0]->string();
      s.body.push_back(stmt_of(*n.children[1]));
    } else if (n.is_type<empty_stmt>()) {
      s.k = K::empty;
    } else {
      fail(n, "expected a statement");
    }
    return s;
  }

  // A file-scope variable: an int or a bool with a constant initializer, or
  // a static key.
  global global_of(node const& n) const {
    global g;
    g.pos = pos(n);
    if (n.is_type<grammar::static_key_def>()) {
      g.key = true;
      g.init = n.children[0]->string_view() == "DEFINE_STATIC_KEY_TRUE" ? 1 : 0;
      g.name = n.children[1]->string();
      return g;
    }
    std::size_t i = 0;
    while (n.children[i]->is_type<grammar::storage>()) ++i;
    node const& d = *n.children[i + 1];
    type_ref const t = type_of(*n.children[i], &d);
    g.name = name_of_declarator(d);
    if (t.kind != type_kind::integer && t.kind != type_kind::boolean)
      fail(n, "expected an int or a bool for the file-scope variable '" + g.name + "' (the model keeps no global pointers)");
    g.boolean = t.kind == type_kind::boolean;
    if (i + 2 < n.children.size()) {
      expr const e = expr_of(*n.children[i + 2]->children.front());
      auto v = constant_of(e);
      if (!v) fail(*n.children[i + 2], "expected a constant to initialize '" + g.name + "' (a number, true or false)");
      g.init = *v;
    }
    return g;
  }

  // The value of a constant initializer: a number, -number, true or false.
  static std::optional<int> constant_of(expr const& e) {
    if (e.k == expr::kind::number) return e.value;
    if (e.k == expr::kind::name && (e.text == "true" || e.text == "false")) return e.text == "true" ? 1 : 0;
    if (e.k == expr::kind::unary && e.text == "-" && e.kids[0].k == expr::kind::number) return -e.kids[0].value;
    return std::nullopt;
  }

  // A declaration of several names becomes one decl per name, declared in
  // the enclosing scope (decls, not a block: a block's names die with it).
  stmt decl_of(node const& n) const {
    node const& t = *n.children.front();
    stmt group;
    group.k = stmt::kind::decls;
    group.pos = pos(n);
    for (std::size_t i = 1; i < n.children.size(); ++i) {
      node const& id = *n.children[i];
      node const& d = *id.children.front();
      stmt s;
      s.k = stmt::kind::decl;
      s.pos = pos(id);
      s.type = type_of(t, &d);
      s.name = name_of_declarator(d);
      if (s.type.kind == type_kind::void_) fail(id, "expected a type other than void for '" + s.name + "'");
      if (id.children.size() > 1) s.exprs.push_back(expr_of(*id.children[1]->children.front()));
      group.body.push_back(std::move(s));
    }
    if (group.body.size() == 1) return std::move(group.body.front());
    return group;
  }

  // An expression tree deeper than this is refused: compiling and
  // evaluating it recurse once a level.
  static constexpr std::size_t max_expr_depth = 256;
  // expr_of's nesting, `levels` deeper for its life; past max_expr_depth it fails at n.
  struct nesting {
    std::size_t& depth;
    std::size_t levels;
    nesting(converter const& c, node const& n, std::size_t more) : depth(c.depth_), levels(more) {
      depth += levels;
      if (depth > max_expr_depth)
        c.fail(n, "an expression nested more than " + std::to_string(max_expr_depth) +
                      " operators deep: split it with locals");
    }
    ~nesting() { depth -= levels; }
    nesting(nesting const&) = delete;
    nesting& operator=(nesting const&) = delete;
  };

  expr expr_of(node const& n) const {
    // A chain (operand op operand ..., or postfix operators) folds into a
    // tree as deep as it is long.
    std::size_t const chain =
        n.is_type<postfix_expr>() ? n.children.size() : n.children.size() >= 3 ? n.children.size() / 2 : 0;
    nesting const level(*this, n, 1 + chain);
    charge<expr>(n);
    expr e;
    e.pos = pos(n);
    using K = expr::kind;
    if (n.is_type<number>()) {
      e.k = K::number;
      std::string_view t = n.string_view();
      while (!t.empty() && (t.back() == 'u' || t.back() == 'U' || t.back() == 'l' || t.back() == 'L'))
        t.remove_suffix(1);
      int base = 10;
      if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) t.remove_prefix(2), base = 16;
      auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), e.value, base);
      if (ec != std::errc() || p != t.data() + t.size() || e.value > 32767)
        fail(n, "expected a number below 32768 (model values are small)");
      return e;
    }
    if (n.is_type<name>()) {
      e.k = K::name;
      e.text = n.string();
      return e;
    }
    if (n.is_type<string_lit>()) {
      e.k = K::string;
      e.text = n.children.empty() ? std::string() : n.children.front()->string();
      return e;
    }
    if (n.is_type<prefixed>()) {
      e.k = K::unary;
      e.text = n.children[0]->string();
      e.kids.push_back(expr_of(*n.children[1]));
      return e;
    }
    if (n.is_type<postfix_expr>()) {
      expr cur = expr_of(*n.children.front());
      for (std::size_t i = 1; i < n.children.size(); ++i) {
        node const& op = *n.children[i];
        expr next;
        next.pos = pos(op);
        if (op.is_type<call_args>()) {
          if (cur.k != K::name) fail(op, "expected a function name before '(' (calls through pointers are written as the function they reach)");
          next.k = K::call;
          next.text = cur.text;
          next.pos = cur.pos;
          for (auto const& a : op.children) next.kids.push_back(expr_of(*a));
        } else if (op.is_type<member_op>()) {
          next.k = K::member;
          next.arrow = op.children[0]->is_type<arrow>();
          next.text = op.children[1]->string();
          next.pos = cur.pos;
          next.kids.push_back(std::move(cur));
        } else {
          next.k = K::postfix;
          next.text = op.string();
          next.kids.push_back(std::move(cur));
        }
        cur = std::move(next);
      }
      return cur;
    }
    if (n.is_type<ternary_expr>()) {
      e.k = K::ternary;
      node const& tail = *n.children[1];
      e.kids.push_back(expr_of(*n.children[0]));
      e.kids.push_back(expr_of(*tail.children[0]));
      e.kids.push_back(expr_of(*tail.children[1]));
      return e;
    }
    if (n.is_type<expression>()) {
      e.k = K::assign;
      node const& tail = *n.children[1];
      e.text = tail.children[0]->string();
      e.kids.push_back(expr_of(*n.children[0]));
      e.kids.push_back(expr_of(*tail.children[1]));
      return e;
    }
    if (n.children.size() >= 3) {  // a binary chain: operand (op operand)*, left-associative
      expr cur = expr_of(*n.children[0]);
      for (std::size_t i = 1; i + 1 < n.children.size(); i += 2) {
        expr b;
        b.k = K::binary;
        b.pos = pos(*n.children[i]);
        b.text = n.children[i]->string();
        b.kids.push_back(std::move(cur));
        b.kids.push_back(expr_of(*n.children[i + 1]));
        cur = std::move(b);
      }
      return cur;
    }
    fail(n, "expected an expression");
  }

  std::string const& file_;
  std::uint16_t index_;
  std::string_view text_;
  mutable std::size_t depth_ = 0;  // expr_of's nesting
};

// Evaluates a preprocessor condition's parse tree.
long pp_value(node const& n, int kernel) {
  if (n.is_type<pp_kernel>()) return kernel;
  if (n.is_type<pp_number>()) return std::stol(n.string());
  if (n.is_type<pp_release>()) {
    auto s = n.string();
    auto us = s.find('_');
    return release(std::stoi(s.substr(1, us - 1)), std::stoi(s.substr(us + 1)));
  }
  if (n.is_type<pp_negated>()) return !pp_value(*n.children[1], kernel);
  if (n.children.size() == 3 && n.children[1]->is_type<pp_cmp_op>()) {
    long a = pp_value(*n.children[0], kernel), b = pp_value(*n.children[2], kernel);
    auto op = n.children[1]->string_view();
    if (op == "<") return a < b;
    if (op == "<=") return a <= b;
    if (op == ">") return a > b;
    if (op == ">=") return a >= b;
    if (op == "==") return a == b;
    return a != b;
  }
  if (n.children.size() >= 3) {  // && or || chain
    bool const is_and = n.children[1]->is_type<land_op>();
    bool v = pp_value(*n.children[0], kernel) != 0;
    for (std::size_t i = 2; i < n.children.size(); i += 2) {
      bool w = pp_value(*n.children[i], kernel) != 0;
      v = is_and ? (v && w) : (v || w);
    }
    return v;
  }
  if (n.children.size() == 1) return pp_value(*n.children.front(), kernel);
  return 0;
}

}  // namespace

std::string preprocess(std::string_view text, std::string const& file, int kernel) {
  struct frame {
    bool parent_active;
    bool taken;   // a branch of this #if was already selected
    bool active;  // the current branch is selected
    bool seen_else;
    int line;
  };
  std::vector<frame> stack;
  std::string out;
  out.reserve(text.size());
  int line_no = 0;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t eol = text.find('\n', at);
    std::string_view line = text.substr(at, eol == std::string_view::npos ? std::string_view::npos : eol - at);
    at = eol == std::string_view::npos ? text.size() : eol + 1;
    ++line_no;
    bool const active = stack.empty() || stack.back().active;
    std::size_t first = line.find_first_not_of(" \t");
    if (first != std::string_view::npos && line[first] == '#') {
      std::size_t d = line.find_first_not_of(" \t", first + 1);
      std::size_t de = d == std::string_view::npos ? line.size() : line.find_first_of(" \t(", d);
      if (de == std::string_view::npos) de = line.size();  // "#elif" alone: the word runs to the end
      std::string_view word = d == std::string_view::npos ? std::string_view() : line.substr(d, de - d);
      std::string_view rest = de >= line.size() ? std::string_view() : line.substr(de);
      int const col = static_cast<int>(first + 1);
      auto condition = [&]() -> bool {
        pegtl::memory_input in(rest.data(), rest.data() + rest.size(), file, 0, static_cast<std::size_t>(line_no), de + 1);
        try {
          start_parse();
          auto root = pt::parse<pp_line, node, selector, pegtl::nothing, control>(in);
          return pp_value(*root->children.front(), kernel) != 0;
        } catch (pegtl::parse_error const& e) {
          fail_at(file, e);
        }
      };
      if (word == "if") {
        bool c = active && condition();
        if (!active) condition();  // still checked for syntax
        stack.push_back({active, c, c, false, line_no});
      } else if (word == "elif") {
        if (stack.empty() || stack.back().seen_else) throw spec_error(file, line_no, col, "#elif without #if");
        auto& f = stack.back();
        bool c = condition();
        f.active = f.parent_active && !f.taken && c;
        f.taken = f.taken || f.active;
      } else if (word == "else") {
        if (stack.empty() || stack.back().seen_else) throw spec_error(file, line_no, col, "#else without #if");
        auto& f = stack.back();
        f.seen_else = true;
        f.active = f.parent_active && !f.taken;
        f.taken = true;
      } else if (word == "endif") {
        if (stack.empty()) throw spec_error(file, line_no, col, "#endif without #if");
        stack.pop_back();
      } else {
        throw spec_error(file, line_no, col,
                         "unknown directive '#" + std::string(word) + "': expected #if, #elif, #else or #endif");
      }
      out.append(line.size(), ' ');
    } else if (active) {
      out.append(line);
    } else {
      for (char ch : line) out += ch == '\t' ? '\t' : ' ';
    }
    if (eol != std::string_view::npos) out += '\n';
  }
  if (!stack.empty()) throw spec_error(file, stack.back().line, 1, "#if without #endif");
  return out;
}

std::string code_text(std::string_view text) {
  std::string out;
  auto const space = [&] {
    if (!out.empty() && out.back() != ' ') out += ' ';
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 2, "/*") == 0) {
      auto const e = text.find("*/", i + 2);
      i = e == std::string_view::npos ? text.size() : e + 1;
      space();
    } else if (text.compare(i, 2, "//") == 0) {
      auto const e = text.find('\n', i);
      i = e == std::string_view::npos ? text.size() : e;
      space();
    } else if (char const c = text[i]; c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space();
    } else {
      out += c;
    }
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

unit parse_unit(std::string_view text, std::string const& file, std::uint16_t file_index) {
  // Nesting deeper than this, or more statements than a thread could inline
  // (so a parse tree larger than a few MiB), is refused before the
  // recursive-descent parser sees it.
  constexpr int max_statements = 10000;
  int depth = 0, line = 1, col = 0, statements = 0;
  for (char ch : text) {
    ++col;
    if (ch == '\n') ++line, col = 0;
    if (ch == '(' || ch == '{' || ch == '[') {
      if (++depth > 64) throw spec_error(file, line, col, "nesting deeper than 64 brackets");
    } else if (ch == ')' || ch == '}' || ch == ']') {
      --depth;
    } else if (ch == ';' && ++statements > max_statements) {
      throw spec_error(file, line, col, "more than 10,000 statements in one file: split it");
    }
  }
  pegtl::memory_input in(text.data(), text.size(), file);
  try {
    start_parse();
    auto root = pt::parse<unit_rule, node, selector, pegtl::nothing, control>(in);
    return converter(file, file_index, text).convert(*root);
  } catch (pegtl::parse_error const& e) {
    fail_at(file, e);
  }
}

}  // namespace pgmapcheck::lang
