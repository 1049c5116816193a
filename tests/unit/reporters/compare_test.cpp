#include "ordeal/reporters/compare.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <sstream>
#include <string>

#include "ordeal/engine/config_error.hpp"
#include "ordeal/reporters/json_report.hpp"
#include "sample_results.hpp"

namespace {

namespace json = boost::json;
using Catch::Matchers::Contains;
using ordeal::engine::config_error;
using ordeal::reporters::compare_results;
using ordeal::reporters::comparison;
using ordeal::reporters::parse_max_regression;
using ordeal::reporters::parse_max_regressions;
using ordeal::reporters::parse_result;
using ordeal::reporters::tolerance_unit;
using ordeal::reporters::test::sample_info;
using ordeal::reporters::test::sample_results;

// A real plain-run result (p99 0.99 ms, 100 rps, 1% errors) with figures set by hand.
json::object result(double p99_ms = 2.0, double rps = 100.0, double error_rate = 0.001) {
  auto o = ordeal::reporters::to_json(sample_results(), {}, sample_info());
  o["latency_ms"].as_object()["p99"] = p99_ms;
  o["rps"] = rps;
  o["error_rate"] = error_rate;
  return o;
}

// The same with a drill's per-request metrics for one request name.
json::object drill_result(const std::string& name, double p99_ms, double count, double failed) {
  auto o = result();
  json::object metrics;
  metrics["http_req_duration{name:" + name + "}"] = {
      {"kind", "trend"},   {"samples", 10}, {"unit", "ms"},  {"avg", p99_ms / 2}, {"min", 0.1},
      {"med", p99_ms / 2}, {"p90", p99_ms}, {"p95", p99_ms}, {"p99", p99_ms},     {"max", p99_ms}};
  metrics["http_reqs{name:" + name + "}"] = {
      {"kind", "counter"}, {"samples", 10}, {"count", count}};
  metrics["http_req_failed{name:" + name + "}"] = {
      {"kind", "rate"}, {"samples", 10}, {"rate", failed}, {"trues", 1}};
  o["drill"] = json::object{{"metrics", std::move(metrics)}};
  return o;
}

comparison compare(const json::object& base, const json::object& cur,
                   const std::vector<std::string>& limits) {
  return compare_results(base, cur, parse_max_regressions(limits), "base.json", "cur.json");
}

// By value: callers pass a temporary comparison.
ordeal::reporters::comparison_row row(const comparison& c, const std::string& metric) {
  for (const auto& r : c.rows)
    if (r.metric == metric && r.limit) return r;
  FAIL("no gated row " << metric);
  throw;
}

}  // namespace

TEST_CASE("compare: --max-regression parses metric and tolerance", "[reporters][compare]") {
  auto l = parse_max_regression("p99=10%");
  CHECK(l.metric == "p99");
  CHECK(l.unit == tolerance_unit::percent);
  CHECK(l.amount == 10.0);
  l = parse_max_regression("error_rate=0.5pp");
  CHECK(l.unit == tolerance_unit::points);
  CHECK(l.amount == 0.5);
  l = parse_max_regression("p90 = 5ms");
  CHECK(l.metric == "p90");
  CHECK(l.unit == tolerance_unit::micros);
  CHECK(l.amount == 5000.0);
  CHECK(parse_max_regression("p99_9=1%").metric == "p99.9");
  CHECK(parse_max_regression("p99.9=+1.5%").amount == 1.5);
  CHECK(parse_max_regression("p99{name:pay}=15%").metric == "p99{name:pay}");
  CHECK(parse_max_regression("rps=0%").amount == 0.0);
  CHECK(ordeal::reporters::default_regression_limits().size() == 3);
}

TEST_CASE("compare: a bad --max-regression is a one-line config error naming it",
          "[reporters][compare]") {
  const auto refused = [](const std::string& expr, const std::string& says) {
    INFO(expr);
    try {
      parse_max_regression(expr);
      FAIL("accepted");
    } catch (const config_error& e) {
      const std::string what = e.what();
      CHECK_THAT(what, Contains(expr));
      CHECK_THAT(what, Contains(says));
      CHECK(what.find('\n') == std::string::npos);
    }
  };
  refused("p98=10%", "unknown metric");
  refused("latency=10%", "unknown metric");
  refused("p99", "expected METRIC=TOLERANCE");
  refused("p99=ten", "invalid tolerance");
  refused("p99=10", "invalid tolerance");
  refused("p99=-5%", "invalid tolerance");
  refused("p99=%", "invalid tolerance");
  refused("p99=5parsecs", "invalid tolerance");
  refused("p99=inf%", "invalid tolerance");
  refused("rps=5ms", "invalid tolerance");
  refused("rps=0.5pp", "invalid tolerance");
  refused("error_rate=5ms", "invalid tolerance");
  refused("p99{status:200}=5%", "the only tag is the request name");
  refused("p99{name:}=5%", "the only tag is the request name");
  refused("p99.9{name:pay}=5%", "not recorded per request name");
}

