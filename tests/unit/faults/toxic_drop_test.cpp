// drop: ends the connections (or chunks) its toxicity draws. The draw is seeded: the same
// seed and the same connection order give the same connections dropped.
#include "relay_harness.hpp"

using namespace ordeal::test::relay_harness;

namespace {

// Which of `n` sequential connections survived an echo (true) or were cut (false).
std::vector<bool> survivors(std::uint64_t seed, int n) {
  relay r(upstream_server::echo(), seed);
  r.add(R"({"type": "drop", "toxicity": 0.5})");
  std::vector<bool> out;
  for (int i = 0; i < n; ++i) {
    client c(r.proxy_address);
    REQUIRE(c.connected());
    const auto deadline = clock::now() + 5s;
    if (c.send_all("x", deadline) != 0) {
      out.push_back(false);
      continue;
    }
    const auto got = c.read(1, deadline);
    REQUIRE_FALSE(got.timed_out);
    out.push_back(got.data == "x");
    if (!out.back()) CHECK((got.eof || got.error == ECONNRESET));
  }
  return out;
}

std::string pattern(const std::vector<bool>& v) {
  std::string s;
  for (const bool b : v)
    s += b ? '1' : '0';
  return s;
}

}  // namespace

TEST_CASE("drop at toxicity 0.5: the same seed drops the same connections", "[faults][toxics]") {
  const auto a = survivors(42, 20);
  const auto b = survivors(42, 20);
  const auto other = survivors(4242, 20);
  INFO("seed 42: " << pattern(a) << ", again: " << pattern(b) << ", seed 4242: " << pattern(other));
  CHECK(a == b);
  CHECK(a != other);
  const auto kept = std::count(a.begin(), a.end(), true);
  CHECK(kept >= 3);  // about half: not all, not none
  CHECK(kept <= 17);
}

TEST_CASE("drop closes with a FIN, or an RST with reset", "[faults][toxics]") {
  relay r(upstream_server::echo());
  SECTION("FIN") {
    r.add(R"({"type": "drop"})");
    client c(r.proxy_address);
    REQUIRE(c.connected());
    const auto got = c.read_to_end(clock::now() + 5s);
    CHECK(got.eof);
  }
  SECTION("RST") {
    r.add(R"({"type": "drop", "attributes": {"reset": true}})");
    client c(r.proxy_address);
    REQUIRE(c.connected());
    const auto got = c.read_to_end(clock::now() + 5s);
    CHECK(got.error == ECONNRESET);
  }
  SECTION("per chunk: the connection lives until a chunk is drawn") {
    r.add(R"({"type": "drop", "stream": "upstream", "toxicity_per": "chunk"})");
    client c(r.proxy_address);
    REQUIRE(c.connected());
    CHECK(c.read(1, clock::now() + 300ms).timed_out);
    REQUIRE(c.send_all("x", clock::now() + 5s) == 0);
    const auto got = c.read_to_end(clock::now() + 5s);
    CHECK(got.eof);
    CHECK(got.data.empty());
  }
}
