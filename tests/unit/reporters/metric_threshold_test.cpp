#include "ordeal/reporters/metric_threshold.hpp"

#include <catch2/catch.hpp>
#include <cmath>

#include "ordeal/engine/config_error.hpp"

using namespace ordeal;
using namespace ordeal::reporters;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using engine::metric_kind;

namespace {

engine::threshold_spec spec(std::string metric, std::string expression) {
  engine::threshold_spec s;
  s.metric = std::move(metric);
  s.expression = std::move(expression);
  s.path = "drill.lua: options.thresholds.x[1]";
  return s;
}

std::string error_of(const engine::threshold_spec& s,
                     const std::map<std::string, metric_kind, std::less<>>* declared = nullptr) {
  try {
    parse_metric_threshold(s, declared);
  } catch (const engine::config_error& e) {
    return e.what();
  }
  return "(no error)";
}

engine::metric trend_of(std::initializer_list<double> values) {
  engine::metric m;
  m.kind = metric_kind::trend;
  m.is_time = true;
  for (double v : values)
    m.add(v);
  return m;
}

// A 60-second run of one request name at 10 requests per second, 50 ms each, except seconds
// 20 and 21 at 900 ms: 20 of 600 requests (3%) are slow, so the whole run's p(95) stays at
// 50 ms; every 10 s window holding a slow second is 10% slow or more, its p(95) 900 ms.
engine::script_results slow_stretch_run() {
  engine::script_results r;
  r.http.duration = 60s;
  const std::string key = "http_req_duration{method:GET,name:pay,status:200}";
  const auto id = r.timeline.series_id(key, metric_kind::trend, true);
  const auto reqs = r.timeline.series_id("http_reqs{method:GET,name:pay,status:200}",
                                         metric_kind::counter, false);
  auto& total = engine::metric_at(r.metrics, key, metric_kind::trend, true);
  auto& count = engine::metric_at(r.metrics, "http_reqs{method:GET,name:pay,status:200}",
                                  metric_kind::counter);
  for (std::size_t s = 0; s < 60; ++s) {
    engine::metric second;
    second.kind = metric_kind::trend;
    second.is_time = true;
    engine::metric n;
    n.kind = metric_kind::counter;
    for (int i = 0; i < 10; ++i) {
      const double ms = s == 20 || s == 21 ? 900 : 50;
      second.add(ms);
      total.add(ms);
      n.add(1);
      count.add(1);
    }
    r.timeline.add(s, engine::metric_sample::of(second, id));
    r.timeline.add(s, engine::metric_sample::of(n, reqs));
  }
  return r;
}

}  // namespace

TEST_CASE("metric thresholds: grammar", "[reporters][thresholds]") {
  auto s = spec("http_req_duration{name:pay,status:201}", "p(99.9) <= 1.5s");
  s.abort_on_fail = true;
  s.delay_abort_eval = 10s;
  auto t = parse_metric_threshold(s);
  CHECK(t.stat == metric_stat::percentile);
  CHECK(t.percentile == 99.9);
  CHECK(t.op == threshold_op::less_equal);
  CHECK(t.limit == 1500);  // ms
  CHECK(t.filter.name == "http_req_duration");
  CHECK(t.filter.tags.size() == 2);
  CHECK(t.abort_on_fail);
  CHECK(t.delay_abort_eval == 10s);
  CHECK(t.name() == "http_req_duration{name:pay,status:201}: p(99.9) <= 1.5s");
  s.over = 30s;
  CHECK(parse_metric_threshold(s).name() ==
        "http_req_duration{name:pay,status:201}: p(99.9) <= 1.5s over 30s");
  CHECK(parse_metric_threshold(spec("checks", "rate>0.99")).stat == metric_stat::rate);
  CHECK(parse_metric_threshold(spec("iterations", "count>1000")).limit == 1000);
  CHECK(parse_metric_threshold(spec("http_reqs{status:503}", "rate<1")).stat == metric_stat::rate);
  CHECK(parse_metric_threshold(spec("http_req_retries", "count<10")).filter.name == "retries");
}

