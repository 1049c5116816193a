// timeout: no data passes; with a timeout the connection is closed after it, with 0 it stays
// open and silent.
#include "relay_harness.hpp"

using namespace ordeal::test::relay_harness;

TEST_CASE("timeout drops data and closes the connection after its time", "[faults][toxics]") {
  relay r(upstream_server::echo());
  r.add(R"({"type": "timeout", "attributes": {"timeout": 400}})");
  client c(r.proxy_address);
  REQUIRE(c.connected());
  const auto start = clock::now();
  REQUIRE(c.send_all("ping", start + 5s) == 0);
  const auto got = c.read_to_end(start + 5s);
  CHECK(got.data.empty());
  CHECK(got.eof);
  CHECK_FALSE(got.timed_out);
  const double t = seconds(got.ended_at - start);
  CHECK(t >= 0.35);
  CHECK(t < 3.0);
}

TEST_CASE("timeout 0 is a black hole that keeps the connection open", "[faults][toxics]") {
  relay r(upstream_server::echo());
  r.add(R"({"type": "timeout", "stream": "upstream", "attributes": {"timeout": 0}})");
  client c(r.proxy_address);
  REQUIRE(c.connected());
  REQUIRE(c.send_all("ping", clock::now() + 5s) == 0);
  const auto got = c.read_to_end(clock::now() + 700ms);
  CHECK(got.timed_out);
  CHECK(got.data.empty());
  CHECK(r.server.records().size() == 1);  // the server has its connection, and nothing on it

  SECTION("removed, later data flows again") {
    r.remove("timeout_upstream");
    REQUIRE(c.send_all("pong", clock::now() + 5s) == 0);
    CHECK(c.read(4, clock::now() + 5s).data == "pong");
  }
}
