// The text race diagram: kernel commit-message form, CPU columns, fitted to a width.
#include "report/render.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

namespace pgmapcheck {

std::vector<std::string> wrap_text(std::string const& text, std::size_t w) {
  std::vector<std::string> lines;
  std::string rest = text;
  std::size_t room = w;
  while (rest.size() > room) {
    std::size_t cut = std::string::npos;
    for (std::size_t i = room; i > room / 3 && cut == std::string::npos; --i)
      if (rest[i] == ' ') cut = i;
    for (std::size_t i = std::min(room, rest.size() - 3); i > room / 3 && cut == std::string::npos; --i)
      if (rest[i - 1] == ',' || rest[i - 1] == '(' || rest[i] == '-' || rest[i - 1] == '&') cut = i;
    if (cut == std::string::npos) cut = room;
    std::string head = rest.substr(0, cut);
    while (!head.empty() && head.back() == ' ') head.pop_back();
    lines.push_back(lines.empty() ? head : "  " + head);
    rest = rest.substr(cut);
    while (!rest.empty() && rest.front() == ' ') rest.erase(0, 1);
    room = w > 2 ? w - 2 : w;
  }
  if (!rest.empty() || lines.empty()) lines.push_back(lines.empty() ? rest : "  " + rest);
  return lines;
}

namespace {

struct layout {
  std::vector<int> column_of;           // per thread, its column (-1: not shown)
  std::vector<std::vector<int>> holds;  // per column, its threads in order
};

// Threads whose shown steps never overlap in time share a column, as the
// race diagrams in kernel commit messages put one CPU under another.
layout columns(check_result const& r, std::vector<std::size_t> const& shown) {
  std::size_t const threads = r.scenario.actor_labels.size();
  std::vector<int> first(threads, -1), last(threads, -1);
  for (std::size_t k = 0; k < shown.size(); ++k) {
    auto const a = static_cast<std::size_t>(r.trace[shown[k]].actor);
    if (first[a] < 0) first[a] = static_cast<int>(k);
    last[a] = static_cast<int>(k);
  }
  std::vector<std::size_t> order;
  for (std::size_t a = 0; a < threads; ++a)
    if (first[a] >= 0) order.push_back(a);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) { return first[x] < first[y]; });
  layout l;
  l.column_of.assign(threads, -1);
  std::vector<int> busy_until;
  for (auto a : order) {
    std::size_t c = 0;
    while (c < busy_until.size() && busy_until[c] >= first[a]) ++c;
    if (c == busy_until.size()) {
      busy_until.push_back(-1);
      l.holds.emplace_back();
    }
    busy_until[c] = last[a];
    l.holds[c].push_back(static_cast<int>(a));
    l.column_of[a] = static_cast<int>(c);
  }
  return l;
}

}  // namespace

