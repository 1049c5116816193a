// The load engine against an HTTP/2 server that misbehaves on purpose (tests/support/
// h2_hostile_server): every misbehaviour is classified, the run ends on time, nothing crashes
// and memory stays bounded.
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <string>

#include "engine_run.hpp"
#include "h2_hostile_server.hpp"
#include "ordeal/engine/results.hpp"
#include "test_certs.hpp"

using namespace std::chrono_literals;
using ordeal::engine::http_version;
using ordeal::engine::outcome;
using ordeal::test::h2_hostile_behaviour;
using ordeal::test::h2_hostile_server;
using ordeal::test::h2_hostile_server_options;

namespace {

ordeal::engine::config h2c_config(const h2_hostile_server& server) {
  auto c = ordeal::test::local_config(server.port());
  c.protocol = http_version::h2;
  c.connections = 2;
  c.h2.max_streams = 4;
  c.duration = 500ms;
  c.request_timeout = 500ms;
  c.grace = 1s;
  return c;
}

std::string reasons(const ordeal::engine::run_results& r) {
  std::string text;
  for (const auto& [reason, n] : r.error_reasons)
    text += reason + " x" + std::to_string(n) + "\n";
  return text;
}

// Resident set size of this process, in KiB.
long rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

// AddressSanitizer keeps freed memory in quarantine (256 MiB by default): RSS grows with what
// was allocated and freed, not only with what is kept.
#if defined(__SANITIZE_ADDRESS__)
constexpr long rss_growth_bound_kib = 384 * 1024;
#else
constexpr long rss_growth_bound_kib = 64 * 1024;
#endif

// The run ended on time: the load window, the grace period and a margin for a loaded machine.
void check_bounded(const ordeal::engine::run_results& r, const ordeal::engine::config& c) {
  CHECK(r.wall_time < c.duration + c.grace + 2s);
}

}  // namespace

TEST_CASE("h2 hostile: a well-behaved peer is all ok, its stream limit honoured", "[h2][hostile]") {
  h2_hostile_server_options o;
  o.max_concurrent_streams = 3;
  o.response_delay = 5ms;
  h2_hostile_server server(h2_hostile_behaviour::normal, o);
  auto c = h2c_config(server);
  c.h2.max_streams = 50;  // asks for more than the server allows
  const auto r = ordeal::test::run_load(c);
  INFO(reasons(r));
  CHECK(r.total() > 10);
  CHECK(r.count(outcome::ok) == r.total());
  CHECK(server.peak_concurrent_streams() <= 3);
  CHECK(server.peak_concurrent_streams() >= 2);  // and it did multiplex
}

TEST_CASE("h2 hostile: invalid frames are protocol errors and the connection is replaced",
          "[h2][hostile]") {
  using ordeal::test::h2_invalid_frame;
  for (const auto kind :
       {h2_invalid_frame::data_on_stream_zero, h2_invalid_frame::bad_settings_length,
        h2_invalid_frame::oversized_frame, h2_invalid_frame::bad_hpack}) {
    INFO("invalid frame kind " << static_cast<int>(kind));
    h2_hostile_server_options o;
    o.invalid_frame = kind;
    h2_hostile_server server(h2_hostile_behaviour::invalid_frame, o);
    const auto c = h2c_config(server);
    const auto r = ordeal::test::run_load(c);
    INFO(reasons(r));
    CHECK(r.total() > 0);
    CHECK(r.count(outcome::ok) == 0);
    CHECK(r.count(outcome::protocol) > 0);
    CHECK(r.connections_opened > 2);  // replaced after each connection error
    check_bounded(r, c);
  }
}

TEST_CASE("h2 hostile: a header block over the cap is a protocol error, memory bounded",
          "[h2][hostile]") {
  h2_hostile_server_options o;
  o.huge_headers_bytes = 1024 * 1024;
  h2_hostile_server server(h2_hostile_behaviour::huge_headers, o);
  auto c = h2c_config(server);
  c.max_header_bytes = 16 * 1024;
  c.duration = 1s;
  const long before = rss_kib();
  const auto r = ordeal::test::run_load(c);
  const long after = rss_kib();
  INFO(reasons(r));
  CHECK(r.total() > 0);
  CHECK(r.count(outcome::protocol) == r.total());
  // ordeal's cap, or nghttp2's own limit on CONTINUATION frames, whichever comes first.
  CHECK(reasons(r).find("header block over 16384 bytes") != std::string::npos);
  CHECK(after - before < rss_growth_bound_kib);  // megabytes of headers were never kept
  check_bounded(r, c);
}

TEST_CASE("h2 hostile: GOAWAY every few requests, the rest refused and retried elsewhere",
          "[h2][hostile]") {
  h2_hostile_server_options o;
  o.goaway_after_requests = 3;
  o.response_delay = 2ms;
  h2_hostile_server server(h2_hostile_behaviour::goaway_every_n, o);
  auto c = h2c_config(server);
  c.duration = 1s;
  const auto r = ordeal::test::run_load(c);
  INFO(reasons(r));
  CHECK(r.count(outcome::ok) > 0);
  CHECK(r.count(outcome::refused) > 0);  // sent above the last stream id: not processed
  CHECK(reasons(r).find("GOAWAY: not processed") != std::string::npos);
  CHECK(r.count(outcome::ok) + r.count(outcome::refused) + r.count(outcome::reset) == r.total());
  CHECK(r.connections_opened > 2);
  // The server answered exactly what ordeal counted ok.
  CHECK(server.requests_answered() == r.count(outcome::ok) + r.in_flight);
  check_bounded(r, c);
}

