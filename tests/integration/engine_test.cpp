// The engine against the bundled target over real sockets: counts add up, the models hit
// their targets, the open model sees stalls the closed one hides.
#include <catch2/catch.hpp>
#include <thread>

#include "engine_run.hpp"
#include "ordeal/targets/serve.hpp"

using namespace std::chrono_literals;
using ordeal::engine::outcome;
using ordeal::test::local_config;
using ordeal::test::run_load;

namespace {

struct target {
  explicit target(ordeal::targets::serve_options o = {})
      : server([&] {
          o.port = 0;
          return o;
        }()) {
    server.start();
  }
  ordeal::targets::server server;
  std::uint16_t port() const { return server.port(); }
};

}  // namespace

TEST_CASE("closed model: the server saw exactly what ordeal reports", "[engine]") {
  target t;
  auto c = local_config(t.port());
  c.threads = 2;
  c.connections = 8;
  const auto r = run_load(c);
  CHECK(r.total() > 100);
  CHECK(r.count(outcome::ok) == r.total());
  CHECK(r.in_flight == 0);
  CHECK(t.server.requests_served() == r.total() + r.in_flight);
  CHECK(r.latency.count() == r.total());
  CHECK(r.connections_opened == 8);
  CHECK(r.status_codes.at(200) == r.total());
  CHECK_FALSE(r.open_model);
  // The per-second series adds up to the totals.
  std::uint64_t in_series = 0;
  for (const auto& s : r.series)
    in_series += s.total();
  CHECK(in_series == r.total());
}

TEST_CASE("pipelining keeps several requests in flight per connection", "[engine]") {
  target t;
  auto c = local_config(t.port());
  c.pipeline = 8;
  const auto r = run_load(c);
  CHECK(r.total() > 100);
  CHECK(r.count(outcome::ok) == r.total());
  CHECK(t.server.requests_served() == r.total() + r.in_flight);
}

TEST_CASE("POST with a body", "[engine]") {
  target t;
  auto c = local_config(t.port(), "/orders?status=201");
  c.method = "POST";
  c.headers = {{"Content-Type", "application/json"}};
  c.body = std::string(3000, 'x');
  const auto r = run_load(c);
  CHECK(r.total() > 10);
  CHECK(r.status_codes.at(201) == r.total());
  CHECK(r.bytes_sent > r.total() * 3000);
}

TEST_CASE("4xx and 5xx responses count as status errors per code", "[engine]") {
  target t;
  const auto r = run_load(local_config(t.port(), "/?status=503"));
  CHECK(r.total() > 10);
  CHECK(r.count(outcome::status) == r.total());
  CHECK(r.status_codes.at(503) == r.total());
  CHECK(r.error_rate() == 1.0);
}

TEST_CASE("open model: the rate is what was asked", "[engine]") {
  target t;
  auto c = local_config(t.port());
  c.threads = 2;
  c.connections = 20;
  c.rate = 400;
  c.duration = 2s;
  const auto r = run_load(c);
  CHECK(r.open_model);
  // Constant spacing: exactly rate × duration arrivals are scheduled.
  CHECK(r.total() == 800);
  CHECK(r.count(outcome::ok) == 800);
  CHECK(r.rps() == Approx(400).epsilon(0.05));
  CHECK(t.server.requests_served() == r.total() + r.in_flight);
}

TEST_CASE("open model with Poisson arrivals: the mean rate holds", "[engine]") {
  target t;
  auto c = local_config(t.port());
  c.connections = 20;
  c.rate = 500;
  c.duration = 2s;
  c.arrival = ordeal::engine::arrival_process::poisson;
  const auto r = run_load(c);
  // 1000 expected; a Poisson count has sd ≈ 32, so ±15 % is beyond 4 sd.
  CHECK(r.total() > 850);
  CHECK(r.total() < 1150);
}

