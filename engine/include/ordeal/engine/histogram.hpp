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
  histogram(const histogram&) = default;
  histogram& operator=(const histogram&) = default;
  // A move takes the counts array; the moved-from histogram keeps its layout, reads as empty
  // and gets a new array from reset(), merge() or add_sparse(). record() into it before that
  // is a bug (the hot path does not check).
  histogram(histogram&& other) noexcept;
  histogram& operator=(histogram&& other) noexcept;

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

  // Value range of one bucket index (for exporting buckets). The top bucket's range ends at
  // highest_trackable (nothing above it is ever stored); an index >= index_count() is treated
  // as the last one.
  std::uint64_t lowest_equivalent(std::uint32_t index) const noexcept;
  std::uint64_t highest_equivalent(std::uint32_t index) const noexcept;
  // Number of bucket indexes: valid indexes are [0, index_count()).
  std::uint32_t index_count() const noexcept { return index_count_; }

 private:
  std::size_t index_of(std::uint64_t value) const noexcept;
  // Adds `count` values known only by their bucket (sparse form, decode): min, max and sum
  // take the bucket's bounds and middle, so they are exact only to the bucket's precision.
  void add_bucket(std::size_t index, std::uint64_t count) noexcept;
  void allocate_if_moved_from();
  void clear_statistics() noexcept;

  std::uint64_t highest_trackable_;
  int significant_digits_;
  // Layout (as in HdrHistogram, with a unit of 1 µs): bucket 0 holds [0, 2 * half_count) at
  // unit width; bucket b > 0 holds [half_count << b, half_count << (b + 1)) in half_count
  // sub-buckets of width 2^b, so a width is at most 1 / half_count of any value in it.
  int sub_bucket_half_count_magnitude_ = 0;  // log2(sub_bucket_half_count_)
  std::uint64_t sub_bucket_half_count_ = 0;  // a power of two >= 10^significant_digits
  std::uint64_t sub_bucket_mask_ = 0;        // 2 * half_count - 1: puts small values in bucket 0
  std::uint32_t index_count_ = 0;            // index_of(highest_trackable_) + 1
  std::vector<std::uint64_t> counts_;        // index_count_ counts, or none once moved from
  std::uint64_t total_count_ = 0;
  std::uint64_t min_ = UINT64_MAX;  // µs, exact (clamped) smallest recorded value
  std::uint64_t max_ = 0;           // µs, exact (clamped) largest recorded value
  // µs, exact sum of recorded (clamped) values for the mean: 128 bits cannot overflow before
  // total_count_ does, and adding to it costs two instructions on the hot path.
  __extension__ unsigned __int128 sum_ = 0;
};

}  // namespace ordeal::engine
