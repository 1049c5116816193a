// slow_close: data passes on time, the close (FIN) comes `delay` later.
#include "relay_harness.hpp"

using namespace ordeal::test::relay_harness;

TEST_CASE("slow_close delays the close, not the data", "[faults][toxics]") {
  relay r(upstream_server::exchange(5000, 3));
  const auto fin_after_data = [&] {
    client c(r.proxy_address);
    REQUIRE(c.connected());
    const auto start = clock::now();
    const auto got = c.read_to_end(start + 5s);
    REQUIRE(got.eof);
    REQUIRE(got.data == r.server.data());
    CHECK(seconds(got.last_byte_at - start) < 0.3);
    return seconds(got.ended_at - got.last_byte_at);
  };
  CHECK(fin_after_data() < 0.2);
  r.add(R"({"type": "slow_close", "attributes": {"delay": 600}})");
  const double held = fin_after_data();
  CHECK(held >= 0.55);
  CHECK(held < 2.0);
}