TEST_CASE("open model: corrected latency shows a stall the uncorrected one hides", "[engine]") {
  ordeal::targets::serve_options o;
  o.stall_every = 1s;
  o.stall_for = 300ms;
  target t(o);
  auto c = local_config(t.port());
  c.connections = 4;
  c.rate = 1000;
  c.duration = 3s;
  const auto r = run_load(c);
  REQUIRE(r.count(outcome::ok) > 2500);
  // About 30% of arrivals fall into a stall and wait up to 300 ms for it to end; only the
  // 4 requests on the wire at each stall see that wait from their actual send time.
  const auto corrected_p99 = r.latency.percentile(99);
  const auto uncorrected_p99 = r.latency_uncorrected.percentile(99);
  CHECK(corrected_p99 > 150'000);
  CHECK(uncorrected_p99 < 50'000);
  CHECK(r.latency.percentile(90) > 20'000);
}

TEST_CASE("open model: a full queue drops arrivals, and counts them", "[engine]") {
  target t;
  auto c = local_config(t.port(), "/?delay=200ms");
  c.connections = 1;
  c.rate = 200;
  c.queue_limit = 5;
  c.duration = 1s;
  c.grace = 500ms;
  const auto r = run_load(c);
  CHECK(r.count(outcome::dropped) > 100);
  CHECK(r.total() + r.in_flight == 200);  // every scheduled arrival is accounted for
  // The rate counts what went out, not the dropped arrivals.
  CHECK(r.rps() < 50);
}

TEST_CASE("ramping rate follows its stages", "[engine]") {
  target t;
  auto c = local_config(t.port());
  c.connections = 20;
  c.rate = 0;
  c.stages = {{1s, 200}, {1s, 200}};  // 0→200 over 1 s (100 arrivals), then 200 for 1 s
  const auto r = run_load(c);
  CHECK(r.total() == Approx(300).margin(2));
  REQUIRE(r.series.size() >= 2);
  CHECK(r.series[0].total() < r.series[1].total());
}

TEST_CASE("ramping connections in the closed model", "[engine]") {
  target t;
  auto c = local_config(t.port(), "/?delay=10ms");
  c.connections = 0;
  c.stages = {{500ms, 6}, {500ms, 6}};
  const auto r = run_load(c);
  CHECK(r.connections_opened == 6);
  REQUIRE(r.series.size() >= 1);
  CHECK(r.total() > 100);
}

TEST_CASE("think time spaces the requests of a connection", "[engine]") {
  target t;
  auto c = local_config(t.port());
  c.connections = 1;
  c.think_time = 100ms;
  const auto r = run_load(c);
  CHECK(r.total() >= 5);
  CHECK(r.total() <= 11);
}

TEST_CASE("a request timeout replaces the connection", "[engine]") {
  target t;
  auto c = local_config(t.port(), "/?delay=3s");
  c.connections = 2;
  c.request_timeout = 200ms;
  c.grace = 0s;
  const auto r = run_load(c);
  CHECK(r.count(outcome::timeout) >= 6);
  CHECK(r.count(outcome::ok) == 0);
  CHECK(r.connections_opened >= 6);  // each timeout closed its connection
  CHECK(r.error_reasons.begin()->first.find("timeout") != std::string::npos);
}

TEST_CASE("a stop request ends the run early with what happened so far", "[engine]") {
  target t;
  auto c = local_config(t.port());
  c.duration = 30s;
  ordeal::engine::run_control control;
  std::thread stopper([&] {
    std::this_thread::sleep_for(300ms);
    control.request_stop();
  });
  const auto started = std::chrono::steady_clock::now();
  const auto r = ordeal::engine::run(c, control);
  stopper.join();
  CHECK(std::chrono::steady_clock::now() - started < 5s);
  CHECK(r.interrupted);
  CHECK(r.total() > 0);
  CHECK(r.duration < 2s);
}

TEST_CASE("in-flight requests at the end are reported, not lost", "[engine]") {
  target t;
  auto c = local_config(t.port(), "/?delay=2s");
  c.connections = 3;
  c.duration = 500ms;
  c.grace = 100ms;
  const auto r = run_load(c);
  CHECK(r.total() == 0);
  CHECK(r.in_flight == 3);
}

TEST_CASE("connect errors are counted and retried with a back-off", "[engine]") {
  // A port nobody listens on: connect fails at once, every time.
  std::uint16_t port = 0;
  {
    target t;
    port = t.port();
  }
  auto c = local_config(port);
  c.connections = 2;
  c.duration = 500ms;
  const auto r = run_load(c);
  CHECK(r.count(outcome::connect) > 0);
  // Retried about once per 10 ms tick per connection, not in a busy loop.
  CHECK(r.count(outcome::connect) < 400);
  CHECK(r.total() == r.count(outcome::connect));
}
