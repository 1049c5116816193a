#include "metric_threshold_eval.hpp"

#include <cmath>
#include <cstdio>

namespace ordeal::reporters::detail {

stat_figure figure_of(const metric_threshold& t, const engine::metric& m, double seconds) noexcept {
  const std::string_view time_unit = m.is_time ? "ms" : "";
  switch (t.stat) {
    case metric_stat::percentile:
      return {m.percentile(t.percentile), time_unit};
    case metric_stat::avg:
      return {m.mean(), time_unit};
    case metric_stat::med:
      return {m.percentile(50), time_unit};
    case metric_stat::min:
      return {m.samples ? m.min : 0, time_unit};
    case metric_stat::max:
      return {m.samples ? m.max : 0, time_unit};
    case metric_stat::count:
      return {m.kind == engine::metric_kind::counter ? m.sum : static_cast<double>(m.samples), ""};
    case metric_stat::rate:
      if (m.kind == engine::metric_kind::rate) return {m.rate_value(), ""};
      return {seconds > 0 ? m.sum / seconds : 0, "/s"};
    case metric_stat::value:
      return {m.last, ""};
  }
  return {};
}

bool holds(double measured, threshold_op op, double limit) noexcept {
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

bool worse(double a, double b, threshold_op op) noexcept {
  return op == threshold_op::less || op == threshold_op::less_equal ? a > b : a < b;
}

std::string format_figure(double v, std::string_view unit) {
  char buf[64];
  if (unit.empty())
    std::snprintf(buf, sizeof buf, "%.6g", v);
  else
    std::snprintf(buf, sizeof buf, "%.2f%s", v, std::string(unit).c_str());
  return buf;
}

void judge(const metric_threshold& t, const engine::metric* m, double seconds,
           threshold_result& out) {
  // A counter that never counted is 0; a trend or rate without samples measured nothing.
  if (m == nullptr || (m->samples == 0 && m->kind != engine::metric_kind::counter)) {
    out.passed = false;
    out.measured = m == nullptr ? "no such metric in this run" : "no samples";
    out.value = std::nan("");
    out.unit = {};
    return;
  }
  const auto f = figure_of(t, *m, seconds);
  out.value = f.value;
  out.unit = f.unit;
  out.measured = format_figure(f.value, f.unit);
  out.passed = holds(f.value, t.op, t.limit);
}

}  // namespace ordeal::reporters::detail
