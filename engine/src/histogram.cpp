#include "ordeal/engine/histogram.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

namespace ordeal::engine {
namespace {

__extension__ using u128 = unsigned __int128;

constexpr int max_significant_digits = 5;  // beyond that the counts array gets absurd
constexpr std::string_view encoding_magic = "hdr1";

std::uint64_t pow10(int exponent) noexcept {
  std::uint64_t result = 1;
  for (int i = 0; i < exponent; ++i)
    result *= 10;
  return result;
}

std::string layout_text(std::uint64_t highest, int digits) {
  return "highest " + std::to_string(highest) + " / " + std::to_string(digits) + " digits";
}

// Decode errors quote the offending token; it may be binary garbage of any length, so quote
// a printable, bounded excerpt.
std::string quote(std::string_view token) {
  constexpr std::size_t max_shown = 32;
  std::string out = "\"";
  for (std::size_t i = 0; i < token.size() && i < max_shown; ++i) {
    const auto c = static_cast<unsigned char>(token[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      constexpr char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xf];
    }
  }
  if (token.size() > max_shown) out += "...";
  out += '"';
  return out;
}

[[noreturn]] void decode_error(const std::string& message) {
  throw std::invalid_argument("histogram::decode: " + message);
}

std::uint64_t parse_u64(std::string_view text, std::string_view what, std::size_t token_number,
                        std::string_view token) {
  std::uint64_t value = 0;
  const char* const end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  const auto where = " in token " + std::to_string(token_number) + " " + quote(token);
  if (ec == std::errc::result_out_of_range) decode_error(std::string(what) + " too large" + where);
  if (text.empty() || ec != std::errc{} || ptr != end) {
    decode_error("non-numeric " + std::string(what) + where);
  }
  return value;
}

// Splits on ASCII whitespace; the encoding uses single spaces, but text that went through a
// file or a shell may pick up newlines or tabs.
class tokenizer {
 public:
  explicit tokenizer(std::string_view text) : rest_(text) {}

  // Empty when the input is exhausted.
  std::string_view next() noexcept {
    constexpr std::string_view space = " \t\r\n";
    const auto begin = rest_.find_first_not_of(space);
    if (begin == std::string_view::npos) {
      rest_ = {};
      return {};
    }
    rest_.remove_prefix(begin);
    const auto length = std::min(rest_.find_first_of(space), rest_.size());
    const auto token = rest_.substr(0, length);
    rest_.remove_prefix(length);
    ++count_;
    return token;
  }
  std::size_t count() const noexcept { return count_; }

