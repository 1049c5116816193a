// bandwidth: a stream holds its rate; with `shared` all the proxy's connections share it.
#include <future>

#include "relay_harness.hpp"

using namespace ordeal::test::relay_harness;

namespace {

struct transfer {
  std::size_t bytes = 0;
  double seconds = 0;
  double rate_kb_per_s() const { return static_cast<double>(bytes) / 1000.0 / seconds; }
};

// Connects, sends nothing and reads the server's whole stream (then EOF).
transfer download(const std::string& address) {
  client c(address);
  if (!c.connected()) return {};
  const auto start = clock::now();
  c.shutdown_send();
  const auto got = c.read_to_end(start + 20s);
  if (!got.eof) return {};
  return {got.data.size(), seconds(got.ended_at - start)};
}

}  // namespace

TEST_CASE("bandwidth holds a stream to its rate", "[faults][toxics]") {
  // 1 MB at 500 KB/s: about 2 s.
  relay r(upstream_server::exchange(1'000'000, 7));
  r.add(R"({"type": "bandwidth", "attributes": {"rate": 500}})");
  const auto t = download(r.proxy_address);
  REQUIRE(t.bytes == 1'000'000);
  INFO("took " << t.seconds << " s: " << t.rate_kb_per_s() << " KB/s");
  CHECK(t.rate_kb_per_s() >= 450);
  CHECK(t.rate_kb_per_s() <= 550);
}

TEST_CASE("bandwidth paces the upstream direction too", "[faults][toxics]") {
  relay r(upstream_server::exchange(0, 7));
  r.add(R"({"type": "bandwidth", "stream": "upstream", "attributes": {"rate": 400}})");
  client c(r.proxy_address);
  REQUIRE(c.connected());
  const auto start = clock::now();
  const auto got = c.exchange(seeded_bytes(600'000, 3), start + 20s);
  CHECK(got.eof);
  // The server's FIN comes at once; the upload ends when the server has all 600 KB.
  REQUIRE(
      eventually([&] { return !r.server.records().empty() && r.server.records()[0].eof; }, 20s));
  const double s = seconds(clock::now() - start);
  CHECK(r.server.records()[0].received == 600'000);
  INFO("took " << s << " s");
  CHECK(s >= 1.35);  // 1.5 s at 400 KB/s
  CHECK(s < 1.8);
}

TEST_CASE("shared bandwidth splits its rate across connections", "[faults][toxics]") {
  // Two connections download 500 KB each at once.
  relay r(upstream_server::exchange(500'000, 7));
  const auto both = [&] {
    auto a = std::async(std::launch::async, [&] { return download(r.proxy_address); });
    auto b = std::async(std::launch::async, [&] { return download(r.proxy_address); });
    REQUIRE(a.wait_for(30s) == std::future_status::ready);
    REQUIRE(b.wait_for(30s) == std::future_status::ready);
    return std::pair{a.get(), b.get()};
  };
  SECTION("shared: 500 KB/s for both together, about 2 s") {
    r.add(R"({"type": "bandwidth", "attributes": {"rate": 500, "shared": true}})");
    const auto [a, b] = both();
    REQUIRE(a.bytes == 500'000);
    REQUIRE(b.bytes == 500'000);
    INFO("took " << a.seconds << " s and " << b.seconds << " s");
    const double total = 1'000.0 / std::max(a.seconds, b.seconds);
    CHECK(total >= 450);
    CHECK(total <= 550);
    // Each had about half: neither finished long before the other.
    CHECK(std::min(a.seconds, b.seconds) >= 1.6);
  }
  SECTION("not shared: 500 KB/s each, about 1 s") {
    r.add(R"({"type": "bandwidth", "attributes": {"rate": 500}})");
    const auto [a, b] = both();
    REQUIRE(a.bytes == 500'000);
    REQUIRE(b.bytes == 500'000);
    INFO("took " << a.seconds << " s and " << b.seconds << " s");
    CHECK(a.rate_kb_per_s() >= 450);
    CHECK(a.rate_kb_per_s() <= 550);
    CHECK(b.rate_kb_per_s() >= 450);
    CHECK(b.rate_kb_per_s() <= 550);
  }
}
