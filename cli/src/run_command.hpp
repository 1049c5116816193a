#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocol_options.hpp"

namespace ordeal::cli {

// `ordeal run URL ...`: flags as the user typed them, turned into an engine config only after
// parsing so every bad value gets the same one-line error and exit code 104.
struct run_args {
  std::string url;
  unsigned connections = 10;
  std::optional<unsigned> threads;
  std::string duration = "10s";
  std::optional<double> rate;
  std::string arrival = "constant";
  std::string stages;
  std::size_t queue = 10'000;
  unsigned pipeline = 1;
  std::string think = "0s";
  std::string method = "GET";
  std::vector<std::string> headers;
  std::string body;
  std::string timeout = "10s";
  std::string connect_timeout = "2s";
  std::string grace = "1s";
  std::size_t max_header_bytes = 64 * 1024;
  std::vector<std::string> thresholds;
  std::vector<std::string> outputs;
  std::string baseline;                      // --baseline FILE: the CI regression gate
  std::vector<std::string> max_regressions;  // METRIC=TOLERANCE, with --baseline
  std::string metrics;  // --metrics HOST:PORT: Prometheus endpoint during the run
  std::uint64_t seed = 1;
  bool quiet = false;
  bool connections_given = false;
  bool seed_given = false;
  // Drills (URL is a .lua file).
  std::vector<std::string> env;  // NAME=VALUE for the script's env table
  bool allow_exec = false;
  std::string target;  // base URL, over options.target
  std::string shard;   // --shard i/N: this process runs shard i of N (docs/distributed.md)
  protocol_args protocol;
};

void add_run_command(CLI::App& app, run_args& args);
// Runs the load (or the drill, when URL names a .lua file) and returns the process exit code.
// Throws config_error on bad values.
int run_command(const run_args& args, const std::vector<std::string>& argv);

}  // namespace ordeal::cli
