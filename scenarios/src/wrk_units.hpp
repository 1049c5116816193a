#pragma once

#include <string>

namespace ordeal::scenarios {

// wrk's unit formatting, so reports read (and diff) like wrk's: a value is scaled to the next
// unit once it reaches 85% of it ("900.00us" becomes "0.90ms"... only from 850 on).
std::string format_time_us(double us);      // "395.34us", "4.83ms", "1.10s", "2.00m"
std::string format_time_s(double seconds);  // "30s", "2m" (no decimals, as in "Running 30s test")
std::string format_binary(double n);        // "1.19M" (1024-based; the caller appends "B")
std::string format_metric(double n);        // "2.19k" (1000-based)

}  // namespace ordeal::scenarios
