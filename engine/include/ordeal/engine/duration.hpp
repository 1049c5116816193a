#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace ordeal::engine {

// Parses "500ms", "30s", "2m", "1h", "250us", "1.5s", "1m30s". A bare number is rejected
// (units are required). Throws config_error naming the input on anything else.
std::chrono::nanoseconds parse_duration(std::string_view text);

// "1.5s", "250ms", "42us": the shortest unit that keeps the value readable.
std::string format_duration(std::chrono::nanoseconds d);

}  // namespace ordeal::engine
