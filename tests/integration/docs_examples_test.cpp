// Every example of docs/scripting.md runs as documented: each ```lua drill block is written to a
// file and run by the real binary (`ordeal run FILE -q --target URL`) against a server in this
// test, and must exit 0 with no script error in its report (the examples assert() what they
// show, and a failed assert is a script error, which alone does not change the exit code).
// Blocks tagged ```<lang> file=NAME are files the examples read (open_json, open_csv,
// require); they are written next to the drills first.
//
// The server answers /echo with the request as JSON ({"method", "target", "body", "headers"})
// and any other path with "ok"; on every path ?status=N sets the status and ?delay=20ms
// delays the answer, as `ordeal serve` does.
#include <unistd.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "ordeal/engine/duration.hpp"
#include "process.hpp"
#include "recording_server.hpp"

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using ordeal::test::canned_response;
using ordeal::test::recorded_request;
using ordeal::test::recording_server;

namespace {

// Examples take ~3 s at most; the deadline is for a hang, the limit for a slow example.
constexpr auto run_deadline = 20s;
constexpr auto slow_example = 8s;
// The comment an example carries when it demonstrates script errors on purpose.
constexpr std::string_view expects_script_errors = "-- This example expects script errors";

struct doc_block {
  std::size_t line = 0;  // of the opening fence, 1-based
  std::string info;      // the fence's info string: "lua drill", "json file=users.json"
  std::string text;
};

// Top-level fenced blocks (a line starting with ``` opens one, a line of just ``` closes it).
std::vector<doc_block> fenced_blocks(const std::string& markdown) {
  std::vector<doc_block> blocks;
  std::istringstream in(markdown);
  std::string line;
  std::size_t number = 0;
  doc_block* open = nullptr;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (open == nullptr) {
      if (line.rfind("```", 0) == 0) {
        blocks.push_back({number, line.substr(3), {}});
        open = &blocks.back();
      }
    } else if (line == "```") {
      open = nullptr;
    } else {
      open->text += line + '\n';
    }
  }
  if (open != nullptr)
    FAIL("docs/scripting.md: the block opened at line " << open->line << " is not closed");
  return blocks;
}

// "-- Retries on 503" -> "Retries on 503"; the first line of an example names it.
std::string example_name(const doc_block& b) {
  std::string first = b.text.substr(0, b.text.find('\n'));
  if (first.rfind("--", 0) == 0) {
    first.erase(0, first.find_first_not_of("- "));
    return first;
  }
  return "untitled";
}

// The value of `name` in the query string of `target`, or empty.
std::string query_value(std::string_view target, std::string_view name) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name)
      return std::string(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

canned_response answer(const recorded_request& r) {
  canned_response c;
  if (const auto status = query_value(r.target, "status"); !status.empty())
    c.status = static_cast<unsigned>(std::stoul(status));
  if (const auto delay = query_value(r.target, "delay"); !delay.empty())
    c.delay = std::chrono::duration_cast<std::chrono::milliseconds>(
        ordeal::engine::parse_duration(delay));
  const std::string_view path = std::string_view(r.target).substr(0, r.target.find('?'));
  if (path == "/echo") {
    boost::json::object headers;
    for (const auto& [name, value] : r.headers)
      headers[name] = value;
    c.body = boost::json::serialize(boost::json::object{{"method", r.method},
                                                        {"target", r.target},
                                                        {"body", r.body},
                                                        {"headers", std::move(headers)}});
    c.headers = {{"Content-Type", "application/json"}};
  } else {
    c.headers = {{"Content-Type", "text/plain"}};
  }
  return c;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("every example of docs/scripting.md runs and exits 0", "[docs]") {
  const fs::path doc = fs::path(ORDEAL_SOURCE_DIR) / "docs" / "scripting.md";
  const auto blocks = fenced_blocks(read_file(doc));

  const fs::path dir = fs::temp_directory_path() / ("ordeal_docs_" + std::to_string(getpid()));
  fs::create_directories(dir);
  struct remove_at_end {
    fs::path dir;
    ~remove_at_end() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{dir};
  std::vector<doc_block> examples;
  for (const auto& b : blocks) {
    if (b.info == "lua drill") {
      examples.push_back(b);
    } else if (const auto at = b.info.find(" file="); at != std::string::npos) {
      std::ofstream(dir / b.info.substr(at + 6), std::ios::binary) << b.text;
    }
  }
  // A broken extractor must not pass by finding nothing to run.
  REQUIRE(examples.size() >= 30);

  recording_server server(answer);
  const std::string target = "http://127.0.0.1:" + std::to_string(server.port());
  for (std::size_t i = 0; i < examples.size(); ++i) {
    const auto& e = examples[i];
    DYNAMIC_SECTION("example " << i + 1 << " (line " << e.line << "): " << example_name(e)) {
      const fs::path file = dir / ("example_" + std::to_string(i + 1) + ".lua");
      std::ofstream(file, std::ios::binary) << e.text;
      const auto result = ordeal::test::run_process(
          {ORDEAL_BINARY, "run", file.string(), "-q", "--target", target}, run_deadline);
      INFO("docs/scripting.md:" << e.line << "\n" << e.text << "\n" << result.describe());
      CHECK(result.exited(0));
      CHECK(result.elapsed < slow_example);
      // A failed assert() in an example is a script error, which does not change the exit
      // code: the report must have none, unless the example says it means to.
      if (e.text.find(expects_script_errors) == std::string::npos)
        CHECK(result.out.find("Script errors") == std::string::npos);
      else
        CHECK(result.out.find("Script errors") != std::string::npos);
    }
  }
}
