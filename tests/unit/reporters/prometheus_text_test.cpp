// The --metrics exposition: Prometheus' text format 0.0.4, a pure function of a metric set.
#include "ordeal/reporters/prometheus_text.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Catch::Matchers::Contains;
using ordeal::engine::metric_at;
using ordeal::engine::metric_kind;
using ordeal::engine::metric_set;
using ordeal::reporters::prometheus_label_name;
using ordeal::reporters::prometheus_label_value;
using ordeal::reporters::prometheus_name;
using ordeal::reporters::prometheus_run;
using ordeal::reporters::prometheus_text;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    lines.push_back(l);
  return lines;
}

// Every line is a comment (HELP/TYPE) or `name{labels} value`, with valid names and escaped
// label values; every family's samples follow its TYPE line, and each TYPE appears once.
void check_exposition(const std::string& text) {
  static const std::regex sample(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")*\})? (NaN|[+-]Inf|-?[0-9.e+-]+))");
  static const std::regex type(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|summary))");
  REQUIRE_FALSE(text.empty());
  CHECK(text.back() == '\n');
  std::map<std::string, int> types;
  std::string family;
  for (const auto& l : lines_of(text)) {
    INFO(l);
    std::smatch m;
    if (l.starts_with("# HELP ")) continue;
    if (l.starts_with("# TYPE ")) {
      REQUIRE(std::regex_match(l, m, type));
      family = m[1];
      CHECK(++types[family] == 1);
      continue;
    }
    REQUIRE(std::regex_match(l, m, sample));
    const std::string name = m[1];
    CHECK((name == family || name == family + "_sum" || name == family + "_count"));
  }
}

}  // namespace

TEST_CASE("prometheus: names and label values", "[reporters][prometheus]") {
  CHECK(prometheus_name("http_req_duration") == "http_req_duration");
  CHECK(prometheus_name("my-metric.v2 ms") == "my_metric_v2_ms");
  CHECK(prometheus_name("a:b") == "a:b");
  CHECK(prometheus_name("9lives") == "_9lives");
  CHECK(prometheus_name("") == "_");
  CHECK(prometheus_label_name("a:b-c") == "a_b_c");
  CHECK(prometheus_label_value(R"(say "hi"\)") == R"(say \"hi\"\\)");
  CHECK(prometheus_label_value("two\nlines") == "two\\nlines");
  CHECK(prometheus_label_value("é/{}") == "é/{}");
}

TEST_CASE("prometheus: an empty set still says the run is up", "[reporters][prometheus]") {
  const auto text = prometheus_text({}, {"0.1.0", "drill.lua", 7, 1.5, true});
  check_exposition(text);
  CHECK_THAT(text, Contains("\nordeal_up 1\n"));
  CHECK_THAT(text, Contains(R"(ordeal_run_info{version="0.1.0",target="drill.lua",seed="7"} 1)"));
  CHECK_THAT(text, Contains("\nordeal_elapsed_seconds 1.5\n"));
  CHECK_THAT(text, Contains("\nordeal_running 1\n"));
}

TEST_CASE("prometheus: each kind of metric", "[reporters][prometheus]") {
  metric_set m;
  metric_at(m, "http_reqs", metric_kind::counter).add(1200);
  metric_at(m, "http_reqs{name:pay}", metric_kind::counter).add(200);
  metric_at(m, "vus", metric_kind::gauge).add(12);
  auto& failed = metric_at(m, "http_req_failed", metric_kind::rate);
  for (int i = 0; i < 10; ++i)
    failed.add(i < 3 ? 1 : 0);
  auto& d = metric_at(m, "http_req_duration{name:pay}", metric_kind::trend, true);
  for (int i = 1; i <= 100; ++i)
    d.add(i);  // 1..100 ms
  auto& size = metric_at(m, "body_size", metric_kind::trend);
  size.add(10);

  const auto text = prometheus_text(m, {"0.1.0", "http://x/", 1, 2, true});
  INFO(text);
  check_exposition(text);
  CHECK_THAT(text, Contains("# TYPE ordeal_http_reqs_total counter\n"
                            "ordeal_http_reqs_total 1200\n"
                            "ordeal_http_reqs_total{name=\"pay\"} 200\n"));
  CHECK_THAT(text, Contains("# TYPE ordeal_vus gauge\nordeal_vus 12\n"));
  CHECK_THAT(text, Contains("\nordeal_http_req_failed_total 3\n"));
  CHECK_THAT(text, Contains("\nordeal_http_req_failed_samples_total 10\n"));
  CHECK_THAT(text, Contains("\nordeal_http_req_failed_rate 0.3\n"));
  // Durations in seconds (the results model keeps ms).
  CHECK_THAT(text, Contains("# TYPE ordeal_http_req_duration_seconds summary\n"));
  CHECK_THAT(text,
             Contains("ordeal_http_req_duration_seconds{name=\"pay\",quantile=\"0.5\"} 0.05"));
  CHECK_THAT(text,
             Contains("ordeal_http_req_duration_seconds{name=\"pay\",quantile=\"0.99\"} 0.099"));
  CHECK_THAT(text, Contains("ordeal_http_req_duration_seconds_sum{name=\"pay\"} 5.05"));
  CHECK_THAT(text, Contains("ordeal_http_req_duration_seconds_count{name=\"pay\"} 100"));
  CHECK_THAT(text, Contains("ordeal_body_size{quantile=\"0.95\"} 10"));
  CHECK_THAT(text, Contains("ordeal_body_size_count 1"));
}

TEST_CASE("prometheus: tags become labels, escaped and sanitized", "[reporters][prometheus]") {
  metric_set m;
  metric_at(m, "http_reqs{name:say \"hi\"\\ \nnow}", metric_kind::counter).add(1);
  metric_at(m, "http_reqs{name:a,b,status:201}", metric_kind::counter).add(2);
  metric_at(m, "my-metric{odd-key:v,quantile:x,__x:y}", metric_kind::counter).add(3);
  const auto text = prometheus_text(m, {"0.1.0", "t\"x", 1, 0, false});
  INFO(text);
  check_exposition(text);
  CHECK_THAT(text, Contains(R"(ordeal_http_reqs_total{name="say \"hi\"\\ \nnow"} 1)"));
  // A comma inside a name does not start a tag; one before "status:" does.
  CHECK_THAT(text, Contains(R"(ordeal_http_reqs_total{name="a,b",status="201"} 2)"));
  // Clashing or reserved label names are prefixed.
  CHECK_THAT(text,
             Contains(R"(ordeal_my_metric_total{odd_key="v",tag_quantile="x",tag___x="y"} 3)"));
  CHECK_THAT(text, Contains(R"(target="t\"x")"));
  CHECK_THAT(text, Contains("\nordeal_running 0\n"));
}

TEST_CASE("prometheus: a trend without samples, odd values", "[reporters][prometheus]") {
  metric_set m;
  metric_at(m, "empty", metric_kind::trend, true);
  metric_at(m, "big", metric_kind::counter).add(1e20);
  const auto text = prometheus_text(m, {});
  INFO(text);
  check_exposition(text);
  CHECK_THAT(text, Contains("ordeal_empty_seconds{quantile=\"0.5\"} NaN"));
  CHECK_THAT(text, Contains("ordeal_empty_seconds_count 0"));
  CHECK_THAT(text, Contains("ordeal_big_total 1e+20"));
}
