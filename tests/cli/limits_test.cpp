// Limits and interruption, measured on the real binary: --max-memory bounds
// the process (RSS within 10% of the limit over an idle baseline), SIGINT ends
// a search cleanly with exit 130 and a complete report.json.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <spawn.h>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <vector>

extern char** environ;

namespace {

std::filesystem::path const source = PGMAPCHECK_SOURCE_DIR;

struct outcome {
  int exit_code = -1;
  long max_rss_kib = 0;
};

// Runs the pgmapcheck binary; if interrupt_after is set, sends SIGINT then.
outcome run(std::vector<std::string> args, std::chrono::milliseconds interrupt_after = {}) {
  args.insert(args.begin(), PGMAPCHECK_BINARY);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) == 0);
  if (interrupt_after.count()) {
    std::this_thread::sleep_for(interrupt_after);
    kill(pid, SIGINT);
  }
  int status = 0;
  rusage usage{};
  REQUIRE(wait4(pid, &status, 0, &usage) == pid);
  outcome o;
  o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  o.max_rss_kib = usage.ru_maxrss;
  return o;
}

nlohmann::json report(std::filesystem::path const& dir) {
  std::ifstream in(dir / "report.json");
  return nlohmann::json::parse(in);
}

std::string big() { return (source / "bench/specs/p2pdma-8-actors-v5.10.toml").string(); }

}  // namespace

TEST_CASE("limits: --max-memory bounds the process within 10%", "[limits]") {
  auto out = std::filesystem::temp_directory_path() / "pgmapcheck-limits-memory";
  auto idle = run({"check", "--quiet", "--out", out.string(), (source / "specs/p2pdma/memunmap-alone-v5.10.toml").string()});
  REQUIRE(idle.exit_code == 0);
  for (long mib : {32L, 64L}) {
    INFO(mib << " MiB");
    auto o = run({"check", "--quiet", "--no-reduction", "--max-memory", std::to_string(mib), "--out", out.string(), big()});
    CHECK(o.exit_code == 3);
    auto j = report(out);
    CHECK(j["verdict"] == "incomplete");
    CHECK(j["incomplete_reason"] == "memory limit reached");
    auto const limit = static_cast<std::uint64_t>(mib) << 20;
    CHECK(j["timing"]["peak_memory_bytes"].get<std::uint64_t>() <= limit);
    CHECK(j["timing"]["peak_memory_bytes"].get<std::uint64_t>() >= limit * 9 / 10);  // the budget is used, not wasted
#if !defined(__SANITIZE_ADDRESS__)  // ASan's shadow memory is not the search's
    long const grown_kib = o.max_rss_kib - idle.max_rss_kib;
    CHECK(grown_kib <= mib * 1024 * 11 / 10);
#endif
  }
}

TEST_CASE("limits: SIGINT ends the search with exit 130 and a whole report", "[limits]") {
  auto out = std::filesystem::temp_directory_path() / "pgmapcheck-limits-sigint";
  std::filesystem::remove_all(out);
  auto o = run({"check", "--quiet", "--no-reduction", "--out", out.string(), big()}, std::chrono::milliseconds(700));
  CHECK(o.exit_code == 130);
  auto j = report(out);
  CHECK(j["verdict"] == "incomplete");
  CHECK(j["incomplete_reason"] == "interrupted");
  CHECK(j["states"].get<std::uint64_t>() > 0);
  for (auto const& e : std::filesystem::directory_iterator(out)) CHECK(e.path().string().find(".tmp") == std::string::npos);
}

namespace {

// A spec whose model code parses into about a million tree nodes: 1,900
// statements of 250 operators, in one thread (it is refused once compiled,
// past a thread's 60,000 expression nodes, if loading gets that far).
std::filesystem::path big_code() {
  auto const path = std::filesystem::temp_directory_path() / "pgmapcheck-limits-big-code.toml";
  std::string statement = "x = x";
  for (int i = 0; i < 250; ++i) statement += "+x";
  statement += ";\n";
  std::ofstream out(path);
  out << "title = \"t\"\nkernel = \"v5.10\"\npagemap = \"p2pdma\"\npages = 1\n[threads.t]\ncode = \"\"\"\nint x = 0;\n";
  for (int i = 0; i < 1900; ++i) out << statement;
  out << "\"\"\"\n";
  return path;
}

// The big search with 14 functions no thread calls beside it, each of 100
// statements of 100 operators: loading them takes tens of MiB, then freed.
std::filesystem::path big_search_and_code() {
  auto const path = std::filesystem::temp_directory_path() / "pgmapcheck-limits-big-search-and-code.toml";
  std::ifstream in(big());
  std::ofstream out(path);
  out << in.rdbuf() << "\n[functions]\n";
  std::string statement = "x = x";
  for (int i = 0; i < 100; ++i) statement += " + x";
  statement += ";\n";
  for (int f = 0; f < 14; ++f) {
    out << "unused" << f << " = \"\"\"\nvoid unused" << f << "(void)\n{\nint x = 0;\n";
    for (int i = 0; i < 100; ++i) out << statement;
    out << "}\n\"\"\"\n";
  }
  return path;
}

}  // namespace

TEST_CASE("limits: loading model code stays inside --max-memory", "[limits]") {
  auto out = std::filesystem::temp_directory_path() / "pgmapcheck-limits-load";
  auto idle = run({"check", "--quiet", "--out", out.string(), (source / "specs/p2pdma/memunmap-alone-v5.10.toml").string()});
  REQUIRE(idle.exit_code == 0);
  auto const code = big_code().string();
  auto const both = big_search_and_code().string();
  for (long mib : {32L, 64L}) {
    INFO(mib << " MiB");
    // Parsing alone passes the limit: incomplete, at the place it was parsing.
    auto o = run({"check", "--quiet", "--max-memory", std::to_string(mib), "--out", out.string(), code});
    CHECK(o.exit_code == 3);
    auto j = report(out);
    CHECK(j["verdict"] == "incomplete");
    CHECK(j["incomplete_reason"].get<std::string>().find("memory limit reached loading the model code (at " + code + ":") == 0);
#if !defined(__SANITIZE_ADDRESS__)  // ASan's shadow memory is not the load's
    CHECK(o.max_rss_kib - idle.max_rss_kib <= mib * 1024 * 11 / 10);
#endif
  }
  for (long mib : {64L, 128L}) {
    INFO(mib << " MiB");
    // Loading fits, then the search fills what is left: the two do not add up.
    auto s = run({"check", "--quiet", "--no-reduction", "--max-memory", std::to_string(mib), "--out", out.string(), both});
    CHECK(s.exit_code == 3);
    CHECK(report(out)["incomplete_reason"] == "memory limit reached");
#if !defined(__SANITIZE_ADDRESS__)
    CHECK(s.max_rss_kib - idle.max_rss_kib <= mib * 1024 * 11 / 10);
#endif
  }
  // With no limit, the same code loads (and is refused as too large once compiled).
  CHECK(run({"check", "--quiet", "--out", out.string(), code}).exit_code == 2);
}
