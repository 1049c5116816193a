#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ordeal/engine/results.hpp"

namespace ordeal::reporters {

// A pass/fail budget on the run's results, from `--threshold EXPR`: "p99<250ms",
// "error_rate <= 0.5%", "rps>=1000". The CI gate: any failed threshold means exit code 99.

// p50 .. min measure the latency (corrected histogram, µs); error_rate is errors / total (a
// fraction in [0, 1]); rps is attempts per second of the load window.
enum class threshold_metric : std::uint8_t {
  p50,
  p90,
  p95,
  p99,
  p99_9,
  max,
  mean,
  min,
  error_rate,
  rps,
};

enum class threshold_op : std::uint8_t { less, less_equal, greater, greater_equal };

struct threshold {
  std::string expression;  // as the user wrote it, for messages and reports
  threshold_metric metric = threshold_metric::p99;
  threshold_op op = threshold_op::less;
  // In the metric's unit: µs for latency, a fraction for error_rate, requests/s for rps.
  double limit = 0;
};

// Throws engine::config_error with a one-line message that quotes the expression, says what is
// wrong and what is accepted.
threshold parse_threshold(std::string_view expression);
std::vector<threshold> parse_thresholds(const std::vector<std::string>& expressions);

struct threshold_result {
  std::string expression;
  bool passed = false;
  // Display form with its unit: "12.30ms", "0.52%", "1234.5 req/s", or "no responses".
  std::string measured;
  // The same figure as a number in `unit`, for machine-readable outputs; NaN when there was
  // nothing to measure (a latency threshold on a run without responses).
  double value = 0;
  std::string_view unit;  // "ms", "%" or "req/s"
};

threshold_result evaluate(const threshold& t, const engine::run_results& r);
std::vector<threshold_result> evaluate(const std::vector<threshold>& ts,
                                       const engine::run_results& r);
bool all_passed(const std::vector<threshold_result>& results) noexcept;

std::string_view to_string(threshold_metric m) noexcept;  // "p99.9", "error_rate", ...
std::string_view to_string(threshold_op op) noexcept;     // "<=", ...

}  // namespace ordeal::reporters
