// The script client's lifecycle and limits against real servers on 127.0.0.1: shutdown and
// destruction mid-flight, body caps, unusual responses, the per-host connection limit and
// connection objects reused after failures.
#include <algorithm>

#include "http_client_harness.hpp"

using namespace ordeal::test::client_harness;

TEST_CASE("http_client::shutdown() ends in-flight requests without their handlers",
          "[http_client]") {
  recording_server server([](const recorded_request&) {
    canned_response c;
    c.delay = 400ms;
    return c;
  });
  harness h;
  int calls = 0;
  for (int i = 0; i < 3; ++i)
    h.client.send(make_request("GET", server.url("/" + std::to_string(i))),
                  [&](http_response&&) { ++calls; });
  REQUIRE(h.run_until([&] { return server.request_count() == 3; }));
  CHECK(h.client.in_flight() == 3);
  CHECK(h.client.shutdown() == 3);
  CHECK(h.client.in_flight() == 0);
  h.run_for(600ms);  // past the server's delay: the answers would be in by now
  CHECK(calls == 0);
  // Sends after shutdown go nowhere, and call nothing.
  h.client.send(make_request("GET", server.url("/late")), [&](http_response&&) { ++calls; });
  h.run_for(50ms);
  CHECK(calls == 0);
}

TEST_CASE("http_client::shutdown() also drops completions it had queued", "[http_client]") {
  recording_server server;
  harness h;
  int calls = 0;
  CHECK(h.fetch(make_request("GET", server.url("/warm"))).result == outcome::ok);
  // On a kept-alive connection this ends inside send(); its handler is queued for later.
  auto r = make_request("GET", server.url("/abandon"));
  r.abandon = abandon_point::request_sent;
  h.client.send(r, [&](http_response&&) { ++calls; });
  h.client.shutdown();
  h.run_for(50ms);
  CHECK(calls == 0);
}

TEST_CASE("http_client keeps the first max_body_bytes of a long body", "[http_client]") {
  std::string body;
  for (int i = 0; i < 1000; ++i)
    body += static_cast<char>('a' + i % 26);
  recording_server server([&](const recorded_request& r) {
    canned_response c;
    c.body = body;
    if (r.target == "/chunked") c.headers = {{"Transfer-Encoding", "chunked"}};
    return c;
  });
  client_options options;
  options.max_body_bytes = 100;
  harness h(options);
  for (const char* path : {"/plain", "/chunked"}) {
    INFO("path: " << path);
    const auto r = h.fetch(make_request("GET", server.url(path)));
    CHECK(r.result == outcome::ok);
    CHECK(r.body == body.substr(0, 100));
    CHECK(r.bytes_received > 1000);  // all of it was read, only part kept
  }
  // The connection stayed usable: the whole body was consumed.
  CHECK(server.connections_accepted() == 1);
}

TEST_CASE("http_client reads interim, bodiless and close-delimited responses", "[http_client]") {
  recording_server server([](const recorded_request& r) {
    canned_response c;
    if (r.target == "/interim")
      c.raw =
          "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"
          "HTTP/1.1 200 OK\r\nX-Final: yes\r\nContent-Length: 2\r\n\r\nhi";
    if (r.target == "/no-content") c.raw = "HTTP/1.1 204 No Content\r\nX-A: b\r\n\r\n";
    if (r.target == "/http10") {
      // No length: the body ends with the connection.
      c.raw = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end";
      c.close = true;
    }
    return c;
  });
  harness h;
  const auto interim = h.fetch(make_request("GET", server.url("/interim")));
  CHECK(interim.result == outcome::ok);
  CHECK(interim.status == 200);
  CHECK(interim.body == "hi");
  REQUIRE(interim.headers.size() == 2);  // the final response's only
  REQUIRE(interim.header("x-final") != nullptr);
  CHECK(interim.header("link") == nullptr);

  const auto empty = h.fetch(make_request("DELETE", server.url("/no-content")));
  CHECK(empty.result == outcome::ok);
  CHECK(empty.status == 204);
  CHECK(empty.body.empty());
  CHECK(empty.reused_connection);  // no body was awaited

  const auto old = h.fetch(make_request("GET", server.url("/http10")));
  CHECK(old.result == outcome::ok);
  CHECK(old.status == 200);
  CHECK(old.body == "until the end");
  CHECK(old.error.empty());
}

TEST_CASE("http_client: a HEAD response has no body whatever its Content-Length", "[http_client]") {
  recording_server server([](const recorded_request&) {
    canned_response c;
    c.body = "twenty bytes of body";
    return c;
  });
  harness h;
  const auto head = h.fetch(make_request("HEAD", server.url("/h")));
  CHECK(head.result == outcome::ok);
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  REQUIRE(head.header("content-length") != nullptr);
  CHECK(*head.header("content-length") == "20");
  // The client did not wait for 20 bytes that never come: the next request reuses it.
  const auto get = h.fetch(make_request("GET", server.url("/g")));
  CHECK(get.body == "twenty bytes of body");
  CHECK(get.reused_connection);
  CHECK(server.requests()[0].method == "HEAD");
}

