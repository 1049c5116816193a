#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

namespace ordeal::cli {

// `ordeal proxy`: fault proxies with toxiproxy's control API, until Ctrl-C.
struct proxy_args {
  std::string config;  // toxiproxy's config file: a JSON array of proxies
  std::string api = "127.0.0.1:8474";
  bool no_api = false;
  std::uint64_t seed = 1;
};

void add_proxy_command(CLI::App& app, proxy_args& args);
int proxy_command(const proxy_args& args);

}  // namespace ordeal::cli