TEST_CASE("metric thresholds: bad ones name the path and say why", "[reporters][thresholds]") {
  const std::string at = "drill.lua: options.thresholds.x[1]: ";
  CHECK(error_of(spec("http_req_duration", "p95<1s")) ==
        at + "invalid threshold \"p95<1s\" on http_req_duration: unknown statistic \"p95\" (use "
             "p(N), avg, med, min, max, count, rate, value)");
  CHECK(error_of(spec("http_req_duration", "p(95)<soon")) ==
        at + "invalid threshold \"p(95)<soon\" on http_req_duration: \"soon\" is neither a "
             "number nor a duration such as 300ms");
  CHECK_THAT(error_of(spec("http_req_duration", "p(101)<1s")),
             Contains("p(N) needs N between 0 and 100"));
  CHECK_THAT(error_of(spec("http_req_duration", "fast")), Contains("expected STAT OP VALUE"));
  CHECK_THAT(error_of(spec("http_req_duration{name:pay", "p(95)<1s")),
             Contains("a tag filter ends with \"}\""));
  // A statistic the metric's kind has not.
  CHECK(error_of(spec("http_reqs", "p(95)<10")) ==
        at + "invalid threshold \"p(95)<10\" on http_reqs: p(N) does not apply to http_reqs, a "
             "counter (use count or rate)");
  CHECK_THAT(error_of(spec("http_req_failed", "count<10")),
             Contains("count does not apply to http_req_failed, a rate (use rate)"));
  CHECK_THAT(error_of(spec("checks{check:ok}", "avg>0.5")),
             Contains("avg does not apply to checks, a rate"));
  CHECK_THAT(error_of(spec("http_req_duration", "rate<5")),
             Contains("rate does not apply to http_req_duration, a trend (use p(N), avg, med, "
                      "min, max or count)"));
  // Custom metrics: checked against what the drill declared; an unknown name is refused.
  const std::map<std::string, metric_kind, std::less<>> declared{{"orders", metric_kind::counter},
                                                                 {"queue", metric_kind::gauge}};
  CHECK(error_of(spec("orders{region:eu}", "count>1"), &declared) == "(no error)");
  CHECK(error_of(spec("queue", "value<100"), &declared) == "(no error)");
  CHECK_THAT(error_of(spec("queue", "p(95)<100"), &declared),
             Contains("p(N) does not apply to queue, a gauge (use value, min, max or avg)"));
  CHECK_THAT(error_of(spec("http_req_durations", "p(95)<1s"), &declared),
             Contains("no metric named http_req_durations"));
  CHECK(error_of(spec("http_req_durations", "p(95)<1s")) == "(no error)");  // nothing declared
}

TEST_CASE("metric thresholds: tag filters select the series", "[reporters][thresholds]") {
  engine::metric_set set;
  set["http_req_duration{method:POST,name:pay,status:201}"] = trend_of({100, 110, 120});
  set["http_req_duration{method:POST,name:pay,status:503}"] = trend_of({2000});
  set["http_req_duration{method:GET,name:home,status:200}"] = trend_of({5, 6});
  const auto judge = [&](const std::string& metric, const std::string& expr) {
    return evaluate(parse_metric_threshold(spec(metric, expr)), set, 10s);
  };
  CHECK(judge("http_req_duration{name:pay,status:201}", "max<200ms").passed);
  CHECK_FALSE(judge("http_req_duration{name:pay}", "max<200ms").passed);
  CHECK_FALSE(judge("http_req_duration{status:503}", "avg<1s").passed);
  CHECK(judge("http_req_duration{method:GET}", "max<10").passed);
  const auto none = judge("http_req_duration{name:refund}", "p(95)<1s");
  CHECK_FALSE(none.passed);
  CHECK(none.measured == "no such metric in this run");
  CHECK(std::isnan(none.value));
  CHECK(judge("http_req_duration", "count>=6").passed);
}

