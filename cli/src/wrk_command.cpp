#include "wrk_command.hpp"

#include <iostream>
#include <limits>

#include "exit_codes.hpp"
#include "ordeal/engine/config_error.hpp"
#include "ordeal/engine/run.hpp"
#include "ordeal/scenarios/wrk.hpp"
#include "signals.hpp"

namespace ordeal::cli {

namespace {

unsigned to_unsigned(std::uint64_t n, const std::string& flag) {
  if (n > std::numeric_limits<unsigned>::max())
    throw engine::config_error("invalid " + flag + " " + std::to_string(n) + ": too large");
  return static_cast<unsigned>(n);
}

scenarios::wrk_options make_options(const wrk_args& a) {
  scenarios::wrk_options o;
  o.url = a.url;
  o.threads = to_unsigned(scenarios::parse_wrk_count(a.threads, "-t"), "-t");
  o.connections = to_unsigned(scenarios::parse_wrk_count(a.connections, "-c"), "-c");
  o.duration = scenarios::parse_wrk_time(a.duration, "-d");
  o.timeout = scenarios::parse_wrk_time(a.timeout, "--timeout");
  o.headers = a.headers;
  o.script = a.script;
  o.script_args = a.script_args;
  o.latency = a.latency;
  o.rate = a.rate;
  return o;
}

}  // namespace

void add_wrk_command(CLI::App& app, wrk_args& a) {
  auto* wrk = app.add_subcommand(
      "wrk",
      "Run a wrk-compatible load: wrk's flags, Lua scripts and report (-R: wrk2's constant rate)");
  wrk->add_option("url", a.url, "Target, e.g. http://127.0.0.1:8080/path")->required();
  wrk->add_option("script_args", a.script_args,
                  "Arguments for the script's init(args), after \"--\"");
  wrk->add_option("-t,--threads", a.threads, "Threads to use")->capture_default_str();
  wrk->add_option("-c,--connections", a.connections, "Connections to keep open (over all threads)")
      ->capture_default_str();
  wrk->add_option("-d,--duration", a.duration, "Duration of the test: 30 (s), 30s, 2m, 1h")
      ->capture_default_str();
  wrk->add_option("-s,--script", a.script, "Lua script (wrk's API: setup, init, request, ...)");
  wrk->add_option("-H,--header", a.headers,
                  "Header to add to requests, 'Name: value' (repeatable)");
  wrk->add_flag("-L,--latency", a.latency, "Print the latency distribution");
  wrk->add_option("-T,--timeout", a.timeout, "Request timeout: slower requests count as timeouts")
      ->capture_default_str();
  wrk->add_option("-R,--rate", a.rate,
                  "Constant rate in requests/s over all threads (wrk2's open model): each request "
                  "is due at its time and its latency counts from then");
}

int wrk_command(const wrk_args& args) {
  const scenarios::wrk_options options = make_options(args);
  engine::run_control control;
  install_stop_signals(control);
  scenarios::wrk_results results;
  try {
    results = scenarios::run_wrk(options, std::cout, control);
  } catch (const scenarios::wrk_script_error& e) {
    restore_signals();
    std::cerr << "ordeal: " << e.what() << '\n';
    return exit_code::script_error;
  }
  restore_signals();
  // Hook errors do not stop the run; each distinct one is reported once, with its count.
  for (const auto& [message, count] : results.script_errors)
    std::cerr << "ordeal: script error (" << count << (count == 1 ? " time" : " times")
              << "): " << message << '\n';
  std::cout.flush();
  if (!std::cout) return exit_code::internal_error;
  if (results.interrupted) return exit_code::aborted_by_signal;
  return exit_code::ok;
}

}  // namespace ordeal::cli
