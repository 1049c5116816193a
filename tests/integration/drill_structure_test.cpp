// A drill's structure around its load, end to end with the real binary: the steady-state
// hypothesis (before: the drill does not start unless it holds; after: the time to recover),
// actions at their time, rollbacks that always run (end, signal, abort), and the blast-radius
// guard. The target is a recording server, so the tests see what was sent and when.
#include <signal.h>

#include <atomic>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "process.hpp"
#include "recording_server.hpp"
#include "scratch.hpp"

using namespace std::chrono_literals;
namespace json = boost::json;
using Catch::Matchers::Contains;
using ordeal::test::canned_response;
using ordeal::test::process_result;
using ordeal::test::recorded_request;
using ordeal::test::recording_server;
using ordeal::test::temp_dir;

namespace {

constexpr int exit_ok = 0;
constexpr int exit_threshold = 99;
constexpr int exit_invalid_config = 104;
constexpr int exit_signal = 105;
constexpr int exit_aborted = 108;

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Writes the drill (TARGET replaced with the server's URL, DIR with the scratch dir) and runs it.
process_result run_drill(const temp_dir& dir, const recording_server& server, std::string drill,
                         std::vector<std::string> extra = {}) {
  drill = replace_all(drill, "TARGET/", server.url("/"));
  drill = replace_all(drill, "TARGET", server.url("/"));
  drill = replace_all(drill, "DIR", dir.path().string());
  const std::string file = dir.file("drill.lua");
  ordeal::test::write_file(file, drill);
  std::vector<std::string> args{ORDEAL_BINARY, "run", file, "-q"};
  args.insert(args.end(), extra.begin(), extra.end());
  return ordeal::test::run_process(args, 60s);
}

std::vector<std::string> targets_of(const recording_server& s) {
  std::vector<std::string> out;
  for (const auto& r : s.requests())
    out.push_back(r.target);
  return out;
}

const json::object* verdict_named(const json::value& result, const std::string& name) {
  for (const auto& v : result.at("verdicts").as_array())
    if (v.at("name").as_string() == name) return &v.as_object();
  return nullptr;
}

}  // namespace

TEST_CASE("drill structure: a steady state that does not hold stops the drill before anything",
          "[drill_structure]") {
  recording_server server([](const recorded_request& r) {
    canned_response c;
    if (r.target == "/health") c.status = 503;
    return c;
  });
  temp_dir dir("steady-before");
  const auto p = run_drill(dir, server, R"(
options = {
  target = "TARGET",
  vus = 2, duration = "2s",
  steady_state = { probes = {
    { name = "health answers 200", probe = function() return http.get("/health").status end,
      tolerance = 200 },
  } },
  actions = { { name = "poke", at = "0s", http = { method = "GET", url = "/action" } } },
  rollbacks = { { name = "undo", http = { method = "GET", url = "/rollback" } } },
}
function setup() http.get("/setup") end
function default() http.get("/load") end
)");
  INFO(p.describe());
  CHECK(p.exited(exit_aborted));
  CHECK_THAT(p.err, Contains("the steady state does not hold, so the drill did not start"));
  CHECK_THAT(p.err, Contains("probe \"health answers 200\": returned 503, tolerance 200"));
  // The probe only: no setup, no load, no action and no rollback (the method never began).
  CHECK(targets_of(server) == std::vector<std::string>{"/health"});
}

TEST_CASE("drill structure: probes after the load measure the time to recover",
          "[drill_structure]") {
  std::atomic<int> health_calls{0};
  recording_server server([&](const recorded_request& r) {
    canned_response c;
    // Up for the check before the load, down for the next two calls, then up again.
    if (r.target == "/health") {
      const int n = ++health_calls;
      c.status = (n == 2 || n == 3) ? 503 : 200;
    }
    if (r.target == "/never") c.status = 500;
    return c;
  });
  temp_dir dir("steady-after");
  SECTION("recovers within the limit") {
    const auto p = run_drill(dir, server, R"(
options = {
  target = "TARGET", vus = 1, duration = "1s",
  steady_state = { within = "10s", interval = "100ms", probes = {
    { name = "health", probe = function() return http.get("/health").status end, tolerance = 200 },
    { name = "in range", probe = function() return 42 end, tolerance = { 40, 50 } },
    { name = "by function", probe = function() return { ok = true } end,
      tolerance = function(v) return v.ok end },
  } },
}
function default() http.get("/load") sleep(0.05) end
)",
                             {"--out", "json=" + dir.file("r.json")});
    INFO(p.describe());
    REQUIRE(p.exited(exit_ok));
    const auto result = json::parse(slurp(dir.file("r.json")));
    const auto* v = verdict_named(result, "steady state: health");
    REQUIRE(v != nullptr);
    CHECK(v->at("kind").as_string() == "drill");
    CHECK(v->at("passed").as_bool());
    const auto& after = v->at("evidence").at("after");
    CHECK(after.at("attempts").to_number<int>() == 3);
    CHECK(after.at("met_after_ms").to_number<int>() >= 150);
    CHECK(v->at("evidence").at("before").at("attempts").to_number<int>() == 1);
    CHECK_THAT(std::string(v->at("measured").as_string()), Contains("held again after"));
    CHECK(health_calls == 4);
    // Probe requests are not load: the run's metrics count /load only.
    for (const auto& name : {"steady state: in range", "steady state: by function"}) {
      INFO(name);
      REQUIRE(verdict_named(result, name) != nullptr);
      CHECK(verdict_named(result, name)->at("passed").as_bool());
    }
  }
  SECTION("does not recover: the verdict fails with exit code 99") {
    const auto p = run_drill(dir, server, R"(
local calls = 0
options = {
  target = "TARGET", vus = 1, duration = "500ms",
  steady_state = { within = "1s", interval = "200ms", probes = {
    { name = "errors stay low", tolerance = 200,
      probe = function()
        calls = calls + 1
        return http.get(calls == 1 and "/" or "/never").status
      end },
  } },
}
function default() http.get("/load") sleep(0.05) end
)");
    INFO(p.describe());
    CHECK(p.exited(exit_threshold));
    CHECK_THAT(p.out, Contains("FAIL  steady state: errors stay low"));
    CHECK_THAT(p.out, Contains("returned 500, tolerance 200"));
    CHECK_THAT(p.out, Contains("the drill's steady state or an action failed"));
  }
}

