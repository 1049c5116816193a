#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ordeal::engine {

// One entry of the fault record: a fault began or ended, or it hit a connection or a request.
// Reporters see these beside the attempts' history, so that a failed request can be traced to
// the fault that caused it (same time, same client address).
struct fault_event {
  enum class kind : std::uint8_t { start, stop, hit };
  kind what = kind::hit;
  std::int64_t at_us = 0;        // since the load started (negative: before it, e.g. during setup)
  std::string proxy;             // the proxy's name
  std::string fault;             // the toxic's or HTTP fault's name
  std::string type;              // "latency", "reset_peer", "down", "http", ...
  std::string stream;            // "upstream" (client to server), "downstream", or "" (both)
  std::uint64_t connection = 0;  // hit: the proxy's connection number (1, 2, ...); else 0
  std::string client;            // hit: the client's address as the proxy saw it, "ip:port"
  std::string detail;            // what happened, e.g. "POST /pay/7: 503 before upstream"
};

std::string_view to_string(fault_event::kind k) noexcept;  // "start", "stop", "hit"

}  // namespace ordeal::engine