 private:
  std::string_view rest_;
  std::size_t count_ = 0;
};

}  // namespace

histogram::histogram(std::uint64_t highest_trackable, int significant_digits)
    : highest_trackable_(highest_trackable), significant_digits_(significant_digits) {
  if (significant_digits < 1 || significant_digits > max_significant_digits) {
    throw std::invalid_argument("histogram: significant digits must be in [1, " +
                                std::to_string(max_significant_digits) + "], got " +
                                std::to_string(significant_digits));
  }
  if (highest_trackable < 1) {
    throw std::invalid_argument("histogram: highest trackable value must be at least 1");
  }
  // With at least 10^digits sub-buckets per half, a bucket is never wider than 10^-digits of
  // the values in it; a power of two makes the index a shift.
  sub_bucket_half_count_ = std::bit_ceil(pow10(significant_digits));
  sub_bucket_half_count_magnitude_ = std::countr_zero(sub_bucket_half_count_);
  sub_bucket_mask_ = 2 * sub_bucket_half_count_ - 1;
  // Sized to the index of the highest value, not to whole buckets: indexes above it could
  // never be recorded, and add_sparse/decode then reject them by a plain bounds check.
  index_count_ = static_cast<std::uint32_t>(index_of(highest_trackable) + 1);
  counts_.assign(index_count_, 0);
}

histogram::histogram(histogram&& other) noexcept
    : highest_trackable_(other.highest_trackable_),
      significant_digits_(other.significant_digits_),
      sub_bucket_half_count_magnitude_(other.sub_bucket_half_count_magnitude_),
      sub_bucket_half_count_(other.sub_bucket_half_count_),
      sub_bucket_mask_(other.sub_bucket_mask_),
      index_count_(other.index_count_),
      counts_(std::move(other.counts_)),
      total_count_(other.total_count_),
      min_(other.min_),
      max_(other.max_),
      sum_(other.sum_) {
  // The defaulted move would leave the counters claiming values the array no longer holds.
  other.counts_.clear();
  other.clear_statistics();
}

histogram& histogram::operator=(histogram&& other) noexcept {
  if (this == &other) return *this;
  highest_trackable_ = other.highest_trackable_;
  significant_digits_ = other.significant_digits_;
  sub_bucket_half_count_magnitude_ = other.sub_bucket_half_count_magnitude_;
  sub_bucket_half_count_ = other.sub_bucket_half_count_;
  sub_bucket_mask_ = other.sub_bucket_mask_;
  index_count_ = other.index_count_;
  counts_ = std::move(other.counts_);
  total_count_ = other.total_count_;
  min_ = other.min_;
  max_ = other.max_;
  sum_ = other.sum_;
  other.counts_.clear();
  other.clear_statistics();
  return *this;
}

void histogram::allocate_if_moved_from() {
  if (counts_.empty()) counts_.assign(index_count_, 0);
}

void histogram::clear_statistics() noexcept {
  total_count_ = 0;
  min_ = std::numeric_limits<std::uint64_t>::max();
  max_ = 0;
  sum_ = 0;
}

std::size_t histogram::index_of(std::uint64_t value) const noexcept {
  // OR-ing the mask maps every value below 2 * half_count to bucket 0 (unit width) and leaves
  // the top bit of larger values as the bucket's magnitude.
  const int bucket =
      std::bit_width(value | sub_bucket_mask_) - (sub_bucket_half_count_magnitude_ + 1);
  // Bucket b starts at index (b + 1) * half_count and its sub-bucket (value >> b) runs from
  // half_count, hence b * half_count + sub-bucket.
  return (static_cast<std::size_t>(bucket) << sub_bucket_half_count_magnitude_) + (value >> bucket);
}

void histogram::record(std::uint64_t value) noexcept {
  value = std::min(value, highest_trackable_);
  ++counts_[index_of(value)];
  ++total_count_;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  sum_ += value;
}

void histogram::record_n(std::uint64_t value, std::uint64_t count) noexcept {
  if (count == 0) return;  // must not move min/max
  value = std::min(value, highest_trackable_);
  counts_[index_of(value)] += count;
  total_count_ += count;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  sum_ += static_cast<u128>(value) * count;
}

void histogram::add_bucket(std::size_t index, std::uint64_t count) noexcept {
  if (count == 0) return;
  const auto index32 = static_cast<std::uint32_t>(index);
  const auto lowest = lowest_equivalent(index32);
  const auto highest = highest_equivalent(index32);
  counts_[index] += count;
  total_count_ += count;
  min_ = std::min(min_, lowest);
  max_ = std::max(max_, highest);
  sum_ += static_cast<u128>(lowest + (highest - lowest) / 2) * count;
}

void histogram::merge(const histogram& other) {
  if (highest_trackable_ != other.highest_trackable_ ||
      significant_digits_ != other.significant_digits_) {
    throw std::invalid_argument("histogram::merge: layouts differ (" +
                                layout_text(highest_trackable_, significant_digits_) + " vs " +
                                layout_text(other.highest_trackable_, other.significant_digits_) +
                                ")");
  }
  if (other.total_count_ == 0) return;
  // Checked before touching anything, so a failed merge leaves *this unchanged; no single
  // bucket can overflow when the total does not.
  if (other.total_count_ > std::numeric_limits<std::uint64_t>::max() - total_count_) {
    throw std::overflow_error("histogram::merge: total count would exceed 2^64 - 1");
  }
  allocate_if_moved_from();
  // Read before updating: `other` may be *this.
  const auto first = index_of(other.min_);
  const auto last = index_of(other.max_);
  for (auto i = first; i <= last; ++i) {
    counts_[i] += other.counts_[i];
  }
  total_count_ += other.total_count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

void histogram::reset() noexcept {
  if (counts_.empty()) {
    // Moved from: `snapshot = std::move(h); h.reset();` must leave h recordable. Failing to
    // allocate here is as fatal as failing to at start-up.
    counts_.assign(index_count_, 0);
  } else if (total_count_ != 0) {
    // Only [min, max] can hold counts: clearing that range keeps per-second resets cheap.
    std::fill(counts_.begin() + static_cast<std::ptrdiff_t>(index_of(min_)),
              counts_.begin() + static_cast<std::ptrdiff_t>(index_of(max_)) + 1, 0);
  }
  clear_statistics();
}

std::uint64_t histogram::min() const noexcept {
  return total_count_ == 0 ? 0 : min_;
}

std::uint64_t histogram::max() const noexcept {
  return total_count_ == 0 ? 0 : highest_equivalent(static_cast<std::uint32_t>(index_of(max_)));
}

double histogram::mean() const noexcept {
  if (total_count_ == 0) return 0;
  return static_cast<double>(static_cast<long double>(sum_) /
                             static_cast<long double>(total_count_));
}

std::uint64_t histogram::percentile(double p) const noexcept {
  if (total_count_ == 0) return 0;
  if (p >= 100) return max();
  std::uint64_t rank = 1;  // p <= 0 and NaN: the smallest sample
  if (p > 0) {
    // rank = ceil(p / 100 * count), but p arrives in binary: 99.9 is 99.90000000000000568, so
    // 99.9% of 1000 would be rank 1000 instead of 999. Forgive errors far above double's
    // rounding (1e-14 relative) yet far below the fraction any decimal p leaves.
    const long double exact = static_cast<long double>(p) * total_count_ / 100;
    const long double ceiling = std::ceil(exact - std::min(exact * 1e-14L, 0.5L));
    if (ceiling >= static_cast<long double>(total_count_)) {
      rank = total_count_;
    } else if (ceiling > 1) {
      rank = static_cast<std::uint64_t>(ceiling);
    }
  }
  std::uint64_t seen = 0;
  const auto last = index_of(max_);
  for (auto i = index_of(min_); i <= last; ++i) {
    seen += counts_[i];
    if (seen >= rank) return highest_equivalent(static_cast<std::uint32_t>(i));
  }
  return max();  // unreachable while counts_ sum to total_count_
}

std::uint64_t histogram::lowest_equivalent(std::uint32_t index) const noexcept {
  const std::uint64_t i = std::min(index, index_count_ - 1);
  if (i <= sub_bucket_mask_) return i;  // bucket 0: unit width, index == value
  const int bucket = static_cast<int>(i >> sub_bucket_half_count_magnitude_) - 1;
  const std::uint64_t sub_bucket =
      i - (static_cast<std::uint64_t>(bucket) << sub_bucket_half_count_magnitude_);
  return sub_bucket << bucket;
}

std::uint64_t histogram::highest_equivalent(std::uint32_t index) const noexcept {
  const std::uint64_t i = std::min(index, index_count_ - 1);
  if (i <= sub_bucket_mask_) return i;
  const int bucket = static_cast<int>(i >> sub_bucket_half_count_magnitude_) - 1;
  const std::uint64_t width = std::uint64_t{1} << bucket;
  // lowest + width - 1 cannot overflow: the last bucket ends at 2^64 - 1 at most.
  return std::min(lowest_equivalent(static_cast<std::uint32_t>(i)) + (width - 1),
                  highest_trackable_);
}

std::vector<histogram::bucket_count> histogram::sparse() const {
  std::vector<bucket_count> out;
  if (total_count_ == 0) return out;
  const auto last = index_of(max_);
  for (auto i = index_of(min_); i <= last; ++i) {
    if (counts_[i] != 0) out.push_back({static_cast<std::uint32_t>(i), counts_[i]});
  }
  return out;
}

void histogram::add_sparse(const std::vector<bucket_count>& buckets) {
  // Validate everything first so a bad entry leaves *this unchanged.
  std::uint64_t added = 0;
  for (const auto& b : buckets) {
    if (b.index >= index_count_) {
      throw std::invalid_argument("histogram::add_sparse: bucket index " + std::to_string(b.index) +
                                  " out of range [0, " + std::to_string(index_count_) + ") for " +
                                  layout_text(highest_trackable_, significant_digits_));
    }
    if (b.count > std::numeric_limits<std::uint64_t>::max() - total_count_ - added) {
      throw std::invalid_argument("histogram::add_sparse: total count would exceed 2^64 - 1");
    }
    added += b.count;
  }
  allocate_if_moved_from();
  for (const auto& b : buckets) {
    add_bucket(b.index, b.count);
  }
}

std::string histogram::encode() const {
  const auto buckets = sparse();
  std::string out;
  out.reserve(32 + 20 * buckets.size());
  out += encoding_magic;
  out += ' ';
  out += std::to_string(highest_trackable_);
  out += ' ';
  out += std::to_string(significant_digits_);
  for (const auto& b : buckets) {
    out += ' ';
    out += std::to_string(b.index);
    out += ':';
    out += std::to_string(b.count);
  }
  return out;
}

histogram histogram::decode(std::string_view text) {
  tokenizer tokens(text);
  const auto magic = tokens.next();
  if (magic.empty()) decode_error("empty input, expected \"hdr1 <highest> <digits> ...\"");
  if (magic != encoding_magic) {
    decode_error("bad header: expected \"hdr1\", got " + quote(magic));
  }
  const auto highest_token = tokens.next();
  if (highest_token.empty()) decode_error("truncated header: missing highest trackable value");
  const auto highest =
      parse_u64(highest_token, "highest trackable value", tokens.count(), highest_token);
  const auto digits_token = tokens.next();
  if (digits_token.empty()) decode_error("truncated header: missing significant digits");
  const auto digits = parse_u64(digits_token, "significant digits", tokens.count(), digits_token);
  if (digits < 1 || digits > max_significant_digits) {
    decode_error("significant digits " + std::to_string(digits) + " out of range [1, " +
                 std::to_string(max_significant_digits) + "]");
  }
  if (highest < 1) decode_error("highest trackable value must be at least 1");

  histogram result(highest, static_cast<int>(digits));
  std::uint64_t previous_index = 0;
  bool first = true;
  for (auto token = tokens.next(); !token.empty(); token = tokens.next()) {
    const auto n = tokens.count();
    const auto colon = token.find(':');
    if (colon == std::string_view::npos) {
      decode_error("expected <index>:<count> in token " + std::to_string(n) + " " + quote(token));
    }
    const auto index = parse_u64(token.substr(0, colon), "bucket index", n, token);
    const auto count = parse_u64(token.substr(colon + 1), "count", n, token);
    if (index >= result.index_count_) {
      decode_error("bucket index " + std::to_string(index) + " out of range [0, " +
                   std::to_string(result.index_count_) + ") for " +
                   layout_text(highest, static_cast<int>(digits)) + " in token " +
                   std::to_string(n));
    }
    // encode() writes each non-empty bucket once, in index order; anything else is corruption
    // (e.g. two encodings pasted together), not something to sum silently.
    if (!first && index <= previous_index) {
      decode_error("bucket index " + std::to_string(index) + " not above the previous one (" +
                   std::to_string(previous_index) + ") in token " + std::to_string(n));
    }
    if (count == 0) {
      decode_error("zero count for bucket index " + std::to_string(index) + " in token " +
                   std::to_string(n) + " (empty buckets are omitted)");
    }
    if (count > std::numeric_limits<std::uint64_t>::max() - result.total_count_) {
      decode_error("counts overflow: total count exceeds 2^64 - 1 at token " + std::to_string(n));
    }
    result.add_bucket(static_cast<std::size_t>(index), count);
    previous_index = index;
    first = false;
  }
  return result;
}

}  // namespace ordeal::engine
