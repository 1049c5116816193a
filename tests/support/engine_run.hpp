#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "ordeal/engine/config.hpp"
#include "ordeal/engine/run.hpp"

namespace ordeal::test {

// A small closed-model config against 127.0.0.1:port, for tests to adjust.
inline engine::config local_config(std::uint16_t port, const std::string& target = "/") {
  engine::config c;
  c.target = engine::parse_url("http://127.0.0.1:" + std::to_string(port) + target);
  c.threads = 1;
  c.connections = 2;
  c.duration = std::chrono::seconds(1);
  c.request_timeout = std::chrono::seconds(2);
  return c;
}

inline engine::run_results run_load(const engine::config& c) {
  engine::run_control control;
  return engine::run(c, control);
}

}  // namespace ordeal::test
