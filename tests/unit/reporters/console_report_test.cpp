#include "ordeal/reporters/console_report.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <sstream>
#include <string>

#include "sample_results.hpp"

namespace {

using Catch::Matchers::Contains;
using ordeal::engine::outcome;
using ordeal::reporters::evaluate;
using ordeal::reporters::format_progress;
using ordeal::reporters::parse_thresholds;
using ordeal::reporters::test::sample_info;
using ordeal::reporters::test::sample_results;
using ordeal::reporters::test::set;
using namespace std::chrono_literals;

std::string report(const ordeal::engine::run_results& r,
                   const std::vector<std::string>& thresholds = {}) {
  std::ostringstream out;
  ordeal::reporters::write_console_report(out, r, evaluate(parse_thresholds(thresholds), r),
                                          sample_info());
  return out.str();
}

// The report's line starting with `prefix` (labels are left-aligned in a fixed column).
std::string line_starting(const std::string& text, const std::string& prefix) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) == 0) return line;
  }
  return {};
}

}  // namespace

TEST_CASE("console: what ran and how requests ended", "[reporters]") {
  auto r = sample_results();
  set(r, outcome::timeout, 3);
  r.error_reasons = {{"timeout: no response within 10s", 3}};
  const std::string text = report(r);
  INFO(text);

  CHECK(text.rfind("ordeal 0.1.0  GET http://127.0.0.1:8080/\n", 0) == 0);
  CHECK_THAT(line_starting(text, "  model"), Contains("closed: 10 connections, 2 threads"));
  CHECK_THAT(line_starting(text, "  duration"), Contains("10.00s (wall 11.00s)"));
  CHECK_THAT(line_starting(text, "  total"), Contains("1003"));
  CHECK_THAT(line_starting(text, "  ok"), Contains("990"));
  CHECK_THAT(line_starting(text, "  rate"), Contains("100.3 req/s"));
  CHECK_THAT(line_starting(text, "  errors"), Contains("13 (1.30%)"));
  // Only the classes that happened, status with its codes (not the 2xx ones).
  CHECK(line_starting(text, "    status") == "    status      10  (500: 6, 503: 4)");
  CHECK(line_starting(text, "    timeout") == "    timeout     3");
  CHECK(line_starting(text, "    reset").empty());
  CHECK(line_starting(text, "    connect").empty());
  CHECK(line_starting(text, "    dropped").empty());
  CHECK(line_starting(text, "    reasons") == "    reasons");
  CHECK_THAT(text, Contains("\n               3  timeout: no response within 10s\n"));
  CHECK_THAT(line_starting(text, "  in flight"), Contains("4 at end"));
  CHECK_THAT(line_starting(text, "  unsolicited"),
             Contains("1 (responses on idle connections, not attempts)"));
  CHECK_THAT(line_starting(text, "  sent"), Contains("120.56KiB (123456 bytes)"));
  CHECK_THAT(line_starting(text, "  received"), Contains("9.42MiB (9876543 bytes)"));
  CHECK_THAT(line_starting(text, "  connections"), Contains("12 opened"));
  CHECK_THAT(text, !Contains("interrupted"));
  CHECK_THAT(text, !Contains("thresholds"));  // none given, no section
}

TEST_CASE("console: latency rows and phases", "[reporters]") {
  const std::string closed = report(sample_results());
  INFO(closed);
  CHECK(line_starting(closed, "latency") ==
        "latency                min      mean       p50       p90       p99     p99.9       max");
  CHECK(line_starting(closed, "  corrected") ==
        "  corrected            1us     500us     500us     900us     990us     999us    1.00ms");
  CHECK(line_starting(closed, "  uncorrected").empty());  // closed model: same as corrected
  CHECK(line_starting(closed, "phases") == "phases                 p50       p99       max");
  CHECK(line_starting(closed, "  connect") == "  connect            104us     109us     109us");
  CHECK_THAT(line_starting(closed, "  ttfb"), Contains("126us"));  // 1000/4 + 1 = 251: p50 126

  const std::string open = report(sample_results(true));
  INFO(open);
  CHECK_THAT(line_starting(open, "  model"),
             Contains("open: rate 100/s, max 10 connections, 2 threads"));
  CHECK_THAT(line_starting(open, "  uncorrected"), Contains("496us"));  // p99 of us/2 + 1
}

TEST_CASE("console: thresholds PASS and FAIL", "[reporters]") {
  const std::string text = report(sample_results(), {"p99<1ms", "error_rate<1%", "rps>=100"});
  INFO(text);
  CHECK_THAT(text, Contains("\nthresholds\n"));
  CHECK(line_starting(text, "  PASS  p99<1ms") == "  PASS  p99<1ms        measured 990us");
  CHECK(line_starting(text, "  FAIL  error_rate<1%") == "  FAIL  error_rate<1%  measured 1.00%");
  CHECK(line_starting(text, "  PASS  rps>=100") == "  PASS  rps>=100       measured 100.0 req/s");
  CHECK_THAT(text, Contains("  1 of 3 thresholds failed\n"));

  const std::string ok = report(sample_results(), {"p99<1ms"});
  CHECK_THAT(ok, Contains("  all 1 thresholds passed\n"));
}

TEST_CASE("console: an empty, interrupted run", "[reporters]") {
  ordeal::engine::run_results r;
  r.interrupted = true;
  const std::string text = report(r, {"p99<1s"});
  INFO(text);
  CHECK_THAT(text, Contains("\ninterrupted: partial results"));
  CHECK_THAT(line_starting(text, "  total"), Contains("0"));
  CHECK_THAT(line_starting(text, "  errors"), Contains("0 (0.00%)"));
  CHECK_THAT(text, Contains("no responses"));
  CHECK(line_starting(text, "  FAIL  p99<1s") == "  FAIL  p99<1s  measured no responses");
}

TEST_CASE("console: the stream's formatting flags are left as they were", "[reporters]") {
  std::ostringstream out;
  out << std::hex;
  ordeal::reporters::write_console_report(out, sample_results(), {}, sample_info());
  CHECK_THAT(out.str(), Contains(" 1003") || Contains(" 1000"));  // decimal inside the report
  out.str("");
  out << 255;
  CHECK(out.str() == "ff");
}

TEST_CASE("console: live progress line", "[reporters]") {
  ordeal::engine::progress now;
  now.elapsed = 12s;
  now.completed = 12'000;
  now.errors = 12;
  now.last_second_p99_us = 12'300;
  CHECK(format_progress(now) ==
        "[  12.0s] 12000 requests, 1000.0 req/s, 12 errors (0.10%), p99 12.30ms (last second)");

  ordeal::engine::progress previous;
  previous.elapsed = 11s;
  previous.completed = 11'500;
  CHECK_THAT(format_progress(now, previous), Contains(" 500.0 req/s"));
  // A sample that does not move forward falls back to the average.
  CHECK_THAT(format_progress(now, now), Contains(" 1000.0 req/s"));

  const ordeal::engine::progress start;
  CHECK(format_progress(start) ==
        "[   0.0s] 0 requests, 0.00 req/s, 0 errors (0.00%), p99 - (last second)");
}
