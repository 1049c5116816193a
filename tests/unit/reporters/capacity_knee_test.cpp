// The knee of a capacity test: the busiest second within budget before a sustained breach.
#include "ordeal/reporters/capacity_knee.hpp"

#include <catch2/catch.hpp>

using namespace ordeal;
using Catch::Matchers::Contains;
using engine::metric_kind;

namespace {

struct second_spec {
  int requests;
  double ms;
  int failed;
};

// A ramp: one entry per second (requests completed, their latency, how many failed).
engine::script_results ramp(const std::vector<second_spec>& seconds) {
  engine::script_results r;
  auto& t = r.timeline;
  const auto d = t.series_id("http_req_duration{method:GET,status:200}", metric_kind::trend, true);
  const auto n = t.series_id("http_reqs{method:GET,status:200}", metric_kind::counter, false);
  const auto f = t.series_id("http_req_failed{method:GET,status:200}", metric_kind::rate, false);
  for (std::size_t s = 0; s < seconds.size(); ++s) {
    engine::metric dm{.kind = metric_kind::trend, .is_time = true};
    engine::metric nm{.kind = metric_kind::counter};
    engine::metric fm{.kind = metric_kind::rate};
    for (int i = 0; i < seconds[s].requests; ++i) {
      dm.add(seconds[s].ms);
      nm.add(1);
      fm.add(i < seconds[s].failed ? 1 : 0);
    }
    t.add(s, engine::metric_sample::of(dm, d));
    t.add(s, engine::metric_sample::of(nm, n));
    t.add(s, engine::metric_sample::of(fm, f));
  }
  return r;
}

}  // namespace

TEST_CASE("capacity knee: the busiest second within budget before a sustained breach",
          "[reporters]") {
  const auto r = ramp({{100, 10, 0},
                       {200, 12, 0},
                       {300, 20, 0},
                       {400, 400, 0},  // one bad second: noise
                       {450, 40, 0},
                       {500, 350, 0},  // the breach: three in a row
                       {520, 900, 0},
                       {510, 20, 100},
                       {600, 30, 0}});  // after the breach: not the knee
  const engine::capacity_spec c{.p99_ms = 300, .error_rate = 0.01, .sustain_seconds = 3};
  const auto k = reporters::find_knee(r.timeline, c);
  REQUIRE(k.found);
  CHECK(k.knee_second == 4);
  CHECK(k.knee_rps == 450);
  REQUIRE(k.breach_second);
  CHECK(*k.breach_second == 5);
  CHECK(k.breach_rps == 500);
  const auto v = reporters::capacity_verdict(r, c);
  CHECK(v.passed);
  CHECK(v.name == "capacity knee (p99<=300ms, errors<=1%)");
  CHECK_THAT(v.measured, Contains("450 req/s at 4s"));
  CHECK_THAT(v.measured, Contains("broken from 5s: 500 req/s"));
}

TEST_CASE("capacity knee: budgets that hold throughout, or never", "[reporters]") {
  const engine::capacity_spec c{.p99_ms = 100, .error_rate = 0, .sustain_seconds = 2};
  const auto held = reporters::capacity_verdict(ramp({{10, 5, 0}, {20, 5, 0}}), c);
  CHECK(held.passed);
  CHECK_THAT(held.measured, Contains("20 req/s at 1s"));
  CHECK_THAT(held.measured, Contains("the knee is above the highest rate tried"));
  const auto trailing = reporters::capacity_verdict(ramp({{10, 5, 0}, {20, 500, 0}}), c);
  CHECK(trailing.passed);
  CHECK_THAT(trailing.measured, Contains("10 req/s at 0s"));
  CHECK_THAT(trailing.measured, Contains("the last 1s broke the budgets"));
  const auto never = reporters::capacity_verdict(ramp({{10, 500, 0}, {20, 5, 3}}), c);
  CHECK_FALSE(never.passed);
  CHECK_THAT(never.reasons.at(0), Contains("the knee is below the lowest rate tried"));
  CHECK_FALSE(reporters::capacity_verdict(ramp({}), c).passed);
}
