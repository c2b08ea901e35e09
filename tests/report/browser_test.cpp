// The HTML report in a real browser: headless Chromium loads a report,
// presses "next" and "previous", and the page must show the step asked for,
// highlighted in the race table and in the thread's model code, with its
// counters; a screenshot must be drawn, the highlight visible in it. Exits
// 77 (CTest: skipped) with a message when Chromium is not installed.
#include "report/html.hpp"
#include "lang/spec.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

using namespace pgmapcheck;
namespace fs = std::filesystem;

namespace {

int failures = 0;

void expect(bool ok, std::string const& what) {
  std::cout << (ok ? "ok    " : "FAIL  ") << what << "\n";
  if (!ok) ++failures;
}

std::string read(fs::path const& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string chromium() {
  for (char const* name : {"chromium", "chromium-browser"})
    if (std::system(fmt::format("command -v {} >/dev/null 2>&1", name).c_str()) == 0) return name;
  return "";
}

// Runs the browser on url with args; returns its exit status.
int browse(std::string const& browser, std::string const& args, std::string const& url, fs::path const& out) {
  std::string const cmd = fmt::format(
      "timeout 120 {} --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir={} "
      "--window-size=1400,1000 {} '{}' >{} 2>{}",
      browser, (out.parent_path() / "profile").string(), args, url, out.string(), (out.string() + ".log"));
  return std::system(cmd.c_str());
}

std::uint32_t be32(unsigned char const* p) {
  return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | p[3];
}

// An 8-bit RGB or RGBA non-interlaced PNG as RGB pixels; empty if it is not one.
std::vector<std::array<unsigned char, 3>> decode_png(std::string const& png, std::uint32_t& width) {
  auto const* b = reinterpret_cast<unsigned char const*>(png.data());
  if (png.size() < 33 || png.compare(1, 3, "PNG") != 0) return {};
  width = be32(b + 16);
  std::uint32_t const height = be32(b + 20);
  int const depth = b[24], colour = b[25], interlace = b[28];
  if (depth != 8 || (colour != 2 && colour != 6) || interlace != 0) return {};
  std::size_t const bpp = colour == 6 ? 4 : 3;
  std::string idat;
  for (std::size_t at = 8; at + 12 <= png.size();) {
    std::uint32_t const len = be32(b + at);
    std::string const type = png.substr(at + 4, 4);
    if (type == "IDAT") idat += png.substr(at + 8, len);
    at += 12 + len;
  }
  std::size_t const stride = width * bpp;
  std::vector<unsigned char> raw((stride + 1) * height);
  uLongf size = raw.size();
  if (uncompress(raw.data(), &size, reinterpret_cast<Bytef const*>(idat.data()), idat.size()) != Z_OK) return {};
  std::vector<unsigned char> prev(stride, 0), cur(stride);
  std::vector<std::array<unsigned char, 3>> pixels;
  pixels.reserve(std::size_t(width) * height);
  for (std::uint32_t y = 0; y < height; ++y) {
    unsigned char const filter = raw[y * (stride + 1)];
    unsigned char const* line = &raw[y * (stride + 1) + 1];
    for (std::size_t x = 0; x < stride; ++x) {
      int const a = x >= bpp ? cur[x - bpp] : 0, up = prev[x], c = x >= bpp ? prev[x - bpp] : 0;
      int v = line[x];
      switch (filter) {
        case 1: v += a; break;
        case 2: v += up; break;
        case 3: v += (a + up) / 2; break;
        case 4: {
          int const p = a + up - c, pa = std::abs(p - a), pb = std::abs(p - up), pc = std::abs(p - c);
          v += pa <= pb && pa <= pc ? a : pb <= pc ? up : c;
          break;
        }
        default: break;
      }
      cur[x] = static_cast<unsigned char>(v);
    }
    for (std::size_t x = 0; x < width; ++x) pixels.push_back({cur[x * bpp], cur[x * bpp + 1], cur[x * bpp + 2]});
    prev.swap(cur);
  }
  return pixels;
}

}  // namespace

int main() {
  std::string const browser = chromium();
  if (browser.empty()) {
    std::cout << "SKIPPED: Chromium is not installed, so the HTML report was not tested in a browser "
                 "(scripts/deps.sh --browser installs Debian's chromium)\n";
    return 77;
  }
  fs::path const dir = fs::temp_directory_path() / "pgmapcheck-browser-test";
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto const r = run_check(load_spec(fs::path(PGMAPCHECK_SOURCE_DIR) / "specs/p2pdma/v11-teardown-window-v5.10.toml"), {});
  if (r.result != verdict::violation || r.trace.size() < 8) {
    std::cout << "FAIL  the V11 spec no longer gives a counterexample of 8 steps or more\n";
    return 1;
  }
  std::ofstream(dir / "report.html") << render_html(r);
  std::string const url = "file://" + (dir / "report.html").string();

  // Five presses of "next", then two of "previous": step 3.
  fs::path const dom = dir / "dom.html";
  int const rc = browse(browser, "--virtual-time-budget=5000 --dump-dom", url + "?next=5&prev=2", dom);
  std::string const page = read(dom);
  expect(rc == 0 && page.find("<table class=\"race\">") != std::string::npos, "Chromium loads the report");
  expect(page.find("data-current=\"3\"") != std::string::npos, "next x5, previous x2: the page is at step 3");
  expect(page.find("<tr class=\"step current\" id=\"step-3\"") != std::string::npos,
         "step 3's row is highlighted in the race table");
  expect(page.find("class=\"step current\"") == page.rfind("class=\"step current\""), "only one row is highlighted");
  auto const& row = r.trace[2];
  auto const box = page.find(fmt::format("id=\"code-{}\"", row.actor));
  auto const line = page.find(fmt::format("data-line=\"{}\" class=\"current-line\"", row.line), box);
  expect(box != std::string::npos && line != std::string::npos && line < page.find("</pre>", box),
         fmt::format("{}'s model code highlights line {} of {}", r.scenario.actor_labels[row.actor], row.line, row.file));
  expect(page.find(fmt::format("<span class=\"changed\">page0 {}</span>", row.page_refs[0])) != std::string::npos ||
             page.find(fmt::format("<span>page0 {}</span>", row.page_refs[0])) != std::string::npos,
         "the counters show page0 after step 3");
  expect(page.find("step 3 of " + std::to_string(r.trace.size())) != std::string::npos, "the position reads 'step 3 of N'");

  // The screenshot at the violating step: drawn, and the highlight in it.
  fs::path const shot = dir / "shot.png";
  browse(browser, fmt::format("--screenshot={}", shot.string()),
         url + fmt::format("?step={}", r.trace.size()), dir / "screenshot.out");
  std::uint32_t width = 0;
  auto const pixels = decode_png(read(shot), width);
  expect(!pixels.empty(), "Chromium writes a PNG screenshot");
  std::size_t ink = 0, highlight = 0;
  for (auto const& p : pixels) {
    if (p[0] < 200 || p[1] < 200 || p[2] < 200) ++ink;
    if (p[0] == 0xff && p[1] == 0xd3 && p[2] == 0x4d) ++highlight;  // the active thread's current line
  }
  expect(!pixels.empty() && ink * 50 > pixels.size(),
         fmt::format("the screenshot is not blank ({} of {} pixels drawn)", ink, pixels.size()));
  expect(highlight > 100, fmt::format("the highlighted code line is visible ({} pixels)", highlight));
  return failures ? 1 : 0;
}
