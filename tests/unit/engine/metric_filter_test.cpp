#include "ordeal/engine/metric_filter.hpp"

#include <catch2/catch.hpp>

#include "ordeal/engine/config_error.hpp"

using namespace ordeal::engine;
using Catch::Matchers::Contains;

namespace {

// A set as a drill's workers record it: one series per tag set.
metric_set recorded() {
  metric_set set;
  const auto add = [&](const std::string& key, std::initializer_list<double> values) {
    auto& m = metric_at(set, key, metric_kind::trend, true);
    for (double v : values)
      m.add(v);
  };
  add("http_req_duration{method:POST,name:pay,scenario:checkout,status:201}", {10, 20, 30});
  add("http_req_duration{method:POST,name:pay,scenario:checkout,status:503}", {500});
  add("http_req_duration{method:GET,name:home,scenario:browse,status:200}", {1, 2});
  add("http_req_duration{method:GET,name:pay,scenario:browse,status:200}", {5});
  add("http_req_duration_extra", {999});              // another metric sharing the prefix
  metric_at(set, "http_reqs", metric_kind::counter);  // registered, never counted
  metric_at(set, "http_reqs{method:GET,name:home,scenario:browse,status:200}", metric_kind::counter)
      .add(2);
  metric_at(set, "retries{method:POST,name:pay,scenario:checkout,status:503}", metric_kind::counter)
      .add(3);
  return set;
}

}  // namespace

TEST_CASE("metric filters: parse names and tag filters", "[engine][metric_filter]") {
  auto f = parse_metric_filter("http_req_duration");
  CHECK(f.name == "http_req_duration");
  CHECK(f.tags.empty());
  f = parse_metric_filter(" http_req_duration{ status:201 , name:pay } ");
  CHECK(f.name == "http_req_duration");
  REQUIRE(f.tags.size() == 2);
  CHECK(f.tags[0] == std::pair<std::string, std::string>{"name", "pay"});  // sorted
  CHECK(f.tags[1] == std::pair<std::string, std::string>{"status", "201"});
  CHECK(f.text() == "http_req_duration{name:pay,status:201}");
  // A value may hold commas and colons: only ", word:" starts a tag.
  f = parse_metric_filter("http_reqs{name:GET /a,/b:c}");
  REQUIRE(f.tags.size() == 1);
  CHECK(f.tags[0].second == "GET /a,/b:c");
  f = parse_metric_filter("http_reqs{name:GET /a,status:200}");
  REQUIRE(f.tags.size() == 2);
  CHECK(f.tags[0].second == "GET /a");
  f = parse_metric_filter("http_reqs{name:a, b}");
  REQUIRE(f.tags.size() == 1);
  CHECK(f.tags[0].second == "a, b");
  CHECK(parse_metric_filter("http_req_retries").name == "retries");  // the old name
}

TEST_CASE("metric filters: malformed ones are config errors", "[engine][metric_filter]") {
  const auto error_of = [](const std::string& text) -> std::string {
    try {
      parse_metric_filter(text);
    } catch (const config_error& e) {
      return e.what();
    }
    return "(no error)";
  };
  CHECK_THAT(error_of(""), Contains("a metric name is letters, digits and _"));
  CHECK_THAT(error_of("9lives"), Contains("a metric name is letters, digits and _"));
  CHECK_THAT(error_of("http-reqs"), Contains("a metric name is letters, digits and _"));
  CHECK(error_of("http_reqs{name:pay") ==
        "invalid metric \"http_reqs{name:pay\": a tag filter ends with \"}\" (e.g. "
        "http_req_duration{name:pay,status:201})");
  CHECK_THAT(error_of("http_reqs{}"), Contains("the tag filter {} is empty"));
  CHECK_THAT(error_of("http_reqs{pay}"), Contains("\"pay\" in the tag filter is not tag:value"));
  CHECK_THAT(error_of("http_reqs{:pay}"), Contains("the tag name \"\" is not letters"));
  CHECK_THAT(error_of("http_reqs{na me:pay}"), Contains("the tag name \"na me\""));
  CHECK_THAT(error_of("http_reqs{name:}"), Contains("the tag name has no value"));
  CHECK_THAT(error_of("http_reqs{name:a,name:b}"), Contains("the tag name is given twice"));
}

TEST_CASE("metric filters: canonical series keys", "[engine][metric_filter]") {
  CHECK(series_key("http_reqs", {{"status", "200"}, {"name", "home"}, {"method", "GET"}}) ==
        "http_reqs{method:GET,name:home,status:200}");
  CHECK(series_key("http_reqs", {{"status", ""}, {"name", "home"}}) == "http_reqs{name:home}");
  CHECK(series_key("http_reqs", {}) == "http_reqs");
  const auto v = split_series_key("http_reqs{method:GET,name:a,b,status:200}");
  CHECK(v.name == "http_reqs");
  REQUIRE(v.tags.size() == 3);
  CHECK(v.tags[1].second == "a,b");
  CHECK(split_series_key("orders").name == "orders");
}

TEST_CASE("metric filters: select merges every series whose tags include the filter's",
          "[engine][metric_filter]") {
  const auto set = recorded();
  // Unfiltered: every series of the metric, not the other metric sharing its prefix.
  auto m = select(set, "http_req_duration");
  REQUIRE(m);
  CHECK(m->samples == 7);
  CHECK(m->max == 500);
  CHECK(m->is_time);
  // One tag: both methods and both statuses of pay.
  m = select(set, "http_req_duration{name:pay}");
  REQUIRE(m);
  CHECK(m->samples == 5);
  // Two tags.
  m = select(set, "http_req_duration{name:pay,status:201}");
  REQUIRE(m);
  CHECK(m->samples == 3);
  CHECK(m->mean() == Approx(20));
  CHECK(select(set, "http_req_duration{status:503}")->samples == 1);
  CHECK(select(set, "http_req_duration{method:POST}")->samples == 4);
  CHECK(select(set, "http_req_duration{scenario:browse}")->samples == 3);
  // A tag set nobody recorded, and a metric nobody recorded.
  CHECK_FALSE(select(set, "http_req_duration{name:refund}"));
  CHECK_FALSE(select(set, "http_req_duration{name:pa}"));  // whole values only
  CHECK_FALSE(select(set, "iterations"));
  // Counters: the registered empty series reads 0 with the others.
  CHECK(select(set, "http_reqs")->sum == 2);
  CHECK(select(set, "http_reqs{status:503}") == std::nullopt);
  // The old name of retries.
  CHECK(select(set, "http_req_retries")->sum == 3);
  CHECK_THROWS_AS(select(set, "http_reqs{"), config_error);
}
