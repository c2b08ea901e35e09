// The model language's front end: the era preprocessor, the grammar, and
// file:line:col errors for bad model code.
#include "lang/error.hpp"
#include "lang/budget.hpp"
#include "lang/parse.hpp"

#include <catch2/catch.hpp>

using namespace pgmapcheck;
using namespace pgmapcheck::lang;

namespace {

// The error message parsing `text` raises, or "" if it parses.
std::string parse_error(std::string const& text) {
  try {
    parse_unit(preprocess(text, "t.kc", release(5, 10)), "t.kc", 0);
  } catch (spec_error const& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("lang: a kernel function parses into statements and expressions", "[lang]") {
  std::string const text = R"(/* mm/memremap.c: memunmap_pages (v5.10) */
void memunmap_pages(struct dev_pagemap *pgmap)
{
	struct page *page;
	int i = 0, n;

	dev_pagemap_kill(pgmap);
	for_each_device_pfn(page, pgmap)
		put_page(page);
	if (!percpu_ref_tryget_live(&pgmap->ref) && i >= 1)
		goto out;
	while (i < 3)
		i += 1;
out:
	return;
}

static int count(struct page *page) { return page_ref_count(page) == 1 ? 1 : -2; }
)";
  unit u = parse_unit(text, "t.kc", 7);
  REQUIRE(u.functions.size() == 2);
  auto const& f = u.functions[0];
  CHECK(f.name == "memunmap_pages");
  CHECK(f.comment == "/* mm/memremap.c: memunmap_pages (v5.10) */");
  REQUIRE(f.params.size() == 1);
  CHECK(f.params[0].type.kind == type_kind::object);
  CHECK(f.params[0].type.spelling == "struct dev_pagemap *");
  CHECK(f.result.kind == type_kind::void_);
  REQUIRE(f.body.body.size() == 7);
  CHECK(f.body.body[0].k == stmt::kind::decl);
  CHECK(f.body.body[0].type.kind == type_kind::page);
  CHECK(f.body.body[1].k == stmt::kind::decls);  // int i = 0, n;: one decl a name, in the function's scope
  CHECK(f.body.body[1].body.size() == 2);
  CHECK(f.body.body[3].k == stmt::kind::foreach);
  CHECK(f.body.body[3].name == "for_each_device_pfn");
  auto const& cond = f.body.body[4].exprs[0];
  CHECK(cond.k == expr::kind::binary);
  CHECK(cond.text == "&&");
  CHECK(cond.kids[0].k == expr::kind::unary);
  CHECK(cond.kids[0].kids[0].k == expr::kind::call);
  CHECK(cond.kids[0].kids[0].kids[0].k == expr::kind::unary);  // &pgmap->ref
  CHECK(cond.kids[0].kids[0].kids[0].kids[0].k == expr::kind::member);
  CHECK(cond.pos.line == 10);
  CHECK(cond.pos.file == 7);
  CHECK(f.body.body[6].k == stmt::kind::label);
  auto const& g = u.functions[1];
  CHECK(g.is_static);
  CHECK(g.body.body[0].exprs[0].k == expr::kind::ternary);
}

TEST_CASE("lang: binary operators are left-associative with C precedence", "[lang]") {
  unit u = parse_unit("int f(void) { return 1 - 2 - 3 * 4 < 5 == 1; }", "t.kc", 0);
  auto const& e = u.functions[0].body.body[0].exprs[0];
  REQUIRE(e.text == "==");
  auto const& lt = e.kids[0];
  REQUIRE(lt.text == "<");
  auto const& minus = lt.kids[0];
  CHECK(minus.text == "-");
  CHECK(minus.kids[0].text == "-");  // (1 - 2) - (3 * 4)
  CHECK(minus.kids[1].text == "*");
}

TEST_CASE("lang: the preprocessor keeps an era's lines and the line numbers", "[lang]") {
  std::string const text = "a\n#if KERNEL < V5_18\nb\n#elif KERNEL < V6_1\nc\n#else\nd\n#endif\ne\n";
  // Directive lines and lines left out become blanks of the same length.
  auto kept = [&](int major, int minor) {
    std::string out = preprocess(text, "t.kc", release(major, minor));
    REQUIRE(out.size() == text.size());
    std::string letters;
    for (char ch : out)
      if (ch != ' ' && ch != '\n') letters += ch;
    return letters;
  };
  CHECK(kept(5, 10) == "abe");
  CHECK(kept(5, 18) == "ace");
  CHECK(kept(6, 1) == "ade");
  CHECK(kept(6, 15) == "ade");
  CHECK(preprocess("#if !(KERNEL >= V6_1) && 1\nx\n#endif\n", "t.kc", release(5, 10)).find('x') != std::string::npos);
  CHECK(preprocess("#if KERNEL >= V6_1 || 0\nx\n#endif\n", "t.kc", release(5, 10)).find('x') == std::string::npos);
}

TEST_CASE("lang: bad model code names file, line, column and what was expected", "[lang]") {
  CHECK(parse_error("void f(void) {\n\tput_page(page)\n}\n") == "t.kc:3:1: expected ';'");
  CHECK(parse_error("void f(void) {\n\tif x) return;\n}\n") == "t.kc:2:5: expected '('");
  CHECK(parse_error("void f(void) {\n\treturn 1 +;\n}\n") == "t.kc:2:12: expected an operand");
  CHECK(parse_error("void f(void) {\n") == "t.kc:2:1: expected '}' or a statement");
  CHECK(parse_error("void f(void) { /* never closed\n}\n") == "t.kc:3:1: expected '*/' to end the comment");
  CHECK(parse_error("x = 1;\n") == "t.kc:1:1: expected a function definition");
  CHECK(parse_error("void f(int *p) { }\n") == "t.kc:1:8: expected a struct pointer: pointers to scalars are not modelled");
  CHECK(parse_error("#if KERNEL <\n#endif\n") == "t.kc:1:13: expected KERNEL, a release such as V6_1, or a number");
  CHECK(parse_error("#if KERNEL < V6_1\n") == "t.kc:1:1: #if without #endif");
  CHECK(parse_error("#endif\n") == "t.kc:1:1: #endif without #if");
  // A directive word at the very end of its line (found by the code fuzzer:
  // it once gave the condition parser column 0).
  CHECK(parse_error("#if KERNEL < V6_1\n#elif\n#endif\n").rfind("t.kc:2:", 0) == 0);
  CHECK(parse_error("#if\n#endif\n").rfind("t.kc:1:", 0) == 0);
  CHECK(parse_error("#define X 1\n") == "t.kc:1:1: unknown directive '#define': expected #if, #elif, #else or #endif");
  CHECK(parse_error(std::string(70, '(')) .find("nesting deeper than 64") != std::string::npos);
  CHECK(parse_error("void f(void) { do x(); (y); }\n") == "t.kc:1:24: expected 'while' after the do statement");
}

TEST_CASE("lang: parsing charges the load budget, and stops where it passes the limit", "[lang]") {
  std::string text = "int f(void)\n{\n\tint x = 0;\n";
  for (int i = 0; i < 200; ++i) text += "\tx = x + x + x + x;\n";
  text += "\treturn x;\n}\n";
  SECTION("no scope: nothing is charged") { CHECK_NOTHROW(parse_unit(text, "t.kc", 0)); }
  SECTION("a roomy budget: it parses, and the trees were charged") {
    load_budget budget(64 << 20);
    load_scope const scope(budget);
    parse_unit(text, "t.kc", 0);
    CHECK(budget.peak() > 200 * 9 * sizeof(expr));  // the syntax tree alone
    CHECK(budget.live() < budget.peak());            // the parse tree is given back
  }
  SECTION("a tight one: a located error, on a line of the code") {
    load_budget budget(64 << 10);
    load_scope const scope(budget);
    try {
      parse_unit(text, "t.kc", 0);
      FAIL("parsed within 64 KiB");
    } catch (load_limit_error const& e) {
      std::string const where = e.where();
      CHECK(where.rfind("t.kc:", 0) == 0);
      int const line = std::stoi(where.substr(5));
      CHECK(line > 3);
      CHECK(line < 204);
      CHECK(std::string(e.what()).find("passes --max-memory") != std::string::npos);
    }
  }
}

TEST_CASE("parse: code_text drops comments and folds white space, comments included", "[parse]") {
  using pgmapcheck::lang::code_text;
  CHECK(code_text("int f(void)\n{\n\treturn 0;\n}\n") == "int f(void) { return 0; }");
  CHECK(code_text("a/* x */ b") == code_text("a b"));
  CHECK(code_text("a /* x */\n\t b // y\n c") == "a b c");
  CHECK(code_text("  /* only */  ") == "");
  CHECK(code_text("a+b") != code_text("a + b"));  // white space is kept where there is some
}
