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

namespace {

// The race diagram of one check, built in order: which steps show, their
// lines per column, the columns' widths, then the header, the steps and
// the verdict.
class race_writer {
 public:
  race_writer(check_result const& r, render_options const& o)
      : r_(r), labels_(r.scenario.actor_labels), room_(static_cast<std::size_t>(std::max(o.width, 40))) {
    choose_steps(o.all_steps);
    l_ = columns(r, shown_);
    ncol_ = std::max<std::size_t>(l_.holds.size(), 1);
    for (std::size_t p = 0; p < r.initial_page_refs.size(); ++p) counter_names_.push_back(fmt::format("p{}", p));
    counter_names_.push_back("ref");
    lay_out_steps();
    fit_columns();
  }

  std::string write() const {
    std::string out = header();
    out += body();
    out += footer();
    return out;
  }

 private:
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
  static constexpr std::size_t margin_ = 5, gap_ = 2;

  // The steps shown: all, or those of threads that acted (the others named).
  void choose_steps(bool all_steps) {
    for (std::size_t i = 0; i < r_.trace.size(); ++i) {
      auto const& row = r_.trace[i];
      if (!row.idle || all_steps) {
        shown_.push_back(i);
        continue;
      }
      auto const& who = labels_[static_cast<std::size_t>(row.actor)];
      if (std::find(hidden_.begin(), hidden_.end(), who) == hidden_.end()) hidden_.push_back(who);
    }
  }

  void lay_out_steps() {
    std::vector<std::vector<std::string>> path(labels_.size());  // per thread, the call path last shown
    natural_.assign(ncol_, 0);
    for (auto const i : shown_) {
      auto const& row = r_.trace[i];
      auto const a = static_cast<std::size_t>(row.actor);
      step_lines sl;
      sl.row = i;
      sl.column = static_cast<std::size_t>(l_.column_of[a]);
      sl.named = path[a].empty() && l_.holds[sl.column].size() > 1;
      std::size_t const root =
          !row.calls.empty() && (labels_[a] == row.calls[0] || labels_[a].starts_with(row.calls[0] + "#"));
      std::size_t same = root;
      while (same < path[a].size() && same < row.calls.size() && path[a][same] == row.calls[same]) ++same;
      for (std::size_t d = same; d < row.calls.size(); ++d) sl.heads.emplace_back(2 * (d - root), row.calls[d] + "()");
      path[a] = row.calls;
      sl.indent = 2 * (row.calls.size() - root);
      sl.text = step_text(row);
      auto& w = natural_[sl.column];
      if (sl.named) w = std::max(w, labels_[a].size() + 1);
      for (auto const& [in, h] : sl.heads) w = std::max(w, in + h.size());
      w = std::max(w, sl.indent + sl.text.size());
      steps_.push_back(std::move(sl));
    }
  }

  // Fits the columns: the widest gives way first, down to 12 characters.
  void fit_columns() {
    cw_.resize(ncol_);
    for (std::size_t c = 0; c < ncol_; ++c)
      cw_[c] = std::max<std::size_t>(natural_[c],
                                     c < l_.holds.size() ? labels_[static_cast<std::size_t>(l_.holds[c][0])].size() : 4);
    std::size_t const fixed = margin_ + 4 * counter_names_.size() + gap_ * ncol_;
    while (fixed + total() > room_) {
      auto widest = std::max_element(cw_.begin(), cw_.end());
      if (*widest <= 12) break;
      --*widest;
    }
  }

  std::size_t total() const {
    std::size_t t = 0;
    for (auto w : cw_) t += w;
    return t;
  }

  // Counters: a page column each, then pgmap->ref.
  static std::string counter_cells(std::vector<int> const& pages, int ref) {
    std::string s;
    for (std::size_t p = 0; p < pages.size(); ++p) s += fmt::format(" {:>3}", pages[p]);
    return s + fmt::format(" {:>3}", ref);
  }

  std::string row_line(std::string const& lead, std::vector<std::string> const& cells, std::string const& right) const {
    std::string s = lead;
    for (std::size_t c = 0; c < ncol_; ++c) {
      std::string cell = c < cells.size() ? cells[c] : "";
      s += cell + std::string(cell.size() < cw_[c] + gap_ ? cw_[c] + gap_ - cell.size() : 1, ' ');
    }
    s.erase(s.find_last_not_of(' ') + 1);
    if (right.empty()) return s + "\n";
    std::size_t const at = margin_ + total() + gap_ * ncol_ - 1;
    s.resize(std::max(at, s.size() + 1), ' ');
    return s + right + "\n";
  }

