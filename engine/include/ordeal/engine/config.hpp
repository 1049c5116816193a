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
  std::uint64_t seed = 1;

  bool open_model() const noexcept { return rate.has_value(); }
  std::chrono::nanoseconds load_duration() const noexcept;  // sum of stages, or duration
};

// Throws config_error with a clear message on inconsistent or out-of-range values.
void validate(const config& c);

}  // namespace ordeal::engine
