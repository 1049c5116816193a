#include "ordeal/reporters/metric_threshold.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <optional>

#include "ordeal/engine/config_error.hpp"
#include "ordeal/engine/duration.hpp"

namespace ordeal::reporters {

namespace {

std::string_view trim(std::string_view s) noexcept {
  constexpr std::string_view space = " \t";
  const auto first = s.find_first_not_of(space);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(space) - first + 1);
}

[[noreturn]] void fail(std::string_view metric, std::string_view expression,
                       std::string_view what) {
  throw engine::config_error("invalid threshold \"" + std::string(expression) + "\" on " +
                             std::string(metric) + ": " + std::string(what));
}

std::optional<double> to_number(std::string_view text) {
  double value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || ptr != end || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::string format(double v, std::string_view unit) {
  char buf[64];
  if (unit == "%")
    std::snprintf(buf, sizeof buf, "%.2f%%", v);
  else if (unit.empty())
    std::snprintf(buf, sizeof buf, "%.6g", v);
  else
    std::snprintf(buf, sizeof buf, "%.2f%s", v, std::string(unit).c_str());
  return buf;
}

bool compare(double measured, threshold_op op, double limit) noexcept {
  switch (op) {
    case threshold_op::less:
      return measured < limit;
    case threshold_op::less_equal:
      return measured <= limit;
    case threshold_op::greater:
      return measured > limit;
    case threshold_op::greater_equal:
      return measured >= limit;
  }
  return false;
}

}  // namespace

metric_threshold parse_metric_threshold(std::string_view metric, std::string_view expression) {
  metric_threshold t;
  t.metric = std::string(trim(metric));
  t.expression = std::string(trim(expression));
  const std::string_view e = t.expression;
  const auto op_at = e.find_first_of("<>");
  if (op_at == std::string_view::npos || op_at == 0)
    fail(metric, expression, "expected STAT OP VALUE, e.g. p(99)<300ms, avg<200, rate<0.01");
  const bool or_equal = op_at + 1 < e.size() && e[op_at + 1] == '=';
  t.op = e[op_at] == '<' ? (or_equal ? threshold_op::less_equal : threshold_op::less)
                         : (or_equal ? threshold_op::greater_equal : threshold_op::greater);
  const std::string_view stat = trim(e.substr(0, op_at));
  const std::string_view value = trim(e.substr(op_at + (or_equal ? 2 : 1)));
  if (stat.starts_with("p(") && stat.ends_with(")")) {
    const auto p = to_number(stat.substr(2, stat.size() - 3));
    if (!p || *p < 0 || *p > 100) fail(metric, expression, "p(N) needs N between 0 and 100");
    t.stat = metric_stat::percentile;
    t.percentile = *p;
  } else if (stat == "avg") {
    t.stat = metric_stat::avg;
  } else if (stat == "med") {
    t.stat = metric_stat::med;
  } else if (stat == "min") {
    t.stat = metric_stat::min;
  } else if (stat == "max") {
    t.stat = metric_stat::max;
  } else if (stat == "count") {
    t.stat = metric_stat::count;
  } else if (stat == "rate") {
    t.stat = metric_stat::rate;
  } else if (stat == "value") {
    t.stat = metric_stat::value;
  } else {
    fail(metric, expression,
         "unknown statistic \"" + std::string(stat) +
             "\" (use p(N), avg, med, min, max, count, rate, value)");
  }
  if (const auto n = to_number(value)) {
    t.limit = *n;
  } else {
    try {  // a duration: compared in milliseconds
      t.limit = static_cast<double>(engine::parse_duration(value).count()) / 1e6;
    } catch (const engine::config_error&) {
      fail(metric, expression,
           "\"" + std::string(value) + "\" is neither a number nor a duration such as 300ms");
    }
  }
  return t;
}

std::vector<metric_threshold> parse_metric_thresholds(
    const std::vector<std::pair<std::string, std::vector<std::string>>>& thresholds) {
  std::vector<metric_threshold> out;
  for (const auto& [metric, expressions] : thresholds)
    for (const auto& e : expressions)
      out.push_back(parse_metric_threshold(metric, e));
  return out;
}

threshold_result evaluate(const metric_threshold& t, const engine::script_results& r) {
  threshold_result out;
  out.expression = t.metric + ": " + t.expression;
  const auto it = r.metrics.find(t.metric);
  // A counter that never counted is 0; a trend or rate without samples measured nothing.
  const bool empty = it == r.metrics.end() ||
                     (it->second.samples == 0 && it->second.kind != engine::metric_kind::counter);
  if (empty) {
    out.passed = false;
    out.measured = it == r.metrics.end() ? "no such metric in this run" : "no samples";
    out.value = std::nan("");
    return out;
  }
  const engine::metric& m = it->second;
  const std::string_view time_unit = m.is_time ? "ms" : "";
  double v = 0;
  std::string_view unit = time_unit;
  switch (t.stat) {
    case metric_stat::percentile:
      v = m.percentile(t.percentile);
      break;
    case metric_stat::avg:
      v = m.mean();
      break;
    case metric_stat::med:
      v = m.percentile(50);
      break;
    case metric_stat::min:
      v = m.min;
      break;
    case metric_stat::max:
      v = m.max;
      break;
    case metric_stat::count:
      v = m.kind == engine::metric_kind::counter ? m.sum : static_cast<double>(m.samples);
      unit = "";
      break;
    case metric_stat::rate:
      if (m.kind == engine::metric_kind::rate) {
        v = m.rate_value();
      } else {
        const double seconds = std::chrono::duration<double>(r.http.duration).count();
        v = seconds > 0 ? m.sum / seconds : 0;
        unit = "/s";
      }
      if (m.kind == engine::metric_kind::rate) unit = "";
      break;
    case metric_stat::value:
      v = m.last;
      break;
  }
  out.value = v;
  out.unit = unit;
  out.measured = format(v, unit);
  out.passed = compare(v, t.op, t.limit);
  return out;
}

std::vector<threshold_result> evaluate(const std::vector<metric_threshold>& ts,
                                       const engine::script_results& r) {
  std::vector<threshold_result> out;
  for (const auto& t : ts)
    out.push_back(evaluate(t, r));
  return out;
}

}  // namespace ordeal::reporters
