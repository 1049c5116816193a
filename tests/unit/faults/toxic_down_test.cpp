// down: while present, the proxy refuses connections and drops the ones it had; removed, it
// listens on the same address again.
#include "relay_harness.hpp"

using namespace ordeal::test::relay_harness;

namespace {

bool echoes(const std::string& address) {
  client c(address);
  if (!c.connected()) return false;
  const auto deadline = clock::now() + 5s;
  if (c.send_all("ping", deadline) != 0) return false;
  return c.read(4, deadline).data == "ping";
}

}  // namespace

TEST_CASE("down refuses connections until it is removed", "[faults][toxics]") {
  relay r(upstream_server::echo());
  CHECK(echoes(r.proxy_address));
  client open_before(r.proxy_address);
  REQUIRE(open_before.connected());
  REQUIRE(open_before.send_all("x", clock::now() + 5s) == 0);
  REQUIRE(open_before.read(1, clock::now() + 5s).data == "x");

  r.add(R"({"type": "down", "name": "outage"})");
  {
    client c(r.proxy_address);
    CHECK_FALSE(c.connected());
    CHECK(c.connect_error() == ECONNREFUSED);
  }
  // The connection it had is closed.
  const auto cut = open_before.read_to_end(clock::now() + 5s);
  CHECK((cut.eof || cut.error != 0));
  CHECK_FALSE(cut.timed_out);

  r.remove("outage");
  CHECK(echoes(r.proxy_address));
}
