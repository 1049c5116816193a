// half_open: one direction stops dead (its bytes and its FIN dropped) while the connection and
// the other direction stay open.
#include "relay_harness.hpp"

using namespace ordeal::test::relay_harness;

TEST_CASE("half_open stops one direction and leaves the other flowing", "[faults][toxics]") {
  relay r(upstream_server::exchange(100'000, 9));
  r.add(R"({"type": "half_open", "stream": "upstream"})");
  client c(r.proxy_address);
  REQUIRE(c.connected());
  // Upstream (client -> server): 100 KB go nowhere. Downstream flows in full, then its FIN.
  REQUIRE(c.send_all(seeded_bytes(100'000, 4), clock::now() + 5s) == 0);
  const auto got = c.read_to_end(clock::now() + 5s);
  CHECK(got.eof);
  CHECK(got.data == r.server.data());
  std::this_thread::sleep_for(300ms);
  auto recs = r.server.records();
  REQUIRE(recs.size() == 1);
  CHECK(recs[0].received == 0);
  CHECK_FALSE(recs[0].eof);    // no FIN either: the server waits on
  CHECK_FALSE(recs[0].error);  // on a connection still open
  CHECK(r.server.open_connections() == 1);

  SECTION("the client's FIN is held too, and goes out when the toxic is removed") {
    c.shutdown_send();
    std::this_thread::sleep_for(300ms);
    CHECK(r.server.open_connections() == 1);  // the server never learns the client is done
    CHECK_FALSE(r.server.records()[0].eof);
    r.remove("half_open_upstream");
    REQUIRE(eventually([&] { return r.server.open_connections() == 0; }));
    recs = r.server.records();
    CHECK(recs[0].received == 0);  // the bytes sent meanwhile were dropped, not delayed
    CHECK(recs[0].eof);
  }
}
