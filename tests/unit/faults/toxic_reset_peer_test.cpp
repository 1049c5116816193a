// reset_peer: the connection is reset (RST) after its timeout; the client sees ECONNRESET.
#include "relay_harness.hpp"

using namespace ordeal::test::relay_harness;

TEST_CASE("reset_peer resets the connection after its timeout", "[faults][toxics]") {
  relay r(upstream_server::echo());
  r.add(R"({"type": "reset_peer", "attributes": {"timeout": 300}})");
  client c(r.proxy_address);
  REQUIRE(c.connected());
  const auto start = clock::now();
  // Until the timeout, data flows.
  REQUIRE(c.send_all("ping", start + 5s) == 0);
  CHECK(c.read(4, start + 5s).data == "ping");
  const auto got = c.read_to_end(start + 5s);
  CHECK(got.error == ECONNRESET);
  CHECK_FALSE(got.eof);
  const double t = seconds(got.ended_at - start);
  CHECK(t >= 0.25);
  CHECK(t < 3.0);
}

TEST_CASE("reset_peer with timeout 0 resets at once", "[faults][toxics]") {
  relay r(upstream_server::echo());
  r.add(R"({"type": "reset_peer", "stream": "upstream"})");
  client c(r.proxy_address);
  REQUIRE(c.connected());
  const auto start = clock::now();
  const auto got = c.read_to_end(start + 5s);
  CHECK(got.error == ECONNRESET);
  CHECK(got.data.empty());
  CHECK(seconds(got.ended_at - start) < 1.0);
}

TEST_CASE("reset_peer per chunk resets on the data drawn", "[faults][toxics]") {
  relay r(upstream_server::echo());
  r.add(R"({"type": "reset_peer", "stream": "upstream", "toxicity_per": "chunk",
            "attributes": {"timeout": 100}})");
  client c(r.proxy_address);
  REQUIRE(c.connected());
  const auto start = clock::now();
  // Connected and quiet: nothing happens until data comes.
  const auto quiet = c.read(1, start + 300ms);
  CHECK(quiet.timed_out);
  REQUIRE(c.send_all("ping", clock::now() + 5s) == 0);
  const auto got = c.read_to_end(clock::now() + 5s);
  CHECK(got.error == ECONNRESET);
  CHECK(got.data.empty());  // the chunk that drew the reset is dropped with it
}
