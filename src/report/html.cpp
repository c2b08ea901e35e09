// The HTML report: one self-contained page (no network) with the verdicts,
// the diagrams inline, each thread's model code and a step-through viewer.
#include "report/html.hpp"

#include "report/dot.hpp"
#include "lang/library.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace pgmapcheck {

namespace {

std::string escape(std::string_view s) { return html_escape(s); }

// A model file's text: the library's own, or a spec's from disk; "" if neither.
std::string source_of(std::string const& path) {
  for (auto const& f : lang::library_files())
    if (f.path == path) return std::string(f.text);
  std::ifstream in(path);
  if (!in) return "";
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// JSON inside a <script>: "</" cannot close the element early.
std::string script_json(nlohmann::ordered_json const& j) {
  std::string s = j.dump();
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '<' && i + 1 < s.size() && s[i + 1] == '/') {
      out += "<\\/";
      ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

constexpr char const* style = R"(
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #111; }
h1 { font-size: 1.25em; margin: 0 0 .3em; } h2 { font-size: 1.05em; margin: 1.4em 0 .4em; }
.meta { color: #555; margin: 0 0 1em; }
table.verdicts { border-collapse: collapse; } table.verdicts td, table.verdicts th { padding: 2px 10px; text-align: left; border-bottom: 1px solid #ddd; }
.violation { color: #b00; font-weight: bold; } .holds { color: #060; } .unknown { color: #777; }
.controls { position: sticky; top: 0; background: #fff; padding: .4em 0; border-bottom: 1px solid #ccc; z-index: 1; }
.controls button { font-size: 14px; padding: 2px 10px; } #position { margin: 0 1em; font-weight: bold; }
#counters span { margin-right: 1em; font-family: monospace; } #counters .changed { color: #b00; font-weight: bold; }
.panes { display: flex; gap: 1.5em; align-items: flex-start; flex-wrap: wrap; }
table.race { border-collapse: collapse; font: 12px monospace; }
table.race th { text-align: left; padding: 2px 8px; border-bottom: 1px solid #888; }
table.race td { padding: 1px 8px; white-space: pre; }
table.race td.lane { border-left: 1px solid #999; } table.race td.n { text-align: right; color: #666; }
table.race span.fn { color: #777; } table.race td.count { text-align: right; }
table.race tr.asleep-row td.asleep { background: #dde6f5; }
table.race tr.violating td.act { color: #b00; font-weight: bold; }
table.race tr.current td { background: #fff3b0; } table.race tr.done td.act { color: #444; }
.code { font: 12px monospace; }
.thread { margin-bottom: 1em; } .thread h3 { font-size: 13px; margin: 0 0 2px; }
.thread .where { color: #666; font-weight: normal; }
.thread pre { margin: 0; max-height: 13em; overflow: auto; border: 1px solid #ddd; padding: 2px 0; width: 46em; }
.thread pre span { display: block; padding: 0 6px; } .thread pre span.current-line { background: #fff3b0; }
.thread.active h3 { color: #b00; } .thread.active pre span.current-line { background: #ffd34d; }
pre.text { font: 12px monospace; background: #f7f7f7; padding: .6em; overflow: auto; }
)";

// The viewer: steps through the trace, moving the highlight in the race
// table and in each thread's code, and showing the counters. "?step=N" or
// "#step=N" opens at step N; "?next=N&prev=M" then presses "next" N times
// and "previous" M times (the browser test drives the buttons with it).
constexpr char const* script = R"(
(function () {
  var data = JSON.parse(document.getElementById('trace-data').textContent);
  var current = 0;
  var codeBoxes = {};
  data.threads.forEach(function (name, t) {
    var box = document.createElement('div');
    box.className = 'thread';
    box.id = 'code-' + t;
    box.innerHTML = '<h3>' + name + ' <span class="where"></span></h3><pre></pre>';
    document.getElementById('code').appendChild(box);
    codeBoxes[t] = box;
  });
  function showCode(box, file, line, active) {
    var pre = box.querySelector('pre');
    if (pre.dataset.file !== file) {
      pre.dataset.file = file;
      pre.innerHTML = '';
      (data.files[file] || '').split('\n').forEach(function (text, i) {
        var span = document.createElement('span');
        span.textContent = String(i + 1).padStart(4) + '  ' + text;
        span.dataset.line = i + 1;
        pre.appendChild(span);
      });
    }
    var old = pre.querySelector('.current-line');
    if (old) old.classList.remove('current-line');
    var span = pre.children[line - 1];
    if (span) {
      span.classList.add('current-line');
      pre.scrollTop = Math.max(0, span.offsetTop - pre.offsetTop - pre.clientHeight / 3);
    }
    box.querySelector('.where').textContent = file ? file + ':' + line : '';
    box.classList.toggle('active', active);
  }
  function show(n) {
    current = Math.max(0, Math.min(n, data.steps.length));
    document.body.dataset.current = current;
    document.getElementById('position').textContent =
        current === 0 ? 'initial state' : 'step ' + current + ' of ' + data.steps.length;
    document.querySelectorAll('table.race tr.step').forEach(function (row) {
      var k = Number(row.dataset.step);
      row.classList.toggle('current', k === current);
      row.classList.toggle('done', k < current);
    });
    var counters = current === 0 ? data.initial : data.steps[current - 1].counters;
    var before = current <= 1 ? data.initial : data.steps[current - 2].counters;
    document.getElementById('counters').innerHTML = counters.map(function (v, i) {
      return '<span' + (current > 0 && v !== before[i] ? ' class="changed"' : '') + '>' +
          data.counter_names[i] + ' ' + v + '</span>';
    }).join('');
    data.threads.forEach(function (name, t) {
      var last = null;
      for (var k = current - 1; k >= 0; --k)
        if (data.steps[k].thread === t) { last = data.steps[k]; break; }
      if (last) showCode(codeBoxes[t], last.file, last.line, current > 0 && data.steps[current - 1].thread === t);
      else showCode(codeBoxes[t], '', 0, false);
    });
    var row = document.getElementById('step-' + current);
    if (row && row.scrollIntoViewIfNeeded) row.scrollIntoViewIfNeeded();
  }
  document.getElementById('next').addEventListener('click', function () { show(current + 1); });
  document.getElementById('prev').addEventListener('click', function () { show(current - 1); });
  document.getElementById('first').addEventListener('click', function () { show(0); });
  document.getElementById('last').addEventListener('click', function () { show(data.steps.length); });
  document.addEventListener('keydown', function (e) {
    if (e.key === 'ArrowRight' || e.key === 'j') show(current + 1);
    if (e.key === 'ArrowLeft' || e.key === 'k') show(current - 1);
  });
  document.querySelectorAll('table.race tr.step').forEach(function (row) {
    row.addEventListener('click', function () { show(Number(row.dataset.step)); });
  });
  var params = new URLSearchParams(location.search || location.hash.replace(/^#/, '?'));
  show(Number(params.get('step') || 0));
  for (var i = Number(params.get('next') || 0); i > 0; --i) document.getElementById('next').click();
  for (var i = Number(params.get('prev') || 0); i > 0; --i) document.getElementById('prev').click();
})();
)";

// The trace as an HTML sequence table: a row per step, a lifeline per thread.
std::string race_table(check_result const& r, std::vector<std::size_t> const& lanes, std::vector<int> const& lane_of) {
  std::size_t const pages = r.initial_page_refs.size();
  std::string t = "<table class=\"race\"><tr><th></th>";
  for (auto a : lanes) t += "<th>" + escape(r.scenario.actor_labels[a]) + "</th>";
  for (std::size_t p = 0; p < pages; ++p) t += fmt::format("<th>p{}</th>", p);
  t += "<th>ref</th></tr>\n";
  t += "<tr class=\"step\" id=\"step-0\" data-step=\"0\"><td class=\"n\">0</td>";
  for (std::size_t l = 0; l < lanes.size(); ++l) t += l == 0 ? "<td class=\"lane act\">(initial)</td>" : "<td class=\"lane\"></td>";
  for (auto v : r.initial_page_refs) t += fmt::format("<td class=\"count\">{}</td>", v);
  t += fmt::format("<td class=\"count\">{}</td></tr>\n", r.initial_pgmap_ref);
  std::vector<bool> asleep(lanes.size(), false);
  for (std::size_t i = 0; i < r.trace.size(); ++i) {
    auto const& row = r.trace[i];
    auto const lane = static_cast<std::size_t>(lane_of[static_cast<std::size_t>(row.actor)]);
    asleep[lane] = false;
    std::string cls = "step";
    if (row.violating) cls += " violating";
    if (std::find(asleep.begin(), asleep.end(), true) != asleep.end()) cls += " asleep-row";
    t += fmt::format("<tr class=\"{}\" id=\"step-{}\" data-step=\"{}\"><td class=\"n\">{}{}</td>", cls, i + 1, i + 1,
                     row.violating ? "&gt; " : "", i + 1);
    for (std::size_t l = 0; l < lanes.size(); ++l) {
      if (l != lane) {
        t += asleep[l] ? "<td class=\"lane asleep\" title=\"asleep\"></td>" : "<td class=\"lane\"></td>";
        continue;
      }
      std::string const fn = row.calls.empty() ? "" : row.calls.back();
      t += fmt::format("<td class=\"lane act\" title=\"{}\"><span class=\"fn\">{}</span> {}</td>", escape(row.function),
                       escape(fn), escape(step_text(row)));
    }
    for (auto v : row.page_refs) t += fmt::format("<td class=\"count\">{}</td>", v);
    t += fmt::format("<td class=\"count\">{}</td></tr>\n", row.pgmap_ref);
    if (!row.blocks.empty()) asleep[lane] = true;
  }
  return t + "</table>\n";
}

}  // namespace

std::string render_html(check_result const& r) {
  auto const& s = r.scenario;
  std::string out = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  out += "<title>pgmapcheck: " + escape(headline(r)) + "</title>\n<style>" + style + "</style></head>\n";
  out += fmt::format("<body data-current=\"0\">\n<h1>{}</h1>\n", escape(headline(r)));
  out += fmt::format("<p class=\"meta\">{} &middot; {} &middot; kernel {}{} &middot; {} page{} &middot; threads: {}</p>\n",
                     escape(s.path), escape(s.title.empty() ? s.name : s.title), models::name_of(s.sc.kernel),
                     s.applied_patch.empty() ? "" : " + " + escape(s.applied_patch), s.sc.pages, s.sc.pages == 1 ? "" : "s",
                     escape([&] {
                       std::string a;
                       for (auto const& l : s.actor_labels) a += (a.empty() ? "" : ", ") + l;
                       return a;
                     }()));

  // The verdict per checked property; after a violation the others are
  // undecided (the search stops at the first), said once.
  if (r.witness.empty()) {  // a witness search checks no property
    out += "<table class=\"verdicts\"><tr><th>property</th><th>verdict</th><th>what it says</th></tr>\n";
    std::vector<std::string> undecided;
    for (std::size_t i = 0; i < property_count; ++i) {
      auto const p = static_cast<property>(i);
      if (!s.checked.has(p)) continue;
      if (r.result == verdict::holds)
        out += fmt::format("<tr><td>{}</td><td class=\"holds\">holds</td><td>{}</td></tr>\n", property_names[i],
                           escape(property_meanings[i]));
      else if (r.violated == p)
        out += fmt::format("<tr><td>{}</td><td class=\"violation\">violated</td><td>{}</td></tr>\n", property_names[i],
                           escape(r.message));
      else
        undecided.emplace_back(property_names[i]);
    }
    if (!undecided.empty()) {
      std::string names;
      for (auto const& n : undecided) names += (names.empty() ? "" : ", ") + n;
      out += fmt::format("<tr><td>{}</td><td class=\"unknown\">not decided</td><td>{}</td></tr>\n", escape(names),
                         r.result == verdict::incomplete ? "the search was cut short"
                                                         : "the search stops at the first violation");
    }
    out += "</table>\n";
  }
  if (!r.witness.empty())
    out += fmt::format("<p>witness <code>{}</code>: <b>{}</b></p>\n", escape(r.witness),
                       r.witness_reached ? "reached" : r.result == verdict::incomplete ? "not decided" : "unreachable");
  if (r.result != verdict::violation && !r.witness_reached) {
    out += "<pre class=\"text\">" + escape(render_coverage(r)) + "</pre>\n</body></html>\n";
    return out;
  }

  std::vector<int> lane_of(s.actor_labels.size(), -1);
  std::vector<std::size_t> lanes;
  for (auto const& row : r.trace) {
    auto const a = static_cast<std::size_t>(row.actor);
    if (lane_of[a] >= 0) continue;
    lane_of[a] = static_cast<int>(lanes.size());
    lanes.push_back(a);
  }
  out += "<h2>Step through the counterexample</h2>\n";
  out += "<div class=\"controls\"><button id=\"first\">&#171; first</button> <button id=\"prev\">&#9664; previous</button>"
         "<span id=\"position\"></span><button id=\"next\">next &#9654;</button> <button id=\"last\">last &#187;</button>"
         " &nbsp; <span id=\"counters\"></span> <span class=\"meta\">(arrow keys step too; click a row to jump)</span>"
         "</div>\n";
  out += "<div class=\"panes\"><div>" + race_table(r, lanes, lane_of) + "</div>";
  out += "<div class=\"code\" id=\"code\"></div></div>\n";
  if (r.violated)
    out += fmt::format("<p class=\"violation\">{} {}: {} ({})</p>\n", r.terminal ? "=" : "^", name_of(*r.violated),
                       escape(r.message), escape(r.where));

  out += "<h2>Race diagram</h2>\n<pre class=\"text\">" + escape(render_race(r, {.width = 132})) + "</pre>\n";
  std::string svg = render_svg(render_dot(r));
  if (auto at = svg.find("<svg"); at != std::string::npos) svg = svg.substr(at);  // no XML prolog inside HTML
  out += "<h2>Sequence diagram</h2>\n" + svg + "\n";

  // The data the viewer steps through: per step its thread, model line and counters.
  nlohmann::ordered_json data;
  data["threads"] = nlohmann::ordered_json::array();
  for (auto const& l : s.actor_labels) data["threads"].push_back(l);
  auto names = nlohmann::ordered_json::array();
  for (std::size_t p = 0; p < r.initial_page_refs.size(); ++p) names.push_back(fmt::format("page{}", p));
  names.push_back("pgmap->ref");
  data["counter_names"] = names;
  auto initial = nlohmann::ordered_json(r.initial_page_refs);
  initial.push_back(r.initial_pgmap_ref);
  data["initial"] = initial;
  std::set<std::string> files;
  auto steps = nlohmann::ordered_json::array();
  for (auto const& row : r.trace) {
    auto counters = nlohmann::ordered_json(row.page_refs);
    counters.push_back(row.pgmap_ref);
    steps.push_back({{"thread", row.actor}, {"file", row.file}, {"line", row.line}, {"counters", counters}});
    files.insert(row.file);
  }
  data["steps"] = steps;
  nlohmann::ordered_json sources = nlohmann::ordered_json::object();
  for (auto const& f : files) sources[f] = source_of(f);
  data["files"] = sources;
  out += "<script type=\"application/json\" id=\"trace-data\">" + script_json(data) + "</script>\n";
  out += std::string("<script>") + script + "</script>\n</body></html>\n";
  return out;
}

std::string render_diff_html(diff_report const& d) {
  std::string const title = "pgmapcheck diff: " + d.base_name + " -> " + d.patch_name;
  std::string out = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" + escape(title) +
                    "</title>\n<style>" + style + "</style></head>\n<body>\n<h1>" + escape(title) + "</h1>\n";
  int fixed = 0, introduced = 0, unknown = 0;
  for (auto const& r : d.rows) {
    fixed += r.what == change::fixed;
    introduced += r.what == change::introduced;
    unknown += r.what == change::unknown;
  }
  out += fmt::format("<p class=\"meta\">{} fixed, {} introduced, {} unknown; {} (scenario, property) pairs</p>\n", fixed,
                     introduced, unknown, d.rows.size());
  out += "<table class=\"verdicts\"><tr><th>scenario</th><th>property</th><th>" + escape(d.base_name) + "</th><th>" +
         escape(d.patch_name) + "</th><th>change</th></tr>\n";
  auto side = [](check_result const& r, property p) {
    if (r.result == verdict::incomplete) return std::string("incomplete");
    return std::string(r.result == verdict::violation && r.violated == p ? "violation" : "holds");
  };
  for (std::size_t i = 0; i < d.rows.size(); ++i) {
    auto const& r = d.rows[i];
    if (r.what == change::unchanged && r.base.result != verdict::violation) continue;
    std::string const cls = r.what == change::introduced ? "violation" : r.what == change::fixed ? "holds" : "unknown";
    std::string const what = r.what == change::unchanged ? "unchanged"
                                                         : fmt::format("<a href=\"#change-{}\">{}</a>", i, name_of(r.what));
    out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td></tr>\n",
                       escape(r.scenario), name_of(r.prop), side(r.base, r.prop), side(r.patched, r.prop), cls, what);
  }
  out += "</table>\n<p class=\"meta\">Pairs that hold on both sides are left out.</p>\n";
  for (std::size_t i = 0; i < d.rows.size(); ++i) {
    auto const& r = d.rows[i];
    if (r.what != change::fixed && r.what != change::introduced) continue;
    bool const fix = r.what == change::fixed;
    auto const& shown = fix ? r.base : r.patched;
    std::string const sub = r.scenario + "/" + std::string(name_of(r.prop)) + (fix ? "/fixed" : "/introduced");
    out += fmt::format("<h2 id=\"change-{}\">{} {}: {}</h2>\n", i, escape(r.scenario), name_of(r.prop), name_of(r.what));
    out += fmt::format("<p>{} <a href=\"{}/report.html\">Step through it</a>.</p>\n",
                       fix ? "The base counterexample, and its replay on the patch."
                           : "The shortest counterexample under the patch.",
                       escape(sub));
    out += "<pre class=\"text\">" + escape(headline(shown)) + "\n" + escape(render_race(shown, {.width = 132})) + "</pre>\n";
    if (fix) out += "<pre class=\"text\">" + escape(render_replay(r)) + "</pre>\n";
    std::string svg = render_svg(render_dot(shown));
    if (auto at = svg.find("<svg"); at != std::string::npos) svg = svg.substr(at);
    out += svg + "\n";
  }
  return out + "</body></html>\n";
}

}  // namespace pgmapcheck
