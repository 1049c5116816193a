#include "ordeal/reporters/json_report.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <sstream>
#include <string>

#include "ordeal/engine/histogram.hpp"
#include "sample_results.hpp"

namespace {

namespace json = boost::json;
using ordeal::engine::outcome;
using ordeal::reporters::evaluate;
using ordeal::reporters::parse_thresholds;
using ordeal::reporters::write_json;
using ordeal::reporters::test::sample_info;
using ordeal::reporters::test::sample_results;
using ordeal::reporters::test::set;

// Writes the report and parses it back, as a reader of the file would.
json::object round_trip(const ordeal::engine::run_results& r,
                        const std::vector<std::string>& thresholds = {}) {
  std::ostringstream out;
  write_json(out, r, evaluate(parse_thresholds(thresholds), r), sample_info());
  const std::string text = out.str();
  REQUIRE_FALSE(text.empty());
  CHECK(text.back() == '\n');
  json::error_code ec;
  json::value v = json::parse(text, ec);
  INFO(text);
  REQUIRE_FALSE(ec);
  REQUIRE(v.is_object());
  return v.get_object();
}

double num(const json::value& v) {
  return v.to_number<double>();
}
std::uint64_t count(const json::value& v) {
  return v.to_number<std::uint64_t>();
}
const json::object& obj(const json::value& v) {
  return v.get_object();
}

}  // namespace

