// Drills with a fault timeline, end to end: the real binary runs a drill whose options.proxies
// put a fault proxy in front of an in-process `ordeal serve`, and whose options.faults slow it
// down for one second of a three-second load.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "ordeal/targets/serve.hpp"
#include "process.hpp"
#include "scratch.hpp"

using namespace std::chrono_literals;
namespace json = boost::json;
using ordeal::test::process_result;
using ordeal::test::temp_dir;

namespace {

constexpr int exit_ok = 0;
constexpr int exit_invalid_config = 104;

// The in-process `ordeal serve`.
class local_target {
 public:
  local_target() : server_(ordeal::targets::serve_options{.port = 0}) { server_.start(); }
  std::uint16_t port() const { return server_.port(); }

 private:
  ordeal::targets::server server_;
};

// Every `from` in `text` replaced with `to`.
std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

// A drill with one proxy "target" on 127.0.0.1:`proxy_port` in front of `upstream_port`, the
// load (2 users, 3 s) sent through it, and `faults` (Lua) as its options.faults.
std::string fault_drill(std::uint16_t proxy_port, std::uint16_t upstream_port,
                        const std::string& faults) {
  std::string drill = R"(
options = {
  target = "http://127.0.0.1:PROXY",
  scenarios = { s = { executor = "constant-vus", vus = 2, duration = "3s", exec = "go" } },
  proxies = { target = { listen = "127.0.0.1:PROXY", upstream = "127.0.0.1:UPSTREAM" } },
  faults = FAULTS,
}
function go()
  http.get("/")
  sleep(0.02)
end
)";
  drill = replace_all(drill, "PROXY", std::to_string(proxy_port));
  drill = replace_all(drill, "UPSTREAM", std::to_string(upstream_port));
  return replace_all(drill, "FAULTS", faults);
}

// Runs the drill written by `drill(port)` with a proxy port that was free a moment ago; another
// port when that one was taken in between (ordeal then refuses the drill: 104 naming it).
process_result run_with_free_port(const temp_dir& dir,
                                  const std::function<std::string(std::uint16_t)>& drill,
                                  std::vector<std::string> extra) {
  process_result p;
  for (int attempt = 0; attempt < 3; ++attempt) {
    const std::uint16_t port = ordeal::test::free_local_port();
    const std::string file = dir.file("faults.lua");
    ordeal::test::write_file(file, drill(port));
    std::vector<std::string> args{ORDEAL_BINARY, "run", file, "-q"};
    args.insert(args.end(), extra.begin(), extra.end());
    p = ordeal::test::run_process(args, 30s);
    const bool port_taken = p.exited(exit_invalid_config) &&
                            p.err.find(":" + std::to_string(port)) != std::string::npos &&
                            p.err.find("options.faults") == std::string::npos;
    if (!port_taken) break;
  }
  return p;
}

json::object read_json(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  INFO(text);
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  REQUIRE_FALSE(ec);
  REQUIRE(v.is_object());
  return v.as_object();
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("a drill's latency fault slows the requests of its window, and only those",
          "[drill][faults]") {
  local_target target;
  temp_dir dir("drill-faults");
  const std::string result = dir.file("result.json");
  const std::string history = dir.file("history.jsonl");
  const auto p = run_with_free_port(
      dir,
      [&](std::uint16_t port) {
        return fault_drill(port, target.port(),
                           "{ { at = \"1s\", duration = \"1s\", proxy = \"target\",\n"
                           "    toxic = { type = \"latency\", latency = \"200ms\" } } }");
      },
      {"--seed", "5", "--out", "json=" + result, "--out", "history=" + history});
  INFO(p.describe());
  REQUIRE(p.exited(exit_ok));

  const auto o = read_json(result);
  INFO(json::serialize(o.at("faults")));
  const auto& events = o.at("faults").at("events").as_array();
  const json::object* start = nullptr;
  const json::object* stop = nullptr;
  for (const auto& e : events) {
    const auto& event = e.as_object();
    CHECK(event.at("proxy") == "target");
    if (event.at("event") == "start") start = &event;
    if (event.at("event") == "stop") stop = &event;
  }
  REQUIRE(start != nullptr);
  REQUIRE(stop != nullptr);
  CHECK(start->at("type") == "latency");
  CHECK(stop->at("fault") == start->at("fault"));
  // On schedule: 1 s and 2 s after the load started (a loaded machine may be late, never early).
  const auto start_us = start->at("at_us").to_number<std::int64_t>();
  const auto stop_us = stop->at("at_us").to_number<std::int64_t>();
  CHECK(start_us >= 950'000);
  CHECK(start_us <= 1'500'000);
  CHECK(stop_us >= 1'950'000);
  CHECK(stop_us <= 2'500'000);
  CHECK(o.at("faults").at("dropped").to_number<std::uint64_t>() == 0);

  // Requests in the window waited ~200 ms more; most requests were outside it and fast.
  const auto& latency = o.at("latency_ms").as_object();
  INFO(json::serialize(latency));
  CHECK(latency.at("max").to_number<double>() >= 180.0);
  CHECK(latency.at("p50").to_number<double>() < 100.0);
  CHECK(o.at("requests").at("errors").at("connect").to_number<std::uint64_t>() == 0);
  CHECK(o.at("requests").at("ok").to_number<std::uint64_t>() > 20);

  // The console and the history show the fault too.
  CHECK(p.out.find("\nFaults\n  target/") != std::string::npos);
  const std::string lines = read_text(history);
  CHECK(lines.find("\"process\":\"nemesis\",\"time\":") != std::string::npos);
  CHECK(lines.find("\"entry\":\"fault\"") != std::string::npos);
  CHECK(lines.find("\"event\":\"start\"") != std::string::npos);
  CHECK(lines.find("\"fault_type\":\"latency\"") != std::string::npos);

  // Traceable: each connection the fault hit is one the attempts went over (client_port).
  std::set<std::string> attempt_clients;
  const json::value parsed = json::parse(lines);  // one JSON array, one operation per line
  for (const auto& line : parsed.as_array()) {
    const auto& v = line.as_object();
    if (const auto* port = v.if_contains("client_port"))
      attempt_clients.insert("127.0.0.1:" + std::to_string(port->to_number<int>()));
  }
  CHECK_FALSE(attempt_clients.empty());
  int hits = 0;
  for (const auto& e : events) {
    if (e.at("event") != "hit") continue;
    ++hits;
    const std::string client(e.at("client").as_string());
    INFO(client);
    CHECK(attempt_clients.count(client) == 1);
  }
  CHECK(hits >= 1);
}

TEST_CASE("a bad fault in a drill exits 104 naming it, before any load", "[drill][faults]") {
  local_target target;
  temp_dir dir("drill-faults-bad");
  const auto p = run_with_free_port(
      dir,
      [&](std::uint16_t port) {
        return fault_drill(port, target.port(),
                           "{ { at = \"1s\", duration = \"1s\", proxy = \"target\",\n"
                           "    toxic = { type = \"latency\", latency = -5 } } }");
      },
      {});
  INFO(p.describe());
  CHECK(p.exited(exit_invalid_config));
  CHECK(p.err.find("faults.lua: options.faults[1]") != std::string::npos);
  CHECK(p.err.find("latency") != std::string::npos);
  CHECK(p.out.empty());  // refused before the run: no report
  CHECK(p.elapsed < 5s);
}
