// Bad attributes are refused with spec_error 400 naming the attribute, and change nothing.
#include "relay_harness.hpp"

using namespace ordeal::test::relay_harness;
using ordeal::faults::spec_error;

namespace {

std::string refusal(relay& r, std::string_view json) {
  try {
    r.add(json);
  } catch (const spec_error& e) {
    CHECK(e.status() == 400);
    return e.what();
  }
  return "accepted";
}

}  // namespace

TEST_CASE("bad toxic attributes are refused, naming the attribute", "[faults][toxics]") {
  relay r(upstream_server::echo());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"type": "bandwidth"})", "attributes.rate: missing"},
      {R"({"type": "bandwidth", "attributes": {"rate": "fast"}})", "attributes.rate"},
      {R"({"type": "bandwidth", "attributes": {"rate": -5}})", "attributes.rate"},
      {R"({"type": "bandwidth", "attributes": {"rate": 0}})", "attributes.rate"},
      {R"({"type": "bandwidth", "attributes": {"rate": 10, "shared": "yes"}})",
       "attributes.shared"},
      {R"({"type": "bandwidth", "attributes": {"rate": 10, "rte": 5}})",
       R"(attributes.rte: unknown attribute (did you mean "rate"?); this toxic takes: rate, shared)"},
      {R"({"type": "slow_close", "attributes": {"delay": "soon"}})", "attributes.delay"},
      {R"({"type": "timeout", "attributes": {"timeout": -1}})", "attributes.timeout"},
      {R"({"type": "reset_peer", "attributes": {"timeout": true}})", "attributes.timeout"},
      {R"({"type": "slicer", "attributes": {"size_variation": 5}})",
       "attributes.average_size: missing"},
      {R"({"type": "slicer", "attributes": {"average_size": 0}})", "attributes.average_size"},
      {R"({"type": "slicer", "attributes": {"average_size": 10, "size_variation": 10}})",
       "attributes.size_variation"},
      {R"({"type": "slicer", "attributes": {"average_size": 10, "delay": 1.5}})",
       "attributes.delay"},
      {R"({"type": "limit_data"})", "attributes.bytes: missing"},
      {R"({"type": "limit_data", "attributes": {"bytes": -1}})", "attributes.bytes"},
      {R"({"type": "drop", "attributes": {"reset": 1}})", "attributes.reset"},
      {R"({"type": "half_open", "attributes": {"after": 5}})", "attributes.after"},
  };
  for (const auto& [json, expected] : cases) {
    INFO(json);
    CHECK_THAT(refusal(r, json), Catch::Matchers::Contains(expected));
  }
  // Nothing was added.
  client c(r.proxy_address);
  REQUIRE(c.connected());
  REQUIRE(c.send_all("ok", clock::now() + 5s) == 0);
  CHECK(c.read(2, clock::now() + 5s).data == "ok");
}

TEST_CASE("toxiproxy's attribute shapes are accepted", "[faults][toxics]") {
  relay r(upstream_server::echo());
  r.add(R"({"name": "a", "type": "bandwidth", "attributes": {"rate": 100}})");
  r.add(R"({"name": "b", "type": "slow_close", "attributes": {"delay": "250ms"}})");
  r.add(R"({"name": "c", "type": "timeout", "attributes": {"timeout": 0}, "toxicity": 0})");
  r.add(R"({"name": "d", "type": "reset_peer", "attributes": {"timeout": 100}, "toxicity": 0})");
  r.add(R"({"name": "e", "type": "slicer",
            "attributes": {"average_size": 64, "size_variation": 32, "delay": 10}})");
  r.add(R"({"name": "f", "type": "slicer", "attributes": {"average_size": 64, "delay": "1ms"}})");
  r.add(R"({"name": "g", "type": "limit_data", "attributes": {"bytes": 0}, "toxicity": 0})");
  r.add(R"({"name": "h", "type": "drop", "toxicity": 0})");
  r.add(R"({"name": "i", "type": "half_open", "toxicity": 0})");
  CHECK_THROWS_AS(r.add(R"({"name": "a", "type": "noop"})"), spec_error);  // 409: taken
}
