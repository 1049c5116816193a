// The script client (engine::http_client) against real servers on 127.0.0.1: requests arrive
// exactly as meant, responses come back whole, every misbehaviour ends in one outcome and one
// handler call, and keep-alive, timeouts, abandonment and trickling behave as documented.
#include "http_client_harness.hpp"

using namespace ordeal::test::client_harness;

TEST_CASE("http_client sends every method with its headers and body exactly", "[http_client]") {
  recording_server server([](const recorded_request& r) {
    canned_response c;
    c.body = "echo:" + r.body;
    return c;
  });
  harness h;
  const std::string method = GENERATE("GET", "POST", "PUT", "PATCH", "DELETE");
  INFO("method: " << method);
  const std::string body = method == "GET" ? "" : R"({"amount":17,"currency":"EUR"})";
  auto r = make_request(method, server.url("/orders/17?x=1&y=%20"), body);
  r.headers = {{"X-Idempotency-Key", "k-17"}, {"Content-Type", "application/json"}};

  const auto response = h.fetch(r);
  CHECK(response.result == outcome::ok);
  CHECK(response.error.empty());
  CHECK(response.status == 200);
  CHECK(response.body == "echo:" + body);
  CHECK(response.request_sent);

  REQUIRE(server.request_count() == 1);
  const auto q = server.requests()[0];
  CHECK(q.method == method);
  CHECK(q.target == "/orders/17?x=1&y=%20");
  CHECK(q.body == body);
  REQUIRE(q.header("host") != nullptr);
  CHECK(*q.header("host") == "127.0.0.1:" + std::to_string(server.port()));
  REQUIRE(q.header("x-idempotency-key") != nullptr);
  CHECK(*q.header("x-idempotency-key") == "k-17");
  REQUIRE(q.header("content-type") != nullptr);
  CHECK(*q.header("content-type") == "application/json");
  CHECK(q.header("user-agent") != nullptr);
  if (body.empty()) {
    CHECK(q.header("content-length") == nullptr);  // a GET without a body says nothing
  } else {
    REQUIRE(q.header("content-length") != nullptr);
    CHECK(*q.header("content-length") == std::to_string(body.size()));
  }
  // Nothing was sent twice.
  int hosts = 0;
  for (const auto& [name, value] : q.headers)
    if (name == "Host" || name == "host") ++hosts;
  CHECK(hosts == 1);
}

TEST_CASE("http_client keeps given Host and Content-Length and sends an empty POST body",
          "[http_client]") {
  recording_server server;
  harness h;
  auto r = make_request("POST", server.url("/empty"));
  r.headers = {{"host", "api.example"}};
  CHECK(h.fetch(r).result == outcome::ok);
  auto given_length = make_request("PUT", server.url("/len"), "abc");
  given_length.headers = {{"content-length", "3"}};
  CHECK(h.fetch(given_length).result == outcome::ok);

  const auto q = server.requests();
  REQUIRE(q.size() == 2);
  REQUIRE(q[0].header("Host") != nullptr);
  CHECK(*q[0].header("Host") == "api.example");
  REQUIRE(q[0].header("Content-Length") != nullptr);
  CHECK(*q[0].header("Content-Length") == "0");
  CHECK(q[0].body.empty());
  int lengths = 0;
  for (const auto& [name, value] : q[1].headers)
    if (name == "Content-Length" || name == "content-length") ++lengths;
  CHECK(lengths == 1);
  CHECK(q[1].body == "abc");
}

