#include "ordeal/reporters/format.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>

namespace ordeal::reporters {

namespace {

template <typename... Args>
std::string printf_string(const char* format, Args... args) {
  char buffer[64];
  const int n = std::snprintf(buffer, sizeof buffer, format, args...);
  return std::string(buffer, n < 0 ? 0 : std::min<std::size_t>(n, sizeof buffer - 1));
}

// True when `value` printed with two decimals would read as `limit` or more ("1000.00ms"), so
// the caller moves up a unit instead.
bool rounds_to_at_least(double value, double limit) noexcept {
  return std::round(value * 100.0) >= limit * 100.0;
}

}  // namespace

std::string format_latency_us(double us) {
  if (!std::isfinite(us)) return "-";
  if (us < 0) return "-" + format_latency_us(-us);
  if (std::round(us) < 1000.0) {
    // Sub-10us means are fractional and meaningful; whole microseconds otherwise.
    if (us < 10.0 && us != std::floor(us)) return printf_string("%.1fus", us);
    return printf_string("%.0fus", us);
  }
  const double ms = us / 1e3;
  if (!rounds_to_at_least(ms, 1000.0)) return printf_string("%.2fms", ms);
  const double s = us / 1e6;
  if (!rounds_to_at_least(s, 60.0)) return printf_string("%.2fs", s);
  // Minutes only matter for stalls and timeouts; seconds with two decimals still help there.
  const double rounded_s = std::round(s * 100.0) / 100.0;
  const auto minutes = static_cast<unsigned long long>(rounded_s / 60.0);
  return printf_string("%llum%05.2fs", minutes, rounded_s - 60.0 * static_cast<double>(minutes));
}

std::string format_bytes(std::uint64_t bytes) {
  if (bytes < 1024) return printf_string("%lluB", static_cast<unsigned long long>(bytes));
  constexpr const char* units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double value = static_cast<double>(bytes) / 1024.0;
  std::size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < std::size(units)) {
    value /= 1024.0;
    ++unit;
  }
  return printf_string("%.2f%s", value, units[unit]);
}

std::string format_rate(double per_second) {
  if (!std::isfinite(per_second)) return "-";
  if (per_second < 100.0) return printf_string("%.2f", per_second);
  if (per_second < 10000.0) return printf_string("%.1f", per_second);
  return printf_string("%.0f", per_second);
}

std::string format_percent(double fraction) {
  if (!std::isfinite(fraction)) return "-";
  const double percent = fraction * 100.0;
  // "0.00%" would hide the one failed request in a million; keep two significant digits.
  if (percent > 0 && percent < 0.01) return printf_string("%.2g%%", percent);
  return printf_string("%.2f%%", percent);
}

}  // namespace ordeal::reporters
