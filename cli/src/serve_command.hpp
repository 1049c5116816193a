#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

namespace ordeal::cli {

// `ordeal serve`: the bundled test target, until Ctrl-C.
struct serve_args {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080;
  unsigned threads = 1;
  std::string stall_every;
  std::string stall_for;
  std::uint64_t seed = 1;
};

void add_serve_command(CLI::App& app, serve_args& args);
int serve_command(const serve_args& args);

}  // namespace ordeal::cli
