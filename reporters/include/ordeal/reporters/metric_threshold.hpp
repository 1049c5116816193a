#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ordeal/engine/metric_filter.hpp"
#include "ordeal/engine/script_results.hpp"
#include "ordeal/engine/threshold_spec.hpp"
#include "ordeal/reporters/threshold.hpp"
#include "ordeal/reporters/verdict.hpp"

namespace ordeal::reporters {

// A drill's threshold on a metric, in k6's form: options.thresholds =
// { ["http_req_duration{name:pay,status:201}"] = { "p(99)<300ms" }, http_req_failed =
// { "rate<0.01" } }. The metric may carry a tag filter: the figure is then the merge of every
// series whose tags include the filter's (engine::select).
// Statistics: p(N), avg, med, min, max, count (trends); count and rate (counters: the total
// and the total per second); rate (rate metrics: the share of true samples); value, min, max,
// avg (gauges). Time trends take "300ms", "1.5s" or a bare number of ms.
enum class metric_stat : std::uint8_t { percentile, avg, med, min, max, count, rate, value };

struct metric_threshold {
  std::string metric;      // "http_req_duration{name:pay}", as written
  std::string expression;  // "p(99)<300ms"
  std::string path;        // where the drill wrote it, for messages (may be empty)
  engine::metric_filter filter;
  metric_stat stat = metric_stat::avg;
  double percentile = 0;  // for p(N)
  threshold_op op = threshold_op::less;
  double limit = 0;  // in the metric's unit (ms for time trends)
  bool abort_on_fail = false;
  std::chrono::nanoseconds delay_abort_eval{};
  std::chrono::nanoseconds over{};  // non-zero: must hold in every window this long

  // "http_req_duration{name:pay}: p(99)<300ms", with " over 30s" for a windowed one: the
  // verdict's name, and what an abort names.
  std::string name() const;
};

// The kind of the built-in metric `name` (http_req_duration, checks, ...), if it is one.
std::optional<engine::metric_kind> builtin_metric_kind(std::string_view name) noexcept;

// Throws engine::config_error naming the metric and the expression (and `path` when given),
// and what is accepted: a bad expression, a tag filter that does not parse, a statistic the
// metric's kind has not (p(95) on a counter). `declared` holds the custom metrics the drill
// declared; a name that is neither built in nor declared is refused when `declared` is given.
metric_threshold parse_metric_threshold(
    const engine::threshold_spec& spec,
    const std::map<std::string, engine::metric_kind, std::less<>>* declared = nullptr);
metric_threshold parse_metric_threshold(std::string_view metric, std::string_view expression);
std::vector<metric_threshold> parse_metric_thresholds(
    const std::vector<engine::threshold_spec>& specs,
    const std::map<std::string, engine::metric_kind, std::less<>>* declared = nullptr);

// The threshold on the merged figures of `metrics` over a load of `duration` (count rates are
// per second of it). A metric the run never recorded, or one without samples, fails: a budget
// nobody measured is not met.
threshold_result evaluate(const metric_threshold& t, const engine::metric_set& metrics,
                          std::chrono::nanoseconds duration);
// At the end of the run: over the whole run, or for a windowed threshold over every window.
threshold_result evaluate(const metric_threshold& t, const engine::script_results& r);
std::vector<threshold_result> evaluate(const std::vector<metric_threshold>& ts,
                                       const engine::script_results& r);

// The end-of-run verdicts, one per threshold; a windowed one's evidence names its worst window
// ({"window_s", "windows", "failed_windows", "worst": {"start_s", "end_s", "value"}}), and the
// threshold that aborted the run (r.aborted_by) says so.
std::vector<verdict> threshold_verdicts(const std::vector<metric_threshold>& ts,
                                        const engine::script_results& r);

// While the run goes, every second: the first abort_on_fail threshold past its
// delay_abort_eval that fails on the live totals (its result's expression is the threshold's
// name()); nullopt when none does. A metric without samples yet does not abort.
std::optional<threshold_result> abort_check(const std::vector<metric_threshold>& ts,
                                            const engine::metric_set& totals,
                                            std::chrono::nanoseconds elapsed);

}  // namespace ordeal::reporters
