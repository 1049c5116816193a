// Drill thresholds end to end through the `ordeal` binary against an in-process `ordeal serve`:
// tag filters, abort_on_fail (exit 108) with delay_abort_eval, and windowed budgets that catch
// a slow stretch the whole run's figure hides.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "ordeal/targets/serve.hpp"
#include "process.hpp"
#include "scratch.hpp"

using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

constexpr int exit_ok = 0;
constexpr int exit_threshold_failed = 99;
constexpr int exit_invalid_config = 104;
constexpr int exit_aborted_by_threshold = 108;

class local_target {
 public:
  local_target() : server_(ordeal::targets::serve_options{.port = 0}) { server_.start(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }

 private:
  ordeal::targets::server server_;
};

struct drill_run {
  ordeal::test::process_result process;
  json::object result;  // the --out json file, empty when none was written
};

drill_run run_drill(const std::string& lua, std::chrono::milliseconds deadline = 30s) {
  static local_target target;
  ordeal::test::temp_dir dir("thresholds");
  const auto drill = dir.file("drill.lua");
  ordeal::test::write_file(drill, lua);
  const auto out = dir.file("result.json");
  drill_run r;
  r.process = ordeal::test::run_process(
      {ORDEAL_BINARY, "run", drill, "-q", "--target", target.url(), "--out", "json=" + out},
      deadline);
  std::ifstream in(out);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!text.empty()) r.result = json::parse(text).as_object();
  return r;
}

// The verdict named `name` in the JSON result.
const json::object& verdict(const json::object& result, const std::string& name) {
  static const json::object none;
  for (const auto& v : result.at("verdicts").as_array())
    if (v.as_object().at("name").as_string() == name) return v.as_object();
  FAIL("no verdict named " << name);
  return none;
}

bool passed(const json::object& result, const std::string& name) {
  return verdict(result, name).at("passed").as_bool();
}

}  // namespace

TEST_CASE("thresholds: tag filters select the series they name", "[thresholds]") {
  const auto r = run_drill(R"(
options = {
  scenarios = {
    browse = { executor = "per-vu-iterations", vus = 1, iterations = 12, exec = "browse" },
    checkout = { executor = "per-vu-iterations", vus = 1, iterations = 10, exec = "checkout" },
  },
  thresholds = {
    ["http_req_duration{name:fast}"] = "p(95)<100ms",
    ["http_req_duration{name:slow}"] = "p(95)<100ms",
    ["http_reqs{status:503}"] = "count>=10",
    ["http_reqs{method:POST,scenario:checkout}"] = "count<10",
    ["http_req_failed{scenario:browse}"] = "rate<0.01",
    ["http_req_failed{name:pay}"] = "rate>0.99",
    ["http_req_duration{method:GET,status:200}"] = { { threshold = "count==24" } },
    ["iterations{scenario:browse}"] = "count>=12",
    http_reqs = "count>=34",
  },
}
function browse()
  http.get("/fast", { name = "fast" })
  http.get("/slow?delay=150ms", { name = "slow" })
end
function checkout() http.post("/pay?status=503", "x", { name = "pay" }) end
)");
  INFO(r.process.describe());
  // A bad operator is caught before anything runs.
  REQUIRE(r.process.exited(exit_invalid_config));
  CHECK(r.process.err.find("options.thresholds[\"http_req_duration{method:GET,status:200}\"][1]: "
                           "invalid threshold \"count==24\"") != std::string::npos);

  const auto fixed = run_drill(R"(
options = {
  scenarios = {
    browse = { executor = "per-vu-iterations", vus = 1, iterations = 12, exec = "browse" },
    checkout = { executor = "per-vu-iterations", vus = 1, iterations = 10, exec = "checkout" },
  },
  thresholds = {
    ["http_req_duration{name:fast}"] = "p(95)<100ms",
    ["http_req_duration{name:slow}"] = "p(95)<100ms",
    ["http_reqs{status:503}"] = "count>=10",
    ["http_reqs{method:POST,scenario:checkout}"] = "count<10",
    ["http_req_failed{scenario:browse}"] = "rate<0.01",
    ["http_req_failed{name:pay}"] = "rate>0.99",
    ["http_req_duration{method:GET,status:200}"] = { { threshold = "count>=24" } },
    ["iterations{scenario:browse}"] = "count>=12",
    http_reqs = "count>=34",
  },
}
function browse()
  http.get("/fast", { name = "fast" })
  http.get("/slow?delay=150ms", { name = "slow" })
end
function checkout() http.post("/pay?status=503", "x", { name = "pay" }) end
)");
  INFO(fixed.process.describe());
  REQUIRE(fixed.process.exited(exit_threshold_failed));
  const auto& j = fixed.result;
  CHECK(passed(j, "http_req_duration{name:fast}: p(95)<100ms"));
  CHECK_FALSE(passed(j, "http_req_duration{name:slow}: p(95)<100ms"));
  CHECK(passed(j, "http_reqs{status:503}: count>=10"));
  CHECK_FALSE(passed(j, "http_reqs{method:POST,scenario:checkout}: count<10"));
  CHECK(verdict(j, "http_reqs{method:POST,scenario:checkout}: count<10").at("measured") == "10");
  CHECK(passed(j, "http_req_failed{scenario:browse}: rate<0.01"));
  CHECK(passed(j, "http_req_failed{name:pay}: rate>0.99"));
  CHECK(passed(j, "http_req_duration{method:GET,status:200}: count>=24"));
  CHECK(passed(j, "iterations{scenario:browse}: count>=12"));
  CHECK(passed(j, "http_reqs: count>=34"));
  CHECK(j.at("aborted_by").is_null());
  // The JSON keeps each metric whole and per tag, every series, and the timeline.
  const auto& d = j.at("drill").as_object();
  CHECK(d.at("metrics").as_object().contains("http_req_duration{name:slow}"));
  CHECK(d.at("metrics").as_object().contains("http_req_waiting"));
  CHECK(d.at("series").as_object().contains(
      "http_reqs{method:POST,name:pay,scenario:checkout,status:503}"));
  const auto& timeline = d.at("timeline").as_object();
  CHECK(timeline.at("seconds").to_number<std::int64_t>() >= 1);
  CHECK(timeline.at("metrics").as_object().at("http_reqs").as_object().contains("count"));
  // The console names the failures.
  CHECK(fixed.process.out.find("http_req_duration{name:slow}: p(95)<100ms") != std::string::npos);
}

