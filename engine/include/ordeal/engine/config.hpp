#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ordeal/engine/url.hpp"

namespace ordeal::engine {

using namespace std::chrono_literals;

// A ramp step: move linearly from the previous target to `target` over `duration`.
// target is requests/s (open model) or connections (closed model).
struct stage {
  std::chrono::nanoseconds duration{};
  double target = 0;
};

enum class arrival_process : std::uint8_t { constant, poisson };

// Which HTTP the connections speak. automatic: over https, what ALPN picks (h2 or http/1.1);
// over http, HTTP/1.1. h2 over http is h2c with prior knowledge.
enum class http_version : std::uint8_t { automatic, http1, h2 };

// TLS for https targets.
struct tls_options {
  std::string ca_file;    // PEM certificates to trust instead of the system store
  bool insecure = false;  // no certificate or hostname verification (the CLI warns)
  std::string cert_file;  // client certificate (PEM), with key_file
  std::string key_file;
  bool resume = false;      // resume sessions across connections (tickets / session ids)
  std::string server_name;  // SNI and the name verified; empty: the URL's host
  std::chrono::nanoseconds handshake_timeout = 5s;
};

// HTTP/2 settings (h2load's -m, -w, -W).
struct h2_options {
  unsigned max_streams = 1;  // concurrent streams per connection; never above the server's limit
  std::uint32_t stream_window = (1u << 30) - 1;      // SETTINGS_INITIAL_WINDOW_SIZE we announce
  std::uint32_t connection_window = (1u << 30) - 1;  // connection-level receive window
  std::chrono::nanoseconds ping_interval{0};         // 0: no PING liveness check
};

// Immutable once the run starts.
struct config {
  url target;
  std::string method = "GET";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  unsigned threads = 1;
  unsigned connections = 10;  // closed model: connections; open model: at most this many
  std::chrono::nanoseconds duration = 10s;

  std::optional<double> rate;  // requests/s over all threads; set = open model
  arrival_process arrival = arrival_process::constant;
  std::vector<stage> stages;               // ramps; when set, duration = their sum
  std::size_t queue_limit = 10'000;        // open model: arrivals waiting for a connection
  unsigned pipeline = 1;                   // requests in flight per connection
  std::chrono::nanoseconds think_time{0};  // closed model: pause between response and next request

  std::chrono::nanoseconds connect_timeout = 2s;
  std::chrono::nanoseconds request_timeout = 10s;  // send to last response byte
  std::chrono::nanoseconds grace = 1s;  // after the load window: time for in-flight requests
  std::size_t max_header_bytes = 64 * 1024;
  http_version protocol = http_version::automatic;
  tls_options tls;
  h2_options h2;
  std::uint64_t seed = 1;

  bool open_model() const noexcept { return rate.has_value(); }
  std::chrono::nanoseconds load_duration() const noexcept;  // sum of stages, or duration
};

// Throws config_error with a clear message on inconsistent or out-of-range values.
void validate(const config& c);

}  // namespace ordeal::engine
