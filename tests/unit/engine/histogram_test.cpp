#include "ordeal/engine/histogram.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace {

using Catch::Matchers::Contains;
using ordeal::engine::histogram;

constexpr std::uint64_t u64_max = std::numeric_limits<std::uint64_t>::max();

// Percentiles in hundredths so the reference rank is computed in exact integer arithmetic,
// independent of how the histogram copes with 99.9 not being representable in binary.
struct percentile_case {
  double p;
  std::uint64_t hundredths;
};
constexpr percentile_case checked_percentiles[] = {
    {0, 0}, {1, 100}, {50, 5000}, {90, 9000}, {99, 9900}, {99.9, 9990}, {99.99, 9999}, {100, 10000},
};

// rank = ceil(p / 100 * n), at least 1; the value of that rank in the sorted samples.
std::uint64_t exact_percentile(const std::vector<std::uint64_t>& sorted, std::uint64_t hundredths) {
  const std::uint64_t n = sorted.size();
  const std::uint64_t rank = std::max<std::uint64_t>(1, (hundredths * n + 9999) / 10000);
  return sorted[rank - 1];
}

std::vector<std::uint64_t> uniform_samples(std::mt19937_64& rng, std::size_t n) {
  std::uniform_int_distribution<std::uint64_t> dist(1, 1'000'000);
  std::vector<std::uint64_t> out(n);
  for (auto& v : out)
    v = dist(rng);
  return out;
}

// Mostly fast with a long tail, like real latencies.
std::vector<std::uint64_t> exponential_samples(std::mt19937_64& rng, std::size_t n) {
  std::exponential_distribution<double> dist(1.0 / 5000);
  std::vector<std::uint64_t> out(n);
  for (auto& v : out)
    v = 1 + static_cast<std::uint64_t>(dist(rng));
  return out;
}

// Equally many values in every decade from 1 µs to 1 h: exercises every bucket.
std::vector<std::uint64_t> log_uniform_samples(std::mt19937_64& rng, std::size_t n) {
  std::uniform_real_distribution<double> dist(0, std::log(3.6e9));
  std::vector<std::uint64_t> out(n);
  for (auto& v : out) {
    v = std::clamp<std::uint64_t>(static_cast<std::uint64_t>(std::exp(dist(rng))), 1,
                                  histogram::default_highest_us);
  }
  return out;
}

histogram histogram_of(const std::vector<std::uint64_t>& samples) {
  histogram h;
  for (auto v : samples)
    h.record(v);
  return h;
}

long double exact_mean(const std::vector<std::uint64_t>& samples) {
  long double sum = 0;
  for (auto v : samples)
    sum += v;
  return sum / samples.size();
}

// Every percentile on a fine grid, to compare two histograms bucket by bucket.
void require_same_distribution(const histogram& a, const histogram& b) {
  REQUIRE(a.count() == b.count());
  REQUIRE(a.max() == b.max());
  for (double p = 0; p <= 100; p += 0.25) {
    INFO("p = " << p);
    REQUIRE(a.percentile(p) == b.percentile(p));
  }
  for (const auto& c : checked_percentiles)
    REQUIRE(a.percentile(c.p) == b.percentile(c.p));
  const auto sa = a.sparse();
  const auto sb = b.sparse();
  REQUIRE(sa.size() == sb.size());
  for (std::size_t i = 0; i < sa.size(); ++i) {
    REQUIRE(sa[i].index == sb[i].index);
    REQUIRE(sa[i].count == sb[i].count);
  }
}

void require_empty(const histogram& h) {
  REQUIRE(h.count() == 0);
  REQUIRE(h.min() == 0);
  REQUIRE(h.max() == 0);
  REQUIRE(h.mean() == 0);
  for (const auto& c : checked_percentiles)
    REQUIRE(h.percentile(c.p) == 0);
  REQUIRE(h.sparse().empty());
}

}  // namespace

