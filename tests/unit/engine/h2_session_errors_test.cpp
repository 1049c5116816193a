// h2_session against a real nghttp2 server session in memory (h2_session_harness.hpp): resets,
// GOAWAY, cancels, caps, garbage and bounds.
#include <catch2/catch.hpp>

#include "h2_session_harness.hpp"

using namespace h2_test;

TEST_CASE("h2: RST_STREAM from the server", "[h2]") {
  recorder ev;
  h2_session client(ev, opts(), cap);
  test_server server;
  server.on_request = [](test_server& s, std::int32_t id) {
    if (id == 1) s.reset(id, NGHTTP2_REFUSED_STREAM);
    if (id == 3) s.reset(id, NGHTTP2_INTERNAL_ERROR);
    if (id == 5) s.respond(id, 204, "");
  };
  h2_request_headers h("GET", "http", "example.com", "/");
  auto* refused = ev.expect();
  auto* internal = ev.expect();
  auto* fine = ev.expect();
  REQUIRE(client.submit(h, {}, refused, false) == 1);
  REQUIRE(client.submit(h, {}, internal, false) == 3);
  REQUIRE(client.submit(h, {}, fine, false) == 5);
  pump(client, server);
  CHECK(refused->kind == stream_end_kind::refused);
  CHECK(refused->code == NGHTTP2_REFUSED_STREAM);
  CHECK(refused->reason == "RST_STREAM REFUSED_STREAM");
  CHECK(internal->kind == stream_end_kind::reset_by_peer);
  CHECK(internal->code == NGHTTP2_INTERNAL_ERROR);
  CHECK(internal->reason == "RST_STREAM INTERNAL_ERROR");
  CHECK(fine->kind == stream_end_kind::complete);
  CHECK(fine->status == 204);
  CHECK_FALSE(client.going_away());
  ev.check_all_ended_once();
}

