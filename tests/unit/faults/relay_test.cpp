// Byte-exact relay: megabytes of seeded data through the proxy in both directions at once,
// each direction checked on its own (the client compares what it got with what the server
// sent; the server checksums what it got), through every toxic at toxicity 0, through the ones
// that reshape a stream (latency, bandwidth, slicer) at toxicity 1, and while toxics come, change
// and go.
#include <future>

#include "relay_harness.hpp"

using namespace ordeal::test::relay_harness;

namespace {

constexpr std::size_t stream_bytes = 4 * 1024 * 1024;
constexpr std::uint64_t client_seed = 0xc11e47;
constexpr std::uint64_t server_seed = 0x5e4e4;

// One connection through the proxy: 4 MiB up while 4 MiB come down; both must arrive intact.
void check_exact_exchange(relay& r, const std::string& sent_up, clock::duration timeout) {
  const auto before = r.server.accepted();
  client c(r.proxy_address);
  REQUIRE(c.connected());
  const auto got = c.exchange(sent_up, clock::now() + timeout);
  CHECK_FALSE(got.timed_out);
  CHECK(got.error == 0);
  CHECK(got.send_error == 0);
  CHECK(got.eof);
  REQUIRE(got.data.size() == r.server.data().size());
  CHECK(fnv1a(got.data) == fnv1a(r.server.data()));
  CHECK(got.data == r.server.data());
  // The server's side: everything the client sent, then its FIN.
  REQUIRE(eventually([&] {
    const auto recs = r.server.records();
    return recs.size() > before && recs[before].eof;
  }));
  const auto rec = r.server.records()[before];
  CHECK(rec.received == sent_up.size());
  CHECK(rec.digest == fnv1a(sent_up));
  CHECK_FALSE(rec.error);
}

// Valid attributes for every toxic type that acts on a stream.
const std::vector<std::pair<std::string, std::string>> every_toxic = {
    {"noop", "{}"},
    {"latency", R"({"latency": 50, "jitter": 10})"},
    {"bandwidth", R"({"rate": 1})"},
    {"slow_close", R"({"delay": 1000})"},
    {"timeout", R"({"timeout": 100})"},
    {"reset_peer", R"({"timeout": 0})"},
    {"slicer", R"({"average_size": 10, "size_variation": 5, "delay": 1000})"},
    {"limit_data", R"({"bytes": 10})"},
    {"drop", R"({"reset": true})"},
    {"half_open", "{}"},
};

std::string toxic_json(const std::string& type, const std::string& stream, double toxicity,
                       const std::string& attributes, const std::string& per = "connection") {
  return R"({"name": ")" + type + "_" + stream + R"(", "type": ")" + type + R"(", "stream": ")" +
         stream + R"(", "toxicity": )" + std::to_string(toxicity) + R"(, "toxicity_per": ")" + per +
         R"(", "attributes": )" + attributes + "}";
}

}  // namespace

TEST_CASE("every toxic at toxicity 0 relays megabytes byte-exact, both directions",
          "[faults][toxics]") {
  relay r(upstream_server::exchange(stream_bytes, server_seed));
  const auto up = seeded_bytes(stream_bytes, client_seed);
  for (const auto& [type, attributes] : every_toxic) {
    for (const std::string per : {"connection", "chunk"}) {
      INFO(type << " per " << per);
      r.add(toxic_json(type, "upstream", 0, attributes, per));
      r.add(toxic_json(type, "downstream", 0, attributes, per));
      check_exact_exchange(r, up, 20s);
      r.remove(type + "_upstream");
      r.remove(type + "_downstream");
    }
  }
}