TEST_CASE("json: run description and totals", "[reporters]") {
  auto r = sample_results();
  set(r, outcome::timeout, 3);
  set(r, outcome::connect, 2);
  r.error_reasons = {{"timeout: no response within 10s", 3},
                     {"protocol: bad \"status\" line\n\tat byte 7", 2}};
  const auto o = round_trip(r);

  CHECK(o.at("schema") == "ordeal.result/1");
  CHECK(o.begin()->key() == "schema");  // first, so `head` tells a reader what it holds
  CHECK(o.at("version") == "0.1.0");
  CHECK(o.at("target") == "http://127.0.0.1:8080/");
  CHECK(o.at("method") == "GET");
  CHECK(o.at("started_at") == "2024-05-01T12:00:00Z");
  CHECK(o.at("seed").as_uint64() == 9'223'372'036'854'775'813ULL);
  const auto& argv = o.at("command_line").as_array();
  REQUIRE(argv.size() == 7);
  CHECK(argv[0] == "ordeal");
  CHECK(argv[5] == "p99<1ms");
  CHECK(o.at("model") == "closed");
  CHECK(count(o.at("threads")) == 2);
  CHECK(count(o.at("connections")) == 10);
  CHECK(o.at("interrupted") == false);
  CHECK(o.at("duration_s").is_double());  // "10.0", not "10": reads back as a double
  CHECK(num(o.at("duration_s")) == Approx(10.0));
  CHECK(num(o.at("wall_time_s")) == Approx(11.0));

  const auto& req = obj(o.at("requests"));
  const auto& errors = obj(req.at("errors"));
  std::uint64_t error_sum = 0;
  for (const char* c : {"connect", "timeout", "reset", "protocol", "status", "dropped", "abandoned",
                        "tls", "refused", "stream_reset"}) {
    INFO(c);
    REQUIRE(errors.contains(c));
    error_sum += count(errors.at(c));
  }
  CHECK(errors.size() == 10);
  CHECK(count(req.at("total")) == 1005);
  CHECK(count(req.at("ok")) == 990);
  CHECK(count(req.at("ok")) + error_sum == count(req.at("total")));
  CHECK(count(errors.at("status")) == 10);
  CHECK(count(errors.at("timeout")) == 3);
  CHECK(count(errors.at("connect")) == 2);
  CHECK(count(errors.at("reset")) == 0);
  CHECK(count(req.at("in_flight")) == 4);
  const auto& codes = obj(req.at("status_codes"));
  CHECK(codes.size() == 3);
  CHECK(count(codes.at("200")) == 990);
  CHECK(count(codes.at("500")) == 6);
  CHECK(count(codes.at("503")) == 4);
  const auto& reasons = obj(req.at("error_reasons"));
  CHECK(count(reasons.at("timeout: no response within 10s")) == 3);
  CHECK(count(reasons.at("protocol: bad \"status\" line\n\tat byte 7")) == 2);  // escaped

  CHECK(num(o.at("rps")) == Approx(100.5));
  CHECK(num(o.at("error_rate")) == Approx(15.0 / 1005.0));
  CHECK(count(o.at("unsolicited_responses")) == 1);
  CHECK(count(o.at("connections_opened")) == 12);
  CHECK(count(o.at("bytes_sent")) == 123'456);
  CHECK(count(o.at("bytes_received")) == 9'876'543);
}

TEST_CASE("json: latency, phases and histograms match the histograms", "[reporters]") {
  auto r = sample_results();
  r.latency.record(1'234'567);  // a stall, outside the exact range: bucket precision applies
  const auto o = round_trip(r);

  const auto& lat = obj(o.at("latency_ms"));
  CHECK(lat.size() == 7);
  CHECK(num(lat.at("min")) == Approx(r.latency.min() / 1000.0));
  CHECK(num(lat.at("mean")) == Approx(r.latency.mean() / 1000.0));
  CHECK(num(lat.at("p50")) == Approx(r.latency.percentile(50) / 1000.0));
  CHECK(num(lat.at("p90")) == Approx(r.latency.percentile(90) / 1000.0));
  CHECK(num(lat.at("p99")) == Approx(r.latency.percentile(99) / 1000.0));
  CHECK(num(lat.at("p99_9")) == Approx(r.latency.percentile(99.9) / 1000.0));
  CHECK(num(lat.at("max")) == Approx(r.latency.max() / 1000.0));
  CHECK(num(lat.at("p50")) == Approx(0.501));  // 1001 samples: rank 501
  CHECK(num(lat.at("max")) >= 1234.567);

  const auto& phases = obj(o.at("phases_ms"));
  CHECK(num(obj(phases.at("connect")).at("p50")) == Approx(r.connect_time.percentile(50) / 1e3));
  CHECK(num(obj(phases.at("connect")).at("max")) == Approx(0.109));
  CHECK(num(obj(phases.at("ttfb")).at("p99")) == Approx(r.ttfb.percentile(99) / 1e3));

  const auto& hist = obj(o.at("histograms"));
  CHECK(hist.contains("latency"));
  CHECK(hist.contains("connect"));
  CHECK(hist.contains("ttfb"));
  const auto& latency = obj(hist.at("latency"));
  CHECK(count(latency.at("count")) == 1001);
  // The encoded form decodes to the same histogram.
  const auto decoded =
      ordeal::engine::histogram::decode(std::string(latency.at("encoded").as_string()));
  CHECK(decoded.count() == r.latency.count());
  CHECK(decoded.percentile(99.9) == r.latency.percentile(99.9));
  CHECK(decoded.max() == r.latency.max());
  // The buckets form: [lowest_us, highest_us, count], non-empty ones, summing to the count.
  std::uint64_t total = 0;
  std::uint64_t previous_high = 0;
  const auto& buckets = latency.at("buckets").as_array();
  CHECK(buckets.size() == 1001);
  for (const auto& b : buckets) {
    const auto& triple = b.as_array();
    REQUIRE(triple.size() == 3);
    CHECK(count(triple[0]) <= count(triple[1]));
    CHECK(count(triple[0]) >= previous_high);
    CHECK(count(triple[2]) > 0);
    previous_high = count(triple[1]);
    total += count(triple[2]);
  }
  CHECK(total == 1001);
  const auto& last = buckets.back().as_array();
  CHECK(count(last[0]) <= 1'234'567);
  CHECK(count(last[1]) >= 1'234'567);
}

TEST_CASE("json: open-model keys only in the open model", "[reporters]") {
  const auto closed = round_trip(sample_results(false));
  CHECK(closed.at("model") == "closed");
  CHECK_FALSE(closed.contains("latency_uncorrected_ms"));
  CHECK_FALSE(closed.contains("target_rate"));
  CHECK_FALSE(obj(closed.at("histograms")).contains("latency_uncorrected"));

  const auto r = sample_results(true);
  const auto open = round_trip(r);
  CHECK(open.at("model") == "open");
  CHECK(num(open.at("target_rate")) == Approx(100.0));
  const auto& uncorrected = obj(open.at("latency_uncorrected_ms"));
  CHECK(uncorrected.size() == 7);
  CHECK(num(uncorrected.at("p99")) == Approx(r.latency_uncorrected.percentile(99) / 1000.0));
  CHECK(num(uncorrected.at("p99")) < num(obj(open.at("latency_ms")).at("p99")));
  CHECK(count(obj(obj(open.at("histograms")).at("latency_uncorrected")).at("count")) == 1000);
}

TEST_CASE("json: time series", "[reporters]") {
  auto r = sample_results();
  r.series.emplace_back();  // a last second where nothing completed
  set(r.series.back(), outcome::timeout, 2);
  const auto o = round_trip(r);
  const auto& series = o.at("series").as_array();
  REQUIRE(series.size() == r.series.size());
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < series.size(); ++i) {
    const auto& s = obj(series[i]);
    CHECK(count(s.at("second")) == i);
    std::uint64_t errors = 0;
    for (const auto& e : obj(s.at("errors")))
      errors += count(e.value());
    CHECK(count(s.at("ok")) + errors == count(s.at("total")));
    total += count(s.at("total"));
  }
  CHECK(total == 1002);
  const auto& first = obj(series.front());
  CHECK(count(first.at("total")) == 100);
  CHECK(count(first.at("ok")) == 99);
  CHECK(count(obj(first.at("errors")).at("status")) == 1);
  CHECK(num(first.at("p50_ms")) == Approx(0.5));
  CHECK(num(first.at("p99_ms")) == Approx(0.99));
  const auto& quiet = obj(series.back());
  CHECK(count(obj(quiet.at("errors")).at("timeout")) == 2);
  CHECK(quiet.at("p50_ms").is_null());  // no response that second: no latency, not 0
  CHECK(quiet.at("p99_ms").is_null());
}

