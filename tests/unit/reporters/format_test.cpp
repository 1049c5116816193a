#include "ordeal/reporters/format.hpp"

#include <catch2/catch.hpp>
#include <limits>

using ordeal::reporters::format_bytes;
using ordeal::reporters::format_latency_us;
using ordeal::reporters::format_percent;
using ordeal::reporters::format_rate;

TEST_CASE("format: latencies in the unit that reads best", "[reporters]") {
  CHECK(format_latency_us(0) == "0us");
  CHECK(format_latency_us(2.5) == "2.5us");  // a mean below 10us keeps its fraction
  CHECK(format_latency_us(845) == "845us");
  CHECK(format_latency_us(999.4) == "999us");
  CHECK(format_latency_us(999.6) == "1.00ms");  // not "1000us"
  CHECK(format_latency_us(1234) == "1.23ms");
  CHECK(format_latency_us(250'000) == "250.00ms");
  CHECK(format_latency_us(999'999) == "1.00s");  // not "1000.00ms"
  CHECK(format_latency_us(2'100'000) == "2.10s");
  CHECK(format_latency_us(59'999'999) == "1m00.00s");
  CHECK(format_latency_us(65'300'000) == "1m05.30s");
  CHECK(format_latency_us(3'600'000'000) == "60m00.00s");
  CHECK(format_latency_us(std::numeric_limits<double>::quiet_NaN()) == "-");
}

TEST_CASE("format: bytes, rates, percentages", "[reporters]") {
  CHECK(format_bytes(0) == "0B");
  CHECK(format_bytes(1023) == "1023B");
  CHECK(format_bytes(1536) == "1.50KiB");
  CHECK(format_bytes(4 * 1024 * 1024) == "4.00MiB");
  CHECK(format_bytes(std::numeric_limits<std::uint64_t>::max()) == "16.00EiB");
  CHECK(format_rate(0) == "0.00");
  CHECK(format_rate(12.345) == "12.35");
  CHECK(format_rate(1234.56) == "1234.6");
  CHECK(format_rate(123456.7) == "123457");
  CHECK(format_percent(0) == "0.00%");
  CHECK(format_percent(0.0279) == "2.79%");
  CHECK(format_percent(1) == "100.00%");
  CHECK(format_percent(0.000001) == "0.0001%");  // one in a million is not "0.00%"
}
