// h2_session against a real nghttp2 server session in memory (h2_session_harness.hpp): requests,
// responses, flow control and stream limits.
#include <catch2/catch.hpp>

#include "h2_session_harness.hpp"

using namespace h2_test;

TEST_CASE("h2: error names and request headers", "[h2]") {
  CHECK(h2_error_name(0) == "NO_ERROR");
  CHECK(h2_error_name(7) == "REFUSED_STREAM");
  CHECK(h2_error_name(8) == "CANCEL");
  CHECK(h2_error_name(13) == "HTTP_1_1_REQUIRED");
  CHECK(h2_error_name(14) == "UNKNOWN");

  h2_request_headers h("GET", "https", "example.com", "/x");
  CHECK(h.add("X-Trace-ID", "abc"));
  CHECK_FALSE(h.add("Connection", "keep-alive"));
  CHECK_FALSE(h.add("transfer-encoding", "chunked"));
  CHECK_FALSE(h.add("TE", "gzip"));
  CHECK(h.add("te", "Trailers"));
  // Many more, so that storage grows: earlier pointers must stay valid.
  for (int i = 0; i < 200; ++i)
    h.add("x-" + std::to_string(i), std::string(i % 40, 'v'));
  h2_request_headers moved = std::move(h);
  REQUIRE(moved.size() == 6 + 200);
  auto text = [&](std::size_t i) {
    const auto& n = moved.data()[i];
    return std::pair(std::string(reinterpret_cast<const char*>(n.name), n.namelen),
                     std::string(reinterpret_cast<const char*>(n.value), n.valuelen));
  };
  CHECK(text(0) == std::pair<std::string, std::string>(":method", "GET"));
  CHECK(text(3) == std::pair<std::string, std::string>(":path", "/x"));
  CHECK(text(4) == std::pair<std::string, std::string>("x-trace-id", "abc"));
  CHECK(text(205) == std::pair<std::string, std::string>("x-199", std::string(199 % 40, 'v')));
}

TEST_CASE("h2: a request and its response with headers and body", "[h2]") {
  recorder ev;
  h2_session client(ev, opts(), cap);
  test_server server;
  server.on_request = [](test_server& s, std::int32_t id) {
    s.respond(id, 200, "hello, world", {{"x-a", "1"}, {"content-type", "text/plain"}});
  };
  h2_request_headers h("GET", "http", "example.com", "/hello");
  h.add("x-req", "yes");
  auto* r = ev.expect();
  const auto id = client.submit(h, {}, r, true);
  REQUIRE(id == 1);
  CHECK(client.open_streams() == 1);
  bool ok = true;
  pump(client, server, &ok);
  CHECK(ok);
  CHECK(r->kind == stream_end_kind::complete);
  CHECK(r->code == 0);
  CHECK(r->reason.empty());
  CHECK(r->status == 200);
  CHECK(r->heads == 1);
  CHECK(r->body == "hello, world");
  CHECK(find(r->headers, ":status") == "200");
  CHECK(find(r->headers, "x-a") == "1");
  CHECK(r->trailers.empty());
  const auto& req = server.streams[1];
  CHECK(req.header(":method") == "GET");
  CHECK(req.header(":path") == "/hello");
  CHECK(req.header(":authority") == "example.com");
  CHECK(req.header("x-req") == "yes");
  CHECK(client.open_streams() == 0);
  CHECK_FALSE(client.going_away());
  CHECK_FALSE(client.finished());  // the connection stays usable

  // Without want_headers only the status and body come through; the same headers again.
  auto* r2 = ev.expect();
  REQUIRE(client.submit(h, {}, r2, false) == 3);
  pump(client, server);
  CHECK(r2->kind == stream_end_kind::complete);
  CHECK(r2->status == 200);
  CHECK(r2->headers.empty());
  CHECK(r2->body == "hello, world");
  ev.check_all_ended_once();
}

