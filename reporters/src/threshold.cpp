#include "ordeal/reporters/threshold.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <exception>
#include <limits>
#include <optional>
#include <utility>

#include "ordeal/engine/config_error.hpp"
#include "ordeal/engine/duration.hpp"
#include "ordeal/reporters/format.hpp"

namespace ordeal::reporters {

namespace {

using engine::config_error;

constexpr std::string_view metric_list =
    "p50, p90, p95, p99, p99.9, max, mean, min, error_rate, rps";

constexpr std::array<std::pair<std::string_view, threshold_metric>, 10> metric_names{{
    {"p50", threshold_metric::p50},
    {"p90", threshold_metric::p90},
    {"p95", threshold_metric::p95},
    {"p99", threshold_metric::p99},
    {"p99.9", threshold_metric::p99_9},
    {"max", threshold_metric::max},
    {"mean", threshold_metric::mean},
    {"min", threshold_metric::min},
    {"error_rate", threshold_metric::error_rate},
    {"rps", threshold_metric::rps},
}};

constexpr std::array<std::pair<std::string_view, threshold_op>, 4> op_names{{
    {"<", threshold_op::less},
    {"<=", threshold_op::less_equal},
    {">", threshold_op::greater},
    {">=", threshold_op::greater_equal},
}};

bool is_latency(threshold_metric m) noexcept {
  return m != threshold_metric::error_rate && m != threshold_metric::rps;
}

std::string_view trim(std::string_view s) noexcept {
  constexpr std::string_view space = " \t\r\n";
  const auto first = s.find_first_not_of(space);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(space) - first + 1);
}

std::string quoted(std::string_view s) {
  return '"' + std::string(s) + '"';
}

[[noreturn]] void fail(std::string_view expression, std::string_view what) {
  throw config_error("invalid threshold " + quoted(expression) + ": " + std::string(what));
}

// The whole text as a finite number, or nothing (std::stod would accept "12abc" and "inf").
std::optional<double> to_number(std::string_view text) {
  double value = 0;
  const auto* const end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || ptr != end || !std::isfinite(value)) return std::nullopt;
  return value;
}

double parse_latency_limit_us(std::string_view expression, std::string_view value) {
  // parse_duration rejects bare numbers too, but "needs a unit" is the more useful message.
  if (to_number(value)) fail(expression, quoted(value) + " needs a unit (use 250ms, 1.5s, ...)");
  if (value.starts_with('-'))
    fail(expression, quoted(value) + " is negative (use 250ms, 1.5s, ...)");
  std::chrono::nanoseconds d{};
  try {
    d = engine::parse_duration(value);
  } catch (const std::exception&) {
    fail(expression, quoted(value) + " is not a duration (use 250ms, 1.5s, ...)");
  }
  return static_cast<double>(d.count()) / 1000.0;
}

double parse_error_rate_limit(std::string_view expression, std::string_view value) {
  const bool percent = value.ends_with('%');
  const auto number = to_number(percent ? trim(value.substr(0, value.size() - 1)) : value);
  if (!number) {
    fail(expression, quoted(value) + " is not a percentage or fraction (use 1%, 0.5% or 0.01)");
  }
  const double fraction = percent ? *number / 100.0 : *number;
  if (fraction < 0 || fraction > 1) {
    fail(expression,
         quoted(value) + " is out of range (use 0% to 100%, or a fraction from 0 to 1)");
  }
  return fraction;
}

double parse_rps_limit(std::string_view expression, std::string_view value) {
  const auto number = to_number(value);
  if (!number) {
    fail(expression, quoted(value) + " is not a number of requests per second (use e.g. rps>1000)");
  }
  if (*number < 0) fail(expression, quoted(value) + " is negative (use e.g. rps>1000)");
  return *number;
}

std::string_view value_example(threshold_metric m) noexcept {
  if (m == threshold_metric::error_rate) return "error_rate<1%";
  if (m == threshold_metric::rps) return "rps>1000";
  return "p99<250ms";
}

// Doubles computed two ways ("0.5%" / 100 vs 1 / 200 errors) may differ in the last bit; a
// threshold at exactly the measured value must still honour `<` versus `<=`.
bool nearly_equal(double a, double b) noexcept {
  return std::abs(a - b) <= 1e-9 * std::max(std::abs(a), std::abs(b));
}

bool holds(double measured, threshold_op op, double limit) noexcept {
  const bool equal = nearly_equal(measured, limit);
  switch (op) {
    case threshold_op::less:
      return !equal && measured < limit;
    case threshold_op::less_equal:
      return equal || measured < limit;
    case threshold_op::greater:
      return !equal && measured > limit;
    case threshold_op::greater_equal:
      return equal || measured > limit;
  }
  return false;
}

