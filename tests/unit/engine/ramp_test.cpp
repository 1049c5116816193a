#include "ordeal/engine/ramp.hpp"

#include <catch2/catch.hpp>
#include <cmath>

using namespace std::chrono_literals;
using ordeal::engine::arrival_process;
using ordeal::engine::arrival_schedule;
using ordeal::engine::ramp;

namespace {
double seconds(std::chrono::nanoseconds d) {
  return static_cast<double>(d.count()) / 1e9;
}
}  // namespace

TEST_CASE("ramp: value and integral of a constant", "[ramp]") {
  const auto r = ramp::constant(100, 10s);
  CHECK(r.duration() == 10s);
  CHECK(r.value_at(0s) == 100);
  CHECK(r.value_at(5s) == 100);
  CHECK(r.integral_to(10s) == Approx(1000));
  CHECK(r.integral_to(2500ms) == Approx(250));
  CHECK(seconds(*r.time_for_integral(250)) == Approx(2.5));
  CHECK_FALSE(r.time_for_integral(1000.5).has_value());
}

TEST_CASE("ramp: linear stages from a start value", "[ramp]") {
  // 0 → 100 over 10 s, hold 100 for 10 s, 100 → 0 over 10 s.
  const ramp r(0, {{10s, 100}, {10s, 100}, {10s, 0}});
  CHECK(r.duration() == 30s);
  CHECK(r.max_value() == 100);
  CHECK(r.value_at(5s) == Approx(50));
  CHECK(r.value_at(15s) == Approx(100));
  CHECK(r.value_at(25s) == Approx(50));
  CHECK(r.value_at(40s) == 0);
  CHECK(r.integral_to(10s) == Approx(500));
  CHECK(r.integral_to(20s) == Approx(1500));
  CHECK(r.integral_to(30s) == Approx(2000));
  // On the rising ramp the integral is 5 t², so 125 arrivals are reached at t = 5 s.
  CHECK(seconds(*r.time_for_integral(125)) == Approx(5.0));
  // On the falling ramp: 1500 + 100 τ − 5 τ² = 1875 at τ = 5 s.
  CHECK(seconds(*r.time_for_integral(1875)) == Approx(25.0));
}

TEST_CASE("ramp: time_for_integral inverts integral_to everywhere", "[ramp]") {
  const ramp r(20, {{3s, 500}, {2s, 500}, {4s, 10}, {1s, 0}, {2s, 0}, {3s, 300}});
  for (double x = 0; x < r.integral_to(r.duration()); x += 7.3) {
    const auto t = r.time_for_integral(x);
    REQUIRE(t.has_value());
    CHECK(r.integral_to(*t) == Approx(x).margin(1e-3));
  }
}

TEST_CASE("arrivals: a stage at zero holds none", "[ramp]") {
  arrival_schedule none(ramp(0, {{2s, 0}}), arrival_process::constant, 1, 0, 1);
  CHECK_FALSE(none.next().has_value());
  // 10/s ramp up and down around a 2 s plateau at zero: nothing inside the plateau.
  arrival_schedule s(ramp(0, {{1s, 10}, {1s, 0}, {1s, 0}, {1s, 10}}), arrival_process::constant, 1,
                     0, 1);
  for (auto t = s.next(); t; t = s.next()) {
    INFO(seconds(*t));
    CHECK((seconds(*t) <= 2.0 || seconds(*t) >= 3.0));
  }
}

TEST_CASE("arrivals: constant spacing, interleaved across workers", "[ramp]") {
  const auto r = ramp::constant(1000, 1s);
  // Two workers share 1000/s: worker 0 takes arrivals 0, 2, 4, ... worker 1 takes 1, 3, 5, ...
  arrival_schedule w0(r, arrival_process::constant, 2, 0, 1);
  arrival_schedule w1(r, arrival_process::constant, 2, 1, 1);
  std::vector<double> times;
  for (auto t = w0.next(); t; t = w0.next())
    times.push_back(seconds(*t));
  for (auto t = w1.next(); t; t = w1.next())
    times.push_back(seconds(*t));
  REQUIRE(times.size() == 1000);
  std::sort(times.begin(), times.end());
  for (std::size_t i = 0; i < times.size(); ++i)
    CHECK(times[i] == Approx(i / 1000.0).margin(1e-9));
}

TEST_CASE("arrivals: Poisson is seeded, has the right mean and spread", "[ramp]") {
  const auto r = ramp::constant(2000, 10s);  // 20000 expected
  auto count = [&](std::uint64_t seed) {
    arrival_schedule s(r, arrival_process::poisson, 1, 0, seed);
    std::size_t n = 0;
    double sum_gap = 0, sum_gap2 = 0, last = 0;
    for (auto t = s.next(); t; t = s.next()) {
      const double gap = seconds(*t) - last;
      last = seconds(*t);
      sum_gap += gap;
      sum_gap2 += gap * gap;
      ++n;
    }
    const double mean = sum_gap / n;
    const double cv = std::sqrt(sum_gap2 / n - mean * mean) / mean;
    return std::tuple{n, mean, cv};
  };
  const auto [n, mean, cv] = count(7);
  CHECK(n > 19400);  // sd ≈ 141: ±600 is beyond 4 sd
  CHECK(n < 20600);
  CHECK(mean == Approx(1.0 / 2000).epsilon(0.03));
  CHECK(cv == Approx(1.0).epsilon(0.05));  // exponential gaps: coefficient of variation 1
  CHECK(std::get<0>(count(7)) == n);       // same seed, same arrivals
  CHECK(std::get<0>(count(8)) != n);
}

TEST_CASE("arrivals follow a ramp: counts per second match the integral", "[ramp]") {
  const ramp r(0, {{4s, 400}});  // rate rises 100/s per second: 50, 150, 250, 350 per second
  arrival_schedule s(r, arrival_process::constant, 1, 0, 1);
  std::array<int, 4> per_second{};
  for (auto t = s.next(); t; t = s.next())
    ++per_second[static_cast<std::size_t>(seconds(*t))];
  CHECK(per_second[0] == Approx(50).margin(1));
  CHECK(per_second[1] == Approx(150).margin(1));
  CHECK(per_second[2] == Approx(250).margin(1));
  CHECK(per_second[3] == Approx(350).margin(1));
}
