// The HTML report: one self-contained page, well formed, every string from the results escaped,
// from an empty run to a long one.
#include "ordeal/reporters/html_report.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <sstream>
#include <string>

#include "markup_check.hpp"
#include "sample_results.hpp"

namespace {

namespace json = boost::json;
using Catch::Matchers::Contains;
using ordeal::engine::fault_event;
using ordeal::engine::metric_at;
using ordeal::engine::metric_kind;
using ordeal::engine::script_results;
using ordeal::reporters::verdict;
using ordeal::reporters::verdict_kind;
using ordeal::reporters::write_html_report;
using ordeal::reporters::test::markup_problem;
using ordeal::reporters::test::sample_info;
using ordeal::reporters::test::sample_results;

template <class Results>
std::string page(const Results& r, const std::vector<verdict>& verdicts = {},
                 const ordeal::reporters::run_info& info = sample_info()) {
  std::ostringstream out;
  write_html_report(out, r, verdicts, info);
  return out.str();
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

// Nothing fetched: no script, no link, no url(...) and no src=.
void check_self_contained(const std::string& html) {
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("<link") == std::string::npos);
  CHECK(html.find("url(") == std::string::npos);
  CHECK(html.find("src=") == std::string::npos);
  CHECK(html.find("@import") == std::string::npos);
}

fault_event fault(fault_event::kind what, std::int64_t at_us, std::string name) {
  fault_event e;
  e.what = what;
  e.at_us = at_us;
  e.proxy = "db";
  e.fault = std::move(name);
  e.type = "latency";
  return e;
}

script_results drill_results() {
  script_results r;
  r.seed = 42;
  r.http = sample_results();
  r.faults = {fault(fault_event::kind::start, 2'000'000, "slow"),
              fault(fault_event::kind::stop, 5'000'000, "slow")};
  auto& d = metric_at(r.metrics, "http_req_duration{name:pay}", metric_kind::trend, true);
  for (int i = 1; i <= 100; ++i)
    d.add(i);  // 1..100 ms
  metric_at(r.metrics, "http_reqs{name:pay}", metric_kind::counter).add(100);
  auto& f = metric_at(r.metrics, "http_req_failed{name:pay}", metric_kind::rate);
  f.add(1);
  f.add(0);
  r.checks["status is 200"] = {99, 1};
  r.scenarios.push_back({"buy", "constant-vus", 10, 0, 0, 0, 5});
  return r;
}

}  // namespace

TEST_CASE("html: a plain run's page", "[reporters][html]") {
  const auto html = page(sample_results());
  INFO(html.substr(0, 2000));
  CHECK(markup_problem(html).empty());
  check_self_contained(html);
  CHECK(html.starts_with("<!DOCTYPE html>"));
  CHECK_THAT(html, Contains("http://127.0.0.1:8080/"));
  CHECK_THAT(html, Contains("9223372036854775813"));  // the seed
  CHECK_THAT(html, Contains("100.0 req/s"));
  CHECK_THAT(html, Contains("1.00%"));                       // error rate
  CHECK(occurrences(html, "<svg ") == 3);                    // latency, throughput, histogram
  CHECK_THAT(html, Contains("GET http://127.0.0.1:8080/"));  // its one row by name
  CHECK_THAT(html, Contains("No thresholds"));
}

