// The control API's answers in-process (faults/src/api_server.hpp): api_server::handle on a
// registry whose io_context never runs, so what is checked is only the routing and the
// registry's state. Sockets, limits and toxiproxy's clients are covered by
// tests/integration/proxy_api_test.cpp.
#include "../../../faults/src/api_server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <string>

#include "../../../faults/src/event_log.hpp"
#include "../../../faults/src/registry.hpp"

namespace http = boost::beast::http;
namespace json = boost::json;
using ordeal::faults::api_server;
using ordeal::faults::spec_error;

namespace {

// A registry and its API; nothing runs the loop, so no proxy ever relays.
struct api_fixture {
  boost::asio::io_context io;
  ordeal::faults::event_log log;
  ordeal::faults::registry reg{io.get_executor(), 1, log};
  api_server api{io.get_executor(), reg};

  api_server::response call(http::verb method, std::string target, std::string body = {},
                            std::string user_agent = "toxiproxy-cli") {
    api_server::request req{method, target, 11};
    req.set(http::field::user_agent, user_agent);
    req.body() = std::move(body);
    req.prepare_payload();
    return api.handle(req);
  }
  json::value get(std::string target) {
    const auto r = call(http::verb::get, std::move(target));
    REQUIRE(r.result_int() == 200);
    return json::parse(r.body());
  }
};

std::string proxy_body(const std::string& name, const std::string& upstream,
                       const std::string& listen = "127.0.0.1:0") {
  return json::serialize(json::object{{"name", name}, {"listen", listen}, {"upstream", upstream}});
}

}  // namespace

TEST_CASE("api_server: populate that fails half-way undoes its updates too", "[faults][api]") {
  api_fixture f;
  REQUIRE(f.call(http::verb::post, "/proxies", proxy_body("a", "127.0.0.1:1")).result_int() == 201);
  const auto before = f.get("/proxies");
  const std::string taken(before.at("a").at("listen").as_string());

  // "a" changes upstream, then "b" cannot bind a's port: nothing of it stays.
  const auto r = f.call(
      http::verb::post, "/populate",
      "[" + proxy_body("a", "127.0.0.1:2") + "," + proxy_body("b", "127.0.0.1:1", taken) + "]");
  INFO(r.body());
  CHECK(r.result_int() == 400);
  CHECK(f.get("/proxies") == before);
}

TEST_CASE("api_server: names are percent-decoded, absolute targets are understood",
          "[faults][api]") {
  api_fixture f;
  REQUIRE(f.call(http::verb::post, "/proxies", proxy_body("my db", "127.0.0.1:1")).result_int() ==
          201);
  CHECK(f.get("/proxies/my%20db").at("name") == "my db");
  CHECK(f.get("http://127.0.0.1:8474/proxies").as_object().contains("my db"));
  CHECK(f.call(http::verb::get, "/proxies/my%2").result_int() == 400);
}

TEST_CASE("api_server: methods, browsers and the error shape", "[faults][api]") {
  api_fixture f;
  auto r = f.call(http::verb::head, "/version");
  CHECK(r.result_int() == 405);
  CHECK(r[http::field::allow] == "GET");

  r = f.call(http::verb::get, "/proxies", {}, "Mozilla/5.0 (Macintosh)");
  CHECK(r.result_int() == 403);
  CHECK(json::parse(r.body()) == json::parse(R"({"error":"User agent not allowed","status":403})"));

  r = f.call(http::verb::post, "/reset");
  CHECK(r.result_int() == 204);
  CHECK(r.body().empty());
  CHECK(r.find(http::field::content_length) == r.end());
}

TEST_CASE("api_server: /events lists the record, filtered by ?since", "[faults][api]") {
  api_fixture f;
  REQUIRE(f.call(http::verb::post, "/proxies", proxy_body("a", "127.0.0.1:1")).result_int() == 201);
  REQUIRE(f.call(http::verb::post, "/proxies/a/toxics",
                 R"({"type":"latency","attributes":{"latency":5}})")
              .result_int() == 200);
  REQUIRE(f.call(http::verb::delete_, "/proxies/a/toxics/latency_downstream").result_int() == 204);

  const auto all = f.get("/events");
  const auto& events = all.at("events").as_array();
  REQUIRE(events.size() == 2);
  CHECK(events[0].at("event") == "start");
  CHECK(events[0].at("type") == "latency");
  CHECK(events[0].at("stream") == "downstream");
  CHECK(events[1].at("event") == "stop");
  CHECK_FALSE(events[0].as_object().contains("connection"));  // 0 and "" are left out
  CHECK_FALSE(events[0].as_object().contains("client"));
  CHECK(all.at("dropped").to_number<std::uint64_t>() == 0);

  const auto stop_at = events[1].at("at_us").to_number<std::int64_t>();
  const auto since = f.get("/events?since=" + std::to_string(stop_at));
  REQUIRE_FALSE(since.at("events").as_array().empty());
  CHECK(since.at("events").as_array().back() == events[1]);
  CHECK(f.get("/events?since=" + std::to_string(stop_at + 1)).at("events").as_array().empty());
  CHECK(f.call(http::verb::get, "/events?since=1x").result_int() == 400);
}

TEST_CASE("api_server: listen binds and reports the address, or refuses it", "[faults][api]") {
  api_fixture f;
  const auto bound = f.api.listen("127.0.0.1:0");
  CHECK(bound.rfind("127.0.0.1:", 0) == 0);
  CHECK(bound != "127.0.0.1:0");
  CHECK_THROWS_AS(f.api.listen(bound), spec_error);  // taken
  CHECK_THROWS_AS(f.api.listen("nonsense"), spec_error);
  CHECK_THROWS_AS(f.api.listen("127.0.0.1:http-ish"), spec_error);
  try {
    f.api.listen("127.0.0.1:");
    FAIL("an address without a port was accepted");
  } catch (const spec_error& e) {
    CHECK(e.status() == 400);
  }
}

TEST_CASE("api_server: a failed update of a disabled proxy changes nothing", "[faults][api]") {
  api_fixture f;
  REQUIRE(f.call(http::verb::post, "/proxies", proxy_body("a", "127.0.0.1:1")).result_int() == 201);
  REQUIRE(f.call(http::verb::post, "/proxies", proxy_body("b", "127.0.0.1:1")).result_int() == 201);
  const std::string taken(f.get("/proxies/b").at("listen").as_string());
  REQUIRE(f.call(http::verb::patch, "/proxies/a", R"({"enabled": false})").result_int() == 200);
  const auto before = f.get("/proxies/a");

  // Enabling on b's port fails: the new listen and upstream must not stay behind.
  const auto r = f.call(http::verb::patch, "/proxies/a",
                        json::serialize(json::object{
                            {"listen", taken}, {"upstream", "127.0.0.1:2"}, {"enabled", true}}));
  CHECK(r.result_int() == 400);
  CHECK(f.get("/proxies/a") == before);
  // Enabled alone now, it listens where it did and relays to its old upstream.
  REQUIRE(f.call(http::verb::patch, "/proxies/a", R"({"enabled": true})").result_int() == 200);
  const auto after = f.get("/proxies/a");
  CHECK(after.at("upstream") == before.at("upstream"));
  CHECK(after.at("listen").as_string() != taken);
}