  // Headers: a column holding one thread is named for it, else CPUn; then
  // the counters' names and first values.
  std::string header() const {
    std::vector<std::string> heads(ncol_);
    for (std::size_t c = 0; c < l_.holds.size(); ++c)
      heads[c] = l_.holds[c].size() == 1 ? labels_[static_cast<std::size_t>(l_.holds[c][0])] : fmt::format("CPU{}", c);
    std::string names;
    for (auto const& n : counter_names_) names += fmt::format(" {:>3}", n);
    return row_line(std::string(margin_, ' '), heads, names) +
           row_line(std::string(margin_, ' '), {}, counter_cells(r_.initial_page_refs, r_.initial_pgmap_ref));
  }

  std::string body() const {
    std::string out;
    std::vector<int> prev_pages = r_.initial_page_refs;
    int prev_ref = r_.initial_pgmap_ref;
    // A livelock's two marks: where no run ends any more, and where the loop starts.
    std::vector<std::pair<int, std::string>> marks;
    if (r_.stuck_at >= 0) {
      marks.emplace_back(r_.stuck_at, fmt::format("-- after step {}, no run ends --", r_.stuck_at));
      marks.emplace_back(r_.loop_from,
                         fmt::format("-- steps {} to {} go round for ever --", r_.loop_from + 1, r_.trace.size()));
    }
    std::size_t next_mark = 0;
    for (auto const& sl : steps_) {
      for (; next_mark < marks.size() && static_cast<int>(sl.row) >= marks[next_mark].first; ++next_mark)
        out += std::string(margin_, ' ') + marks[next_mark].second + "\n";
      auto const& row = r_.trace[sl.row];
      bool const changed = row.page_refs != prev_pages || row.pgmap_ref != prev_ref;
      prev_pages = row.page_refs;
      prev_ref = row.pgmap_ref;
      out += step(sl, changed);
    }
    return out;
  }

  // One step's lines: its thread's name where it shares a column, the
  // functions entered, the statement; its number and the counters (where
  // they change) on the statement's first line.
  std::string step(step_lines const& sl, bool changed) const {
    auto const& row = r_.trace[sl.row];
    std::size_t const w = cw_[sl.column];
    std::size_t const cap = w / 3;
    std::vector<std::string> lines;
    if (sl.named) lines.push_back(labels_[static_cast<std::size_t>(row.actor)] + ":");
    for (auto const& [in, h] : sl.heads) lines.push_back(std::string(std::min(in, cap), ' ') + h);
    std::size_t const first_step_line = lines.size();
    std::size_t const indent = std::min(sl.indent, cap);
    for (auto const& t : wrap_text(sl.text, w - indent)) lines.push_back(std::string(indent, ' ') + t);
    std::string out;
    for (std::size_t k = 0; k < lines.size(); ++k) {
      std::vector<std::string> cells(ncol_);
      cells[sl.column] = lines[k];
      bool const step_line = k == first_step_line;
      std::string lead =
          step_line ? fmt::format("{}{:>3} ", row.violating ? ">" : " ", sl.row + 1) : std::string(margin_, ' ');
      out += row_line(lead, cells, step_line && (changed || row.violating) ? counter_cells(row.page_refs, row.pgmap_ref) : "");
    }
    return out;
  }

  // The violation under the steps, and the threads not shown.
  std::string footer() const {
    std::string out;
    if (r_.violated) {
      std::string const text = fmt::format("{}: {} ({})", name_of(*r_.violated), r_.message, r_.where);
      auto const lines = wrap_text(text, room_ - 4);
      for (std::size_t k = 0; k < lines.size(); ++k)
        out += (k == 0 ? (r_.terminal ? "  = " : "  ^ ") : "    ") + lines[k] + "\n";
    }
    if (!hidden_.empty()) {
      std::string who;
      for (auto const& h : hidden_) who += (who.empty() ? "" : ", ") + h;
      for (auto const& line : wrap_text(fmt::format("(not shown: {} found no page to act on; --all-steps shows {})", who,
                                                    hidden_.size() == 1 ? "its steps" : "their steps"),
                                        room_ - 2))
        out += "  " + line + "\n";
    }
    return out;
  }

  check_result const& r_;
  std::vector<std::string> const& labels_;
  std::size_t room_;
  std::vector<std::size_t> shown_;
  std::vector<std::string> hidden_;
  layout l_;
  std::size_t ncol_ = 1;
  std::vector<std::string> counter_names_;
  std::vector<step_lines> steps_;
  std::vector<std::size_t> natural_;  // each column's width before fitting
  std::vector<std::size_t> cw_;       // each column's width
};

}  // namespace

std::string render_race(check_result const& r, render_options const& o) { return race_writer(r, o).write(); }

}  // namespace pgmapcheck