TEST_CASE("html: a drill's page has fault windows, names, checks and verdicts",
          "[reporters][html]") {
  const auto r = drill_results();
  verdict failed;
  failed.kind = verdict_kind::idempotency;
  failed.name = "idempotency";
  failed.passed = false;
  failed.measured = "1 of 10 keys duplicated";
  failed.reasons = {"key k-7: 2 effects"};
  failed.evidence = json::parse(R"({"keys":10,"examples":[
      {"key":"k-7","effects":2,"attempts":[{"attempt":1,"status":201},{"attempt":2,"status":201}]},
      {"key":"k-9","effects":2,"note":null}]})");
  verdict passed;
  passed.name = "http_req_duration{name:pay}: p(99)<300ms";
  passed.measured = "p(99)=99ms";
  passed.evidence = json::parse(R"({"value":99,"unit":"ms"})");

  const auto html = page(r, {passed, failed});
  INFO(html);
  CHECK(markup_problem(html).empty());
  check_self_contained(html);
  CHECK_THAT(html, Contains("FAILED"));
  CHECK_THAT(html, Contains("1 of 2 passed"));
  CHECK_THAT(html, Contains("key k-7: 2 effects"));
  CHECK_THAT(html, Contains("<th>attempts</th>"));  // evidence: a list of records as a table
  CHECK_THAT(html, Contains("<details open>"));     // the failure's detail shows without a click
  CHECK(occurrences(html, "class=\"fault-window\"") == 2);  // shaded on both time charts
  CHECK_THAT(html, Contains("db/slow (latency)"));
  CHECK_THAT(html, Contains("<td>pay</td>"));
  CHECK_THAT(html, Contains("status is 200"));
  CHECK_THAT(html, Contains("<td>buy</td>"));
  CHECK_THAT(html, Contains("seed 42<"));  // the drill's seed, not the info's
}

TEST_CASE("html: every string from the results is escaped", "[reporters][html]") {
  auto r = drill_results();
  const std::string evil = "<script>alert(\"x\")</script>";
  metric_at(r.metrics, "http_req_duration{name:" + evil + "}", metric_kind::trend, true).add(5);
  r.checks[evil] = {1, 0};
  r.script_errors[evil] = 1;
  r.faults.push_back(fault(fault_event::kind::start, 6'000'000, evil));
  r.http.error_reasons[evil] = 2;
  r.scenarios[0].name = evil;
  r.aborted_by = evil;
  auto info = sample_info();
  info.target = "http://x/?q=" + evil;
  info.command_line.push_back(evil);
  verdict v;
  v.name = evil;
  v.passed = false;
  v.measured = evil;
  v.reasons = {evil};
  v.evidence = json::object{{evil, json::array{evil, json::object{{"body", evil}}}}};

  const auto html = page(r, {v}, info);
  INFO(html);
  CHECK(markup_problem(html).empty());
  CHECK(html.find("<script") == std::string::npos);
  CHECK(occurrences(html, "&lt;script&gt;") >= 10);
  CHECK_THAT(html, Contains("Stopped early"));
}

TEST_CASE("html: an empty run (no responses) still renders", "[reporters][html]") {
  const auto html = page(ordeal::engine::run_results{});
  CHECK(markup_problem(html).empty());
  CHECK_THAT(html, Contains("no data"));
  CHECK_THAT(html, Contains("no attempts"));

  const auto drill = page(script_results{});
  CHECK(markup_problem(drill).empty());
  CHECK_THAT(drill, Contains("no named requests"));
}

TEST_CASE("html: a one-second run", "[reporters][html]") {
  auto r = sample_results();
  r.series.resize(1);
  r.duration = std::chrono::seconds(1);
  const auto html = page(r);
  CHECK(markup_problem(html).empty());
  CHECK_THAT(html, Contains("<circle "));  // the single point of each line
}

TEST_CASE("html: a long run stays small", "[reporters][html]") {
  auto r = drill_results();
  const auto one = r.http.series.front();
  r.http.series.assign(20'000, one);  // 5.5 hours
  r.http.duration = std::chrono::seconds(20'000);
  for (int i = 0; i < 200; ++i) {  // a fault every 100 s
    r.faults.push_back(fault(fault_event::kind::start, i * 100'000'000LL, "f" + std::to_string(i)));
    r.faults.push_back(
        fault(fault_event::kind::stop, i * 100'000'000LL + 5'000'000, "f" + std::to_string(i)));
  }
  const auto html = page(r);
  CHECK(markup_problem(html).empty());
  CHECK(html.size() < 400'000);
}
