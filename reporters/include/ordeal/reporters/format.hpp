#pragma once

#include <cstdint>
#include <string>

namespace ordeal::reporters {

// Human-readable figures shared by the text reports. Latencies are µs, as in the histograms.

// "845us", "1.23ms", "2.10s", "1m05.30s": the unit that keeps 3-4 significant digits.
std::string format_latency_us(double us);
// "12.3KiB", "4.00MiB", "512B".
std::string format_bytes(std::uint64_t bytes);
// "1234.5": two decimals below 100, one below 10000, none above (a rate, not a count).
std::string format_rate(double per_second);
// "2.79%" from a fraction (0.0279); small non-zero rates keep their significant digits.
std::string format_percent(double fraction);

}  // namespace ordeal::reporters
