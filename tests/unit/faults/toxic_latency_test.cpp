// latency: every chunk is delayed by its latency; a round trip pays it once per direction.
#include "relay_harness.hpp"

using namespace ordeal::test::relay_harness;

namespace {

// One small echo round trip through the proxy, in seconds (negative: it failed).
double round_trip(relay& r) {
  client c(r.proxy_address);
  REQUIRE(c.connected());
  const auto start = clock::now();
  REQUIRE(c.send_all("ping", start + 5s) == 0);
  const auto got = c.read(4, start + 5s);
  REQUIRE(got.data == "ping");
  return seconds(got.last_byte_at - start);
}

}  // namespace

TEST_CASE("latency delays a round trip by its latency", "[faults][toxics]") {
  relay r(upstream_server::echo());
  CHECK(round_trip(r) < 0.1);
  SECTION("downstream") {
    r.add(R"({"type": "latency", "attributes": {"latency": 100}})");
    const double t = round_trip(r);
    CHECK(t >= 0.1);
    CHECK(t < 1.0);
  }
  SECTION("both directions, as a duration string") {
    r.add(R"({"type": "latency", "stream": "upstream", "attributes": {"latency": "60ms"}})");
    r.add(R"({"type": "latency", "stream": "downstream", "attributes": {"latency": "60ms"}})");
    const double t = round_trip(r);
    CHECK(t >= 0.12);
    CHECK(t < 1.0);
  }
  SECTION("removed, the delay is gone") {
    r.add(R"({"type": "latency", "attributes": {"latency": 300}})");
    r.remove("latency_downstream");
    CHECK(round_trip(r) < 0.25);
  }
}
