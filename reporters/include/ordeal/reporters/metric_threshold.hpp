#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ordeal/engine/script_results.hpp"
#include "ordeal/reporters/threshold.hpp"

namespace ordeal::reporters {

// A drill's threshold on a named metric, in k6's form: options.thresholds =
// { ["http_req_duration{name:pay}"] = { "p(99)<300ms" }, http_req_failed = { "rate<0.01" } }.
// Statistics: p(N), avg, med, min, max (trends and gauges), count and rate (counters: the total
// and the total per second of the load window), rate (rate metrics: the share of true samples),
// value (gauges: the last value). Time trends take "300ms", "1.5s" or a bare number of ms.
enum class metric_stat : std::uint8_t { percentile, avg, med, min, max, count, rate, value };

struct metric_threshold {
  std::string metric;      // "http_req_duration{name:pay}"
  std::string expression;  // "p(99)<300ms"
  metric_stat stat = metric_stat::avg;
  double percentile = 0;  // for p(N)
  threshold_op op = threshold_op::less;
  double limit = 0;  // in the metric's unit (ms for time trends)
};

// Throws engine::config_error naming the metric and the expression, and what is accepted.
metric_threshold parse_metric_threshold(std::string_view metric, std::string_view expression);
std::vector<metric_threshold> parse_metric_thresholds(
    const std::vector<std::pair<std::string, std::vector<std::string>>>& thresholds);

// A metric the run never recorded, or one without samples, fails: a budget nobody measured
// is not met.
threshold_result evaluate(const metric_threshold& t, const engine::script_results& r);
std::vector<threshold_result> evaluate(const std::vector<metric_threshold>& ts,
                                       const engine::script_results& r);

}  // namespace ordeal::reporters