TEST_CASE("http_client sends a pre-chunked body without adding a Content-Length", "[http_client]") {
  recording_server server;
  harness h;
  auto r =
      make_request("PUT", server.url("/chunked-upload"), "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  r.headers = {{"Transfer-Encoding", "chunked"}};
  const auto response = h.fetch(r);
  CHECK(response.result == outcome::ok);
  REQUIRE(server.request_count() == 1);
  const auto q = server.requests()[0];
  CHECK(q.body == "hello world");
  // Both would make the request ambiguous (RFC 9112 6.3): a server may reject or misread it.
  CHECK(q.header("content-length") == nullptr);
}

TEST_CASE("http_client carries large bodies both ways", "[http_client]") {
  std::string big(4 * 1024 * 1024, 'x');  // well over a socket buffer: the write must wait
  for (std::size_t i = 0; i < big.size(); i += 4096)
    big[i] = static_cast<char>('a' + (i / 4096) % 26);
  recording_server server([&](const recorded_request& r) {
    canned_response c;
    c.body = r.target == "/download" ? big : std::to_string(r.body.size());
    return c;
  });
  harness h;
  const auto up = h.fetch(make_request("POST", server.url("/upload"), big));
  CHECK(up.result == outcome::ok);
  CHECK(up.body == std::to_string(big.size()));
  CHECK(up.bytes_sent > big.size());
  REQUIRE(server.request_count() == 1);
  CHECK((server.requests()[0].body == big));
  const auto down = h.fetch(make_request("GET", server.url("/download")));
  CHECK(down.result == outcome::ok);
  CHECK(down.body.size() == big.size());
  CHECK((down.body == big));
  CHECK(down.reused_connection);
}

TEST_CASE("http_client closes a connection its request asked to close", "[http_client]") {
  hostile_server server(hostile_behaviour::ok);  // ignores the header and keeps it open
  harness h;
  auto r = make_request("GET", local_url(server.port()));
  r.headers = {{"Connection", "close"}};
  CHECK(h.fetch(r).result == outcome::ok);
  // RFC 9112 9.6: a client that sent "close" sends nothing more on that connection.
  const auto next = h.fetch(make_request("GET", local_url(server.port())));
  CHECK(next.result == outcome::ok);
  CHECK(!next.reused_connection);
  CHECK(server.connections_accepted() == 2);
}

TEST_CASE("http_client pools as many idle connections as allowed", "[http_client]") {
  recording_server server([](const recorded_request&) {
    canned_response c;
    c.delay = 50ms;  // long enough for all of a round to be in flight together
    return c;
  });
  client_options options;
  options.max_idle_per_host = 5;
  harness h(options);
  auto round = [&] {
    std::vector<std::shared_ptr<slot>> slots;
    for (int i = 0; i < 8; ++i)
      slots.push_back(h.start(make_request("GET", server.url())));
    REQUIRE(h.run_until([&] {
      for (const auto& s : slots)
        if (s->calls == 0) return false;
      return true;
    }));
    int reused = 0;
    for (const auto& s : slots) {
      CHECK(s->calls == 1);
      CHECK(s->response.result == outcome::ok);
      if (s->response.reused_connection) ++reused;
    }
    return reused;
  };
  CHECK(round() == 0);
  CHECK(round() == 5);  // 5 kept from the first round, 3 new
  CHECK(h.client.connections_opened() == 11);
  CHECK(server.connections_accepted() == 11);
}

TEST_CASE("http_client returns status, headers and body, 4xx and 5xx are status outcomes",
          "[http_client]") {
  recording_server server([](const recorded_request& r) {
    canned_response c;
    c.status = r.target == "/missing" ? 404 : r.target == "/broken" ? 503 : 201;
    c.headers = {{"X-Trace", "abc-123"}, {"Set-Cookie", "a=1"}, {"Set-Cookie", "b=2"}};
    c.body = "body of " + r.target;
    return c;
  });
  harness h;
  const auto created = h.fetch(make_request("POST", server.url("/made"), "x"));
  CHECK(created.result == outcome::ok);
  CHECK(created.status == 201);
  CHECK(created.body == "body of /made");
  REQUIRE(created.header("x-trace") != nullptr);
  CHECK(*created.header("x-trace") == "abc-123");
  REQUIRE(created.header("X-TRACE") != nullptr);
  CHECK(created.header("x-absent") == nullptr);
  REQUIRE(created.header("set-cookie") != nullptr);
  CHECK(*created.header("set-cookie") == "a=1");  // the first of several
  CHECK(created.headers.size() == 4);             // three given, Content-Length added
  CHECK(created.headers[0].first == "X-Trace");   // names as the server sent them
  CHECK(created.bytes_received > created.body.size());
  CHECK(created.bytes_sent > 0);

  const auto missing = h.fetch(make_request("GET", server.url("/missing")));
  CHECK(missing.result == outcome::status);
  CHECK(missing.status == 404);
  CHECK(missing.body == "body of /missing");
  const auto broken = h.fetch(make_request("GET", server.url("/broken")));
  CHECK(broken.result == outcome::status);
  CHECK(broken.status == 503);
}

TEST_CASE("http_client decodes chunked bodies", "[http_client]") {
  const std::string body = "The quick brown fox jumps over the lazy dog, twice over.";
  recording_server server([&](const recorded_request&) {
    canned_response c;
    c.headers = {{"Transfer-Encoding", "chunked"}};
    c.body = body;  // 8-byte chunks
    return c;
  });
  harness h;
  for (int i = 0; i < 2; ++i) {  // the second on the same connection: framing was exact
    const auto r = h.fetch(make_request("GET", server.url("/chunked")));
    CHECK(r.result == outcome::ok);
    CHECK(r.status == 200);
    CHECK(r.body == body);
    CHECK(r.reused_connection == (i == 1));
  }
  CHECK(server.connections_accepted() == 1);
}

TEST_CASE("http_client reuses a kept-alive connection and times each phase", "[http_client]") {
  recording_server server;
  harness h;
  const auto first = h.fetch(make_request("GET", server.url("/1")));
  const auto second = h.fetch(make_request("GET", server.url("/2")));
  CHECK(first.result == outcome::ok);
  CHECK(second.result == outcome::ok);
  CHECK(!first.reused_connection);
  CHECK(second.reused_connection);
  CHECK(server.connections_accepted() == 1);
  CHECK(h.client.connections_opened() == 1);
  const auto q = server.requests();
  REQUIRE(q.size() == 2);
  CHECK(q[0].connection == q[1].connection);

  for (const auto* r : {&first, &second}) {
    CHECK(r->timings.duration >= r->timings.waiting);
    CHECK(r->timings.duration >=
          r->timings.connect + r->timings.sending + r->timings.waiting + r->timings.receiving);
    CHECK(r->timings.waiting > 0ns);
    CHECK(r->ended - r->started == r->timings.duration);
    CHECK(r->timings.duration < 2s);
  }
  CHECK(first.timings.connect > 0ns);
  CHECK(second.timings.connect == 0ns);
  CHECK(h.client.in_flight() == 0);
}

TEST_CASE("http_client measures latency from the intended start", "[http_client]") {
  recording_server server;
  harness h;
  auto r = make_request("GET", server.url());
  r.intended = clock_type::now() - 100ms;  // the open model was late by 100 ms
  const auto response = h.fetch(r);
  CHECK(response.result == outcome::ok);
  CHECK(response.started == r.intended);
  CHECK(response.timings.blocked >= 100ms);
  CHECK(response.timings.duration >= 100ms);
}

TEST_CASE("http_client sends concurrent requests on separate connections", "[http_client]") {
  recording_server server([](const recorded_request& r) {
    canned_response c;
    c.delay = 100ms;
    c.body = r.target;
    return c;
  });
  harness h;
  std::vector<std::shared_ptr<slot>> slots;
  const auto start = clock_type::now();
  for (int i = 0; i < 3; ++i)
    slots.push_back(h.start(make_request("GET", server.url("/" + std::to_string(i)))));
  CHECK(h.client.in_flight() == 3);
  REQUIRE(h.run_until([&] {
    for (const auto& s : slots)
      if (s->calls == 0) return false;
    return true;
  }));
  // Together, not one after another (3 × 100 ms).
  CHECK(clock_type::now() - start < 290ms);
  for (int i = 0; i < 3; ++i) {
    CHECK(slots[i]->calls == 1);
    CHECK(slots[i]->response.result == outcome::ok);
    CHECK(slots[i]->response.body == "/" + std::to_string(i));
    CHECK(!slots[i]->response.reused_connection);
  }
  CHECK(server.connections_accepted() == 3);
  CHECK(h.client.connections_opened() == 3);
  CHECK(h.client.in_flight() == 0);
}

TEST_CASE("http_client ends every hostile behaviour in the right outcome, once", "[http_client]") {
  struct expectation {
    hostile_behaviour behaviour;
    outcome result;
    // The same misbehaviour can race to a second outcome: a RST right after accept may beat
    // the connect's completion (connect) or come after the request went out (reset).
    outcome or_result = result;
  };
  const auto e = GENERATE(values<expectation>({
      {hostile_behaviour::ok, outcome::ok},
      {hostile_behaviour::close_after_response, outcome::ok},
      {hostile_behaviour::garbage, outcome::protocol},
      {hostile_behaviour::truncated_body, outcome::protocol},
      {hostile_behaviour::reset_mid_body, outcome::reset},
      {hostile_behaviour::huge_header, outcome::protocol},
      {hostile_behaviour::trickle, outcome::ok},
      {hostile_behaviour::silent, outcome::timeout},
      {hostile_behaviour::bad_chunked, outcome::protocol},
      {hostile_behaviour::bad_status_line, outcome::protocol},
      {hostile_behaviour::unsolicited_extra, outcome::ok},
      {hostile_behaviour::negative_content_length, outcome::protocol},
      {hostile_behaviour::reset_on_accept, outcome::reset, outcome::connect},
  }));
  INFO("behaviour: " << ordeal::test::to_string(e.behaviour));
  hostile_server_options options;
  options.trickle_interval = 10ms;  // 20 body bytes: 200 ms
  hostile_server server(e.behaviour, options);
  harness h;
  auto r = make_request("GET", local_url(server.port()));
  r.timeout = 1s;
  const auto start = clock_type::now();
  const auto response = h.fetch(r);
  CHECK(clock_type::now() - start < 2s);
  INFO("error: " << response.error);
  CHECK((response.result == e.result || response.result == e.or_result));
  if (e.result == outcome::ok) {
    CHECK(response.error.empty());
    CHECK(response.status == 200);
    CHECK(response.body ==
          (e.behaviour == hostile_behaviour::trickle ? "abcdefghijklmnopqrst" : "hello"));
  } else {
    CHECK(!response.error.empty());
    CHECK(response.status == 0);
  }
  if (e.result == outcome::timeout) CHECK(clock_type::now() - start >= 1s);
  if (e.behaviour == hostile_behaviour::huge_header) {
    CHECK(response.error.find("65536") != std::string::npos);
    // Stopped reading at the cap: nowhere near the whole 4 MiB.
    CHECK(response.bytes_received < 1024 * 1024);
  }
  CHECK(h.client.in_flight() == 0);

  // A second request after whatever happened: a fresh connection unless the first was kept.
  const auto again = h.fetch(r);
  INFO("error again: " << again.error);
  CHECK((again.result == e.result || again.result == e.or_result));
  const bool kept =
      e.behaviour == hostile_behaviour::ok || e.behaviour == hostile_behaviour::trickle;
  CHECK(again.reused_connection == kept);
  if (e.behaviour != hostile_behaviour::reset_on_accept) CHECK(server.requests_received() == 2);
}

TEST_CASE("http_client: the request timeout ends a slow answer", "[http_client]") {
  recording_server server([](const recorded_request&) {
    canned_response c;
    c.delay = 1500ms;
    return c;
  });
  harness h;
  auto r = make_request("GET", server.url("/slow"));
  r.timeout = 150ms;
  const auto start = clock_type::now();
  const auto response = h.fetch(r);
  const auto took = clock_type::now() - start;
  CHECK(response.result == outcome::timeout);
  CHECK(!response.error.empty());
  CHECK(response.request_sent);
  CHECK(response.status == 0);
  CHECK(took >= 150ms);
  CHECK(took < 1000ms);
  CHECK(response.timings.duration >= 150ms);
  CHECK(server.request_count() == 1);
}

TEST_CASE("http_client: a refused connect is a connect outcome", "[http_client]") {
  harness h;
  const auto response = h.fetch(make_request("POST", local_url(closed_port()), "x"));
  CHECK(response.result == outcome::connect);
  CHECK(!response.error.empty());
  CHECK(!response.request_sent);
  CHECK(response.status == 0);
  CHECK(response.bytes_sent == 0);
  CHECK(h.client.in_flight() == 0);
}

TEST_CASE("http_client abandons right after the request is sent", "[http_client]") {
  recording_server server([](const recorded_request&) {
    canned_response c;
    c.delay = 300ms;
    return c;
  });
  harness h;
  auto r = make_request("POST", server.url("/pay"), "amount=17");
  r.abandon = abandon_point::request_sent;
  const auto start = clock_type::now();
  const auto response = h.fetch(r);
  CHECK(clock_type::now() - start < 250ms);  // did not wait for the answer
  CHECK(response.result == outcome::abandoned);
  CHECK(!response.error.empty());
  CHECK(response.request_sent);
  CHECK(response.status == 0);
  // The server got it all the same: that is the point of abandoning.
  REQUIRE(server.wait_for_requests(1, 2000ms));
  CHECK(server.requests()[0].body == "amount=17");
  CHECK(h.client.in_flight() == 0);
}

TEST_CASE("http_client abandons at the first byte of a slow body", "[http_client]") {
  hostile_server_options options;
  options.trickle_interval = 300ms;  // the whole body would take 6 s
  hostile_server server(hostile_behaviour::trickle, options);
  harness h;
  auto r = make_request("GET", local_url(server.port()));
  r.abandon = abandon_point::first_byte;
  const auto start = clock_type::now();
  const auto response = h.fetch(r);
  CHECK(clock_type::now() - start < 250ms);
  CHECK(response.result == outcome::abandoned);
  CHECK(!response.error.empty());
  CHECK(response.request_sent);
  CHECK(response.bytes_received > 0);
  // The client closed the connection: the server notices on its next write.
  CHECK(h.run_until([&] { return server.connections_open() == 0; }, 2000ms));
}

TEST_CASE("http_client trickles a slow request body", "[http_client]") {
  recording_server server;
  harness h;
  auto r = make_request("POST", server.url("/slow-upload"), "abcdefghijklmnopqrst");
  r.slow_body.bytes = 4;
  r.slow_body.every = 20ms;
  const auto start = clock_type::now();
  const auto response = h.fetch(r);
  CHECK(response.result == outcome::ok);
  REQUIRE(server.request_count() == 1);
  const auto q = server.requests()[0];
  CHECK(q.body == "abcdefghijklmnopqrst");
  // 20 bytes, 4 at a time, every 20 ms: the last piece goes out ~100 ms after the head.
  CHECK(q.received - start >= 80ms);
  CHECK(q.received - start < 1500ms);
  CHECK(response.timings.sending >= 80ms);
  CHECK(response.bytes_sent > 20);
}

TEST_CASE("http_client: an answer before the whole request was written ends the connection",
          "[http_client]") {
  hostile_server server(hostile_behaviour::ok);  // answers as soon as it has the head
  harness h;
  CHECK(h.fetch(make_request("GET", local_url(server.port()))).result == outcome::ok);
  h.run_for(200ms);
  auto r = make_request("POST", local_url(server.port()), "abcdefghijklmnopqrst");
  r.slow_body.bytes = 4;
  r.slow_body.every = 50ms;
  const auto early = h.fetch(r);
  CHECK(early.result == outcome::ok);
  CHECK(early.status == 200);
  CHECK(early.body == "hello");
  CHECK(early.reused_connection);
  CHECK(!early.request_sent);  // the body was cut short by the answer
  // From this request's start, not from when the previous one on the connection was sent.
  CHECK(early.timings.waiting < 150ms);
  // The rest of the body never went out: the connection cannot carry another request.
  const auto next = h.fetch(make_request("GET", local_url(server.port())));
  CHECK(next.result == outcome::ok);
  CHECK(!next.reused_connection);
  CHECK(server.connections_accepted() == 2);
}

TEST_CASE("http_client: a handler may send again (chained requests)", "[http_client]") {
  recording_server server;
  harness h;
  std::vector<http_response> responses;
  std::function<void(http_response &&)> next;
  const std::string base = server.url("/step/");
  next = [&](http_response&& response) {
    responses.push_back(std::move(response));
    if (responses.size() < 4)
      h.client.send(make_request("GET", base + std::to_string(responses.size())), next);
  };
  h.client.send(make_request("GET", base + "0"), next);
  REQUIRE(h.run_until([&] { return responses.size() == 4; }));
  h.run_for(20ms);
  CHECK(responses.size() == 4);
  for (std::size_t i = 0; i < responses.size(); ++i) {
    CHECK(responses[i].result == outcome::ok);
    CHECK(responses[i].reused_connection == (i > 0));
  }
  const auto q = server.requests();
  REQUIRE(q.size() == 4);
  for (std::size_t i = 0; i < q.size(); ++i)
    CHECK(q[i].target == "/step/" + std::to_string(i));
  CHECK(server.connections_accepted() == 1);
}

TEST_CASE("http_client never calls a handler from inside send()", "[http_client]") {
  recording_server server;
  harness h;
  bool in_send = false;
  int calls = 0;
  int calls_inside = 0;
  auto send = [&](http_request r) {
    in_send = true;
    h.client.send(std::move(r), [&](http_response&&) {
      ++calls;
      if (in_send) ++calls_inside;
    });
    in_send = false;
  };
  // A kept-alive connection first: on it the write, and so an abandon, completes inside send().
  send(make_request("GET", server.url("/warm")));
  REQUIRE(h.run_until([&] { return calls == 1; }));
  auto abandoned = make_request("GET", server.url("/abandon"));
  abandoned.abandon = abandon_point::request_sent;
  send(abandoned);
  send(make_request("GET", local_url(closed_port())));
  REQUIRE(h.run_until([&] { return calls == 3; }));
  h.run_for(20ms);
  CHECK(calls == 3);
  CHECK(calls_inside == 0);
}

TEST_CASE("http_client opens a new connection after the server closed the old one",
          "[http_client]") {
  recording_server server([](const recorded_request& r) {
    canned_response c;
    c.body = r.target;
    c.close = r.target.starts_with("/close");
    c.announce_close = !r.target.starts_with("/close-quietly");
    return c;
  });
  harness h;
  SECTION("announced with Connection: close") {
    const auto first = h.fetch(make_request("GET", server.url("/close")));
    const auto second = h.fetch(make_request("GET", server.url("/next")));
    CHECK(first.result == outcome::ok);
    CHECK(second.result == outcome::ok);
    CHECK(second.body == "/next");
    CHECK(!second.reused_connection);
    CHECK(second.timings.connect > 0ns);
    CHECK(server.connections_accepted() == 2);
  }
  SECTION("unannounced, noticed while idle") {
    const auto first = h.fetch(make_request("GET", server.url("/close-quietly")));
    h.run_for(100ms);
    const auto second = h.fetch(make_request("POST", server.url("/next"), "x"));
    CHECK(first.result == outcome::ok);
    CHECK(second.result == outcome::ok);
    CHECK(second.body == "/next");
    CHECK(!second.reused_connection);
    CHECK(server.connections_accepted() == 2);
  }
  SECTION("unannounced, the next request sent at once from the handler") {
    const std::string method = GENERATE("GET", "POST");
    INFO("second method: " << method);
    std::vector<http_response> responses;
    const std::string next_url = server.url("/next");
    h.client.send(make_request("GET", server.url("/close-quietly")), [&](http_response&& r) {
      responses.push_back(std::move(r));
      h.client.send(make_request(method, next_url, "x"),
                    [&](http_response&& r2) { responses.push_back(std::move(r2)); });
    });
    REQUIRE(h.run_until([&] { return responses.size() == 2; }));
    h.run_for(20ms);
    REQUIRE(responses.size() == 2);
    CHECK(responses[0].result == outcome::ok);
    if (method == "GET") {
      // Whether the FIN came with the response or just after it, the GET goes out again on a
      // new connection: the server cannot have read it on the closed one.
      CHECK(responses[1].result == outcome::ok);
      CHECK(responses[1].body == "/next");
      CHECK(server.request_count() == 2);
    } else {
      // A FIN that came with the response keeps the connection out of the pool (ok). One
      // that came a moment later is a race every client loses: the POST went out on a closed
      // connection and is not sent again, since it is not idempotent (reset).
      CHECK((responses[1].result == outcome::ok || responses[1].result == outcome::reset));
      if (responses[1].result == outcome::reset) CHECK(!responses[1].error.empty());
      CHECK(server.request_count() <= 2);
    }
  }
}
