#pragma once

#include <cstdint>
#include <vector>

#include "ordeal/engine/histogram.hpp"

namespace ordeal::scenarios {

// The figures wrk derives from its stats objects, computed from a histogram's buckets (exact
// below 2048, three significant digits above): the report's Stdev and +/- Stdev columns and
// the Lua stats object (latency.stdev, latency(i), #latency).
struct wrk_summary_stats {
  double mean = 0;
  double stdev = 0;             // sample standard deviation (n - 1), 0 below two values
  double within_stdev_pct = 0;  // share of values within one stdev of the mean, in percent
};

struct value_count {
  std::uint64_t value = 0;
  std::uint64_t count = 0;
};

// A finished histogram with its buckets listed once, so a script walking latency(i) for every
// i does not rescan the histogram each time.
class wrk_stats_view {
 public:
  explicit wrk_stats_view(const engine::histogram& h);

  const engine::histogram& histogram() const noexcept { return *histogram_; }
  const wrk_summary_stats& summary() const noexcept { return summary_; }
  // Distinct recorded values (non-empty buckets): wrk's `#latency`.
  std::uint64_t distinct_values() const noexcept { return buckets_.size(); }
  // The i-th distinct value in ascending order (0-based) and how often it was recorded, as
  // wrk's `latency(i + 1)`; {0, 0} past the end.
  value_count value_at(std::uint64_t index) const noexcept;

 private:
  const engine::histogram* histogram_;
  std::vector<engine::histogram::bucket_count> buckets_;
  wrk_summary_stats summary_;
};

}  // namespace ordeal::scenarios
