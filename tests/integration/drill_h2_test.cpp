// Drills over HTTP/2: options.protocol = "h2" and a request's own `protocol`, end to end with
// real Lua scripts against nghttpd (h2c with prior knowledge) and a recording HTTP/1.1 server.
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "h2_hostile_server.hpp"
#include "nghttpd.hpp"
#include "ordeal/scenarios/drill_run.hpp"
#include "recording_server.hpp"

using ordeal::engine::outcome;
using ordeal::scenarios::drill_results;
using ordeal::test::nghttpd_options;
using ordeal::test::nghttpd_server;
using ordeal::test::recording_server;

namespace {

std::filesystem::path write_drill(const std::string& text) {
  static std::atomic<int> n{0};
  const auto dir = std::filesystem::temp_directory_path() /
                   ("ordeal-drill-h2-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = dir / ("drill" + std::to_string(n++) + ".lua");
  std::ofstream(path) << text;
  return path;
}

drill_results run_text(const std::string& lua, const std::string& target,
                       std::map<std::string, std::string> env = {}) {
  ordeal::scenarios::drill_run_options o;
  o.file = write_drill(lua);
  o.seed = 7;
  o.target = target;
  o.env = std::move(env);
  ordeal::engine::run_control control;
  return ordeal::scenarios::run_drill(o, control);
}

nghttpd_server start_nghttpd() {
  if (::access(nghttpd_server::binary, X_OK) != 0)
    FAIL(nghttpd_server::binary << " is not installed: run scripts/bootstrap (nghttp2-server)");
  nghttpd_options o;
  o.echo_upload = true;
  return nghttpd_server(o);
}

std::string errors_of(const drill_results& r) {
  std::string text;
  for (const auto& [message, count] : r.script_errors)
    text += message + " (x" + std::to_string(count) + ")\n";
  return text;
}

}  // namespace

TEST_CASE("a drill with options.protocol = \"h2\" speaks h2c, a request may ask for HTTP/1.1",
          "[drill_h2]") {
  auto h2 = start_nghttpd();
  recording_server h1;
  const auto r = run_text(R"(
options = { protocol = "h2",
            scenarios = { s = { executor = "shared-iterations", vus = 10, iterations = 30,
                                exec = "go" } } }
function go()
  local r = http.get("/")
  assert(r.status == 200, "status " .. tostring(r.status) .. " " .. tostring(r.error))
  assert(#r.body == 64, "body " .. #r.body)
  local p = http.post("/", "amount=17")
  assert(p.status == 200 and p.body == "amount=17", "post " .. tostring(p.status))
  local one = http.get(env.H1 .. "/over-http1", { protocol = "http/1.1" })
  assert(one.status == 200, "http/1.1 status " .. tostring(one.status))
end)",
                          h2.url(""), {{"H1", h1.url("")}});
  INFO(errors_of(r));
  CHECK(r.script_errors.empty());
  CHECK(r.http.count(outcome::ok) == 90);
  CHECK(h1.request_count() == 30);
  // Ten users share one h2 connection (up to 100 streams); the HTTP/1.1 requests have their own.
  CHECK(r.http.connections_opened == 1 + h1.connections_accepted());
}

TEST_CASE("an HTTP/1.1 drill sends one request as h2, a bad protocol names its path",
          "[drill_h2]") {
  auto h2 = start_nghttpd();
  recording_server h1;
  SECTION("protocol = \"h2\" on one request") {
    const auto r = run_text(R"(
function default()
  local a = http.get("/plain")
  assert(a.status == 200)
  local b = http.get(env.H2 .. "/", { protocol = "h2" })
  assert(b.status == 200, "h2 status " .. tostring(b.status) .. " " .. tostring(b.error))
  assert(#b.body == 64)
end)",
                            h1.url(""), {{"H2", h2.url("")}});
    INFO(errors_of(r));
    CHECK(r.script_errors.empty());
    CHECK(r.http.count(outcome::ok) == 2);
    CHECK(h1.request_count() == 1);
  }
  SECTION("an unknown protocol is a script error naming params.protocol") {
    const auto r = run_text(R"(
function default()
  http.get("/", { protocol = "h3" })
end)",
                            h1.url(""));
    REQUIRE(r.script_errors.size() == 1);
    const std::string message = r.script_errors.begin()->first;
    INFO(message);
    CHECK(
        message.find(R"(params.protocol: unknown protocol "h3" (expected http/1.1, http1, h2))") !=
        std::string::npos);
    CHECK(h1.request_count() == 0);
  }
}

TEST_CASE("a drill over h2: POSTs refused by GOAWAY are fail, retried, and end ok", "[drill_h2]") {
  ordeal::test::h2_hostile_server_options o;
  o.goaway_after_requests = 2;
  o.response_delay = std::chrono::milliseconds(5);
  ordeal::test::h2_hostile_server server(ordeal::test::h2_hostile_behaviour::goaway_every_n, o);
  ordeal::scenarios::drill_run_options run;
  run.file = write_drill(R"(
options = { protocol = "h2", history = true,
            behaviour = { retry = { attempts = 100, backoff = "constant", base = "1ms",
                                    budget = 10 } },
            scenarios = { s = { executor = "shared-iterations", vus = 6, iterations = 30,
                                exec = "go" } } }
function go()
  local r = http.post("/pay", "amount=1", { idempotency_key = true })
  check(r, { ["ok in the end"] = function(r) return r.status == 200 end })
end)");
  run.seed = 7;
  run.target = server.url("");
  ordeal::engine::run_control control;
  const auto r = ordeal::scenarios::run_drill(run, control);
  INFO(errors_of(r));
  CHECK(r.script_errors.empty());
  std::size_t refused = 0, ok = 0;
  for (const auto& h : r.history) {
    if (h.result == outcome::refused) {
      ++refused;
      CHECK(h.verdict == ordeal::engine::attempt_verdict::fail);
    }
    if (h.result == outcome::ok) ++ok;
  }
  std::map<std::string, int> outcomes;
  for (const auto& h : r.history)
    ++outcomes[std::string(ordeal::engine::to_string(h.result)) + " " + h.error];
  std::string seen;
  for (const auto& [o, n] : outcomes)
    seen += o + " x" + std::to_string(n) + "\n";
  INFO(seen);
  INFO("retries " << r.retries << " refused by budget " << r.retries_refused);
  CHECK(refused > 0);  // GOAWAY every 2 requests with 6 users: some streams were above it
  CHECK(ok == 30);     // every operation ended ok, after its retries
  CHECK(server.requests_answered() == 30);  // and a refused POST never reached the handler
}
