#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace ordeal::targets {

// What `ordeal serve` sends back, chosen by the client in the query string of any path:
// GET /any?status=503&delay=20ms&jitter=5ms&size=1024
struct response_shape {
  unsigned status = 200;               // 200..599
  std::chrono::nanoseconds delay{0};   // before the response is sent
  std::chrono::nanoseconds jitter{0};  // actual delay: delay + uniform(-jitter, +jitter), >= 0
  std::uint64_t size_bytes = 2;        // body length; the default body is "ok"
};

inline constexpr unsigned min_status = 200;
inline constexpr unsigned max_status = 599;
inline constexpr std::uint64_t max_size_bytes = 64ull * 1024 * 1024;
// Bounds delay and jitter so that delay + jitter and start + delay cannot overflow, and a
// typo ("delay=5m" for "5ms") does not park a connection for days.
inline constexpr std::chrono::nanoseconds max_delay = std::chrono::hours{1};

// The shape, or a one-line message for a 400 naming the parameter and the problem.
using shape_or_error = std::variant<response_shape, std::string>;

// Parses the query string of a request-target ("/path?a=1&b=2"). Pure, no sockets: the
// server calls it once per request, on success without allocating. Values are taken as
// they are (no percent-decoding: every valid value is plain ASCII); a parameter given
// twice, without a value, or unknown is an error, so a typo never passes silently.
shape_or_error parse_response_shape(std::string_view target);

}  // namespace ordeal::targets