TEST_CASE("histogram percentiles match exact percentiles within 3 digits", "[histogram]") {
  std::mt19937_64 rng(20240521);
  using generator = std::vector<std::uint64_t> (*)(std::mt19937_64&, std::size_t);
  const std::pair<const char*, generator> distributions[] = {
      {"uniform 1..1e6", uniform_samples},
      {"exponential", exponential_samples},
      {"log-uniform 1..3.6e9", log_uniform_samples},
  };
  for (const auto& [name, generate] : distributions) {
    for (std::size_t n : {1, 2, 1000, 100000}) {
      auto samples = generate(rng, n);
      const auto h = histogram_of(samples);
      std::sort(samples.begin(), samples.end());
      INFO(name << ", " << n << " samples");
      REQUIRE(h.count() == n);
      REQUIRE(h.min() == samples.front());
      REQUIRE(h.max() >= samples.back());
      REQUIRE(h.max() - samples.back() <= samples.back() / 1000);
      REQUIRE(h.mean() == Approx(static_cast<double>(exact_mean(samples))).epsilon(1e-12));
      for (const auto& c : checked_percentiles) {
        const auto exact = exact_percentile(samples, c.hundredths);
        const auto got = h.percentile(c.p);
        INFO("p" << c.p << ": exact " << exact << ", histogram " << got);
        // The highest equivalent value of the bucket: never below, at most 0.1% above.
        REQUIRE(got >= exact);
        REQUIRE(static_cast<double>(got - exact) <= static_cast<double>(exact) * 1e-3 + 1);
      }
      REQUIRE(h.percentile(100) == h.max());
    }
  }
}

TEST_CASE("histogram percentile rank is ceil(p / 100 * count)", "[histogram]") {
  histogram h;
  for (std::uint64_t v = 1; v <= 1000; ++v)
    h.record(v);  // exact: unit-width buckets below 2048
  CHECK(h.percentile(0) == 1);
  CHECK(h.percentile(0.05) == 1);  // rank ceil(0.5) = 1
  CHECK(h.percentile(0.1) == 1);
  CHECK(h.percentile(1) == 10);
  CHECK(h.percentile(50) == 500);
  CHECK(h.percentile(50.05) == 501);
  CHECK(h.percentile(90) == 900);
  CHECK(h.percentile(99.9) == 999);  // 99.9 / 100 * 1000 is 999.0000000000001 in doubles
  CHECK(h.percentile(99.99) == 1000);
  CHECK(h.percentile(100) == 1000);
  // Out of range p is clamped rather than reading past the counts.
  CHECK(h.percentile(-5) == 1);
  CHECK(h.percentile(250) == 1000);
  CHECK(h.percentile(std::nan("")) == 1);
}

TEST_CASE("histogram keeps 3 significant digits across the whole range", "[histogram]") {
  // 1001..1999 scaled into every bucket up to the top of the range: every value must be
  // reported within 0.1% of itself (the minimum, tracked apart, exactly).
  const auto check_precision = [](histogram& h) {
    bool ok = true;
    for (std::uint64_t scale = 1; scale <= 1'000'000; scale *= 10) {
      for (std::uint64_t v = 1001 * scale; v <= 1999 * scale; v += scale) {
        h.reset();
        h.record(v);
        const auto reported = h.percentile(50);
        ok = ok && reported >= v &&
             static_cast<double>(reported - v) <= static_cast<double>(v) * 1e-3 && h.min() == v;
      }
    }
    return ok;
  };
  histogram three_digits;
  REQUIRE(check_precision(three_digits));
  // The check has teeth: two digits are not enough to pass it.
  histogram two_digits(histogram::default_highest_us, 2);
  REQUIRE_FALSE(check_precision(two_digits));

  // Bucket bounds: contiguous, each at most 0.1% wide relative to its values, ending at the
  // highest trackable value.
  const histogram h;
  REQUIRE(h.lowest_equivalent(0) == 0);
  for (std::uint32_t i = 0; i < h.index_count(); ++i) {
    const auto low = h.lowest_equivalent(i);
    const auto high = h.highest_equivalent(i);
    INFO("index " << i << " [" << low << ", " << high << "]");
    REQUIRE(low <= high);
    REQUIRE(static_cast<double>(high - low) <= static_cast<double>(low) * 1e-3);
    if (i + 1 < h.index_count()) REQUIRE(h.lowest_equivalent(i + 1) == high + 1);
  }
  REQUIRE(h.highest_equivalent(h.index_count() - 1) == histogram::default_highest_us);
  // Out of range indexes are treated as the last one, not read out of bounds.
  REQUIRE(h.highest_equivalent(u64_max & 0xffffffff) == histogram::default_highest_us);
}

