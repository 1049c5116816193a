#include "ordeal/engine/ramp.hpp"

#include <algorithm>
#include <cmath>

namespace ordeal::engine {
namespace {
constexpr double to_seconds(std::chrono::nanoseconds d) {
  return static_cast<double>(d.count()) / 1e9;
}
}  // namespace

ramp::ramp(double start, std::vector<stage> stages) : start_(start) {
  double t = 0, area = 0, from = start;
  for (const auto& s : stages) {
    const double len = to_seconds(s.duration);
    segments_.push_back({t, len, from, s.target, area});
    area += len * (from + s.target) / 2;
    t += len;
    from = s.target;
    total_ += s.duration;
  }
}

ramp ramp::constant(double value, std::chrono::nanoseconds duration) {
  return ramp(value, {stage{duration, value}});
}

double ramp::value_at(std::chrono::nanoseconds t) const noexcept {
  const double ts = to_seconds(t);
  for (const auto& s : segments_) {
    if (ts < s.t0_s + s.length_s) {
      if (ts <= s.t0_s || s.length_s <= 0) return s.from;
      return s.from + (s.to - s.from) * (ts - s.t0_s) / s.length_s;
    }
  }
  return segments_.empty() ? start_ : segments_.back().to;
}

double ramp::max_value() const noexcept {
  double m = start_;
  for (const auto& s : segments_)
    m = std::max(m, s.to);
  return m;
}

double ramp::integral_to(std::chrono::nanoseconds t) const noexcept {
  const double ts = to_seconds(t);
  double area = 0;
  for (const auto& s : segments_) {
    if (ts <= s.t0_s) break;
    const double dt = std::min(ts - s.t0_s, s.length_s);
    const double v = s.length_s > 0 ? s.from + (s.to - s.from) * dt / s.length_s : s.from;
    area = s.area_before + dt * (s.from + v) / 2;
  }
  return area;
}

std::optional<std::chrono::nanoseconds> ramp::time_for_integral(double x) const noexcept {
  for (const auto& s : segments_) {
    const double seg_area = s.length_s * (s.from + s.to) / 2;
    const double need = x - s.area_before;
    // A stage at zero holds no arrival (one exactly at its start belongs to the stage before).
    if (seg_area <= 0 || need > seg_area) continue;
    double dt = 0;
    if (need > 0) {
      // Solve from·dt + slope·dt²/2 = need for the value rising at `slope` per second; this
      // form stays exact when from == 0 or slope == 0.
      const double slope = s.length_s > 0 ? (s.to - s.from) / s.length_s : 0;
      const double disc = std::max(0.0, s.from * s.from + 2 * slope * need);
      const double denom = s.from + std::sqrt(disc);
      if (denom <= 0) continue;
      dt = std::min(s.length_s, 2 * need / denom);
    }
    return std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround((s.t0_s + dt) * 1e9)));
  }
  return std::nullopt;
}

arrival_schedule::arrival_schedule(ramp r, arrival_process process, unsigned stride,
                                   unsigned offset, std::uint64_t seed)
    : ramp_(std::move(r)),
      process_(process),
      stride_(stride),
      position_(process == arrival_process::constant ? static_cast<double>(offset) : 0.0),
      rng_(seed ^ (0x9e3779b97f4a7c15ULL * (offset + 1))) {
  if (process_ == arrival_process::poisson) position_ = stride_ * exponential_(rng_);
}

std::optional<std::chrono::nanoseconds> arrival_schedule::next() noexcept {
  auto t = ramp_.time_for_integral(position_);
  if (!t || *t >= ramp_.duration()) return std::nullopt;
  position_ += process_ == arrival_process::constant ? stride_ : stride_ * exponential_(rng_);
  return t;
}

}  // namespace ordeal::engine
