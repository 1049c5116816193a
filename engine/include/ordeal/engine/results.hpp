#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ordeal/engine/histogram.hpp"

namespace ordeal::engine {

// Every attempt ends in exactly one outcome. ok = 2xx/3xx; status = a 4xx/5xx response;
// abandoned = the client itself gave up on it (a scripted behaviour: user refresh, lost signal);
// tls = the TLS handshake failed (certificate expired, unknown CA, hostname mismatch, handshake
// timeout, garbage); refused = the server said it did not process the request (HTTP/2 GOAWAY
// above its last-stream-id, RST_STREAM REFUSED_STREAM): safe to retry; stream_reset = the
// server reset the HTTP/2 stream with another error code.
enum class outcome : std::uint8_t {
  ok,
  status,
  connect,
  timeout,
  reset,
  protocol,
  dropped,
  abandoned,
  tls,
  refused,
  stream_reset
};
inline constexpr std::size_t outcome_count = 11;
std::string_view to_string(outcome o) noexcept;

// A response's outcome: 4xx and 5xx are `status` errors, anything lower is `ok`.
constexpr bool is_error_status(int status) noexcept {
  return status >= 400;
}
constexpr outcome outcome_of_status(int status) noexcept {
  return is_error_status(status) ? outcome::status : outcome::ok;
}

// One second of the run, by completion time (second 0 starts when the load starts).
struct second_sample {
  std::array<std::uint64_t, outcome_count> outcomes{};  // attempts completed in this second
  std::uint64_t p50_us = 0;  // corrected latency of the responses completed in this second
  std::uint64_t p99_us = 0;
  std::uint64_t total() const noexcept;
};

// The results model: everything reporters may see about a finished run.
struct run_results {
  // What ran.
  bool open_model = false;
  double target_rate_per_s = 0;  // open model only (for stages: the configured start rate)
  unsigned threads = 0;
  unsigned connections = 0;
  bool interrupted = false;              // stopped early by a stop request (signal)
  std::chrono::nanoseconds duration{};   // load window: first send to stop of sending
  std::chrono::nanoseconds wall_time{};  // including the grace period for in-flight ones

  // Attempts by outcome; total() is their sum.
  std::array<std::uint64_t, outcome_count> outcomes{};
  std::uint64_t in_flight = 0;  // sent but still unanswered when the run ended (not in total)
  std::map<int, std::uint64_t> status_codes;           // every response's status code
  std::map<std::string, std::uint64_t> error_reasons;  // "protocol: ...", "connect: ..." counts
  std::uint64_t unsolicited_responses = 0;  // data on an idle connection (closed, not attempts)

  histogram latency;              // µs, from intended send time (coordinated-omission corrected)
  histogram latency_uncorrected;  // µs, from the actual send time (open model; closed: same)
  histogram connect_time;         // µs, TCP connect
  histogram tls_handshake;        // µs, TLS handshake (https)
  histogram ttfb;                 // µs, from actual send to first response byte

  std::vector<second_sample> series;

  std::string protocol;  // "http/1.1", "h2" (over TLS) or "h2c"
  bool tls = false;      // https
  std::uint64_t tls_full_handshakes = 0;
  std::uint64_t tls_resumed_handshakes = 0;
  std::uint64_t connections_opened = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;

  std::uint64_t count(outcome o) const noexcept { return outcomes[static_cast<std::size_t>(o)]; }
  std::uint64_t total() const noexcept;
  std::uint64_t errors() const noexcept { return total() - count(outcome::ok); }
  double error_rate() const noexcept;  // errors / total, 0 when total is 0
  double rps() const noexcept;         // (total - dropped) / duration: attempts sent per second
};

}  // namespace ordeal::engine