TEST_CASE("compare: direction-aware, each metric against its tolerance", "[reporters][compare]") {
  const auto base = result(2.0, 100.0, 0.001);
  SECTION("latency up beyond the tolerance fails; exactly at it passes") {
    CHECK_FALSE(row(compare(base, result(2.3), {"p99=10%"}), "p99").passed);
    CHECK(row(compare(base, result(2.2), {"p99=10%"}), "p99").passed);
    CHECK(row(compare(base, result(2.2), {"p99=10%"}), "p99").change == "+10.0%");
    CHECK(row(compare(base, result(1.0), {"p99=10%"}), "p99").passed);  // faster: fine
    CHECK(row(compare(base, result(1.0), {"p99=10%"}), "p99").change == "-50.0%");
  }
  SECTION("an absolute latency tolerance") {
    CHECK(row(compare(base, result(6.9), {"p99=5ms"}), "p99").passed);
    CHECK_FALSE(row(compare(base, result(7.1), {"p99=5ms"}), "p99").passed);
  }
  SECTION("rps down is worse, up is not") {
    CHECK(row(compare(base, result(2.0, 96.0), {"rps=5%"}), "rps").passed);
    CHECK(row(compare(base, result(2.0, 95.0), {"rps=5%"}), "rps").passed);
    CHECK_FALSE(row(compare(base, result(2.0, 94.0), {"rps=5%"}), "rps").passed);
    CHECK(row(compare(base, result(2.0, 300.0), {"rps=5%"}), "rps").passed);
    CHECK(row(compare(base, result(2.0, 94.0), {"rps=5%"}), "rps").tolerance == "-5%");
  }
  SECTION("error rate in percentage points or relative") {
    auto c = compare(base, result(2.0, 100.0, 0.004), {"error_rate=0.5pp"});
    CHECK(row(c, "error_rate").passed);
    CHECK(row(c, "error_rate").change == "+0.30pp");
    CHECK_FALSE(
        row(compare(base, result(2.0, 100.0, 0.007), {"error_rate=0.5pp"}), "error_rate").passed);
    CHECK_FALSE(
        row(compare(base, result(2.0, 100.0, 0.002), {"error_rate=50%"}), "error_rate").passed);
    // From zero errors, any error is an infinite relative change: use pp for that.
    const auto zero = result(2.0, 100.0, 0.0);
    auto from_zero = compare(zero, result(2.0, 100.0, 0.0001), {"error_rate=10%"});
    CHECK_FALSE(row(from_zero, "error_rate").passed);
    CHECK(row(from_zero, "error_rate").change == "from 0");
    CHECK(row(compare(zero, zero, {"error_rate=10%"}), "error_rate").passed);
  }
  SECTION("no responses now, where the baseline had some, fails; none in the baseline passes") {
    auto none = result();
    none["latency_ms"].as_object()["p99"] = nullptr;
    const auto& failed = row(compare(base, none, {"p99=10%"}), "p99");
    CHECK_FALSE(failed.passed);
    CHECK_THAT(failed.note, Contains("nothing measured"));
    CHECK(row(compare(none, base, {"p99=10%"}), "p99").passed);
  }
  SECTION("p95, not in the summary, comes from the histogram") {
    // sample_results: latencies 1..1000 us, so p95 = 0.95 ms in both.
    const auto& r = row(compare(base, base, {"p95=1%"}), "p95");
    REQUIRE(r.current);
    CHECK(*r.current == Approx(0.95));
    CHECK(r.passed);
  }
}

TEST_CASE("compare: the table shows gated and informational rows", "[reporters][compare]") {
  const auto c =
      compare(result(2.0, 100.0, 0.001), result(2.5, 99.0, 0.001), {"p99=10%", "rps=5%"});
  CHECK_FALSE(c.passed());
  std::ostringstream out;
  ordeal::reporters::write_comparison(out, c);
  const auto text = out.str();
  INFO(text);
  CHECK_THAT(text, Contains("baseline comparison: base.json -> cur.json"));
  CHECK_THAT(text, Contains("p50"));  // informational
  CHECK_THAT(text, Contains("error_rate"));
  CHECK_THAT(text, Contains("+25.0%"));
  CHECK_THAT(text, Contains("FAIL"));
  CHECK_THAT(text, Contains("1 of 2 gated metrics regressed beyond their tolerance"));
  // The gated p99 row is not repeated as an informational one.
  std::size_t p99_rows = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    p99_rows += line.rfind("  p99 ", 0) == 0 ? 1 : 0;
  CHECK(p99_rows == 1);
}