double latency_us(threshold_metric m, const engine::histogram& h) noexcept {
  switch (m) {
    case threshold_metric::p50:
      return static_cast<double>(h.percentile(50.0));
    case threshold_metric::p90:
      return static_cast<double>(h.percentile(90.0));
    case threshold_metric::p95:
      return static_cast<double>(h.percentile(95.0));
    case threshold_metric::p99:
      return static_cast<double>(h.percentile(99.0));
    case threshold_metric::p99_9:
      return static_cast<double>(h.percentile(99.9));
    case threshold_metric::max:
      return static_cast<double>(h.max());
    case threshold_metric::mean:
      return h.mean();
    case threshold_metric::min:
      return static_cast<double>(h.min());
    case threshold_metric::error_rate:
    case threshold_metric::rps:
      break;
  }
  return 0;
}

}  // namespace

std::string_view to_string(threshold_metric m) noexcept {
  for (const auto& [name, metric] : metric_names) {
    if (metric == m) return name;
  }
  return "?";
}

std::string_view to_string(threshold_op op) noexcept {
  for (const auto& [name, o] : op_names) {
    if (o == op) return name;
  }
  return "?";
}

threshold parse_threshold(std::string_view expression) {
  const std::string_view text = trim(expression);
  if (text.empty()) fail(expression, "expected METRIC OP VALUE, e.g. p99<250ms");

  constexpr std::string_view op_chars = "<>=!";
  const auto op_begin = text.find_first_of(op_chars);
  if (op_begin == std::string_view::npos) {
    fail(expression, "no comparison operator (use <, <=, >, >=, e.g. p99<250ms)");
  }
  const std::string_view metric_text = trim(text.substr(0, op_begin));
  if (metric_text.empty()) {
    fail(expression, "no metric before the operator (use " + std::string(metric_list) + ")");
  }
  const auto* const metric = std::find_if(metric_names.begin(), metric_names.end(),
                                          [&](const auto& m) { return m.first == metric_text; });
  if (metric == metric_names.end()) {
    throw config_error("unknown metric " + quoted(metric_text) + " in threshold " +
                       quoted(expression) + " (use " + std::string(metric_list) + ")");
  }

  auto op_end = text.find_first_not_of(op_chars, op_begin);
  if (op_end == std::string_view::npos) op_end = text.size();
  const std::string_view op_text = text.substr(op_begin, op_end - op_begin);
  const auto* const op = std::find_if(op_names.begin(), op_names.end(),
                                      [&](const auto& o) { return o.first == op_text; });
  if (op == op_names.end()) {
    throw config_error("invalid operator " + quoted(op_text) + " in threshold " +
                       quoted(expression) + " (use <, <=, >, >=)");
  }

  const std::string_view value = trim(text.substr(op_end));
  if (value.empty()) {
    fail(expression, "no value after " + quoted(op_text) + " (use e.g. " +
                         std::string(value_example(metric->second)) + ")");
  }

  threshold t;
  t.expression = std::string(expression);
  t.metric = metric->second;
  t.op = op->second;
  if (t.metric == threshold_metric::error_rate) {
    t.limit = parse_error_rate_limit(expression, value);
  } else if (t.metric == threshold_metric::rps) {
    t.limit = parse_rps_limit(expression, value);
  } else {
    t.limit = parse_latency_limit_us(expression, value);
  }
  return t;
}

std::vector<threshold> parse_thresholds(const std::vector<std::string>& expressions) {
  std::vector<threshold> out;
  out.reserve(expressions.size());
  for (const auto& e : expressions)
    out.push_back(parse_threshold(e));
  return out;
}

threshold_result evaluate(const threshold& t, const engine::run_results& r) {
  threshold_result out;
  out.expression = t.expression;
  if (is_latency(t.metric)) {
    out.unit = "ms";
    // No response means no latency: a budget cannot be met by measuring nothing.
    if (r.latency.count() == 0) {
      out.passed = false;
      out.measured = "no responses";
      out.value = std::numeric_limits<double>::quiet_NaN();
      return out;
    }
    const double us = latency_us(t.metric, r.latency);
    out.passed = holds(us, t.op, t.limit);
    out.measured = format_latency_us(us);
    out.value = us / 1000.0;
  } else if (t.metric == threshold_metric::error_rate) {
    const double rate = r.error_rate();
    out.unit = "%";
    out.passed = holds(rate, t.op, t.limit);
    out.measured = format_percent(rate);
    out.value = rate * 100.0;
  } else {
    const double rps = r.rps();
    out.unit = "req/s";
    out.passed = holds(rps, t.op, t.limit);
    out.measured = format_rate(rps) + " req/s";
    out.value = rps;
  }
  return out;
}

std::vector<threshold_result> evaluate(const std::vector<threshold>& ts,
                                       const engine::run_results& r) {
  std::vector<threshold_result> out;
  out.reserve(ts.size());
  for (const auto& t : ts)
    out.push_back(evaluate(t, r));
  return out;
}

bool all_passed(const std::vector<threshold_result>& results) noexcept {
  return std::all_of(results.begin(), results.end(), [](const auto& r) { return r.passed; });
}

}  // namespace ordeal::reporters
