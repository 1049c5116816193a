#include "ordeal/engine/metric_timeline.hpp"

#include <catch2/catch.hpp>

using namespace ordeal::engine;

TEST_CASE("metric samples: a packed second merges back exactly", "[engine][metric_timeline]") {
  metric a;
  a.kind = metric_kind::trend;
  a.is_time = true;
  for (int i = 1; i <= 1000; ++i)
    a.add(i * 0.37);
  const auto s = metric_sample::of(a);
  CHECK(s.samples == 1000);
  // A few bytes per bucket, not a dense histogram.
  CHECK(s.buckets.size() < 1000 * 4);
  metric back;
  back.kind = metric_kind::trend;
  s.add_to(back);
  CHECK(back.samples == a.samples);
  CHECK(back.sum == Approx(a.sum));
  CHECK(back.min == a.min);
  CHECK(back.max == a.max);
  for (double p : {1.0, 50.0, 90.0, 99.0, 99.9})
    CHECK(back.percentile(p) == a.percentile(p));

  // Two workers' samples of one series in one second.
  metric b;
  b.kind = metric_kind::trend;
  for (int i = 0; i < 100; ++i)
    b.add(1000 + i);
  auto merged = metric_sample::of(a);
  merged.merge(metric_sample::of(b));
  metric both;
  both.kind = metric_kind::trend;
  merged.add_to(both);
  metric expect = a;
  expect.merge(b);
  CHECK(both.samples == 1100);
  CHECK(both.max == expect.max);
  for (double p : {50.0, 95.0, 99.0})
    CHECK(both.percentile(p) == expect.percentile(p));
}

TEST_CASE("metric timeline: seconds, series and selections", "[engine][metric_timeline]") {
  metric_timeline t;
  const auto pay = t.series_id("http_req_duration{name:pay,status:201}", metric_kind::trend, true);
  const auto home =
      t.series_id("http_req_duration{name:home,status:200}", metric_kind::trend, true);
  CHECK(t.series_id("http_req_duration{name:pay,status:201}", metric_kind::trend, true) == pay);
  const auto second = [&](std::uint32_t series, std::initializer_list<double> values) {
    metric m;
    m.kind = metric_kind::trend;
    m.is_time = true;
    for (double v : values)
      m.add(v);
    return metric_sample::of(m, series);
  };
  t.add(0, second(pay, {10, 20}));
  t.add(0, second(home, {1}));
  t.add(2, second(pay, {300}));
  t.add(2, second(pay, {100}));  // another worker, same second: merged
  CHECK(t.seconds() == 3);
  CHECK(t.at(1).empty());
  REQUIRE(t.at(2).size() == 1);
  CHECK(t.at(2)[0].samples == 2);

  auto m = t.select(parse_metric_filter("http_req_duration"), 0, 3);
  REQUIRE(m);
  CHECK(m->samples == 5);
  CHECK(m->is_time);
  m = t.select(parse_metric_filter("http_req_duration{name:pay}"), 1, 3);
  REQUIRE(m);
  CHECK(m->samples == 2);
  CHECK(m->max == 300);
  m = t.select(parse_metric_filter("http_req_duration{name:pay}"), 1, 2);
  REQUIRE(m);  // the series exists, without samples then
  CHECK(m->samples == 0);
  CHECK_FALSE(t.select(parse_metric_filter("http_req_duration{name:refund}"), 0, 3));
  CHECK(t.memory_bytes() > 0);
}
