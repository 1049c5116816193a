#include "ordeal/reporters/verdict_report.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <sstream>
#include <string>

#include "ordeal/engine/script_results.hpp"
#include "ordeal/reporters/script_report.hpp"
#include "sample_results.hpp"

namespace {

namespace json = boost::json;
using Catch::Matchers::Contains;
using ordeal::reporters::exit_code_for;
using ordeal::reporters::verdict;
using ordeal::reporters::verdict_kind;
using ordeal::reporters::test::sample_info;
using ordeal::reporters::test::sample_results;

verdict make(verdict_kind k, std::string name, bool passed, std::string measured,
             std::vector<std::string> reasons = {}) {
  verdict v;
  v.kind = k;
  v.name = std::move(name);
  v.passed = passed;
  v.measured = std::move(measured);
  v.reasons = std::move(reasons);
  return v;
}

std::string section(const std::vector<verdict>& vs, int code) {
  std::ostringstream out;
  ordeal::reporters::write_verdicts(out, vs, code);
  return out.str();
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    out.push_back(l);
  return out;
}

ordeal::engine::script_results drill_results() {
  ordeal::engine::script_results r;
  r.http = sample_results();
  r.seed = 7;
  r.checks = {{"status is 200", {9, 1}}};
  return r;
}

}  // namespace

TEST_CASE("verdicts: PASS/FAIL with name and measured, reasons under failures, exit line",
          "[reporters][verdicts]") {
  const std::vector<verdict> vs = {
      make(verdict_kind::threshold, "p99<250ms", true, "12.30ms"),
      make(verdict_kind::threshold, "http_req_failed: rate<0.01", false, "2.00%",
           {"measured 2.00%, budget http_req_failed: rate<0.01"}),
      make(verdict_kind::integrity, "integrity: items (set)", false, "5 of 100 writes lost",
           {"lost 1", "lost 2", "lost 3", "lost 4", "lost 5"}),
  };
  const auto text = section(vs, exit_code_for(vs));
  INFO(text);
  const auto l = lines(text);
  REQUIRE(l.size() == 11);
  CHECK(l[1] == "verdicts");
  CHECK(l[2] == "  PASS  p99<250ms                   measured 12.30ms");
  CHECK(l[3] == "  FAIL  http_req_failed: rate<0.01  measured 2.00%");
  CHECK(l[4] == "        measured 2.00%, budget http_req_failed: rate<0.01");
  CHECK(l[5] == "  FAIL  integrity: items (set)      measured 5 of 100 writes lost");
  // The first three reasons, then how many more.
  CHECK(l[6] == "        lost 1");
  CHECK(l[8] == "        lost 3");
  CHECK(l[9] == "        ... and 2 more (all in the JSON result)");
  CHECK(l[10] ==
        "  exit code 98: data integrity violated: integrity: items (set) (2 of 3 verdicts failed)");
  // Integrity decides (98) over the threshold (99); the line says so and names it.
  CHECK(ordeal::reporters::exit_code_line(vs, 98) ==
        "exit code 98: data integrity violated: integrity: items (set) (2 of 3 verdicts failed)");
}

TEST_CASE("verdicts: the closing line for each way a run ends", "[reporters][verdicts]") {
  const std::vector<verdict> passing = {make(verdict_kind::threshold, "p99<1s", true, "1ms")};
  CHECK(ordeal::reporters::exit_code_line(passing, 0) == "exit code 0: all 1 verdicts passed");
  CHECK(ordeal::reporters::exit_code_line({}, 0) ==
        "exit code 0: no verdicts to judge (no thresholds or checkers declared)");
  CHECK_THAT(ordeal::reporters::exit_code_line(passing, 105), Contains("stopped by a signal"));
  CHECK_THAT(ordeal::reporters::exit_code_line(passing, 108), Contains("aborted"));
  const std::vector<verdict> idem = {
      make(verdict_kind::idempotency, "idempotency", false, "1 of 5 keys duplicated", {"k1"})};
  CHECK(ordeal::reporters::exit_code_line(idem, 97) ==
        "exit code 97: idempotency violated: idempotency (1 of 1 verdicts failed)");
}

TEST_CASE("verdicts: the JSON array and the thresholds member", "[reporters][verdicts]") {
  auto threshold =
      ordeal::reporters::to_verdict({"p99<1ms", false, "2.00ms", 2.0, std::string_view("ms")});
  auto v = make(verdict_kind::idempotency, "idempotency", false, "1 of 2 keys", {"k: twice"});
  v.evidence = json::object{{"duplicated", 1}};
  const std::vector<verdict> vs = {threshold, v};
  const auto a = ordeal::reporters::verdicts_json(vs);
  REQUIRE(a.size() == 2);
  const auto& t = a[0].as_object();
  CHECK(t.at("kind").as_string() == "threshold");
  CHECK(t.at("name").as_string() == "p99<1ms");
  CHECK(t.at("passed").as_bool() == false);
  CHECK(t.at("measured").as_string() == "2.00ms");
  CHECK(t.at("reasons").as_array().size() == 1);
  CHECK(a[1].as_object().at("evidence").as_object().at("duplicated").as_int64() == 1);
  CHECK(a[1].as_object().at("kind").as_string() == "idempotency");

  // "thresholds" keeps the shape existing readers know, only for the threshold kind.
  const auto th = ordeal::reporters::thresholds_json(vs);
  REQUIRE(th.size() == 1);
  CHECK(th[0].as_object().at("expr").as_string() == "p99<1ms");
  CHECK(th[0].as_object().at("value").as_double() == 2.0);
  CHECK(th[0].as_object().at("unit").as_string() == "ms");
}

TEST_CASE("verdicts: the drill report ends with them, the JSON result carries them",
          "[reporters][verdicts]") {
  const auto r = drill_results();
  const std::vector<verdict> vs = {
      make(verdict_kind::threshold, "checks: rate>0.99", false, "90.00%", {"measured 90.00%"}),
      make(verdict_kind::idempotency, "idempotency", true, "10 keys consistent")};
  std::ostringstream out;
  ordeal::reporters::write_script_report(out, r, vs, sample_info());
  const auto text = out.str();
  INFO(text);
  const auto l = lines(text);
  REQUIRE_FALSE(l.empty());
  CHECK(l.back() ==
        "  exit code 99: a threshold failed: checks: rate>0.99 (1 of 2 verdicts failed)");
  // Thresholds are listed once, as verdicts, not in the HTTP report's own section.
  CHECK(text.find("\nthresholds\n") == std::string::npos);
  CHECK_THAT(text, Contains("  FAIL  checks: rate>0.99"));

  std::ostringstream j;
  ordeal::reporters::write_script_json(j, r, vs, sample_info());
  const auto o = json::parse(j.str()).as_object();
  REQUIRE(o.at("verdicts").as_array().size() == 2);
  REQUIRE(o.at("thresholds").as_array().size() == 1);
  CHECK(o.at("thresholds").as_array()[0].as_object().at("expr").as_string() == "checks: rate>0.99");
}

TEST_CASE("verdicts: an interrupted drill's report names exit 105", "[reporters][verdicts]") {
  auto r = drill_results();
  r.http.interrupted = true;
  std::ostringstream out;
  ordeal::reporters::write_script_report(out, r, {}, sample_info());
  CHECK_THAT(lines(out.str()).back(), Contains("exit code 105: stopped by a signal"));
}