TEST_CASE("latency, bandwidth and slicer at toxicity 1 relay megabytes byte-exact",
          "[faults][toxics]") {
  relay r(upstream_server::exchange(stream_bytes, server_seed));
  const auto up = seeded_bytes(stream_bytes, client_seed);
  const std::vector<std::pair<std::string, std::string>> reshaping = {
      {"latency", R"({"latency": 20, "jitter": 15})"},
      {"bandwidth", R"({"rate": 16000})"},  // 4 MiB in about 0.26 s
      {"slicer", R"({"average_size": 700, "size_variation": 400, "delay": 20})"},
  };
  for (const auto& [type, attributes] : reshaping) {
    INFO(type);
    r.add(toxic_json(type, "upstream", 1, attributes));
    r.add(toxic_json(type, "downstream", 1, attributes));
    check_exact_exchange(r, up, 30s);
    r.remove(type + "_upstream");
    r.remove(type + "_downstream");
  }
  SECTION("all three at once, and per chunk") {
    for (const auto& [type, attributes] : reshaping) {
      r.add(toxic_json(type, "upstream", 1, attributes));
      r.add(toxic_json(type, "downstream", 0.5, attributes, "chunk"));
    }
    check_exact_exchange(r, up, 30s);
  }
}

TEST_CASE("toxics added, changed and removed while a stream flows do not corrupt it",
          "[faults][toxics]") {
  relay r(upstream_server::exchange(stream_bytes, server_seed));
  const auto up = seeded_bytes(stream_bytes, client_seed);
  // Slow enough (about 2 s per direction) that every change below lands mid-stream.
  r.add(toxic_json("bandwidth", "upstream", 1, R"({"rate": 2000})"));
  r.add(toxic_json("bandwidth", "downstream", 1, R"({"rate": 2000})"));
  const auto& api = r.api();

  const auto before = r.server.accepted();
  auto flowing = std::async(std::launch::async, [&] {
    client c(r.proxy_address);
    if (!c.connected()) return read_result{};
    return c.exchange(up, clock::now() + 60s);
  });
  const auto step = [] { std::this_thread::sleep_for(100ms); };
  step();
  r.add(toxic_json("latency", "downstream", 1, R"({"latency": 30, "jitter": 20})"));
  r.add(toxic_json("slicer", "upstream", 1, R"({"average_size": 300, "size_variation": 100})"));
  step();
  // Changed through toxiproxy's API: the connection swaps stages at a chunk boundary.
  CHECK(http_call(api, "POST", "/proxies/p/toxics/latency_downstream",
                  R"({"attributes": {"latency": 5}})")
            .status == 200);
  CHECK(http_call(api, "POST", "/proxies/p/toxics/bandwidth_upstream",
                  R"({"attributes": {"rate": 3000}})")
            .status == 200);
  step();
  r.add(toxic_json("slicer", "downstream", 1,
                   R"({"average_size": 100, "size_variation": 50, "delay": 100})"));
  r.add(toxic_json("noop", "upstream", 1, "{}"));
  step();
  r.remove("slicer_upstream");
  CHECK(http_call(api, "PATCH", "/proxies/p/toxics/slicer_downstream",
                  R"({"attributes": {"average_size": 5000, "size_variation": 10}})")
            .status == 200);
  step();
  CHECK(http_call(api, "POST", "/proxies/p/toxics/bandwidth_downstream",
                  R"({"toxicity": 0.5, "toxicity_per": "chunk"})")
            .status == 200);
  r.add(toxic_json("latency", "upstream", 0.5, R"({"latency": 10})", "chunk"));
  step();
  r.remove("latency_downstream");
  r.remove("noop_upstream");
  step();
  // Still flowing: the changes above all hit a live stream.
  CHECK(flowing.wait_for(0s) == std::future_status::timeout);
  r.remove("bandwidth_upstream");
  r.remove("bandwidth_downstream");
  r.remove("slicer_downstream");
  r.remove("latency_upstream");

  REQUIRE(flowing.wait_for(60s) == std::future_status::ready);
  const auto got = flowing.get();
  CHECK_FALSE(got.timed_out);
  CHECK(got.error == 0);
  CHECK(got.eof);
  REQUIRE(got.data.size() == r.server.data().size());
  CHECK(fnv1a(got.data) == fnv1a(r.server.data()));
  REQUIRE(eventually([&] {
    const auto recs = r.server.records();
    return recs.size() > before && recs[before].eof;
  }));
  const auto rec = r.server.records()[before];
  CHECK(rec.received == up.size());
  CHECK(rec.digest == fnv1a(up));
}
