#include "ordeal/engine/metrics.hpp"

#include <algorithm>
#include <cmath>

namespace ordeal::engine {

std::string_view to_string(metric_kind k) noexcept {
  switch (k) {
    case metric_kind::counter:
      return "counter";
    case metric_kind::gauge:
      return "gauge";
    case metric_kind::rate:
      return "rate";
    case metric_kind::trend:
      return "trend";
  }
  return "unknown";
}

void metric::add(double v) noexcept {
  ++samples;
  last = v;
  min = std::min(min, v);
  max = std::max(max, v);
  switch (kind) {
    case metric_kind::counter:
    case metric_kind::gauge:
      sum += v;
      break;
    case metric_kind::rate:
      if (v != 0) ++trues;
      break;
    case metric_kind::trend:
      sum += v;
      // The histogram holds non-negative integers: thousandths keep ms trends at µs.
      values.record(static_cast<std::uint64_t>(std::llround(std::max(0.0, v) * 1000.0)));
      break;
  }
}

void metric::merge(const metric& other) {
  sum += other.sum;
  samples += other.samples;
  min = std::min(min, other.min);
  max = std::max(max, other.max);
  if (other.samples) last = other.last;
  trues += other.trues;
  values.merge(other.values);
}

void metric::reset() noexcept {
  sum = 0;
  samples = 0;
  min = std::numeric_limits<double>::infinity();
  max = -std::numeric_limits<double>::infinity();
  trues = 0;
  values.reset();
}

double metric::percentile(double p) const noexcept {
  if (values.count() == 0) return 0;
  return static_cast<double>(values.percentile(p)) / 1000.0;
}

metric& metric_at(metric_set& set, std::string_view key, metric_kind kind, bool is_time) {
  auto it = set.find(key);
  if (it == set.end()) {
    it = set.emplace(std::string(key), metric()).first;
    it->second.kind = kind;
    it->second.is_time = is_time;
  }
  return it->second;
}

void merge_into(metric_set& into, const metric_set& from) {
  for (const auto& [key, m] : from)
    metric_at(into, key, m.kind, m.is_time).merge(m);
}

}  // namespace ordeal::engine
