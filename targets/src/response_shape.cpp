#include "ordeal/targets/response_shape.hpp"

#include <charconv>
#include <string>
#include <system_error>

#include "ordeal/engine/config_error.hpp"
#include "ordeal/engine/duration.hpp"

namespace ordeal::targets {
namespace {

// The client's value is echoed in the message: keep it short and on one line.
std::string quoted(std::string_view value) {
  constexpr std::size_t max_shown = 40;
  std::string out = "\"";
  for (char ch : value.substr(0, max_shown))
    out += (ch >= 0x20 && ch < 0x7f) ? ch : '?';
  if (value.size() > max_shown) out += "...";
  out += '"';
  return out;
}

std::string bad(std::string_view name, std::string_view problem) {
  std::string out = "bad query parameter '";
  out += name;
  out += "': ";
  out += problem;
  return out;
}

// Whole value, digits only: from_chars alone would accept "12abc" as 12.
template <class Integer>
bool parse_integer(std::string_view text, Integer& out) {
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc{} && ptr == end;
}

// Returns an empty string on success.
std::string parse_status(std::string_view value, unsigned& out) {
  if (!parse_integer(value, out)) {
    return bad("status", quoted(value) + " is not an HTTP status (use 200..599)");
  }
  if (out < min_status || out > max_status) {
    return bad("status", quoted(value) + " is out of range (use 200..599)");
  }
  return {};
}

std::string parse_size(std::string_view value, std::uint64_t& out) {
  if (!parse_integer(value, out)) {
    return bad("size", quoted(value) + " is not a byte count (use 0.." +
                           std::to_string(max_size_bytes) + ")");
  }
  if (out > max_size_bytes) {
    return bad("size", quoted(value) + " is too large (at most " + std::to_string(max_size_bytes) +
                           ", 64 MiB)");
  }
  return {};
}

std::string parse_delay(std::string_view name, std::string_view value,
                        std::chrono::nanoseconds& out) {
  try {
    out = engine::parse_duration(value);
  } catch (const engine::config_error&) {
    return bad(name, quoted(value) + " is not a duration (use 500ms, 2s, ...)");
  }
  if (out.count() < 0) return bad(name, quoted(value) + " is negative");
  if (out > max_delay) return bad(name, quoted(value) + " is too long (at most 1h)");
  return {};
}

}  // namespace

shape_or_error parse_response_shape(std::string_view target) {
  response_shape shape;
  const auto question = target.find('?');
  if (question == std::string_view::npos) return shape;
  std::string_view query = target.substr(question + 1);

  enum : unsigned { seen_status = 1, seen_delay = 2, seen_jitter = 4, seen_size = 8 };
  unsigned seen = 0;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;  // "a=1&&b=2", a trailing '&': harmless

    const auto eq = pair.find('=');
    const std::string_view name = pair.substr(0, eq);
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);

    unsigned bit = 0;
    if (name == "status") {
      bit = seen_status;
    } else if (name == "delay") {
      bit = seen_delay;
    } else if (name == "jitter") {
      bit = seen_jitter;
    } else if (name == "size") {
      bit = seen_size;
    } else {
      std::string shown = quoted(name);
      shown = shown.substr(1, shown.size() - 2);  // unknown names are quoted with '...'
      return "unknown query parameter '" + shown + "' (use status, delay, jitter, size)";
    }
    if (seen & bit) return bad(name, "given twice");
    seen |= bit;
    if (value.empty()) return bad(name, "missing value");

    std::string error;
    switch (bit) {
      case seen_status:
        error = parse_status(value, shape.status);
        break;
      case seen_delay:
        error = parse_delay(name, value, shape.delay);
        break;
      case seen_jitter:
        error = parse_delay(name, value, shape.jitter);
        break;
      default:
        error = parse_size(value, shape.size_bytes);
        break;
    }
    if (!error.empty()) return error;
  }
  return shape;
}

}  // namespace ordeal::targets