TEST_CASE("h2: a request body larger than the server's windows arrives whole", "[h2]") {
  recorder ev;
  h2_session client(ev, opts(), cap);
  // A 1000-byte stream window; the connection window stays 65535: both must reopen many times.
  test_server server({{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1000}});
  server.on_request = [](test_server& s, std::int32_t id) {
    s.respond(id, 201, std::to_string(s.streams[id].body.size()));
  };
  std::string body(300'000, '\0');
  for (std::size_t i = 0; i < body.size(); ++i)
    body[i] = static_cast<char>('a' + i % 26);
  h2_request_headers h("POST", "http", "example.com", "/upload");
  auto* r = ev.expect();
  REQUIRE(client.submit(h, body, r, false) > 0);
  pump(client, server);
  CHECK(r->kind == stream_end_kind::complete);
  CHECK(r->status == 201);
  CHECK(r->body == "300000");
  CHECK(server.streams[1].body == body);
  ev.check_all_ended_once();
}

TEST_CASE("h2: a large response body comes through the client's windows", "[h2]") {
  recorder ev;
  h2_options o = opts();
  o.stream_window = 4096;  // small: the client must keep reopening it
  o.connection_window = 8192;
  h2_session client(ev, o, cap);
  test_server server;
  const std::string big(500'000, 'z');
  server.on_request = [&](test_server& s, std::int32_t id) { s.respond(id, 200, big); };
  h2_request_headers h("GET", "http", "example.com", "/big");
  auto* r = ev.expect();
  REQUIRE(client.submit(h, {}, r, false) > 0);
  pump(client, server);
  CHECK(r->kind == stream_end_kind::complete);
  CHECK(r->body.size() == big.size());
  CHECK(nghttp2_session_get_remote_settings(server.session(),
                                            NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE) == 4096);
  CHECK(nghttp2_session_get_remote_settings(server.session(), NGHTTP2_SETTINGS_ENABLE_PUSH) == 0);
  ev.check_all_ended_once();
}

TEST_CASE("h2: room() honours the server's MAX_CONCURRENT_STREAMS", "[h2]") {
  recorder ev;
  h2_session client(ev, opts(10), cap);
  test_server server({{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 3}});
  std::vector<std::int32_t> held;  // requests the server has not answered yet
  server.on_request = [&](test_server&, std::int32_t id) { held.push_back(id); };

  // Before the server's SETTINGS: nghttp2 assumes 100, so our own limit rules.
  CHECK(client.room() == 10);
  client.start();
  pump(client, server);
  CHECK(client.remote_max_streams() == 3);
  CHECK(client.room() == 3);

  h2_request_headers h("GET", "http", "example.com", "/");
  int answered = 0;
  for (int wave = 0; wave < 5; ++wave) {
    const unsigned room = client.room();
    REQUIRE(room == 3);
    for (unsigned i = 0; i < room; ++i)
      REQUIRE(client.submit(h, {}, ev.expect(), false) > 0);
    CHECK(client.room() == 0);
    CHECK(client.open_streams() == 3);
    CHECK(client.submit(h, {}, nullptr, false) == -1);
    CHECK(client.error() == "no room for another stream");
    pump(client, server);
    CHECK(held.size() == 3);  // all three reached the server, none was refused
    for (auto id : held)
      server.respond(id, 200, "ok");
    answered += static_cast<int>(held.size());
    held.clear();
    pump(client, server);
    CHECK(client.open_streams() == 0);
  }
  CHECK(answered == 15);
  for (const auto& r : ev.responses)
    CHECK(r.kind == stream_end_kind::complete);
  ev.check_all_ended_once();
}

TEST_CASE("h2: trailers are delivered after the body, 1xx responses skipped", "[h2]") {
  recorder ev;
  h2_session client(ev, opts(), cap);
  test_server server;
  server.on_request = [](test_server& s, std::int32_t id) {
    s.interim(id, 103, {{"link", "</style.css>; rel=preload"}});
    s.respond(id, 200, "body", {{"x-head", "h"}}, {{"grpc-status", "0"}, {"x-checksum", "abc123"}});
  };
  h2_request_headers h("GET", "http", "example.com", "/t");
  h.add("te", "trailers");
  auto* r = ev.expect();
  REQUIRE(client.submit(h, {}, r, true) > 0);
  pump(client, server);
  CHECK(r->kind == stream_end_kind::complete);
  CHECK(r->heads == 1);
  CHECK(r->status == 200);
  CHECK(r->body == "body");
  CHECK(find(r->headers, ":status") == "200");
  CHECK(find(r->headers, "x-head") == "h");
  CHECK(find(r->headers, "link") == "<none>");  // the 103's headers are not the response's
  REQUIRE(r->trailers.size() == 2);
  CHECK(find(r->trailers, "grpc-status") == "0");
  CHECK(find(r->trailers, "x-checksum") == "abc123");
  ev.check_all_ended_once();
}
