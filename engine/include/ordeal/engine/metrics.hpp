#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>

#include "ordeal/engine/histogram.hpp"

namespace ordeal::engine {

// Named metrics of a scripted run (k6's four kinds), the built-in ones (http_req_duration,
// http_req_failed, checks, iterations, ...) and the script's own. Kept per worker, merged after
// join. A key is a metric name, optionally with one tag: "http_req_duration{name:pay}".
enum class metric_kind : std::uint8_t { counter, gauge, rate, trend };
std::string_view to_string(metric_kind k) noexcept;

struct metric {
  metric_kind kind = metric_kind::counter;
  bool is_time = false;  // a trend of durations in milliseconds (thresholds accept "300ms")

  double sum = 0;  // counter: the total; trend: sum of values
  std::uint64_t samples = 0;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  double last = 0;          // gauge: the value last set (by the last worker merged)
  std::uint64_t trues = 0;  // rate: samples that were true (non-zero)
  // trend: values x 1000 (µs for durations in ms), 3 significant digits.
  histogram values;

  void add(double v) noexcept;
  void merge(const metric& other);
  // Forgets the samples (kind, unit and a gauge's last value stay): per-second deltas.
  void reset() noexcept;
  // trend: the value at percentile p (0-100), in the metric's unit.
  double percentile(double p) const noexcept;
  double mean() const noexcept { return samples ? sum / static_cast<double>(samples) : 0; }
  double rate_value() const noexcept {  // rate: share of true samples
    return samples ? static_cast<double>(trues) / static_cast<double>(samples) : 0;
  }
};

using metric_set = std::map<std::string, metric, std::less<>>;

// The metric under `key`, created with `kind` if absent.
metric& metric_at(metric_set& set, std::string_view key, metric_kind kind, bool is_time = false);
void merge_into(metric_set& into, const metric_set& from);

}  // namespace ordeal::engine