TEST_CASE("thresholds: abort_on_fail stops a 30 s drill within seconds, exit 108", "[thresholds]") {
  const auto r = run_drill(R"(
options = {
  scenarios = { s = { executor = "constant-vus", vus = 2, duration = "30s", exec = "go" } },
  thresholds = {
    http_req_duration = { "p(99)<10s", { threshold = "p(95)<50ms", abort_on_fail = true } },
  },
}
function go() http.get("/?delay=100ms", { name = "slow" }) end
)");
  INFO(r.process.describe());
  REQUIRE(r.process.exited(exit_aborted_by_threshold));
  CHECK(r.process.elapsed < 15s);
  CHECK(r.process.err.find("ordeal: threshold http_req_duration: p(95)<50ms failed at") !=
        std::string::npos);
  CHECK(r.process.out.find("Aborted: the threshold http_req_duration: p(95)<50ms") !=
        std::string::npos);
  CHECK(r.process.out.find("exit code 108") != std::string::npos);
  // Every output is still written, naming the threshold.
  REQUIRE_FALSE(r.result.empty());
  CHECK(r.result.at("aborted_by") == "http_req_duration: p(95)<50ms");
  const auto& v = verdict(r.result, "http_req_duration: p(95)<50ms");
  CHECK_FALSE(v.at("passed").as_bool());
  CHECK(v.at("evidence").as_object().at("aborted_run").as_bool());
  CHECK(passed(r.result, "http_req_duration: p(99)<10s"));
}

TEST_CASE("thresholds: delay_abort_eval defers the abort", "[thresholds]") {
  SECTION("the abort waits for the delay") {
    const auto r = run_drill(R"(
options = {
  scenarios = { s = { executor = "constant-vus", vus = 2, duration = "30s", exec = "go" } },
  thresholds = {
    http_req_duration = { { threshold = "p(95)<50ms", abortOnFail = true, delayAbortEval = "4s" } },
  },
}
function go() http.get("/?delay=100ms") end
)");
    INFO(r.process.describe());
    REQUIRE(r.process.exited(exit_aborted_by_threshold));
    CHECK(r.process.elapsed >= 4s);
    CHECK(r.process.elapsed < 20s);
    const auto at = r.process.err.find("failed at ");
    REQUIRE(at != std::string::npos);
    CHECK(std::stoi(r.process.err.substr(at + 10)) >= 4);
  }
  SECTION("a delay past the run's end never aborts: the end decides (99)") {
    const auto r = run_drill(R"(
options = {
  scenarios = { s = { executor = "constant-vus", vus = 1, duration = "2s", exec = "go" } },
  thresholds = {
    http_req_duration = { { threshold = "p(95)<50ms", abort_on_fail = true, delay_abort_eval = "1m" } },
  },
}
function go() http.get("/?delay=100ms") end
)");
    INFO(r.process.describe());
    REQUIRE(r.process.exited(exit_threshold_failed));
    CHECK(r.result.at("aborted_by").is_null());
  }
}

TEST_CASE("thresholds: a windowed budget catches a slow stretch the whole run hides",
          "[thresholds]") {
  // Three users ask for a fast page ten times a second each for 12 s; from 5 s to 7 s two more
  // ask for a 300 ms one. Some 4% of the run's requests are slow (under 10% even if the fast
  // ones run at half speed): its p(90) stays fast. The 2 s window over the stretch is some 20%
  // slow: its p(90) is 300 ms.
  const auto r = run_drill(R"(
options = {
  scenarios = {
    steady = { executor = "constant-vus", vus = 3, duration = "12s", exec = "steady" },
    stall = { executor = "constant-vus", vus = 2, duration = "2s", start_time = "5s", exec = "stall" },
  },
  thresholds = {
    ["http_req_duration{name:pay}"] = { "p(90)<100ms", { threshold = "p(90)<100ms", over = "2s" } },
  },
}
function steady() http.get("/", { name = "pay" }); sleep("100ms") end
function stall() http.get("/?delay=300ms", { name = "pay" }) end
)",
                           40s);
  INFO(r.process.describe());
  REQUIRE(r.process.exited(exit_threshold_failed));
  CHECK(passed(r.result, "http_req_duration{name:pay}: p(90)<100ms"));
  const auto& w = verdict(r.result, "http_req_duration{name:pay}: p(90)<100ms over 2s");
  CHECK_FALSE(w.at("passed").as_bool());
  const auto& e = w.at("evidence").as_object();
  CHECK(e.at("window_s").to_number<std::int64_t>() == 2);
  CHECK(e.at("failed_windows").to_number<std::int64_t>() >= 1);
  const auto& worst = e.at("worst").as_object();
  CHECK(worst.at("start_s").to_number<std::int64_t>() >= 3);
  CHECK(worst.at("start_s").to_number<std::int64_t>() <= 7);
  CHECK(worst.at("value").to_number<double>() >= 250);
  CHECK(w.at("measured").as_string().find("worst 2s window") != std::string::npos);
}