TEST_CASE("h2: a reset while the response body is arriving", "[h2]") {
  recorder ev;
  h2_options o = opts();
  o.stream_window = 16'384;  // the server can send only part of the body
  h2_session client(ev, o, cap);
  test_server server;
  server.on_request = [](test_server& s, std::int32_t id) {
    s.respond(id, 200, std::string(100'000, 'x'));
  };
  h2_request_headers h("GET", "http", "example.com", "/");
  auto* r = ev.expect();
  REQUIRE(client.submit(h, {}, r, false) == 1);
  auto out = client.pending();
  server.receive(out);
  client.consumed(out.size());
  std::string back = server.drain();
  REQUIRE(client.receive(back.data(), back.size()));
  CHECK(r->status == 200);
  CHECK(r->body.size() == 16'384);
  CHECK(r->ends == 0);
  server.reset(1, NGHTTP2_CANCEL);
  back = server.drain();  // a RST_STREAM frame
  REQUIRE(client.receive(back.data(), back.size()));
  CHECK(r->kind == stream_end_kind::reset_by_peer);
  CHECK(r->code == NGHTTP2_CANCEL);
  CHECK(r->body.size() < 100'000);
  ev.check_all_ended_once();
}

TEST_CASE("h2: GOAWAY refuses the streams above its last stream id", "[h2]") {
  recorder ev;
  h2_session client(ev, opts(), cap);
  test_server server;
  server.on_request = [](test_server& s, std::int32_t id) {
    if (id != 9) return;
    // All five arrived: keep 1 and 3, refuse the rest.
    s.goaway(3, NGHTTP2_NO_ERROR);
    s.respond(1, 200, "one");
    s.respond(3, 200, "three");
  };
  h2_request_headers h("GET", "http", "example.com", "/");
  for (int i = 0; i < 5; ++i)
    REQUIRE(client.submit(h, {}, ev.expect(), false) == 1 + 2 * i);
  pump(client, server);
  CHECK(ev.goaways == 1);
  CHECK(ev.goaway_last == 3);
  CHECK(ev.goaway_code == NGHTTP2_NO_ERROR);
  CHECK(ev.responses[0].kind == stream_end_kind::complete);
  CHECK(ev.responses[0].body == "one");
  CHECK(ev.responses[1].kind == stream_end_kind::complete);
  CHECK(ev.responses[1].body == "three");
  for (std::size_t i = 2; i < 5; ++i) {
    CHECK(ev.responses[i].kind == stream_end_kind::refused);
    CHECK(ev.responses[i].code == NGHTTP2_REFUSED_STREAM);
    CHECK(ev.responses[i].reason == "GOAWAY NO_ERROR: not processed (last stream 3)");
  }
  CHECK(client.going_away());
  CHECK(client.room() == 0);
  CHECK(client.submit(h, {}, nullptr, false) == -1);
  CHECK(client.finished());
  ev.check_all_ended_once();
}

TEST_CASE("h2: GOAWAY before queued requests were sent refuses them", "[h2]") {
  recorder ev;
  h2_session client(ev, opts(), cap);
  test_server server;
  client.start();
  pump(client, server);
  server.goaway(0, NGHTTP2_NO_ERROR);
  h2_request_headers h("GET", "http", "example.com", "/");
  auto* r = ev.expect();
  REQUIRE(client.submit(h, {}, r, false) == 1);  // queued, not yet written
  const std::string back = server.drain();
  CHECK(client.receive(back.data(), back.size()));
  pump(client, server);
  CHECK(r->kind == stream_end_kind::refused);
  CHECK(server.streams.count(1) == 0);  // never reached the server
  CHECK(client.finished());
  ev.check_all_ended_once();
}

TEST_CASE("h2: cancel sends RST_STREAM CANCEL and ends the stream at once", "[h2]") {
  recorder ev;
  h2_session client(ev, opts(), cap);
  test_server server;
  server.on_request = [](test_server& s, std::int32_t id) {
    if (id == 3) s.respond(id, 200, "three");
  };
  h2_request_headers h("GET", "http", "example.com", "/");
  auto* sent = ev.expect();
  auto* other = ev.expect();
  REQUIRE(client.submit(h, {}, sent, false) == 1);
  REQUIRE(client.submit(h, {}, other, false) == 3);
  pump(client, server);
  CHECK(other->kind == stream_end_kind::complete);
  CHECK(sent->ends == 0);
  client.cancel(1);
  CHECK(sent->ends == 1);
  CHECK(sent->kind == stream_end_kind::cancelled);
  CHECK(sent->code == NGHTTP2_CANCEL);
  client.cancel(1);   // again: ignored
  client.cancel(77);  // unknown: ignored
  pump(client, server);
  CHECK(server.streams[1].rst_received == NGHTTP2_CANCEL);

  // A request cancelled before its HEADERS were written never reaches the server.
  auto* queued = ev.expect();
  REQUIRE(client.submit(h, {}, queued, false) == 5);
  client.cancel(5);
  CHECK(queued->kind == stream_end_kind::cancelled);
  pump(client, server);
  CHECK(server.streams.count(5) == 0);

  // A late response to a cancelled stream is ignored; the session still works.
  server.respond(1, 200, "late");
  auto* after = ev.expect();
  REQUIRE(client.submit(h, {}, after, false) == 7);
  server.on_request = [](test_server& s, std::int32_t id) { s.respond(id, 200, "seven"); };
  pump(client, server);
  CHECK(after->body == "seven");
  CHECK(sent->body.empty());
  ev.check_all_ended_once();
}

TEST_CASE("h2: a handler may cancel, and submit again, from inside an event", "[h2]") {
  recorder ev;
  h2_session client(ev, opts(), cap);
  test_server server;
  server.on_request = [](test_server& s, std::int32_t id) { s.respond(id, 200, "abc"); };
  h2_request_headers h("GET", "http", "example.com", "/");
  // Each completed stream submits the next one (the fast path's closed loop), reusing slots.
  int submitted = 1;
  ev.on_end = [&](response&) {
    if (submitted < 50) {
      ++submitted;
      REQUIRE(client.submit(h, {}, ev.expect(), false) > 0);
    }
  };
  REQUIRE(client.submit(h, {}, ev.expect(), false) > 0);
  pump(client, server);
  CHECK(ev.responses.size() == 50);
  for (const auto& r : ev.responses)
    CHECK(r.kind == stream_end_kind::complete);
  ev.check_all_ended_once();
}

TEST_CASE("h2: a header block over the cap fails its stream only", "[h2]") {
  recorder ev;
  h2_session client(ev, opts(), 1024);
  test_server server;
  const std::string medium(200, 'm');  // indexed by the server's HPACK encoder
  server.on_request = [&](test_server& s, std::int32_t id) {
    if (id == 1)
      s.respond(id, 200, "too big", {{"x-medium", medium}, {"x-big", std::string(1500, 'b')}});
    else
      s.respond(id, 200, "fine", {{"x-medium", medium}});
  };
  h2_request_headers h("GET", "http", "example.com", "/");
  auto* big = ev.expect();
  REQUIRE(client.submit(h, {}, big, true) == 1);
  pump(client, server);
  CHECK(big->kind == stream_end_kind::protocol);
  CHECK(big->reason == "response header block over 1024 bytes");
  CHECK(big->body.empty());
  CHECK(server.streams[1].rst_received == NGHTTP2_INTERNAL_ERROR);
  CHECK_FALSE(client.going_away());
  // The connection's HPACK state survived: the next response refers to the indexed field.
  auto* next = ev.expect();
  REQUIRE(client.submit(h, {}, next, true) == 3);
  pump(client, server);
  CHECK(next->kind == stream_end_kind::complete);
  CHECK(find(next->headers, "x-medium") == medium);
  CHECK(next->body == "fine");

  // Trailers count against the cap too.
  server.on_request = [&](test_server& s, std::int32_t id) {
    s.respond(id, 200, "b", {}, {{"x-trailer", std::string(2000, 't')}});
  };
  auto* trailer = ev.expect();
  REQUIRE(client.submit(h, {}, trailer, false) == 5);
  pump(client, server);
  CHECK(trailer->kind == stream_end_kind::protocol);
  CHECK(trailer->reason == "response trailer block over 1024 bytes");
  CHECK(trailer->body == "b");
  ev.check_all_ended_once();
}

TEST_CASE("h2: an invalid response fails its stream only", "[h2]") {
  recorder ev;
  h2_session client(ev, opts(), cap);
  test_server server;
  server.on_request = [](test_server& s, std::int32_t id) {
    if (id == 1)
      s.respond(id, 200, "x", {{"x-bad", "line\nbreak"}});
    else if (id == 3)
      s.respond(id, 200, "short", {{"content-length", "10"}});
    else
      s.respond(id, 200, "y");
  };
  h2_request_headers h("GET", "http", "example.com", "/");
  auto* bad_value = ev.expect();
  auto* bad_length = ev.expect();
  auto* good = ev.expect();
  REQUIRE(client.submit(h, {}, bad_value, true) == 1);
  REQUIRE(client.submit(h, {}, bad_length, true) == 3);
  REQUIRE(client.submit(h, {}, good, true) == 5);
  pump(client, server);
  CHECK(bad_value->kind == stream_end_kind::protocol);
  CHECK(bad_value->reason.find("invalid HEADERS frame") == 0);
  CHECK(bad_value->status == 0);
  CHECK(server.streams[1].rst_received == NGHTTP2_PROTOCOL_ERROR);
  INFO(bad_value->reason);
  INFO(bad_length->reason);
  CHECK(bad_length->kind == stream_end_kind::protocol);
  // nghttp2 resets it without an invalid-frame report: the reason is generic.
  CHECK(bad_length->reason == "invalid response: stream reset with PROTOCOL_ERROR");
  CHECK(bad_length->code == NGHTTP2_PROTOCOL_ERROR);
  CHECK(server.streams[3].rst_received == NGHTTP2_PROTOCOL_ERROR);
  CHECK(good->kind == stream_end_kind::complete);
  CHECK_FALSE(client.going_away());
  ev.check_all_ended_once();
}

TEST_CASE("h2: garbage from the server ends the session and every stream once", "[h2]") {
  SECTION("an HTTP/1.1 answer instead of SETTINGS") {
    recorder ev;
    h2_session client(ev, opts(), cap);
    h2_request_headers h("GET", "http", "example.com", "/");
    REQUIRE(client.submit(h, {}, ev.expect(), false) == 1);
    REQUIRE(client.submit(h, {}, ev.expect(), false) == 3);
    client.consumed(client.pending().size());
    const std::string junk = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    CHECK_FALSE(client.receive(junk.data(), junk.size()));
    CHECK(client.error().find("HTTP/2 connection error PROTOCOL_ERROR: ") == 0);
    INFO(client.error());
    for (const auto& r : ev.responses) {
      CHECK(r.kind == stream_end_kind::protocol);
      CHECK(r.reason == client.error());
    }
    CHECK(client.going_away());
    CHECK(client.room() == 0);
    CHECK(client.submit(h, {}, nullptr, false) == -1);
    CHECK_FALSE(client.receive(junk.data(), junk.size()));
    // The GOAWAY nghttp2 queued can still be written; then the session is done.
    const auto out = client.pending();
    CHECK(out.size() >= 9 + 8);
    CHECK(static_cast<std::uint8_t>(out[3]) == NGHTTP2_GOAWAY);
    client.consumed(out.size());
    CHECK(client.finished());
    client.abort_all();  // nothing left to end
    ev.check_all_ended_once();
  }
  SECTION("an invalid frame mid-session") {
    recorder ev;
    h2_session client(ev, opts(), cap);
    test_server server;
    server.on_request = [](test_server& s, std::int32_t id) {
      if (id == 1) s.respond(id, 200, "ok");
    };
    h2_request_headers h("GET", "http", "example.com", "/");
    auto* done = ev.expect();
    REQUIRE(client.submit(h, {}, done, false) == 1);
    REQUIRE(client.submit(h, {}, ev.expect(), false) == 3);
    pump(client, server);
    CHECK(done->kind == stream_end_kind::complete);
    // DATA on stream 0: a connection error (PROTOCOL_ERROR).
    const char frame[] = {0, 0, 1, NGHTTP2_DATA, 0, 0, 0, 0, 0, 'x'};
    CHECK_FALSE(client.receive(frame, sizeof frame));
    INFO(client.error());
    CHECK(ev.responses[1].kind == stream_end_kind::protocol);
    CHECK(ev.responses[1].code == NGHTTP2_PROTOCOL_ERROR);
    pump(client, server);
    CHECK(client.finished());
    ev.check_all_ended_once();
  }
  SECTION("an undecodable header block") {
    recorder ev;
    h2_session client(ev, opts(), cap);
    test_server server;
    h2_request_headers h("GET", "http", "example.com", "/");
    REQUIRE(client.submit(h, {}, ev.expect(), false) == 1);
    pump(client, server);
    // HEADERS on stream 1 whose block indexes a dynamic table entry that does not exist.
    const char frame[] = {0, 0, 1, NGHTTP2_HEADERS,        NGHTTP2_FLAG_END_HEADERS, 0,
                          0, 0, 1, static_cast<char>(0xff)};
    CHECK_FALSE(client.receive(frame, sizeof frame));
    INFO(client.error());
    CHECK(ev.responses[0].kind == stream_end_kind::protocol);
    ev.check_all_ended_once();
  }
}

TEST_CASE("h2: a zero window does not make the session spin", "[h2]") {
  recorder ev;
  h2_session client(ev, opts(), cap);
  test_server server({{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 0}}, true);
  server.on_request = [](test_server& s, std::int32_t id) { s.respond(id, 200, "done"); };
  client.start();
  pump(client, server);  // the server's SETTINGS first: until then its window is 65535
  h2_request_headers h("POST", "http", "example.com", "/");
  const std::string body(1000, 'p');
  auto* r = ev.expect();
  REQUIRE(client.submit(h, body, r, false) == 1);
  const int rounds = pump(client, server);
  CHECK(rounds < 10);  // quiet at once, although the body cannot move
  CHECK(client.pending().empty());
  CHECK(r->ends == 0);
  CHECK(server.streams[1].body.empty());
  CHECK_FALSE(client.finished());
  // The window opens: the body flows and the response arrives.
  REQUIRE(nghttp2_submit_window_update(server.session(), NGHTTP2_FLAG_NONE, 1, 600) == 0);
  pump(client, server);
  CHECK(server.streams[1].body.size() == 600);
  REQUIRE(nghttp2_submit_window_update(server.session(), NGHTTP2_FLAG_NONE, 1, 400) == 0);
  pump(client, server);
  CHECK(server.streams[1].body == body);
  CHECK(r->kind == stream_end_kind::complete);
  ev.check_all_ended_once();
}

TEST_CASE("h2: a complete response before the request body was sent", "[h2]") {
  recorder ev;
  h2_session client(ev, opts(), cap);
  test_server server({{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 0}}, true);
  client.start();
  pump(client, server);
  h2_request_headers h("POST", "http", "example.com", "/");
  auto* r = ev.expect();
  REQUIRE(client.submit(h, std::string(5000, 'q'), r, false) == 1);
  pump(client, server);
  server.respond(1, 413, "too large");
  pump(client, server);
  CHECK(r->kind == stream_end_kind::complete);
  CHECK(r->status == 413);
  CHECK(server.streams[1].rst_received == NGHTTP2_CANCEL);  // we stopped uploading
  ev.check_all_ended_once();
}

TEST_CASE("h2: abort_all ends every open stream once and stops the session", "[h2]") {
  recorder ev;
  h2_session client(ev, opts(), cap);
  test_server server;
  h2_request_headers h("GET", "http", "example.com", "/");
  REQUIRE(client.submit(h, {}, ev.expect(), false) == 1);
  pump(client, server);
  REQUIRE(client.submit(h, std::string(10, 'b'), ev.expect(), false) == 3);  // queued only
  client.abort_all();
  for (const auto& r : ev.responses)
    CHECK(r.kind == stream_end_kind::session_closed);
  client.abort_all();
  CHECK(client.finished());
  CHECK(client.going_away());
  CHECK(client.pending().empty());
  CHECK(client.submit(h, {}, nullptr, false) == -1);
  server.respond(1, 200, "late");
  const std::string back = server.drain();
  CHECK_FALSE(client.receive(back.data(), back.size()));
  ev.check_all_ended_once();
}

TEST_CASE("h2: PING is answered", "[h2]") {
  recorder ev;
  h2_session client(ev, opts(), cap);
  test_server server;
  client.ping();
  CHECK(client.ping_outstanding());
  pump(client, server);
  CHECK_FALSE(client.ping_outstanding());
}

TEST_CASE("h2: output is bounded while the transport does not drain it", "[h2]") {
  recorder ev;
  h2_session client(ev, opts(), cap);
  // Windows wide open: only the session's own bound limits what it buffers.
  test_server server({{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1u << 30}});
  nghttp2_session_set_local_window_size(server.session(), NGHTTP2_FLAG_NONE, 0, 1 << 30);
  client.start();
  pump(client, server);
  h2_request_headers h("POST", "http", "example.com", "/");
  const std::string body(1'000'000, 'u');
  REQUIRE(client.submit(h, body, ev.expect(), false) == 1);
  // Nothing consumed: the buffer stops growing near 64 KiB (plus one frame).
  auto out = client.pending();
  CHECK(out.size() <= 64 * 1024 + 16 * 1024 + 9);
  out = client.pending();
  CHECK(out.size() <= 64 * 1024 + 16 * 1024 + 9);
  client.abort_all();
  ev.check_all_ended_once();
}