TEST_CASE("drill structure: actions run at their time and rollbacks after the load",
          "[drill_structure]") {
  recording_server server;
  temp_dir dir("actions");
  const auto p = run_drill(dir, server, R"(
options = {
  target = "TARGET", vus = 1, duration = "2s",
  actions = {
    { name = "restart", at = "1s", http = { url = "/admin/restart", body = { why = "drill" } } },
    { name = "too late", at = "1m", http = { url = "/late" } },
  },
  rollbacks = { { name = "undo", http = { method = "DELETE", url = "TARGET/undo" } } },
}
function default() http.get("/load") sleep(0.05) end
)",
                           {"--out", "json=" + dir.file("r.json")});
  INFO(p.describe());
  // "too late" never ran: the drill did not do what it said, which fails its verdict.
  CHECK(p.exited(exit_threshold));
  const auto requests = server.requests();
  std::optional<std::chrono::steady_clock::time_point> first_load, last_load, restart, undo;
  for (const auto& r : requests) {
    if (r.target == "/load") {
      if (!first_load) first_load = r.received;
      last_load = r.received;
    }
    if (r.target == "/admin/restart") {
      restart = r.received;
      CHECK(r.method == "POST");
      CHECK(r.body == R"({"why":"drill"})");
    }
    if (r.target == "/undo") {
      undo = r.received;
      CHECK(r.method == "DELETE");
    }
    CHECK(r.target != "/late");
  }
  REQUIRE(first_load);
  REQUIRE(restart);
  REQUIRE(undo);
  const auto at = *restart - *first_load;
  CHECK(at > 700ms);
  CHECK(at < 1800ms);
  CHECK(*undo > *last_load);
  const auto result = json::parse(slurp(dir.file("r.json")));
  REQUIRE(verdict_named(result, "action: restart") != nullptr);
  CHECK(verdict_named(result, "action: restart")->at("passed").as_bool());
  CHECK(verdict_named(result, "rollback: undo")->at("passed").as_bool());
  CHECK_FALSE(verdict_named(result, "action: too late")->at("passed").as_bool());
  CHECK_THAT(p.out, Contains("action/restart (http)"));
  CHECK_THAT(p.out, Contains("done: 200"));
  // The actions are in the fault record, beside the faults.
  bool recorded = false;
  for (const auto& e : result.at("faults").at("events").as_array())
    recorded = recorded ||
               (e.at("proxy").as_string() == "action" && e.at("fault").as_string() == "restart");
  CHECK(recorded);
}

TEST_CASE("drill structure: commands need --allow-exec, and a slow one is cut at its timeout",
          "[drill_structure]") {
  recording_server server;
  temp_dir dir("exec");
  const std::string drill = R"(
options = {
  target = "TARGET", vus = 1, duration = "1500ms",
  actions = {
    { name = "touch", at = "200ms", exec = { "touch", "DIR/touched" } },
    { name = "hang", at = "300ms", exec = "sleep 20", timeout = "500ms" },
  },
  rollbacks = { { name = "note", exec = "echo rolled back > DIR/rolled" } },
}
function default() http.get("/load") sleep(0.05) end
)";
  const auto refused = run_drill(dir, server, drill);
  INFO(refused.describe());
  CHECK(refused.exited(exit_invalid_config));
  CHECK_THAT(refused.err,
             Contains("options.actions[\"touch\"].exec: running a command needs --allow-exec"));
  CHECK(server.request_count() == 0);

  const auto p = run_drill(dir, server, drill, {"--allow-exec"});
  INFO(p.describe());
  CHECK(p.exited(exit_threshold));  // "hang" failed: timed out
  CHECK(p.elapsed < 15s);
  CHECK(std::filesystem::exists(dir.file("touched")));
  CHECK(slurp(dir.file("rolled")) == "rolled back\n");
  CHECK_THAT(p.out, Contains("FAIL  action: hang"));
  CHECK_THAT(p.out, Contains("timed out after 500ms (killed)"));
  CHECK_THAT(p.out, Contains("PASS  action: touch"));
}

