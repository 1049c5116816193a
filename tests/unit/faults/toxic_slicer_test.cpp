// slicer: chunks are cut into small pieces with delays between them; the bytes are unchanged.
#include "relay_harness.hpp"

using namespace ordeal::test::relay_harness;

TEST_CASE("slicer delivers a chunk in pieces, bytes unchanged", "[faults][toxics]") {
  relay r(upstream_server::exchange(20'000, 5));
  SECTION("without a delay") {
    r.add(R"({"type": "slicer", "attributes": {"average_size": 100, "size_variation": 50}})");
    client c(r.proxy_address);
    REQUIRE(c.connected());
    const auto got = c.read_to_end(clock::now() + 10s);
    CHECK(got.eof);
    CHECK(got.data == r.server.data());
  }
  SECTION("with 2 ms (2000 us) between pieces") {
    r.add(R"({"type": "slicer",
              "attributes": {"average_size": 1000, "size_variation": 300, "delay": 2000}})");
    client c(r.proxy_address);
    REQUIRE(c.connected());
    const auto start = clock::now();
    const auto got = c.read_to_end(start + 10s);
    CHECK(got.eof);
    CHECK(got.data == r.server.data());
    // About 20 pieces, each its own read thanks to the delays (TCP_NODELAY on both legs).
    CHECK(got.reads >= 10);
    CHECK(seconds(got.last_byte_at - start) >= 0.015);
  }
}
