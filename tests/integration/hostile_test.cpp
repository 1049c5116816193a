// Hostile servers: each misbehaviour ends in the right outcome class, the run ends on time,
// and nothing crashes or hangs.
#include <catch2/catch.hpp>

#include "engine_run.hpp"
#include "hostile_server.hpp"

using namespace std::chrono_literals;
using ordeal::engine::outcome;
using ordeal::test::hostile_behaviour;
using ordeal::test::hostile_server;

namespace {

struct hostile_run {
  ordeal::engine::run_results results;
  std::uint64_t server_requests = 0;
  std::uint64_t server_connections = 0;
  std::chrono::steady_clock::duration took{};
};

hostile_run run_against(hostile_behaviour b) {
  hostile_server server(b);
  auto c = ordeal::test::local_config(server.port());
  c.connections = 2;
  c.duration = 700ms;
  c.request_timeout = 300ms;
  c.grace = 200ms;
  const auto started = std::chrono::steady_clock::now();
  hostile_run h;
  h.results = ordeal::test::run_load(c);
  h.took = std::chrono::steady_clock::now() - started;
  h.server_requests = server.requests_received();
  h.server_connections = server.connections_accepted();
  // Bounded by the load window, the grace period and one timeout, whatever the server does.
  CHECK(h.took < 3s);
  return h;
}

bool has_reason(const ordeal::engine::run_results& r, std::string_view text) {
  for (const auto& [reason, n] : r.error_reasons)
    if (reason.find(text) != std::string::npos && n > 0) return true;
  return false;
}

}  // namespace

TEST_CASE("hostile: control case is all ok", "[hostile]") {
  const auto h = run_against(hostile_behaviour::ok);
  CHECK(h.results.total() > 50);
  CHECK(h.results.count(outcome::ok) == h.results.total());
}

TEST_CASE("hostile: garbage instead of a response is a protocol error", "[hostile]") {
  const auto h = run_against(hostile_behaviour::garbage);
  CHECK(h.results.count(outcome::protocol) > 0);
  CHECK(h.results.count(outcome::protocol) == h.results.total());
  CHECK(has_reason(h.results, "status line"));
}

TEST_CASE("hostile: a truncated body is a protocol error", "[hostile]") {
  const auto h = run_against(hostile_behaviour::truncated_body);
  CHECK(h.results.count(outcome::protocol) > 0);
  CHECK(h.results.count(outcome::protocol) == h.results.total());
  CHECK(has_reason(h.results, "protocol: connection closed before the response body"));
}

TEST_CASE("hostile: a reset mid-body is a reset", "[hostile]") {
  const auto h = run_against(hostile_behaviour::reset_mid_body);
  CHECK(h.results.count(outcome::reset) > 0);
  CHECK(h.results.count(outcome::reset) == h.results.total());
}

TEST_CASE("hostile: a 4 MB header hits the cap, and the error says so", "[hostile]") {
  const auto h = run_against(hostile_behaviour::huge_header);
  CHECK(h.results.count(outcome::protocol) > 0);
  CHECK(h.results.count(outcome::protocol) == h.results.total());
  CHECK(has_reason(h.results, "65536 bytes"));
  // The client stops reading at the cap: it never takes in the whole 4 MB per request.
  CHECK(h.results.bytes_received < h.results.total() * (256 * 1024));
}

TEST_CASE("hostile: a trickle slower than the timeout is a timeout", "[hostile]") {
  const auto h = run_against(hostile_behaviour::trickle);
  CHECK(h.results.count(outcome::timeout) > 0);
  CHECK(h.results.count(outcome::timeout) + h.results.in_flight >= 2);
  CHECK(h.results.count(outcome::ok) == 0);
}

TEST_CASE("hostile: silence is a timeout", "[hostile]") {
  const auto h = run_against(hostile_behaviour::silent);
  CHECK(h.results.count(outcome::timeout) >= 2);
  CHECK(h.results.count(outcome::timeout) == h.results.total());
}

TEST_CASE("hostile: invalid chunked encoding is a protocol error", "[hostile]") {
  const auto h = run_against(hostile_behaviour::bad_chunked);
  CHECK(h.results.count(outcome::protocol) > 0);
  CHECK(h.results.count(outcome::protocol) == h.results.total());
  CHECK(has_reason(h.results, "chunked"));
}

TEST_CASE("hostile: an invalid status line is a protocol error", "[hostile]") {
  const auto h = run_against(hostile_behaviour::bad_status_line);
  CHECK(h.results.count(outcome::protocol) > 0);
  CHECK(h.results.count(outcome::protocol) == h.results.total());
  CHECK(has_reason(h.results, "status line"));
}

TEST_CASE("hostile: unsolicited extra responses are a protocol error", "[hostile]") {
  const auto h = run_against(hostile_behaviour::unsolicited_extra);
  CHECK(h.results.count(outcome::protocol) > 0);
  CHECK(h.results.count(outcome::ok) == 0);
  CHECK(has_reason(h.results, "unsolicited"));
  CHECK(h.results.unsolicited_responses > 0);
}

TEST_CASE("hostile: a negative Content-Length is a protocol error", "[hostile]") {
  const auto h = run_against(hostile_behaviour::negative_content_length);
  CHECK(h.results.count(outcome::protocol) > 0);
  CHECK(h.results.count(outcome::protocol) == h.results.total());
  CHECK(has_reason(h.results, "Content-Length"));
}

TEST_CASE("hostile: Connection: close is honoured by reconnecting", "[hostile]") {
  const auto h = run_against(hostile_behaviour::close_after_response);
  CHECK(h.results.count(outcome::ok) > 10);
  CHECK(h.results.count(outcome::ok) == h.results.total());
  CHECK(h.results.connections_opened >= h.results.total());
  CHECK(h.server_requests == h.results.total() + h.results.in_flight);
}

TEST_CASE("hostile: pipelined requests behind Connection: close are sent again", "[hostile]") {
  // RFC 9112 §9.6: after "close" the server processes nothing more, so the requests behind
  // it never happened; they go again on a new connection instead of counting as errors.
  hostile_server server(hostile_behaviour::close_after_response);
  auto c = ordeal::test::local_config(server.port());
  c.pipeline = 4;
  c.duration = 700ms;
  const auto r = ordeal::test::run_load(c);
  CHECK(r.count(outcome::ok) > 10);
  CHECK(r.count(outcome::ok) == r.total());
  CHECK(server.requests_received() >= r.total());
}

TEST_CASE("hostile: think time does not turn server closes into a reconnect storm", "[hostile]") {
  hostile_server server(hostile_behaviour::reset_on_accept);
  auto c = ordeal::test::local_config(server.port());
  c.connections = 1;
  c.think_time = 200ms;
  c.duration = 1s;
  const auto r = ordeal::test::run_load(c);
  CHECK(r.total() >= 2);
  // A few per request at most (the replacement connection is reset too; under a loaded CPU,
  // 22 were seen), not the thousands of a storm.
  CHECK(server.connections_accepted() <= 50);
}

TEST_CASE("hostile: a reset right after accept is a reset", "[hostile]") {
  const auto h = run_against(hostile_behaviour::reset_on_accept);
  CHECK(h.results.total() > 0);
  CHECK(h.results.count(outcome::ok) == 0);
  CHECK(h.results.count(outcome::reset) + h.results.count(outcome::connect) == h.results.total());
}
