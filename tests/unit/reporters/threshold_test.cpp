#include "ordeal/reporters/threshold.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <string>

#include "ordeal/engine/config_error.hpp"
#include "sample_results.hpp"

namespace {

using Catch::Matchers::Contains;
using ordeal::engine::config_error;
using ordeal::engine::outcome;
using ordeal::reporters::evaluate;
using ordeal::reporters::parse_threshold;
using ordeal::reporters::threshold_metric;
using ordeal::reporters::threshold_op;
using ordeal::reporters::test::sample_results;
using ordeal::reporters::test::set;

std::string error_of(const std::string& expression) {
  try {
    parse_threshold(expression);
  } catch (const config_error& e) {
    return e.what();
  }
  FAIL("no config_error for \"" << expression << "\"");
  return {};
}

bool passes(const std::string& expression, const ordeal::engine::run_results& r) {
  return evaluate(parse_threshold(expression), r).passed;
}

}  // namespace

TEST_CASE("threshold: every metric parses with its unit", "[reporters]") {
  struct row {
    const char* text;
    threshold_metric metric;
    double limit;
  };
  const row rows[] = {
      {"p50<250ms", threshold_metric::p50, 250'000},
      {"p90<1.5s", threshold_metric::p90, 1'500'000},
      {"p95<800us", threshold_metric::p95, 800},
      {"p99<2m", threshold_metric::p99, 120'000'000},
      {"p99.9<1s", threshold_metric::p99_9, 1'000'000},
      {"max<10s", threshold_metric::max, 10'000'000},
      {"mean<5ms", threshold_metric::mean, 5'000},
      {"min<1ms", threshold_metric::min, 1'000},
      {"error_rate<1%", threshold_metric::error_rate, 0.01},
      {"error_rate<0.5%", threshold_metric::error_rate, 0.005},
      {"error_rate<0.01", threshold_metric::error_rate, 0.01},
      {"error_rate<=0", threshold_metric::error_rate, 0},
      {"error_rate<100%", threshold_metric::error_rate, 1},
      {"rps>1000", threshold_metric::rps, 1000},
      {"rps>=12.5", threshold_metric::rps, 12.5},
  };
  for (const auto& r : rows) {
    INFO(r.text);
    const auto t = parse_threshold(r.text);
    CHECK(t.metric == r.metric);
    CHECK(t.limit == Approx(r.limit));
    CHECK(t.expression == r.text);
    CHECK(ordeal::reporters::to_string(t.metric) ==
          std::string(r.text).substr(0, to_string(t.metric).size()));
  }
}

TEST_CASE("threshold: every operator, with and without spaces", "[reporters]") {
  CHECK(parse_threshold("p99<1s").op == threshold_op::less);
  CHECK(parse_threshold("p99<=1s").op == threshold_op::less_equal);
  CHECK(parse_threshold("p99>1s").op == threshold_op::greater);
  CHECK(parse_threshold("p99>=1s").op == threshold_op::greater_equal);

  const auto spaced = parse_threshold("  p99.9 <=  250ms ");
  CHECK(spaced.metric == threshold_metric::p99_9);
  CHECK(spaced.op == threshold_op::less_equal);
  CHECK(spaced.limit == Approx(250'000));
  CHECK(spaced.expression == "  p99.9 <=  250ms ");  // reported as the user wrote it

  const auto tabs = parse_threshold("error_rate\t>=\t2 %");
  CHECK(tabs.metric == threshold_metric::error_rate);
  CHECK(tabs.op == threshold_op::greater_equal);
  CHECK(tabs.limit == Approx(0.02));

  for (const auto op : {threshold_op::less, threshold_op::less_equal, threshold_op::greater,
                        threshold_op::greater_equal}) {
    CHECK(parse_threshold("rps" + std::string(to_string(op)) + "5").op == op);
  }

  const auto all = ordeal::reporters::parse_thresholds({"p99<1s", "rps>5"});
  REQUIRE(all.size() == 2);
  CHECK(all[1].metric == threshold_metric::rps);
}

TEST_CASE("threshold: bad expressions say what is wrong and what is accepted", "[reporters]") {
  struct row {
    std::string text;
    std::string says;
  };
  const row rows[] = {
      {"", "expected METRIC OP VALUE"},
      {"   ", "expected METRIC OP VALUE"},
      {"p99 250ms", "no comparison operator (use <, <=, >, >="},
      {"<250ms", "no metric before the operator (use p50, p90"},
      {"p98<1s", "(use p50, p90, p95, p99, p99.9, max, mean, min, error_rate, rps)"},
      {"P99<1s", "unknown metric \"P99\""},
      {"latency<1s", "unknown metric \"latency\""},
      {"p99==1s", "invalid operator \"==\""},
      {"p99=>1s", "invalid operator \"=>\""},
      {"p99!=1s", "invalid operator \"!=\""},
      {"p99<", "no value after \"<\" (use e.g. p99<250ms)"},
      {"rps >= ", "no value after \">=\" (use e.g. rps>1000)"},
      {"p99<abc", "\"abc\" is not a duration (use 250ms, 1.5s, ...)"},
      {"p99<250", "\"250\" needs a unit"},
      {"p99<-5ms", "\"-5ms\" is negative"},
      {"p99<250ms extra", "\"250ms extra\" is not a duration"},
      {"p99<250xs", "\"250xs\" is not a duration"},
      {"p99<inf", "is not a duration"},
      {"error_rate<abc", "\"abc\" is not a percentage or fraction (use 1%, 0.5% or 0.01)"},
      {"error_rate<%", "is not a percentage or fraction"},
      {"error_rate<150%", "\"150%\" is out of range (use 0% to 100%, or a fraction from 0 to 1)"},
      {"error_rate<5", "\"5\" is out of range"},
      {"error_rate<-1%", "\"-1%\" is out of range"},
      {"rps>fast", "\"fast\" is not a number of requests per second (use e.g. rps>1000)"},
      {"rps>nan", "is not a number of requests per second"},
      {"rps>-1", "\"-1\" is negative"},
  };
  for (const auto& r : rows) {
    INFO(r.text);
    const std::string message = error_of(r.text);
    CHECK_THAT(message, Contains("\"" + r.text + "\""));
    CHECK_THAT(message, Contains(r.says));
    CHECK(message.find('\n') == std::string::npos);
  }
  // The exact wording users see for the two most common mistakes.
  CHECK(error_of("p99<abc") ==
        "invalid threshold \"p99<abc\": \"abc\" is not a duration (use 250ms, 1.5s, ...)");
  CHECK(error_of("p98<1s") ==
        "unknown metric \"p98\" in threshold \"p98<1s\" (use p50, p90, p95, p99, p99.9, max, "
        "mean, min, error_rate, rps)");
}

TEST_CASE("threshold: latency metrics against known values", "[reporters]") {
  const auto r = sample_results();
  // p50 = 500us, p90 = 900us, p95 = 950us, p99 = 990us, p99.9 = 999us, max = 1ms, min = 1us.
  CHECK(passes("p50<=500us", r));
  CHECK_FALSE(passes("p50<500us", r));
  CHECK(passes("p90<1ms", r));
  CHECK_FALSE(passes("p90>900us", r));
  CHECK(passes("p95>=950us", r));
  CHECK(passes("p99<1ms", r));
  CHECK_FALSE(passes("p99<990us", r));
  CHECK(passes("p99<=990us", r));
  CHECK(passes("p99.9<=999us", r));
  CHECK_FALSE(passes("p99.9<999us", r));
  CHECK(passes("max<=1ms", r));
  CHECK_FALSE(passes("max<1ms", r));
  CHECK(passes("mean>500us", r));  // 500.5us
  CHECK(passes("mean<501us", r));
  CHECK(passes("min>=1us", r));
  CHECK_FALSE(passes("min>1us", r));

  const auto result = evaluate(parse_threshold("p99<1ms"), r);
  CHECK(result.expression == "p99<1ms");
  CHECK(result.measured == "990us");
  CHECK(result.value == Approx(0.99));
  CHECK(result.unit == "ms");

  // Latency thresholds use the corrected histogram, not the uncorrected one.
  auto slow = sample_results(true);
  slow.latency.record(5'000'000);
  CHECK_FALSE(passes("max<1s", slow));
  CHECK(slow.latency_uncorrected.max() < 1'000'000);
}

TEST_CASE("threshold: error rate and rps, boundaries", "[reporters]") {
  auto r = sample_results();  // 10 errors in 1000: 1%; 1000 in 10 s: 100 rps
  CHECK(passes("error_rate<=1%", r));
  CHECK_FALSE(passes("error_rate<1%", r));
  CHECK(passes("error_rate<=0.01", r));
  CHECK_FALSE(passes("error_rate<0.5%", r));
  CHECK(passes("error_rate>0.5%", r));
  CHECK(passes("rps>=100", r));
  CHECK_FALSE(passes("rps>100", r));
  CHECK(passes("rps<=100", r));
  CHECK_FALSE(passes("rps<100", r));
  CHECK(passes("rps>50", r));

  const auto rate = evaluate(parse_threshold("error_rate<1%"), r);
  CHECK(rate.measured == "1.00%");
  CHECK(rate.value == Approx(1.0));
  CHECK(rate.unit == "%");
  const auto rps = evaluate(parse_threshold("rps>50"), r);
  CHECK(rps.measured == "100.0 req/s");
  CHECK(rps.value == Approx(100.0));
  CHECK(rps.unit == "req/s");

  // 1 in 200 computed as 1.0 / 200 and the limit as 0.5 / 100: equal, whatever the last bit.
  set(r, outcome::ok, 199);
  set(r, outcome::status, 1);
  CHECK(passes("error_rate<=0.5%", r));
  CHECK_FALSE(passes("error_rate<0.5%", r));
  CHECK(passes("error_rate>=0.005", r));
}

TEST_CASE("threshold: an empty run", "[reporters]") {
  const ordeal::engine::run_results empty;
  for (const char* latency :
       {"p50<1s", "p99<1s", "p99.9<1s", "max<1s", "mean<1s", "min>=0us", "p99>=0us"}) {
    INFO(latency);
    const auto result = evaluate(parse_threshold(latency), empty);
    CHECK_FALSE(result.passed);
    CHECK(result.measured == "no responses");
    CHECK(std::isnan(result.value));
  }
  CHECK(passes("error_rate<1%", empty));
  CHECK(passes("error_rate<=0", empty));
  CHECK_FALSE(passes("rps>0", empty));
  CHECK(passes("rps>=0", empty));
  CHECK(evaluate(parse_threshold("rps>0"), empty).measured == "0.00 req/s");

  const auto results =
      evaluate(ordeal::reporters::parse_thresholds({"error_rate<1%", "p99<1s"}), empty);
  REQUIRE(results.size() == 2);
  CHECK(results[0].passed);
  CHECK_FALSE(ordeal::reporters::all_passed(results));
  CHECK(ordeal::reporters::all_passed({results[0]}));
  CHECK(ordeal::reporters::all_passed({}));
}
