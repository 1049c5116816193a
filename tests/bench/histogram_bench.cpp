#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "ordeal/engine/histogram.hpp"

namespace {

using ordeal::engine::histogram;

// 64k latencies drawn once, so the benchmarks time the histogram, not the RNG: log-normal
// around 2 ms with a long tail, which spreads the values over many buckets as real traffic does.
const std::vector<std::uint64_t>& latencies() {
  static const std::vector<std::uint64_t> values = [] {
    std::mt19937_64 rng(42);
    std::lognormal_distribution<double> dist(std::log(2000.0), 1.0);
    std::vector<std::uint64_t> out(64 * 1024);
    for (auto& v : out)
      v = static_cast<std::uint64_t>(dist(rng));
    return out;
  }();
  return values;
}

histogram filled() {
  histogram h;
  for (auto v : latencies())
    h.record(v);
  return h;
}

void BM_histogram_record(benchmark::State& state) {
  const auto& values = latencies();
  const std::size_t mask = values.size() - 1;  // a power of two
  histogram h;
  std::size_t i = 0;
  for (auto _ : state) {
    h.record(values[i++ & mask]);
  }
  benchmark::DoNotOptimize(h.count());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_histogram_record);

void BM_histogram_percentile(benchmark::State& state) {
  const auto h = filled();
  for (auto _ : state) {
    benchmark::DoNotOptimize(h.percentile(99));
  }
}
BENCHMARK(BM_histogram_percentile);

// One worker's histogram merged into the run total, as happens after join.
void BM_histogram_merge(benchmark::State& state) {
  const auto worker = filled();
  histogram total;
  for (auto _ : state) {
    total.merge(worker);
  }
  benchmark::DoNotOptimize(total.count());
}
BENCHMARK(BM_histogram_merge);

}  // namespace