TEST_CASE("json: thresholds", "[reporters]") {
  const auto o = round_trip(sample_results(), {"p99<1ms", "error_rate<1%", "rps>=100"});
  const auto& t = o.at("thresholds").as_array();
  REQUIRE(t.size() == 3);
  CHECK(obj(t[0]).at("expr") == "p99<1ms");
  CHECK(obj(t[0]).at("passed") == true);
  CHECK(obj(t[0]).at("measured") == "990us");
  CHECK(num(obj(t[0]).at("value")) == Approx(0.99));
  CHECK(obj(t[0]).at("unit") == "ms");
  CHECK(obj(t[1]).at("passed") == false);
  CHECK(obj(t[1]).at("measured") == "1.00%");
  CHECK(obj(t[1]).at("unit") == "%");
  CHECK(obj(t[2]).at("passed") == true);
  CHECK(obj(t[2]).at("unit") == "req/s");
}

TEST_CASE("json: an empty, interrupted run", "[reporters]") {
  ordeal::engine::run_results r;
  r.interrupted = true;
  const auto o = round_trip(r, {"p99<1s"});
  CHECK(o.at("interrupted") == true);
  CHECK(count(obj(o.at("requests")).at("total")) == 0);
  CHECK(num(o.at("rps")) == 0.0);
  CHECK(num(o.at("error_rate")) == 0.0);
  for (const auto& kv : obj(o.at("latency_ms"))) {
    INFO(kv.key());
    CHECK(kv.value().is_null());  // nothing measured is not "0 ms"
  }
  CHECK(obj(obj(o.at("phases_ms")).at("ttfb")).at("p99").is_null());
  CHECK(obj(obj(o.at("histograms")).at("latency")).at("buckets").as_array().empty());
  CHECK(o.at("series").as_array().empty());
  const auto& t = obj(o.at("thresholds").as_array().at(0));
  CHECK(t.at("passed") == false);
  CHECK(t.at("measured") == "no responses");
  CHECK(t.at("value").is_null());
}

TEST_CASE("json: indented for people, one line per record", "[reporters]") {
  std::ostringstream out;
  write_json(out, sample_results(), {}, sample_info());
  const std::string text = out.str();
  CHECK(text.rfind("{\n  \"schema\": \"ordeal.result/1\",\n", 0) == 0);
  CHECK_THAT(text, Catch::Contains("\n    \"errors\": {"));
  CHECK_THAT(text, Catch::Contains("\"connect\": 0, \"timeout\": 0"));
  // One second of the series per line: a record reads and diffs best whole.
  CHECK_THAT(text,
             Catch::Contains("\n    {\"second\": 0, \"total\": 100, \"ok\": 99, \"errors\": {"));
  CHECK_THAT(text, Catch::Contains("\n        [1, 1, 1],\n"));
  CHECK_THAT(text, Catch::Contains("\"duration_s\": 10.0,"));
  // Same object as to_json() (nothing lost in the printing).
  CHECK(json::parse(text) ==
        json::value(ordeal::reporters::to_json(sample_results(), {}, sample_info())));
}