TEST_CASE("drill structure: rollbacks run when a signal or an abort stops the run",
          "[drill_structure]") {
  recording_server server([](const recorded_request& r) {
    canned_response c;
    if (r.target == "/fail") c.status = 500;
    return c;
  });
  temp_dir dir("rollback-always");
  SECTION("Ctrl-C") {
    const std::string file = dir.file("drill.lua");
    ordeal::test::write_file(file, replace_all(R"(
options = { target = "TARGET", vus = 1, duration = "30s",
  rollbacks = { { name = "undo", http = { url = "/undo" } } } }
function default() http.get("/load") sleep(0.05) end
)",
                                               "TARGET", server.url("")));
    ordeal::test::child_process child({ORDEAL_BINARY, "run", file, "-q"}, 30s);
    REQUIRE(server.wait_for_requests(3, 10s));
    child.send_signal(SIGINT);
    const auto p = child.wait();
    INFO(p.describe());
    CHECK(p.exited(exit_signal));
    CHECK(targets_of(server).back() == "/undo");
  }
  SECTION("abort_on_fail") {
    // An abort ends the load, not what comes after it: the rollback, the probes (retried
    // within `within`) and the idempotency effects all run.
    const auto p = run_drill(dir, server, R"(
local calls = 0
options = { target = "TARGET", vus = 1, duration = "30s",
  thresholds = { http_req_failed = { { threshold = "rate<0.01", abort_on_fail = true } } },
  rollbacks = { { name = "undo", http = { url = "/undo" } } },
  steady_state = { within = "10s", interval = "100ms", probes = {
    { name = "recovers", tolerance = 200,
      probe = function() calls = calls + 1; return calls == 2 and 503 or 200 end } } },
  idempotency = { effects = function(op) return 1 end } }
function default() http.get("/fail", { idempotency_key = true }) sleep(0.05) end
)");
    INFO(p.describe());
    CHECK(p.exited(exit_aborted));
    CHECK(p.elapsed < 20s);
    CHECK(targets_of(server).back() == "/undo");
    CHECK_THAT(p.out, Contains("PASS  steady state: recovers"));
    CHECK_THAT(p.out, Contains("held again after"));
    CHECK_THAT(p.out, Contains("PASS  idempotency"));
    CHECK_THAT(p.out, !Contains("stopped by a signal"));
  }
}

TEST_CASE("drill structure: the blast-radius guard refuses hosts outside allow_hosts",
          "[drill_structure]") {
  recording_server server;
  temp_dir dir("blast-radius");
  SECTION("a target elsewhere does not start") {
    const auto p = run_drill(dir, server, R"(
options = { target = "http://db.example.invalid:5432/", vus = 1, iterations = 1 }
function default() http.get("/") end
)");
    INFO(p.describe());
    CHECK(p.exited(exit_invalid_config));
    CHECK_THAT(p.err, Contains("drill.lua: options.target: host db.example.invalid is outside "
                               "options.allow_hosts (localhost, 127.0.0.0/8, ::1)"));
  }
  SECTION("a proxy upstream elsewhere does not start") {
    const auto p = run_drill(dir, server, R"(
options = { target = "TARGET", vus = 1, iterations = 1,
  proxies = { db = { listen = "127.0.0.1:0", upstream = "10.1.2.3:5432" } } }
function default() http.get("/") end
)");
    INFO(p.describe());
    CHECK(p.exited(exit_invalid_config));
    CHECK_THAT(p.err, Contains("options.proxies.db.upstream: host 10.1.2.3 is outside"));
    CHECK(server.request_count() == 0);
  }
  SECTION("a request elsewhere fails, the rest goes on") {
    const auto p = run_drill(dir, server, R"(
options = { target = "TARGET", vus = 1, iterations = 2 }
function default()
  http.get("/fine")
  http.get("http://203.0.113.9/")
end
)");
    INFO(p.describe());
    CHECK(p.exited(exit_ok));
    CHECK_THAT(p.out, Contains("host 203.0.113.9 is outside options.allow_hosts"));
    CHECK(targets_of(server) == std::vector<std::string>{"/fine", "/fine"});
  }
  SECTION("allow_hosts can widen it") {
    const auto p = run_drill(dir, server, R"(
options = { target = "TARGET", vus = 1, iterations = 1, allow_hosts = { "127.0.0.1" } }
function default() http.get("/fine") end
)");
    INFO(p.describe());
    CHECK(p.exited(exit_ok));
  }
}
