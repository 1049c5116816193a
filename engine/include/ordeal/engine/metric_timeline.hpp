#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ordeal/engine/metric_filter.hpp"
#include "ordeal/engine/metrics.hpp"

namespace ordeal::engine {

// One series' change over one second: a metric's figures without its dense histogram. A
// trend's buckets are packed (varint index gap, varint count per non-empty bucket), a few
// bytes each: a ten-minute run keeps every second of every series exactly, in megabytes.
struct metric_sample {
  std::uint32_t series = 0;  // index into metric_timeline::series()
  std::uint64_t samples = 0;
  std::uint64_t trues = 0;  // rate
  double sum = 0;           // counter: the total; trend: sum of values
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  double last = 0;      // gauge
  std::string buckets;  // trend: the histogram, packed

  // `m`'s figures (m's histogram in packed form).
  static metric_sample of(const metric& m, std::uint32_t series = 0);
  // Adds these figures to `m` (same kind): merge() as if `m` had recorded them.
  void add_to(metric& m) const;
  // Adds `other` (the same series, the same second, from another worker).
  void merge(const metric_sample& other);
};

struct metric_series {
  std::string key;  // canonical: "http_req_duration{method:GET,name:home,...}"
  metric_kind kind = metric_kind::counter;
  bool is_time = false;
};

// Per-second deltas of every series of a drill's load, second 0 starting when the load starts:
// what windowed thresholds and the per-second outputs read.
class metric_timeline {
 public:
  // The index of the series under `key`, added on first sight.
  std::uint32_t series_id(std::string_view key, metric_kind kind, bool is_time);
  // Adds `s` (s.series from series_id) to second `second` (seconds grow as needed).
  void add(std::size_t second, metric_sample s);

  const std::vector<metric_series>& series() const noexcept { return series_; }
  std::size_t seconds() const noexcept { return seconds_.size(); }
  const std::vector<metric_sample>& at(std::size_t second) const { return seconds_.at(second); }

  // The merge over seconds [from, to) of every series `filter` selects; nullopt when no series
  // matches at all (a matching series without samples there gives a metric with none).
  std::optional<metric> select(const metric_filter& filter, std::size_t from, std::size_t to) const;
  // The series `filter` selects, as a mask over series().
  std::vector<bool> matching(const metric_filter& filter) const;
  std::optional<metric> select(const std::vector<bool>& mask, std::size_t from,
                               std::size_t to) const;

  // Heap bytes held (an estimate that counts every buffer's capacity).
  std::size_t memory_bytes() const noexcept;

 private:
  std::vector<metric_series> series_;
  std::map<std::string, std::uint32_t, std::less<>> index_;
  std::vector<std::vector<metric_sample>> seconds_;
};

}  // namespace ordeal::engine
