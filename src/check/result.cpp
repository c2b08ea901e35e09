// A trace step's text, as every output shows it.
#include "check/result.hpp"

#include <fmt/format.h>

#include <cctype>
#include <string>
#include <string_view>

namespace pgmapcheck {

namespace {

bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

}  // namespace

std::string step_text(trace_row const& row) {
  std::string t = row.text;
  while (!t.empty() && (t.back() == ';' || t.back() == '{' || t.back() == ' ')) t.pop_back();
  for (std::string_view kw : {"if (", "while ("})
    if (t.starts_with(kw) && t.back() == ')') t = t.substr(kw.size(), t.size() - kw.size() - 1);
  if (t.starts_with("return ")) t = t.substr(7);
  if (t.starts_with("} while (") && t.back() == ')') t = t.substr(9, t.size() - 10);
  for (std::string_view type : {"struct ", "int ", "bool ", "unsigned long ", "vm_fault_t "})
    if (t.starts_with(type) && t.find(" = ") != std::string::npos) {  // a declaration: the assignment alone
      auto const eq = t.find(" = ");
      auto name = t.find_last_of(" *", eq - 1);
      t = t.substr(name + 1);
      break;
    }
  if (row.page >= 0) {
    std::string const name = fmt::format("page{}", row.page);
    std::string out;
    for (std::size_t i = 0; i < t.size();) {
      bool const word = t.compare(i, 4, "page") == 0 && (i == 0 || !ident_char(t[i - 1])) &&
                        (i + 4 >= t.size() || !ident_char(t[i + 4]));
      if (word) {
        out += name;
        i += 4;
      } else {
        out += t[i++];
      }
    }
    t = out;
  }
  for (auto const& n : row.notes) {
    if (n.starts_with("chooses ")) t += " -> " + n.substr(8);
    if (n.starts_with("finds no page")) t += " -> NULL";
    if (n.starts_with("fails here")) t += " -> fails";
  }
  if (row.blocks.starts_with("asleep"))
    t += " (sleeps)";
  else if (!row.blocks.empty())
    t += " (waits)";
  return t;
}

}  // namespace pgmapcheck
