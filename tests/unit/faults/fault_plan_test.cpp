// The drill's options.proxies / options.faults as faults::read_fault_plan reads them, and the
// toxiproxy JSON shapes of read_toxic / read_proxy.
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "ordeal/faults/spec.hpp"

using namespace ordeal::faults;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

std::string error_of(const json::value& proxies, const json::value& faults) {
  try {
    read_fault_plan(proxies, faults, "drill.lua");
  } catch (const spec_error& e) {
    CHECK(e.status() == 400);
    return e.what();
  }
  return "no error";
}

const json::value proxies = json::parse(R"({
  "db": {"listen": "127.0.0.1:0", "upstream": "127.0.0.1:5432"},
  "api": {"listen": "127.0.0.1:0", "upstream": "127.0.0.1:8080", "http": true}})");

}  // namespace

TEST_CASE("a drill's proxies and fault timeline are read", "[faults][plan]") {
  const auto faults = json::parse(R"([
    {"at": "10s", "duration": "20s", "proxy": "db",
     "toxic": {"type": "latency", "latency": "300ms", "jitter": "50ms"}},
    {"at": 40, "duration": "5s", "proxy": "db", "toxic": {"type": "down"}},
    {"at": "50s", "proxy": "db",
     "toxic": {"type": "noop", "stream": "upstream", "toxicity": 0.05, "name": "mine"}}])");
  const auto plan = read_fault_plan(proxies, faults, "drill.lua");
  REQUIRE(plan.proxies.size() == 2);
  CHECK(plan.proxies[0].name == "db");
  CHECK_FALSE(plan.proxies[0].http);
  CHECK(plan.proxies[1].name == "api");
  CHECK(plan.proxies[1].http);
  REQUIRE(plan.timeline.size() == 3);
  CHECK(plan.timeline[0].at == 10s);
  CHECK(plan.timeline[0].duration == 20s);
  CHECK(plan.timeline[0].toxic.name == "fault1_latency");
  CHECK(plan.timeline[0].toxic.stream == stream_direction::downstream);
  CHECK(plan.timeline[0].toxic.attributes.at("latency").as_string() == "300ms");
  CHECK(plan.timeline[1].at == 40s);
  CHECK(plan.timeline[1].toxic.type == "down");
  CHECK_FALSE(plan.timeline[2].duration.has_value());
  CHECK(plan.timeline[2].toxic.name == "mine");
  CHECK(plan.timeline[2].toxic.toxicity == 0.05);
  CHECK(plan.timeline[2].toxic.stream == stream_direction::upstream);
}

TEST_CASE("a bad fault names its place in the drill", "[faults][plan]") {
  CHECK(error_of(proxies, json::parse(R"([{"at": "1s", "proxy": "db",
          "toxic": {"type": "latency", "latency": -5}}])")) ==
        std::string("drill.lua: options.faults[1].toxic.latency: expected milliseconds >= 0, "
                    "got -5"));
  CHECK_THAT(error_of(proxies, json::parse(R"([{"proxy": "db", "toxic": {"type": "latency",
          "latncy": 5}}])")),
             Catch::Contains("options.faults[1].toxic.latncy: unknown attribute (did you mean "
                             "\"latency\"?)"));
  CHECK_THAT(error_of(proxies, json::parse(R"([{"proxy": "nope", "toxic": {"type": "down"}}])")),
             Catch::Contains("options.faults[1].proxy: no proxy \"nope\""));
  CHECK_THAT(error_of(proxies, json::parse(R"([{"proxy": "db", "toxic": {"type": "lag"}}])")),
             Catch::Contains("options.faults[1].toxic.type: unknown toxic \"lag\"; known:"));
  CHECK_THAT(error_of(proxies, json::parse(R"([{"at": "soon", "proxy": "db",
          "toxic": {"type": "down"}}])")),
             Catch::Contains("options.faults[1].at: expected a duration"));
  CHECK_THAT(error_of(proxies, json::parse(R"([{"proxy": "db"}])")),
             Catch::Contains("give exactly one of toxic"));
  CHECK_THAT(error_of(proxies, json::parse(R"([{"proxy": "db", "toxic": {"type": "down"},
          "when": 1}])")),
             Catch::Contains("options.faults[1].when: unknown field"));
  CHECK_THAT(error_of(proxies, json::parse(R"([{"proxy": "db", "toxic": {"type": "noop",
          "toxicity": 2}}])")),
             Catch::Contains("options.faults[1].toxic.toxicity: expected a number from 0 to 1"));
  CHECK_THAT(error_of(json::parse(R"({"db": {"upstream": "127.0.0.1:1"}})"), nullptr),
             Catch::Contains("options.proxies.db.listen: missing"));
  CHECK_THAT(error_of(json::parse(R"([1])"), nullptr),
             Catch::Contains("options.proxies: expected a table"));
  CHECK_THAT(error_of(proxies, json::parse(R"({"a": 1})")),
             Catch::Contains("options.faults: expected a list"));
}

TEST_CASE("toxiproxy's toxic and proxy shapes are read and written back", "[faults][plan]") {
  const auto t = read_toxic(json::parse(R"({"type": "latency", "stream": "upstream",
      "toxicity": 0.5, "attributes": {"latency": 100}})"),
                            "toxic");
  CHECK(t.name == "latency_upstream");
  const auto back = to_json(t);
  CHECK(back.at("name").as_string() == "latency_upstream");
  CHECK(back.at("stream").as_string() == "upstream");
  CHECK(back.at("toxicity").as_double() == 0.5);
  CHECK(back.at("attributes").at("latency").as_int64() == 100);

  const auto p = read_proxy(json::parse(R"({"name": "redis", "listen": "127.0.0.1:26379",
      "upstream": "127.0.0.1:6379", "enabled": false})"),
                            "proxy");
  CHECK(p.name == "redis");
  CHECK_FALSE(p.enabled);
  try {
    read_toxic(json::parse(R"({"type": "latency", "stream": "sideways"})"), "toxic");
    FAIL("accepted");
  } catch (const spec_error& e) {
    CHECK(std::string(e.what()) ==
          "toxic.stream: expected \"upstream\" or \"downstream\", got \"sideways\"");
  }
  CHECK_THROWS_AS(read_proxy(json::parse(R"({"listen": "x"})"), "proxy"), spec_error);
}
