#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <vector>

#include "ordeal/engine/config.hpp"

namespace ordeal::engine {

// A piecewise-linear value over time: starts at `start`, then each stage moves linearly to its
// target over its duration (k6's ramping executors). Holds the rate of the open model or the
// connection count of the closed one.
class ramp {
 public:
  ramp(double start, std::vector<stage> stages);
  // A constant value for `duration`.
  static ramp constant(double value, std::chrono::nanoseconds duration);

  std::chrono::nanoseconds duration() const noexcept { return total_; }
  double value_at(std::chrono::nanoseconds t) const noexcept;  // the last target after the end
  double max_value() const noexcept;
  // Integral of the value from 0 to t (value × seconds): the expected number of arrivals.
  double integral_to(std::chrono::nanoseconds t) const noexcept;
  // Smallest t with integral_to(t) >= x, or nullopt if x is beyond the whole ramp.
  std::optional<std::chrono::nanoseconds> time_for_integral(double x) const noexcept;

 private:
  struct segment {
    double t0_s, length_s, from, to, area_before;
  };
  std::vector<segment> segments_;
  double start_;
  std::chrono::nanoseconds total_{};
};

// Intended send times of one worker's share of an open-model load: global arrival j happens
// when the ramp's integral reaches j. Worker `offset` of `stride` workers takes every
// stride-th arrival (constant spacing, interleaved across workers), or, for Poisson, an
// independent Poisson process at 1/stride of the rate, seeded per worker.
class arrival_schedule {
 public:
  arrival_schedule(ramp r, arrival_process process, unsigned stride, unsigned offset,
                   std::uint64_t seed);
  // Time since the start of the next arrival, or nullopt when the load window has ended.
  std::optional<std::chrono::nanoseconds> next() noexcept;

 private:
  ramp ramp_;
  arrival_process process_;
  double stride_;
  double position_;  // in arrivals (the ramp's integral)
  std::mt19937_64 rng_;
  std::exponential_distribution<double> exponential_{1.0};
};

}  // namespace ordeal::engine
