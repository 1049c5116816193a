#include "ordeal/engine/config.hpp"

#include <cmath>
#include <string>

#include "ordeal/engine/config_error.hpp"

namespace ordeal::engine {

std::chrono::nanoseconds config::load_duration() const noexcept {
  if (stages.empty()) return duration;
  std::chrono::nanoseconds total{};
  for (const auto& s : stages) {
    // Saturate rather than overflow: validate() rejects anything this long.
    if (s.duration > std::chrono::nanoseconds::max() - total)
      return std::chrono::nanoseconds::max();
    total += s.duration;
  }
  return total;
}

void validate(const config& c) {
  auto fail = [](const std::string& m) { throw config_error(m); };
  if (c.target.host.empty()) fail("no target URL");
  if (c.method.empty() || c.method.find_first_of(" \t\r\n") != std::string::npos)
    fail("invalid method \"" + c.method + "\"");
  for (const auto& [name, value] : c.headers) {
    if (name.empty() || name.find_first_of(" \t\r\n:") != std::string::npos)
      fail("invalid header name \"" + name + "\"");
    if (value.find_first_of("\r\n") != std::string::npos)
      fail("header \"" + name + "\" has a line break in its value");
  }
  if (c.threads == 0) fail("threads must be at least 1");
  if (c.threads > 1024) fail("threads must be at most 1024");
  if (c.pipeline == 0 || c.pipeline > 256) fail("pipeline depth must be 1-256");
  if (c.connections > 1'000'000) fail("connections must be at most 1000000");
  if (c.load_duration() > std::chrono::hours(24 * 31) || c.grace > std::chrono::hours(1))
    fail("the load may last at most 31 days and the grace period at most 1 hour");
  if (c.stages.empty() && c.duration <= std::chrono::nanoseconds::zero())
    fail("duration must be positive");
  for (const auto& s : c.stages) {
    if (s.duration <= std::chrono::nanoseconds::zero())
      fail("every stage needs a positive duration");
    if (!(s.target >= 0) || !std::isfinite(s.target)) fail("stage targets must be >= 0");
  }
  if (c.open_model()) {
    if (!(*c.rate >= 0) || !std::isfinite(*c.rate)) fail("rate must be a number >= 0");
    if (c.stages.empty() && *c.rate <= 0) fail("rate must be positive");
    if (c.connections == 0) fail("the open model needs at least 1 connection (-c)");
    if (c.queue_limit > 10'000'000) fail("queue limit must be at most 10000000");
  } else if (c.stages.empty() && c.connections == 0) {
    fail("connections must be at least 1");
  }
  if (c.connect_timeout <= std::chrono::nanoseconds::zero())
    fail("connect timeout must be positive");
  if (c.request_timeout <= std::chrono::nanoseconds::zero())
    fail("request timeout must be positive");
  if (c.grace < std::chrono::nanoseconds::zero()) fail("grace must not be negative");
  if (c.max_header_bytes < 256) fail("header cap must be at least 256 bytes");
  if (c.h2.max_streams == 0 || c.h2.max_streams > 1'000'000)
    fail("concurrent streams per connection (-m) must be 1-1000000");
  constexpr std::uint32_t max_window = (1u << 31) - 1;
  if (c.h2.stream_window == 0 || c.h2.stream_window > max_window ||
      c.h2.connection_window < 65535 || c.h2.connection_window > max_window)
    fail("HTTP/2 windows must be 1-2147483647 bytes (connection window at least 65535)");
  if (c.h2.ping_interval < std::chrono::nanoseconds::zero())
    fail("PING interval must not be negative");
  if (c.protocol == http_version::h2 && c.pipeline > 1)
    fail("--pipeline is for HTTP/1.1; HTTP/2 multiplexes streams (-m)");
  if (c.tls.cert_file.empty() != c.tls.key_file.empty())
    fail("a client certificate needs both --client-cert and --client-key");
  if (c.tls.handshake_timeout <= std::chrono::nanoseconds::zero())
    fail("TLS handshake timeout must be positive");
  const bool tls_asked = !c.tls.ca_file.empty() || c.tls.insecure || !c.tls.cert_file.empty() ||
                         c.tls.resume || !c.tls.server_name.empty();
  if (tls_asked && !c.target.secure())
    fail("TLS options need an https:// target (" + c.target.scheme + "://" + c.target.authority +
         " is cleartext)");
}

}  // namespace ordeal::engine
