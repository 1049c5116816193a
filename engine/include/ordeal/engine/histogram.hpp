#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ordeal::engine {

// HDR-style latency histogram: log-linear buckets with a fixed number of significant decimal
// digits over [1, highest_trackable]. Values are microseconds throughout ordeal.
// Recording is O(1) with no allocation (the counts array is allocated once, at construction);
// two histograms with the same layout merge without loss.
class histogram {
 public:
  static constexpr std::uint64_t default_highest_us = 3'600'000'000;  // 1 hour in µs
  static constexpr int default_significant_digits = 3;

  explicit histogram(std::uint64_t highest_trackable = default_highest_us,
                     int significant_digits = default_significant_digits);

  // Values above highest_trackable are clamped to it (and counted); 0 is recorded as 0.
  void record(std::uint64_t value) noexcept;
  void record_n(std::uint64_t value, std::uint64_t count) noexcept;

  // Adds every count of `other`. Throws std::invalid_argument if the layouts differ.
  void merge(const histogram& other);
  void reset() noexcept;

  std::uint64_t count() const noexcept { return total_count_; }
  std::uint64_t min() const noexcept;  // 0 when empty
  std::uint64_t max() const noexcept;  // 0 when empty; highest equivalent value of its bucket
  double mean() const noexcept;        // 0 when empty
  // percentile in [0, 100]; returns the highest value equivalent to the bucket holding the
  // sample at that rank (as HdrHistogram does); 0 when empty.
  std::uint64_t percentile(double p) const noexcept;

  std::uint64_t highest_trackable() const noexcept { return highest_trackable_; }
  int significant_digits() const noexcept { return significant_digits_; }

  // Sparse form: (bucket index, count) of every non-empty bucket, in index order. Used for
  // per-second snapshots and serialisation; add_sparse() is the inverse (bad indexes throw).
  struct bucket_count {
    std::uint32_t index;
    std::uint64_t count;
  };
  std::vector<bucket_count> sparse() const;
  void add_sparse(const std::vector<bucket_count>& buckets);

  // Compact text form: "hdr1 <highest> <digits> <index>:<count> ..." (empty buckets omitted).
  std::string encode() const;
  // Throws std::invalid_argument with a message on malformed input.
  static histogram decode(std::string_view text);

  // Value range of one bucket index (for exporting buckets).
  std::uint64_t lowest_equivalent(std::uint32_t index) const noexcept;
  std::uint64_t highest_equivalent(std::uint32_t index) const noexcept;

 private:
  std::size_t index_of(std::uint64_t value) const noexcept;

  std::uint64_t highest_trackable_;
  int significant_digits_;
  int sub_bucket_half_count_magnitude_ = 0;
  std::uint32_t sub_bucket_count_ = 0;
  std::uint32_t sub_bucket_half_count_ = 0;
  std::uint64_t sub_bucket_mask_ = 0;
  int bucket_count_ = 0;
  std::vector<std::uint64_t> counts_;
  std::uint64_t total_count_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
  long double sum_ = 0;  // for the exact mean of recorded (clamped) values
};

}  // namespace ordeal::engine
