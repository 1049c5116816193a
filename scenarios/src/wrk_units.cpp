#include "wrk_units.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <string_view>

#include "ordeal/engine/config_error.hpp"
#include "ordeal/engine/duration.hpp"
#include "ordeal/scenarios/wrk.hpp"

namespace ordeal::scenarios {
namespace {

struct unit_scale {
  double factor;
  const char* base;
  std::array<const char*, 5> larger;  // nullptr-terminated when shorter
};

constexpr unit_scale time_us{1000, "us", {"ms", "s", nullptr}};
constexpr unit_scale time_s{60, "s", {"m", "h", nullptr}};
constexpr unit_scale binary{1024, "", {"K", "M", "G", "T", "P"}};
constexpr unit_scale metric{1000, "", {"k", "M", "G", "T", "P"}};

std::string format_units(double n, const unit_scale& u, int decimals) {
  const char* unit = u.base;
  // As wrk: the last unit of the list is never reached (it only bounds the loop), so time in
  // microseconds stops at "ms" and format_time_us switches to seconds by itself.
  for (std::size_t i = 0;
       i + 1 < u.larger.size() && u.larger[i + 1] != nullptr && n >= u.factor * 0.85; ++i) {
    n /= u.factor;
    unit = u.larger[i];
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f%s", decimals, n, unit);
  return buf;
}

}  // namespace

std::string format_time_us(double us) {
  if (us >= 1'000'000.0) return format_units(us / 1'000'000.0, time_s, 2);
  return format_units(us, time_us, 2);
}

std::string format_time_s(double seconds) {
  return format_units(seconds, time_s, 0);
}

std::string format_binary(double n) {
  return format_units(n, binary, 2);
}

std::string format_metric(double n) {
  return format_units(n, metric, 2);
}

std::uint64_t parse_wrk_count(const std::string& text, const std::string& flag) {
  std::uint64_t base = 0;
  const char* end = text.data() + text.size();
  const auto [p, ec] = std::from_chars(text.data(), end, base);
  const std::string_view suffix(p, static_cast<std::size_t>(end - p));
  std::uint64_t scale = 1;
  if (suffix == "k" || suffix == "K")
    scale = 1000;
  else if (suffix == "m" || suffix == "M")
    scale = 1000'000;
  else if (suffix == "g" || suffix == "G")
    scale = 1000'000'000;
  else if (!suffix.empty())
    scale = 0;
  if (ec != std::errc() || scale == 0 || base > UINT64_MAX / scale)
    throw engine::config_error("invalid " + flag + " \"" + text +
                               "\": expected a count such as 10, 1k or 2M");
  return base * scale;
}

std::chrono::nanoseconds parse_wrk_time(const std::string& text, const std::string& flag) {
  // wrk reads a bare number as seconds; ordeal's parser wants a unit, so add it.
  const bool bare = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
  try {
    return engine::parse_duration(bare ? text + "s" : text);
  } catch (const engine::config_error&) {
    throw engine::config_error("invalid " + flag + " \"" + text +
                               "\": expected a time such as 30, 30s, 2m, 1h or 500ms");
  }
}

}  // namespace ordeal::scenarios