TEST_CASE("compare: gated rows become threshold verdicts, exit 99 on a regression",
          "[reporters][compare]") {
  const auto c = compare(result(2.0, 100.0), result(2.5, 99.0), {"p99=10%", "rps=5%"});
  const auto vs = ordeal::reporters::to_verdicts(c);
  REQUIRE(vs.size() == 2);
  CHECK(vs[0].kind == ordeal::reporters::verdict_kind::threshold);
  CHECK(vs[0].name == "regression p99 <= +10%");
  CHECK_FALSE(vs[0].passed);
  CHECK(vs[0].measured == "+25.0% (2.00ms -> 2.50ms)");
  REQUIRE(vs[0].reasons.size() == 1);
  CHECK_THAT(vs[0].reasons[0], Contains("p99 rose by 25.0% from 2.00ms (base.json) to 2.50ms"));
  CHECK(vs[0].evidence.as_object().at("value").as_double() == 2.5);
  CHECK(vs[0].evidence.as_object().at("unit").as_string() == "ms");
  CHECK(vs[1].name == "regression rps >= -5%");
  CHECK(vs[1].passed);
  CHECK(vs[1].reasons.empty());
  CHECK(ordeal::reporters::exit_code_for(vs) == 99);
  CHECK(ordeal::reporters::exit_code_for(
            ordeal::reporters::to_verdicts(compare(result(), result(), {"p99=10%"}))) == 0);
}

TEST_CASE("compare: per request name in drills", "[reporters][compare]") {
  // 100 requests named pay over the sample's 10 s: 10 rps.
  const auto base = drill_result("pay", 2.0, 100, 0.0);
  CHECK_FALSE(
      row(compare(base, drill_result("pay", 3.0, 100, 0.0), {"p99{name:pay}=10%"}), "p99{name:pay}")
          .passed);
  const auto& rps =
      row(compare(base, drill_result("pay", 2.0, 90, 0.0), {"rps{name:pay}=5%"}), "rps{name:pay}");
  REQUIRE(rps.current);
  CHECK(*rps.current == Approx(9.0));
  CHECK_FALSE(rps.passed);
  CHECK(row(compare(base, drill_result("pay", 2.0, 100, 0.004), {"error_rate{name:pay}=0.5pp"}),
            "error_rate{name:pay}")
            .passed);
  // A name the baseline lacks is a bad gate; one this run lacks is a regression.
  CHECK_THROWS_WITH(compare(base, drill_result("pay", 2.0, 100, 0.0), {"p99{name:refund}=10%"}),
                    Contains("base.json: no request named \"refund\""));
  const auto& vanished = row(
      compare(base, drill_result("refund", 2.0, 100, 0.0), {"p99{name:pay}=10%"}), "p99{name:pay}");
  CHECK_FALSE(vanished.passed);
  // A plain run has no per-request figures.
  CHECK_THROWS_WITH(compare(result(), result(), {"p99{name:pay}=10%"}),
                    Contains("not a drill result"));
}

TEST_CASE("compare: results that are not ordeal results are refused", "[reporters][compare]") {
  CHECK_THROWS_WITH(parse_result("{ nope", "\"x.json\""), Contains("\"x.json\" is not JSON"));
  CHECK_THROWS_WITH(parse_result("[1, 2]", "\"x.json\""), Contains("not a JSON object"));
  CHECK_THROWS_WITH(parse_result("{}", "\"x.json\""), Contains("no \"schema\""));
  CHECK_THROWS_WITH(parse_result(R"({"schema": "k6/1"})", "\"x.json\""),
                    Contains("has schema \"k6/1\", expected \"ordeal.result/1\""));
  CHECK_NOTHROW(parse_result(R"({"schema": "ordeal.result/1"})", "\"x.json\""));
  // A truncated result: the figure is missing.
  const auto bare = parse_result(R"({"schema": "ordeal.result/1"})", "\"bare.json\"");
  CHECK_THROWS_WITH(compare(bare, result(), {"rps=5%"}),
                    Contains("base.json: no \"latency_ms\" object (not a complete result)"));
  CHECK_THROWS_WITH(ordeal::reporters::load_result("/nonexistent/base.json"),
                    Contains("cannot read \"/nonexistent/base.json\": no such file"));
}