TEST_CASE("h2 hostile: a window that never opens times out, no hang", "[h2][hostile]") {
  h2_hostile_server server(h2_hostile_behaviour::zero_window);
  auto c = h2c_config(server);
  c.method = "POST";
  c.body = "x";
  const auto r = ordeal::test::run_load(c);
  INFO(reasons(r));
  CHECK(r.total() > 0);
  CHECK(r.count(outcome::timeout) > 0);
  // Bodies sent with the preface, before the server's SETTINGS shrank the window to zero, may
  // get through: at most the first streams of each connection.
  CHECK(r.count(outcome::ok) <= c.connections * c.h2.max_streams);
  check_bounded(r, c);
}

TEST_CASE("h2 hostile: RST_STREAM is classified by its code", "[h2][hostile]") {
  for (const std::uint32_t code :
       {ordeal::test::h2_refused_stream, ordeal::test::h2_internal_error}) {
    INFO("code " << code);
    h2_hostile_server_options o;
    o.rst_error_code = code;
    h2_hostile_server server(h2_hostile_behaviour::rst_stream, o);
    const auto c = h2c_config(server);
    const auto r = ordeal::test::run_load(c);
    INFO(reasons(r));
    CHECK(r.total() > 0);
    if (code == ordeal::test::h2_refused_stream) {
      CHECK(r.count(outcome::refused) == r.total());
      CHECK(r.error_reasons.count("refused: RST_STREAM REFUSED_STREAM") == 1);
    } else {
      CHECK(r.count(outcome::stream_reset) == r.total());
      CHECK(r.error_reasons.count("stream_reset: RST_STREAM INTERNAL_ERROR") == 1);
    }
    CHECK(r.connections_opened == 2);  // a stream error leaves the connection up
  }
}

TEST_CASE("h2 hostile: TLS garbage and a silent server fail the handshake", "[h2][hostile]") {
  const auto pki = ordeal::test::make_test_pki();
  {
    h2_hostile_server server(h2_hostile_behaviour::tls_garbage);
    auto c = h2c_config(server);
    c.target = ordeal::engine::parse_url(server.url());
    c.tls.insecure = true;
    const auto r = ordeal::test::run_load(c);
    INFO(reasons(r));
    CHECK(r.total() > 0);
    CHECK(r.count(outcome::tls) == r.total());
    CHECK(reasons(r).find("not TLS") != std::string::npos);
    check_bounded(r, c);
  }
  {
    h2_hostile_server_options o;
    o.tls = pki.server;
    h2_hostile_server server(h2_hostile_behaviour::silent, o);
    auto c = h2c_config(server);
    c.target = ordeal::engine::parse_url(server.url());
    c.tls.insecure = true;
    c.tls.handshake_timeout = 300ms;
    c.connections = 1;
    const auto r = ordeal::test::run_load(c);
    INFO(reasons(r));
    // Whether the silent server lets the handshake finish decides the class: it must be
    // either a handshake timeout or request timeouts, never a hang or ok.
    CHECK(r.total() > 0);
    CHECK(r.count(outcome::ok) == 0);
    CHECK(r.count(outcome::tls) + r.count(outcome::timeout) + r.in_flight > 0);
    check_bounded(r, c);
  }
}

TEST_CASE("h2 hostile: a silent h2c server times requests out", "[h2][hostile]") {
  h2_hostile_server server(h2_hostile_behaviour::silent);
  const auto c = h2c_config(server);
  const auto r = ordeal::test::run_load(c);
  INFO(reasons(r));
  CHECK(r.count(outcome::ok) == 0);
  CHECK(r.count(outcome::timeout) + r.in_flight > 0);
  check_bounded(r, c);
}

TEST_CASE("h2 hostile: PING liveness ends a connection whose peer went quiet", "[h2][hostile]") {
  h2_hostile_server server(h2_hostile_behaviour::silent);
  auto c = h2c_config(server);
  c.request_timeout = 10s;  // far beyond the run: only the PING check can end the requests
  c.h2.ping_interval = 100ms;
  c.connections = 1;
  const auto r = ordeal::test::run_load(c);
  INFO(reasons(r));
  CHECK(r.count(outcome::timeout) > 0);
  CHECK(reasons(r).find("PING unanswered") != std::string::npos);
  CHECK(r.connections_opened > 1);  // replaced
  check_bounded(r, c);
}

TEST_CASE("h2 hostile: answered PINGs keep the connection", "[h2][hostile]") {
  h2_hostile_server server(h2_hostile_behaviour::normal);
  auto c = h2c_config(server);
  c.h2.ping_interval = 50ms;
  const auto r = ordeal::test::run_load(c);
  INFO(reasons(r));
  CHECK(r.total() > 0);
  CHECK(r.count(outcome::ok) == r.total());
  CHECK(r.connections_opened == 2);
}