TEST_CASE("metric thresholds: windows catch what the whole run hides", "[reporters][thresholds]") {
  const auto r = slow_stretch_run();
  auto whole = parse_metric_threshold(spec("http_req_duration{name:pay}", "p(95)<500ms"));
  CHECK(evaluate(whole, r).passed);
  CHECK(evaluate(whole, r).value == Approx(50).epsilon(0.01));
  auto s = spec("http_req_duration{name:pay}", "p(95)<500ms");
  s.over = 10s;
  const auto windowed = parse_metric_threshold(s);
  const auto result = evaluate(windowed, r);
  CHECK_FALSE(result.passed);
  CHECK(result.value == Approx(900).epsilon(0.01));
  const auto vs = threshold_verdicts({whole, windowed}, r);
  REQUIRE(vs.size() == 2);
  CHECK(vs[0].passed);
  CHECK_FALSE(vs[1].passed);
  CHECK(vs[1].name == "http_req_duration{name:pay}: p(95)<500ms over 10s");
  const auto& e = vs[1].evidence.as_object();
  CHECK(e.at("window_s").as_uint64() == 10);
  CHECK(e.at("windows").as_uint64() == 51);
  // The windows starting at 11..21 hold a slow second.
  CHECK(e.at("failed_windows").as_uint64() == 11);
  const auto& worst = e.at("worst").as_object();
  CHECK(worst.at("start_s").as_uint64() == 11);  // the first of the worst
  CHECK(worst.at("end_s").as_uint64() == 21);
  CHECK_THAT(vs[1].measured, Contains("worst 10s window (11s-21s): 90"));
  CHECK_THAT(vs[1].measured, Contains("11 of 51 windows failed"));
  REQUIRE_FALSE(vs[1].reasons.empty());
  CHECK_THAT(vs[1].reasons[0], Contains("must hold in every 10s window"));

  // Counters per window: 100 requests in every 10 s window.
  auto c = spec("http_reqs", "count>=100");
  c.over = 10s;
  CHECK(evaluate(parse_metric_threshold(c), r).passed);
  c.expression = "rate>=10";
  CHECK(evaluate(parse_metric_threshold(c), r).passed);
  c.expression = "rate>10";
  CHECK_FALSE(evaluate(parse_metric_threshold(c), r).passed);

  // A run shorter than the window is one window: the whole run.
  auto longer = spec("http_req_duration{name:pay}", "p(95)<500ms");
  longer.over = 120s;
  const auto one = threshold_verdicts({parse_metric_threshold(longer)}, r);
  CHECK(one[0].passed);
  CHECK(one[0].evidence.as_object().at("windows").as_uint64() == 1);

  // No such series.
  auto missing = spec("http_req_duration{name:refund}", "p(95)<500ms");
  missing.over = 10s;
  const auto m = evaluate(parse_metric_threshold(missing), r);
  CHECK_FALSE(m.passed);
  CHECK(m.measured == "no such metric in this run");
}

TEST_CASE("metric thresholds: abort_on_fail on the live totals", "[reporters][thresholds]") {
  engine::metric_set totals;
  totals["http_req_duration{name:pay}"] = trend_of({900, 950});
  auto s = spec("http_req_duration", "p(95)<200ms");
  auto plain = parse_metric_threshold(s);  // no abort_on_fail: never aborts
  s.abort_on_fail = true;
  s.delay_abort_eval = 10s;
  auto delayed = parse_metric_threshold(s);
  CHECK_FALSE(abort_check({plain}, totals, 20s));
  CHECK_FALSE(abort_check({delayed}, totals, 5s));  // too early
  const auto hit = abort_check({plain, delayed}, totals, 10s);
  REQUIRE(hit);
  CHECK(hit->expression == "http_req_duration: p(95)<200ms");
  CHECK_THAT(hit->measured, Catch::Matchers::StartsWith("950."));  // within a bucket's 0.1%
  // Nothing measured yet does not abort.
  auto f = spec("http_req_failed", "rate<0.01");
  f.abort_on_fail = true;
  CHECK_FALSE(abort_check({parse_metric_threshold(f)}, totals, 20s));
  // A passing one does not either.
  s.expression = "p(95)<2s";
  CHECK_FALSE(abort_check({parse_metric_threshold(s)}, totals, 20s));

  // The verdict of the threshold that aborted the run says so.
  engine::script_results r;
  r.metrics = totals;
  r.http.duration = 12s;
  r.aborted_by = delayed.name();
  const auto vs = threshold_verdicts({delayed}, r);
  CHECK_FALSE(vs[0].passed);
  CHECK_THAT(vs[0].reasons[0], Contains("abort_on_fail"));
  CHECK(vs[0].evidence.as_object().at("aborted_run").as_bool());
}
