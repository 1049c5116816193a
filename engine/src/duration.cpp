#include "ordeal/engine/duration.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "ordeal/engine/config_error.hpp"

namespace ordeal::engine {
namespace {

// Nanoseconds per unit, or 0 for an unknown unit.
double unit_ns(std::string_view unit) {
  if (unit == "ns") return 1;
  if (unit == "us" || unit == "µs") return 1e3;
  if (unit == "ms") return 1e6;
  if (unit == "s") return 1e9;
  if (unit == "m") return 60e9;
  if (unit == "h") return 3600e9;
  return 0;
}

[[noreturn]] void bad(std::string_view text, std::string_view why) {
  throw config_error("invalid duration \"" + std::string(text) + "\": " + std::string(why) +
                     " (use e.g. 500ms, 30s, 2m, 1m30s)");
}

}  // namespace

std::chrono::nanoseconds parse_duration(std::string_view text) {
  if (text.empty()) bad(text, "empty");
  double total_ns = 0;
  std::string_view rest = text;
  while (!rest.empty()) {
    double value = 0;
    const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
    if (ec != std::errc{} || end == rest.data()) bad(text, "expected a number");
    if (value < 0 || !std::isfinite(value)) bad(text, "must be a non-negative number");
    rest.remove_prefix(static_cast<std::size_t>(end - rest.data()));
    std::size_t unit_len = 0;
    while (unit_len < rest.size() &&
           (std::isdigit(static_cast<unsigned char>(rest[unit_len])) == 0) && rest[unit_len] != '.')
      ++unit_len;
    if (unit_len == 0) bad(text, "missing unit");
    const double ns = unit_ns(rest.substr(0, unit_len));
    if (ns == 0) bad(text, "unknown unit \"" + std::string(rest.substr(0, unit_len)) + "\"");
    total_ns += value * ns;
    rest.remove_prefix(unit_len);
  }
  if (total_ns > 1e18) bad(text, "too long");
  return std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(total_ns)));
}

std::string format_duration(std::chrono::nanoseconds d) {
  const double ns = static_cast<double>(d.count());
  char buf[48];
  if (ns >= 60e9 && std::fmod(ns, 60e9) == 0)
    std::snprintf(buf, sizeof buf, "%.0fm", ns / 60e9);
  else if (ns >= 1e9)
    std::snprintf(buf, sizeof buf, "%.3gs", ns / 1e9);
  else if (ns >= 1e6)
    std::snprintf(buf, sizeof buf, "%.3gms", ns / 1e6);
  else if (ns >= 1e3)
    std::snprintf(buf, sizeof buf, "%.3gus", ns / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.0fns", ns);
  return buf;
}

}  // namespace ordeal::engine