TEST_CASE("histogram layouts at the edges of the value range", "[histogram]") {
  const std::pair<std::uint64_t, int> layouts[] = {
      {1, 3}, {100, 3}, {2047, 3}, {2048, 3}, {u64_max, 1}, {u64_max, 3}, {3'600'000'000, 5},
  };
  for (const auto& [highest, digits] : layouts) {
    INFO("highest " << highest << ", digits " << digits);
    histogram h(highest, digits);
    REQUIRE(h.highest_equivalent(h.index_count() - 1) == highest);
    bool contiguous = true;  // one REQUIRE, not millions: the 5-digit layout has 2M indexes
    for (std::uint32_t i = 0; i + 1 < h.index_count(); ++i) {
      contiguous = contiguous && h.lowest_equivalent(i + 1) == h.highest_equivalent(i) + 1;
    }
    REQUIRE(contiguous);
    h.record(u64_max);
    h.record(0);
    h.record(highest / 2);
    REQUIRE(h.count() == 3);
    REQUIRE(h.min() == 0);
    REQUIRE(h.max() == highest);
    REQUIRE(h.percentile(100) == highest);
    REQUIRE(h.percentile(0) == 0);
  }
}

TEST_CASE("histogram rejects invalid layouts", "[histogram]") {
  REQUIRE_THROWS_AS(histogram(1000, 0), std::invalid_argument);
  REQUIRE_THROWS_AS(histogram(1000, 6), std::invalid_argument);
  REQUIRE_THROWS_AS(histogram(0, 3), std::invalid_argument);
  REQUIRE_THROWS_WITH(histogram(1000, -1), Contains("significant digits"));
}

TEST_CASE("histogram value 0, clamping, empty and reset", "[histogram]") {
  SECTION("empty histogram: every accessor is 0") {
    const histogram h;
    require_empty(h);
    REQUIRE(h.encode() == "hdr1 3600000000 3");
  }
  SECTION("0 is recorded as 0, in the first bucket") {
    histogram h;
    h.record(0);
    REQUIRE(h.count() == 1);
    REQUIRE(h.min() == 0);
    REQUIRE(h.max() == 0);
    REQUIRE(h.mean() == 0);
    REQUIRE(h.percentile(50) == 0);
    REQUIRE(h.sparse().size() == 1);
    REQUIRE(h.sparse()[0].index == 0);
    h.record(3);
    REQUIRE(h.percentile(50) == 0);
    REQUIRE(h.percentile(100) == 3);
    REQUIRE(h.mean() == 1.5);
  }
  SECTION("values above the highest trackable are clamped and counted") {
    histogram h(10'000, 3);
    h.record(10'001);
    h.record(u64_max);
    h.record_n(1'000'000, 3);
    REQUIRE(h.count() == 5);
    REQUIRE(h.min() == 10'000);
    REQUIRE(h.max() == 10'000);
    REQUIRE(h.mean() == 10'000);
    REQUIRE(h.percentile(0) == 10'000);
    REQUIRE(h.percentile(100) == 10'000);

    histogram hour;
    hour.record(u64_max);
    REQUIRE(hour.max() == histogram::default_highest_us);
    REQUIRE(hour.min() == histogram::default_highest_us);
  }
  SECTION("reset empties it and it records again") {
    histogram h;
    for (std::uint64_t v : {5u, 70'000u, 3'000'000u})
      h.record(v);
    h.reset();
    require_empty(h);
    REQUIRE(h.encode() == "hdr1 3600000000 3");
    h.record(42);
    REQUIRE(h.count() == 1);
    REQUIRE(h.min() == 42);
    REQUIRE(h.max() == 42);
    REQUIRE(h.percentile(99) == 42);
    REQUIRE(h.sparse().size() == 1);
  }
  SECTION("record_n equals n records; a count of 0 changes nothing") {
    histogram a;
    histogram b;
    a.record_n(123'456, 4);
    for (int i = 0; i < 4; ++i)
      b.record(123'456);
    a.record_n(1, 0);
    a.record_n(u64_max, 0);
    require_same_distribution(a, b);
    REQUIRE(a.min() == b.min());
    REQUIRE(a.mean() == b.mean());
  }
}

TEST_CASE("histogram copy and move", "[histogram]") {
  histogram h(60'000'000, 3);
  for (std::uint64_t v : {3u, 4'000u, 59'000'000u})
    h.record(v);
  const histogram reference = h;

  SECTION("a copy is independent") {
    auto copy = h;
    copy.record(7);
    REQUIRE(copy.count() == 4);
    REQUIRE(h.count() == 3);
  }
  SECTION("moved-from reads as empty and is usable again after reset") {
    histogram moved = std::move(h);
    require_same_distribution(moved, reference);
    require_empty(h);  // NOLINT(bugprone-use-after-move): the documented moved-from state
    REQUIRE(h.highest_trackable() == 60'000'000);
    REQUIRE(h.encode() == "hdr1 60000000 3");
    h.reset();
    h.record(5);
    REQUIRE(h.count() == 1);
    REQUIRE(h.percentile(50) == 5);
  }
  SECTION("moved-from regains storage on merge and add_sparse") {
    histogram target;
    target = std::move(h);
    require_same_distribution(target, reference);
    h.merge(reference);  // NOLINT(bugprone-use-after-move)
    require_same_distribution(h, reference);
    histogram other = std::move(h);
    h.add_sparse(reference.sparse());  // NOLINT(bugprone-use-after-move)
    require_same_distribution(h, reference);
  }
}

TEST_CASE("histogram merge is lossless", "[histogram]") {
  std::mt19937_64 rng(7);
  const auto first = exponential_samples(rng, 50'000);
  const auto second = log_uniform_samples(rng, 30'000);
  auto all = first;
  all.insert(all.end(), second.begin(), second.end());

  auto merged = histogram_of(first);
  merged.merge(histogram_of(second));
  const auto reference = histogram_of(all);
  require_same_distribution(merged, reference);
  REQUIRE(merged.min() == reference.min());
  REQUIRE(merged.mean() == reference.mean());

  SECTION("with empty histograms, either way") {
    histogram empty;
    auto copy = reference;
    copy.merge(empty);
    require_same_distribution(copy, reference);
    empty.merge(reference);
    require_same_distribution(empty, reference);
    REQUIRE(empty.min() == reference.min());
    REQUIRE(empty.mean() == reference.mean());
  }
  SECTION("with itself: every count doubles") {
    auto twice = reference;
    twice.merge(twice);
    auto expected = reference;
    for (const auto& b : reference.sparse()) {
      expected.add_sparse({{b.index, b.count}});
    }
    REQUIRE(twice.count() == 2 * reference.count());
    REQUIRE(twice.min() == reference.min());
    REQUIRE(twice.mean() == reference.mean());
    require_same_distribution(twice, expected);
  }
  SECTION("different layouts throw and leave the target unchanged") {
    auto target = reference;
    histogram other_highest(60'000'000, 3);
    other_highest.record(5);
    histogram other_digits(histogram::default_highest_us, 2);
    other_digits.record(5);
    REQUIRE_THROWS_AS(target.merge(other_highest), std::invalid_argument);
    REQUIRE_THROWS_WITH(target.merge(other_digits), Contains("layouts differ"));
    require_same_distribution(target, reference);
  }
}

TEST_CASE("histogram encode/decode round trip", "[histogram]") {
  std::mt19937_64 rng(99);
  const auto samples = log_uniform_samples(rng, 20'000);
  const auto h = histogram_of(samples);
  const auto text = h.encode();
  REQUIRE(text.rfind("hdr1 3600000000 3 ", 0) == 0);

  const auto decoded = histogram::decode(text);
  REQUIRE(decoded.highest_trackable() == h.highest_trackable());
  REQUIRE(decoded.significant_digits() == h.significant_digits());
  require_same_distribution(decoded, h);
  REQUIRE(decoded.encode() == text);
  // The encoding holds buckets only: min and mean come back to the buckets' precision.
  REQUIRE(decoded.min() <= h.min());
  REQUIRE(static_cast<double>(h.min() - decoded.min()) <= static_cast<double>(h.min()) * 1e-3);
  REQUIRE(decoded.mean() == Approx(h.mean()).epsilon(1e-3));

  SECTION("other layouts and the empty histogram") {
    histogram small(60'000'000, 2);
    small.record(0);
    small.record(59'999'999);
    small.record_n(12'345, 10);
    const auto back = histogram::decode(small.encode());
    REQUIRE(back.highest_trackable() == 60'000'000);
    REQUIRE(back.significant_digits() == 2);
    require_same_distribution(back, small);

    require_empty(histogram::decode(histogram().encode()));
  }
  SECTION("whitespace between tokens is not significant") {
    const auto back = histogram::decode("\n hdr1\t3600000000  3\r\n5:2   70:1\n");
    REQUIRE(back.count() == 3);
    REQUIRE(back.percentile(50) == 5);
    REQUIRE(back.max() == 70);
  }
}

TEST_CASE("histogram sparse/add_sparse round trip", "[histogram]") {
  std::mt19937_64 rng(3);
  const auto h = histogram_of(exponential_samples(rng, 10'000));
  const auto buckets = h.sparse();
  REQUIRE(!buckets.empty());
  for (std::size_t i = 1; i < buckets.size(); ++i)
    REQUIRE(buckets[i - 1].index < buckets[i].index);

  histogram back;
  back.add_sparse(buckets);
  require_same_distribution(back, h);
  REQUIRE(back.mean() == Approx(h.mean()).epsilon(1e-3));

  // Adds to what is there, like merge (per-second snapshots summed into a total).
  back.add_sparse(buckets);
  REQUIRE(back.count() == 2 * h.count());

  SECTION("bad indexes and overflowing counts throw and change nothing") {
    histogram target;
    target.record(10);
    const auto bad_index = target.index_count();
    REQUIRE_THROWS_WITH(target.add_sparse({{5, 1}, {bad_index, 1}}), Contains("out of range"));
    REQUIRE_THROWS_AS(target.add_sparse({{5, u64_max}}), std::invalid_argument);
    REQUIRE_THROWS_AS(target.add_sparse({{5, u64_max / 2}, {6, u64_max / 2 + 1}}),
                      std::invalid_argument);
    REQUIRE(target.count() == 1);
    REQUIRE(target.sparse().size() == 1);
  }
}

TEST_CASE("histogram decode rejects malformed text", "[histogram]") {
  const std::pair<std::string, const char*> malformed[] = {
      {"", "empty input"},
      {" \n\t", "empty input"},
      {"hdr2 3600000000 3", "bad header"},
      {"HDR1 3600000000 3", "bad header"},
      {"3600000000 3 5:1", "bad header"},
      {"hdr1", "missing highest"},
      {"hdr1 3600000000", "missing significant digits"},
      {"hdr1 abc 3", "non-numeric highest"},
      {"hdr1 -3600000000 3", "non-numeric highest"},
      {"hdr1 3600000000 3.0", "non-numeric significant digits"},
      {"hdr1 99999999999999999999999 3", "too large"},
      {"hdr1 3600000000 0", "out of range [1, 5]"},
      {"hdr1 3600000000 6", "out of range [1, 5]"},
      {"hdr1 0 3", "at least 1"},
      {"hdr1 3600000000 3 5", "expected <index>:<count>"},
      {"hdr1 3600000000 3 5:", "non-numeric count"},
      {"hdr1 3600000000 3 :5", "non-numeric bucket index"},
      {"hdr1 3600000000 3 a:5", "non-numeric bucket index"},
      {"hdr1 3600000000 3 5:x", "non-numeric count"},
      {"hdr1 3600000000 3 5:1x", "non-numeric count"},
      {"hdr1 3600000000 3 5:1:2", "non-numeric count"},
      {"hdr1 3600000000 3 5:-1", "non-numeric count"},
      {"hdr1 3600000000 3 +5:1", "non-numeric bucket index"},
      {"hdr1 3600000000 3 5:18446744073709551616", "count too large"},
      {"hdr1 3600000000 3 23221:1", "out of range"},
      {"hdr1 3600000000 3 4294967296:1", "out of range"},
      {"hdr1 3600000000 3 5:1 5:1", "not above the previous"},
      {"hdr1 3600000000 3 6:1 5:1", "not above the previous"},
      {"hdr1 3600000000 3 5:0", "zero count"},
      {"hdr1 3600000000 3 1:18446744073709551615 2:1", "counts overflow"},
      {std::string("hdr1 3600000000 3 5:1\0", 22) + "7:1", "non-numeric count"},
      {"hdr1 3600000000 3 \xff\xfe:1", "non-numeric bucket index"},
  };
  for (const auto& [text, message] : malformed) {
    INFO("input: " << text);
    REQUIRE_THROWS_AS(histogram::decode(text), std::invalid_argument);
    REQUIRE_THROWS_WITH(histogram::decode(text), Contains(message));
  }
  // The last valid bucket index is accepted (the range check is not off by one).
  REQUIRE(histogram::decode("hdr1 3600000000 3 23220:1").max() == histogram::default_highest_us);
}

TEST_CASE("histogram decode of mutated encodings throws or succeeds, never crashes",
          "[histogram]") {
  std::mt19937_64 rng(11);
  histogram h;
  for (auto v : exponential_samples(rng, 200))
    h.record(v);
  const auto text = h.encode();
  const std::string alphabet = "0123456789: -hdr\n\xff";
  std::uniform_int_distribution<std::size_t> position(0, text.size() - 1);
  std::uniform_int_distribution<std::size_t> letter(0, alphabet.size() - 1);
  std::size_t rejected = 0;
  for (int round = 0; round < 3000; ++round) {
    auto mutated = text;
    for (int edits = 1 + round % 3; edits > 0; --edits) {
      switch (rng() % 3) {
        case 0:
          mutated[position(rng) % mutated.size()] = alphabet[letter(rng)];
          break;
        case 1:
          mutated.insert(position(rng) % mutated.size(), 1, alphabet[letter(rng)]);
          break;
        default:
          mutated.erase(position(rng) % mutated.size(), 1);
          break;
      }
    }
    try {
      const auto decoded = histogram::decode(mutated);
      // Whatever decodes must be internally consistent.
      REQUIRE(decoded.percentile(100) == decoded.max());
      REQUIRE(decoded.percentile(0) >= decoded.min());
    } catch (const std::invalid_argument&) {
      ++rejected;
    }
  }
  REQUIRE(rejected > 0);
}
