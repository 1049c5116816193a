// limit_data: exactly `bytes` bytes pass, then the connection is closed.
#include "relay_harness.hpp"

using namespace ordeal::test::relay_harness;

TEST_CASE("limit_data passes exactly its bytes, then closes", "[faults][toxics]") {
  SECTION("downstream") {
    relay r(upstream_server::exchange(200'000, 11));
    r.add(R"({"type": "limit_data", "attributes": {"bytes": 12345}})");
    client c(r.proxy_address);
    REQUIRE(c.connected());
    const auto got = c.read_to_end(clock::now() + 5s);
    CHECK(got.eof);
    REQUIRE(got.data.size() == 12345);
    CHECK(got.data == r.server.data().substr(0, 12345));
  }
  SECTION("upstream") {
    // The server sends nothing: unread bytes would turn the proxy's close into an RST.
    relay r(upstream_server::exchange(0, 11));
    r.add(R"({"type": "limit_data", "stream": "upstream", "attributes": {"bytes": 70000}})");
    client c(r.proxy_address);
    REQUIRE(c.connected());
    const auto up = seeded_bytes(100'000, 5);
    c.exchange(up, clock::now() + 5s);
    REQUIRE(eventually([&] {
      const auto recs = r.server.records();
      return !recs.empty() && (recs[0].eof || recs[0].error);
    }));
    const auto rec = r.server.records()[0];
    CHECK(rec.eof);
    CHECK(rec.received == 70000);
    CHECK(rec.digest == fnv1a(std::string_view(up).substr(0, 70000)));
  }
}