std::string render_race(check_result const& r, render_options const& o) {
  auto const& labels = r.scenario.actor_labels;
  std::vector<std::size_t> shown;
  std::vector<std::string> hidden;
  for (std::size_t i = 0; i < r.trace.size(); ++i) {
    auto const& row = r.trace[i];
    if (!row.idle || o.all_steps) {
      shown.push_back(i);
      continue;
    }
    auto const& who = labels[static_cast<std::size_t>(row.actor)];
    if (std::find(hidden.begin(), hidden.end(), who) == hidden.end()) hidden.push_back(who);
  }
  layout const l = columns(r, shown);
  std::size_t const ncol = std::max<std::size_t>(l.holds.size(), 1);

  // Counters: a page column each, then pgmap->ref.
  std::vector<std::string> counter_names;
  for (std::size_t p = 0; p < r.initial_page_refs.size(); ++p) counter_names.push_back(fmt::format("p{}", p));
  counter_names.push_back("ref");
  auto counter_cells = [&](std::vector<int> const& pages, int ref) {
    std::string s;
    for (std::size_t p = 0; p < pages.size(); ++p) s += fmt::format(" {:>3}", pages[p]);
    return s + fmt::format(" {:>3}", ref);
  };
  std::size_t const counters_w = 4 * counter_names.size();
  std::size_t const margin = 5, gap = 2;
  std::size_t const room = static_cast<std::size_t>(std::max(o.width, 40));

  // Each shown step as lines in its column: the functions it entered since
  // its thread's last step (the thread's own harness is the column's name),
  // then the statement, indented by call depth.
  struct step_lines {
    std::size_t row = 0, column = 0;
    std::vector<std::pair<std::size_t, std::string>> heads;  // (indent, "function()")
    std::size_t indent = 0;
    std::string text;
    bool named = false;  // its thread's first step in a column it shares
  };
  std::vector<step_lines> steps;
  std::vector<std::vector<std::string>> path(labels.size());  // per thread, the call path last shown
  std::vector<std::size_t> natural(ncol, 0);
  for (auto const i : shown) {
    auto const& row = r.trace[i];
    auto const a = static_cast<std::size_t>(row.actor);
    step_lines sl;
    sl.row = i;
    sl.column = static_cast<std::size_t>(l.column_of[a]);
    sl.named = path[a].empty() && l.holds[sl.column].size() > 1;
    std::size_t const root = !row.calls.empty() && (labels[a] == row.calls[0] || labels[a].starts_with(row.calls[0] + "#"));
    std::size_t same = root;
    while (same < path[a].size() && same < row.calls.size() && path[a][same] == row.calls[same]) ++same;
    for (std::size_t d = same; d < row.calls.size(); ++d) sl.heads.emplace_back(2 * (d - root), row.calls[d] + "()");
    path[a] = row.calls;
    sl.indent = 2 * (row.calls.size() - root);
    sl.text = step_text(row);
    auto& w = natural[sl.column];
    if (sl.named) w = std::max(w, labels[a].size() + 1);
    for (auto const& [in, h] : sl.heads) w = std::max(w, in + h.size());
    w = std::max(w, sl.indent + sl.text.size());
    steps.push_back(std::move(sl));
  }
  // Fit the columns: the widest gives way first, down to 12 characters.
  std::vector<std::size_t> cw(ncol);
  for (std::size_t c = 0; c < ncol; ++c)
    cw[c] = std::max<std::size_t>(natural[c], c < l.holds.size() ? labels[static_cast<std::size_t>(l.holds[c][0])].size() : 4);
  std::size_t const fixed = margin + counters_w + gap * ncol;
  auto total = [&] {
    std::size_t t = 0;
    for (auto w : cw) t += w;
    return t;
  };
  while (fixed + total() > room) {
    auto widest = std::max_element(cw.begin(), cw.end());
    if (*widest <= 12) break;
    --*widest;
  }

  auto row_line = [&](std::string const& lead, std::vector<std::string> const& cells, std::string const& right) {
    std::string s = lead;
    for (std::size_t c = 0; c < ncol; ++c) {
      std::string cell = c < cells.size() ? cells[c] : "";
      s += cell + std::string(cell.size() < cw[c] + gap ? cw[c] + gap - cell.size() : 1, ' ');
    }
    if (right.empty()) {
      s.erase(s.find_last_not_of(' ') + 1);
      return s + "\n";
    }
    s.erase(s.find_last_not_of(' ') + 1);
    std::size_t const at = margin + total() + gap * ncol - 1;
    s.resize(std::max(at, s.size() + 1), ' ');
    return s + right + "\n";
  };

  std::string out;
  // Headers: a column holding one thread is named for it, else CPUn.
  std::vector<std::string> heads(ncol);
  for (std::size_t c = 0; c < l.holds.size(); ++c)
    heads[c] = l.holds[c].size() == 1 ? labels[static_cast<std::size_t>(l.holds[c][0])] : fmt::format("CPU{}", c);
  std::string names;
  for (auto const& n : counter_names) names += fmt::format(" {:>3}", n);
  out += row_line(std::string(margin, ' '), heads, names);
  out += row_line(std::string(margin, ' '), {}, counter_cells(r.initial_page_refs, r.initial_pgmap_ref));

  std::vector<int> prev_pages = r.initial_page_refs;
  int prev_ref = r.initial_pgmap_ref;
  // A livelock's two marks: where no run ends any more, and where the loop starts.
  std::vector<std::pair<int, std::string>> marks;
  if (r.stuck_at >= 0) {
    marks.emplace_back(r.stuck_at, fmt::format("-- after step {}, no run ends --", r.stuck_at));
    marks.emplace_back(r.loop_from, fmt::format("-- steps {} to {} go round for ever --", r.loop_from + 1, r.trace.size()));
  }
  std::size_t next_mark = 0;
  for (auto const& sl : steps) {
    for (; next_mark < marks.size() && static_cast<int>(sl.row) >= marks[next_mark].first; ++next_mark)
      out += std::string(margin, ' ') + marks[next_mark].second + "\n";
    auto const& row = r.trace[sl.row];
    std::size_t const w = cw[sl.column];
    std::size_t const cap = w / 3;
    std::vector<std::string> lines;
    if (sl.named) lines.push_back(labels[static_cast<std::size_t>(row.actor)] + ":");
    for (auto const& [in, h] : sl.heads) lines.push_back(std::string(std::min(in, cap), ' ') + h);
    std::size_t const first_step_line = lines.size();
    std::size_t const indent = std::min(sl.indent, cap);
    for (auto const& t : wrap_text(sl.text, w - indent)) lines.push_back(std::string(indent, ' ') + t);
    bool const changed = row.page_refs != prev_pages || row.pgmap_ref != prev_ref;
    prev_pages = row.page_refs;
    prev_ref = row.pgmap_ref;
    for (std::size_t k = 0; k < lines.size(); ++k) {
      std::vector<std::string> cells(ncol);
      cells[sl.column] = lines[k];
      bool const step_line = k == first_step_line;
      std::string lead =
          step_line ? fmt::format("{}{:>3} ", row.violating ? ">" : " ", sl.row + 1) : std::string(margin, ' ');
      out += row_line(lead, cells, step_line && (changed || row.violating) ? counter_cells(row.page_refs, row.pgmap_ref) : "");
    }
  }
  if (r.violated) {
    std::string const text = fmt::format("{}: {} ({})", name_of(*r.violated), r.message, r.where);
    auto const lines = wrap_text(text, room - 4);
    for (std::size_t k = 0; k < lines.size(); ++k) out += (k == 0 ? (r.terminal ? "  = " : "  ^ ") : "    ") + lines[k] + "\n";
  }
  if (!hidden.empty()) {
    std::string who;
    for (auto const& h : hidden) who += (who.empty() ? "" : ", ") + h;
    for (auto const& line : wrap_text(fmt::format("(not shown: {} found no page to act on; --all-steps shows {})", who,
                                             hidden.size() == 1 ? "its steps" : "their steps"),
                                 room - 2))
      out += "  " + line + "\n";
  }
  return out;
}

}  // namespace pgmapcheck
