// No descriptor leaks: for a minute, dozens of concurrent clients open, use and close (or
// reset, or abandon) connections through a proxy whose toxics cut, reset, stall and slow them,
// while toxics come and go. Once the faults end, the process has the descriptors it had
// before (while a half_open toxic is present it holds the connections whose FIN it swallowed).
#include <atomic>
#include <cstdlib>
#include <random>

#include "relay_harness.hpp"

using namespace ordeal::test::relay_harness;

namespace {

constexpr int clients = 32;

// A minute, unless ORDEAL_SOAK_SECONDS says otherwise.
clock::duration soak_time() {
  const char* s = std::getenv("ORDEAL_SOAK_SECONDS");
  return s ? std::chrono::seconds(std::atoi(s)) : clock::duration(60s);
}

// What the clients saw, for the report of a failure.
struct tally {
  std::atomic<std::uint64_t> connections{0};  // connected
  std::atomic<std::uint64_t> echoes{0};       // exchanges tried
  std::atomic<std::uint64_t> intact{0};       // came back whole
  std::atomic<std::uint64_t> timed_out{0};    // stalled past the client's deadline
  std::atomic<std::uint64_t> refused{0};      // connect failed
  std::atomic<int> last_connect_error{0};
};

// One client's life: connect, do one of a few things, end the connection one way or another.
void one_connection(const std::string& address, std::mt19937_64& rng, tally& t) {
  client c(address, 2s);
  if (!c.connected()) {  // refused while "down" is present
    ++t.refused;
    t.last_connect_error = c.connect_error();
    std::this_thread::sleep_for(1ms);
    return;
  }
  ++t.connections;
  const auto deadline = clock::now() + 2s;
  const auto payload = seeded_bytes(1 + rng() % (96 * 1024), rng());
  switch (rng() % 4) {
    case 0: {  // echo it all, then a FIN
      const auto got = c.exchange(payload, deadline);
      ++t.echoes;
      if (got.data == payload) ++t.intact;
      if (got.timed_out) ++t.timed_out;
      break;
    }
    case 1: {  // send, read a little, reset
      c.send_all(payload, deadline);
      c.read(1 + rng() % 1000, deadline);
      c.reset();
      break;
    }
    case 2: {  // send and walk away without reading (unread data: the close is an RST)
      c.send_all(payload, deadline);
      std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 50));
      break;
    }
    default: {  // half-close at once and read whatever comes
      c.shutdown_send();
      c.read_to_end(clock::now() + 500ms);
      break;
    }
  }
}

}  // namespace

TEST_CASE("no descriptor leaks after a minute of connections through toxics", "[faults][soak]") {
  const auto at_start = open_fds();
  tally t;
  {
    relay r(upstream_server::echo(), 99);
    // Toxics that end connections every way the proxy can, and some that only reshape.
    r.add(R"({"name": "lat", "type": "latency", "attributes": {"latency": 5, "jitter": 5}})");
    r.add(R"({"name": "slice", "type": "slicer", "stream": "upstream",
              "attributes": {"average_size": 2000, "size_variation": 1000, "delay": 50}})");
    r.add(R"({"name": "bw", "type": "bandwidth", "attributes": {"rate": 20000, "shared": true}})");
    r.add(R"({"name": "drop", "type": "drop", "toxicity": 0.05})");
    r.add(R"({"name": "rst", "type": "drop", "stream": "upstream", "toxicity": 0.002,
              "toxicity_per": "chunk", "attributes": {"reset": true}})");
    r.add(R"({"name": "reset", "type": "reset_peer", "toxicity": 0.05,
              "attributes": {"timeout": 30}})");
    r.add(R"({"name": "timeout", "type": "timeout", "stream": "upstream", "toxicity": 0.05,
              "attributes": {"timeout": 100}})");
    r.add(R"({"name": "hole", "type": "timeout", "toxicity": 0.03, "attributes": {"timeout": 0}})");
    r.add(R"({"name": "limit", "type": "limit_data", "toxicity": 0.05,
              "attributes": {"bytes": 5000}})");
    r.add(R"({"name": "slowclose", "type": "slow_close", "toxicity": 0.2,
              "attributes": {"delay": 50}})");
    r.add(R"({"name": "half", "type": "half_open", "toxicity": 0.03})");
    const auto with_relay = open_fds();

    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    for (int i = 0; i < clients; ++i) {
      threads.emplace_back([&, i] {
        std::mt19937_64 rng(1000 + i);
        while (!stop.load()) {
          one_connection(r.proxy_address, rng, t);
        }
      });
    }
    // Meanwhile toxics come and go: the proxy goes down (dropping every connection) and
    // comes back, a toxic is replaced, one is added and removed.
    const auto end = clock::now() + soak_time();
    int round = 0;
    while (clock::now() < end) {
      std::this_thread::sleep_for(500ms);
      switch (round++ % 6) {
        case 0:
          r.add(R"({"name": "extra", "type": "latency", "stream": "upstream",
                    "attributes": {"latency": 20}})");
          break;
        case 1:
          r.remove("extra");
          break;
        case 2:
          r.remove("limit");
          r.add(R"({"name": "limit", "type": "limit_data", "toxicity": 0.05,
                    "attributes": {"bytes": 500}})");
          break;
        case 4:
          if (round % 24 == 5) {
            r.add(R"({"name": "outage", "type": "down"})");
            std::this_thread::sleep_for(100ms);
            r.remove("outage");
          }
          break;
        default:
          break;
      }
    }
    stop = true;
    for (auto& th : threads)
      th.join();
    // A connection whose FIN half_open swallowed is held open while the toxic is present
    // (both peers may be gone: that is what a half-open connection is), so the faults end
    // first. Then every connection the clients closed is closed by the proxy and the server.
    r.fault.rollback();
    const bool settled = eventually([&] { return open_fds() <= with_relay + 2; }, 10s);
    INFO(t.connections << " connections, " << t.echoes << " echoes: " << t.intact << " intact, "
                       << t.timed_out << " timed out; " << t.refused << " refused (last errno "
                       << t.last_connect_error << "); descriptors: " << at_start << " at start, "
                       << with_relay << " with the relay, " << open_fds() << " after");
    CHECK(settled);
    CHECK(r.server.open_connections() == 0);
  }
  CHECK(t.connections > 1000);
  CHECK(t.intact > 100);
  // And the relay's own (listeners, event loops) went with it.
  CHECK(eventually([&] { return open_fds() <= at_start + 2; }, 5s));
}
