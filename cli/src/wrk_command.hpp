#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

namespace ordeal::cli {

// `ordeal wrk`: wrk's flags as the user typed them (wrk's number and time syntax: -c1k,
// -d30 or -d30s), checked after parsing so every bad value gets one line and exit code 104.
struct wrk_args {
  std::string threads = "2";
  std::string connections = "10";
  std::string duration = "10s";
  std::string timeout = "2s";
  std::string script;
  std::vector<std::string> headers;
  bool latency = false;
  std::optional<double> rate;
  std::string url;
  std::vector<std::string> script_args;
};

void add_wrk_command(CLI::App& app, wrk_args& args);
// Runs the load and returns the process exit code. Throws config_error on bad values.
int wrk_command(const wrk_args& args);

}  // namespace ordeal::cli
