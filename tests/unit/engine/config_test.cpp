#include "ordeal/engine/config.hpp"

#include <catch2/catch.hpp>

#include "ordeal/engine/config_error.hpp"
#include "ordeal/engine/duration.hpp"
#include "ordeal/engine/url.hpp"

using namespace std::chrono_literals;
using ordeal::engine::config_error;
using ordeal::engine::parse_duration;
using ordeal::engine::parse_url;

TEST_CASE("durations", "[config]") {
  CHECK(parse_duration("500ms") == 500ms);
  CHECK(parse_duration("30s") == 30s);
  CHECK(parse_duration("2m") == 2min);
  CHECK(parse_duration("1h") == 1h);
  CHECK(parse_duration("250us") == 250us);
  CHECK(parse_duration("1.5s") == 1500ms);
  CHECK(parse_duration("1m30s") == 90s);
  CHECK(parse_duration("0s") == 0s);
  for (const char* bad : {"", "10", "abc", "10x", "-5s", "s", "1.5", "5 s", "1e400s"}) {
    INFO(bad);
    CHECK_THROWS_AS(parse_duration(bad), config_error);
  }
  CHECK_THROWS_WITH(parse_duration("10"), Catch::Contains("\"10\"") && Catch::Contains("unit"));
}

TEST_CASE("format_duration", "[config]") {
  CHECK(ordeal::engine::format_duration(1500ms) == "1.5s");
  CHECK(ordeal::engine::format_duration(250ms) == "250ms");
  CHECK(ordeal::engine::format_duration(2min) == "2m");
  CHECK(ordeal::engine::format_duration(42us) == "42us");
}

TEST_CASE("URLs", "[config]") {
  const auto u = parse_url("http://127.0.0.1:8080/a/b?x=1#frag");
  CHECK(u.host == "127.0.0.1");
  CHECK(u.port == 8080);
  CHECK(u.authority == "127.0.0.1:8080");
  CHECK(u.target == "/a/b?x=1");
  CHECK(parse_url("http://localhost").port == 80);
  CHECK(parse_url("http://localhost").target == "/");
  CHECK(parse_url("http://localhost?q=1").target == "/?q=1");
  CHECK(parse_url("HTTP://example.test/").scheme == "http");
  CHECK(parse_url("https://example.test/").port == 443);
  CHECK(parse_url("https://example.test/").secure());
  CHECK_FALSE(parse_url("http://example.test/").secure());
  const auto v6 = parse_url("http://[::1]:9000/x");
  CHECK(v6.host == "::1");
  CHECK(v6.port == 9000);
  CHECK(v6.authority == "[::1]:9000");
  for (const char* bad : {"", "127.0.0.1:8080", "ftp://x/", "http://", "http://:80/",
                          "http://host:0/", "http://host:99999/", "http://host:abc/",
                          "http://user@host/", "http://[::1/", "http://ho st/", "https:///"}) {
    INFO(bad);
    CHECK_THROWS_AS(parse_url(bad), config_error);
  }
  CHECK_THROWS_WITH(parse_url("http://host:99999/"), Catch::Contains("invalid port"));
}

TEST_CASE("config validation", "[config]") {
  ordeal::engine::config c;
  c.target = parse_url("http://127.0.0.1:1/");
  CHECK_NOTHROW(validate(c));
  auto bad = [&](auto change, const char* message) {
    auto copy = c;
    change(copy);
    CHECK_THROWS_WITH(validate(copy), Catch::Contains(message));
  };
  bad([](auto& x) { x.threads = 0; }, "threads");
  bad([](auto& x) { x.h2.max_streams = 0; }, "-m");
  bad([](auto& x) { x.h2.stream_window = 0; }, "windows");
  bad([](auto& x) { x.tls.insecure = true; }, "need an https:// target");
  bad(
      [](auto& x) {
        x.target = parse_url("https://127.0.0.1:1/");
        x.tls.cert_file = "c.pem";
      },
      "--client-key");
  bad(
      [](auto& x) {
        x.protocol = ordeal::engine::http_version::h2;
        x.pipeline = 4;
      },
      "--pipeline");
  bad([](auto& x) { x.connections = 0; }, "connections");
  bad([](auto& x) { x.pipeline = 0; }, "pipeline");
  bad([](auto& x) { x.duration = 0s; }, "duration");
  bad([](auto& x) { x.rate = 0.0; }, "rate");
  bad([](auto& x) { x.rate = -1.0; }, "rate");
  bad([](auto& x) { x.request_timeout = 0s; }, "timeout");
  bad([](auto& x) { x.method = "GE T"; }, "method");
  bad([](auto& x) { x.headers = {{"X Bad", "v"}}; }, "header");
  bad([](auto& x) { x.headers = {{"X", "a\r\nInjected: 1"}}; }, "line break");
  bad([](auto& x) { x.stages = {{0s, 5}}; }, "stage");
  bad([](auto& x) { x.stages = {{1s, -5}}; }, "stage");
  c.rate = 100;
  c.connections = 0;
  CHECK_THROWS_WITH(validate(c), Catch::Contains("at least 1 connection"));
}

TEST_CASE("load duration is the sum of the stages", "[config]") {
  ordeal::engine::config c;
  c.duration = 5s;
  CHECK(c.load_duration() == 5s);
  c.stages = {{10s, 1}, {500ms, 2}};
  CHECK(c.load_duration() == 10500ms);
}
