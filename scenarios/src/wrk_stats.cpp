#include "wrk_stats.hpp"

#include <cmath>

namespace ordeal::scenarios {
namespace {

// One value stands for a whole bucket: its middle (buckets below 2048 µs hold one value).
double bucket_value(const engine::histogram& h, std::uint32_t index) {
  return (static_cast<double>(h.lowest_equivalent(index)) +
          static_cast<double>(h.highest_equivalent(index))) /
         2.0;
}

}  // namespace

wrk_stats_view::wrk_stats_view(const engine::histogram& h) : histogram_(&h), buckets_(h.sparse()) {
  const std::uint64_t n = h.count();
  if (n == 0) return;
  summary_.mean = h.mean();
  if (n >= 2) {
    double sum = 0;
    for (const auto& b : buckets_) {
      const double d = bucket_value(h, b.index) - summary_.mean;
      sum += d * d * static_cast<double>(b.count);
    }
    summary_.stdev = std::sqrt(sum / static_cast<double>(n - 1));
  }
  std::uint64_t within = 0;
  for (const auto& b : buckets_) {
    const double v = bucket_value(h, b.index);
    if (v >= summary_.mean - summary_.stdev && v <= summary_.mean + summary_.stdev)
      within += b.count;
  }
  summary_.within_stdev_pct = 100.0 * static_cast<double>(within) / static_cast<double>(n);
}

value_count wrk_stats_view::value_at(std::uint64_t index) const noexcept {
  if (index >= buckets_.size()) return {};
  const auto& b = buckets_[index];
  // The bucket's top, as percentile() reports values.
  return {histogram_->highest_equivalent(b.index), b.count};
}

}  // namespace ordeal::scenarios
