#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "ordeal/engine/histogram.hpp"
#include "ordeal/engine/run.hpp"

namespace ordeal::scenarios {

// `ordeal wrk`: wrk's command line, Lua API and report, so wrk scripts run unchanged.
struct wrk_options {
  std::string url;
  unsigned threads = 2;
  unsigned connections = 10;  // over all threads, at least one per thread
  std::chrono::nanoseconds duration = std::chrono::seconds(10);
  std::chrono::nanoseconds timeout = std::chrono::seconds(2);  // per request, as wrk's --timeout
  std::vector<std::string> headers;                            // "Name: value", as wrk's -H
  std::string script;                    // path of the Lua script; empty: none
  std::vector<std::string> script_args;  // after "--": init(args)
  bool latency = false;                  // --latency: the distribution lines
  // wrk2's -R: requests/s over all threads, each sent at its intended time, latency measured
  // from that time. Unset: closed model (each connection sends when the last batch ended).
  std::optional<double> rate;
};

// wrk's error classes (its summary.errors table).
struct wrk_errors {
  std::uint64_t connect = 0;
  std::uint64_t read = 0;    // reset or unparsable response after the request went out
  std::uint64_t write = 0;   // the connection failed before the whole request was written
  std::uint64_t status = 0;  // responses with a status above 399 (they also count as requests)
  std::uint64_t timeout = 0;
  bool any_socket_error() const noexcept { return connect + read + write + timeout > 0; }
};

struct wrk_results {
  std::chrono::microseconds duration{};  // start of the load to the end of the last thread
  std::uint64_t requests = 0;            // responses received, any status
  std::uint64_t bytes = 0;               // bytes read from the server
  wrk_errors errors;
  engine::histogram latency;  // µs per batch (one request() result), as wrk records it
  engine::histogram rates;    // requests/s of one thread over each 100 ms, as wrk's Req/Sec
  // "hook(): file:line: message" -> how often; a failing hook never stops the run.
  std::map<std::string, std::uint64_t> script_errors;
  bool interrupted = false;  // a stop request (Ctrl-C) ended the run before its duration
};

// The script did not load (syntax error, error at its top level, an invalid request from
// request() or wrk.format()): the message is "file:line: message" where Lua has a line.
class wrk_script_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Checks the options (engine::config_error with a one-line message), loads the script
// (wrk_script_error), resolves and connects to the target (config_error), runs the load,
// prints wrk's report to `report` and then calls the script's done(). Blocks until the
// duration ends, every thread stopped itself (wrk.thread:stop()) or `control` asks to stop.
wrk_results run_wrk(const wrk_options& options, std::ostream& report,
                    const engine::run_control& control);

// wrk's number and time syntax for flags: "10", "1k", "2M"; "30" (seconds), "30s", "2m",
// "1h", and ordeal's "500ms". Throw config_error naming `flag` on anything else.
std::uint64_t parse_wrk_count(const std::string& text, const std::string& flag);
std::chrono::nanoseconds parse_wrk_time(const std::string& text, const std::string& flag);

}  // namespace ordeal::scenarios