TEST_CASE("http_client can be destroyed with requests in flight", "[http_client]") {
  hostile_server silent(hostile_behaviour::silent);
  asio::io_context ioc;
  int calls = 0;
  {
    http_client client(ioc, client_options{});
    client.send(make_request("GET", local_url(silent.port())), [&](http_response&&) { ++calls; });
    // Still connecting when destroyed.
    client.send(make_request("GET", local_url(silent.port())), [&](http_response&&) { ++calls; });
    ioc.run_for(50ms);
    client.send(make_request("GET", local_url(silent.port())), [&](http_response&&) { ++calls; });
  }
  // What the client left queued must not touch it.
  ioc.restart();
  ioc.run_for(100ms);
  CHECK(calls == 0);
}

TEST_CASE("http_client keeps to max_connections_per_host and queues the rest in order",
          "[http_client]") {
  recording_server server([&](const recorded_request&) {
    canned_response c;
    c.delay = 100ms;
    return c;
  });
  client_options options;
  options.max_connections_per_host = 2;
  harness h(options);
  std::vector<std::shared_ptr<slot>> slots;
  const auto started = clock_type::now();
  for (int i = 0; i < 6; ++i)
    slots.push_back(h.start(make_request("GET", server.url("/" + std::to_string(i)))));
  CHECK(h.client.queued() == 4);
  REQUIRE(h.run_until(
      [&] {
        return std::all_of(slots.begin(), slots.end(), [](const auto& s) { return s->calls > 0; });
      },
      5000ms));
  const auto took = clock_type::now() - started;
  for (const auto& s : slots)
    CHECK(s->response.result == ordeal::engine::outcome::ok);
  CHECK(server.connections_accepted() == 2);
  CHECK(h.client.queued() == 0);
  // Three rounds of two 100 ms answers.
  CHECK(took >= 290ms);
  // The last ones waited for a connection, and their latency says so.
  CHECK(slots.back()->response.timings.blocked >= 150ms);
  CHECK(slots.back()->response.timings.duration >= 290ms);
  // First come, first served.
  const auto q = server.requests();
  REQUIRE(q.size() == 6);
  for (int i = 0; i < 6; i += 2) {
    std::set<std::string> pair{q[i].target, q[i + 1].target};
    CHECK(pair == std::set<std::string>{"/" + std::to_string(i), "/" + std::to_string(i + 1)});
  }
}

TEST_CASE("http_client: queued requests to a host that refuses all fail, none is lost",
          "[http_client]") {
  client_options options;
  options.max_connections_per_host = 1;
  harness h(options);
  std::vector<std::shared_ptr<slot>> slots;
  const auto port = closed_port();
  for (int i = 0; i < 50; ++i)
    slots.push_back(h.start(make_request("GET", local_url(port))));
  REQUIRE(h.run_until(
      [&] {
        return std::all_of(slots.begin(), slots.end(), [](const auto& s) { return s->calls > 0; });
      },
      5000ms));
  for (const auto& s : slots) {
    CHECK(s->calls == 1);
    CHECK(s->response.result == ordeal::engine::outcome::connect);
  }
}

// A failed connect once left Asio's socket open ("Already open" on every later connect).
TEST_CASE("http_client: a connection object whose connect was refused serves the next request",
          "[http_client]") {
  // A refused connect leaves its connection object free for reuse; the next request on it must
  // open a fresh socket (a server that was down for a moment is up again).
  recording_server server;
  harness h;
  const auto refused = h.fetch(make_request("GET", local_url(closed_port())));
  CHECK(refused.result == outcome::connect);
  const auto response = h.fetch(make_request("GET", server.url("/")));
  INFO(response.error);
  CHECK(response.result == outcome::ok);
  CHECK(server.request_count() == 1);
}

TEST_CASE("http_client: a queued request's handler may send to a new host", "[http_client]") {
  // The handler of a queued request can run from inside the queue's drain (an abandoned
  // request on a kept-alive connection ends at once); it sends to hosts the client has not seen
  // yet, which adds to the client's host list while the drain walks it.
  recording_server server;
  recording_server other_server;
  std::vector<std::unique_ptr<recording_server>> new_hosts;
  for (int i = 0; i < 4; ++i)
    new_hosts.push_back(std::make_unique<recording_server>());
  client_options options;
  options.max_connections_per_host = 1;
  harness h(options);
  // A second host first, so the host list is full when the handler adds more.
  auto first = h.start(make_request("GET", server.url("/first")));
  auto other = h.start(make_request("GET", other_server.url("/other")));
  auto queued = make_request("POST", server.url("/abandoned"), "x");
  queued.abandon = abandon_point::request_sent;
  std::vector<std::shared_ptr<slot>> later;
  auto s = std::make_shared<slot>();
  h.client.send(queued, [&, s](http_response&& r) {
    ++s->calls;
    s->response = std::move(r);
    for (const auto& n : new_hosts)
      later.push_back(h.start(make_request("GET", n->url("/later"))));
  });
  auto last = h.start(make_request("GET", server.url("/last")));
  CHECK(h.client.queued() == 2);
  REQUIRE(h.run_until([&] {
    return s->calls > 0 && last->calls > 0 && later.size() == new_hosts.size() &&
           std::all_of(later.begin(), later.end(), [](const auto& l) { return l->calls > 0; });
  }));
  CHECK(first->response.result == outcome::ok);
  CHECK(other->response.result == outcome::ok);
  CHECK(s->calls == 1);
  CHECK(s->response.result == outcome::abandoned);
  INFO(last->response.error);
  CHECK(last->response.result == outcome::ok);
  for (const auto& l : later)
    CHECK(l->response.result == outcome::ok);
}
