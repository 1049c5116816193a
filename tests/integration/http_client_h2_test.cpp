// The script client (engine::http_client) over HTTP/2 against real servers on 127.0.0.1:
// nghttpd and nginx (h2c with prior knowledge, and h2 over TLS verified with the test CA) and
// the hand-written h2_hostile_server for every way a server misbehaves. Requests share
// connections as streams; every attempt still ends in exactly one outcome and one handler call.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "h2_hostile_server.hpp"
#include "http_client_harness.hpp"
#include "nghttpd.hpp"
#include "nginx.hpp"
#include "test_certs.hpp"

using namespace ordeal::test::client_harness;
using ordeal::engine::http_version;
using ordeal::test::h2_hostile_behaviour;
using ordeal::test::h2_hostile_server;
using ordeal::test::h2_hostile_server_options;
using ordeal::test::h2_invalid_frame;
using ordeal::test::nghttpd_options;
using ordeal::test::nghttpd_server;
using ordeal::test::nginx_options;
using ordeal::test::nginx_server;
using ordeal::test::nginx_tls_options;

namespace fs = std::filesystem;

namespace {

void require_binary(const char* path, const char* package) {
  // scripts/bootstrap installs every peer: a missing one fails loudly, never passes.
  if (::access(path, X_OK) != 0)
    FAIL(path << " is not installed: run scripts/bootstrap (Debian package " << package << ")");
}

// The test PKI in a temporary directory, removed on destruction.
struct pki_dir {
  fs::path dir;
  ordeal::test::test_pki pki = ordeal::test::make_test_pki();

  pki_dir() {
    static int n = 0;
    dir = fs::temp_directory_path() /
          ("ordeal-h2client-pki-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    pki.write_to(dir);
  }
  ~pki_dir() {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }
  std::string path(const char* name) const { return (dir / name).string(); }
};

http_request h2_request(std::string method, const std::string& url, std::string body = {}) {
  auto r = make_request(std::move(method), url, std::move(body));
  r.protocol = http_version::h2;
  return r;
}

client_options h2_client(unsigned max_streams = 100) {
  client_options o;
  o.h2.max_streams = max_streams;
  return o;
}

nghttpd_server start_nghttpd(nghttpd_options o = {}) {
  require_binary(nghttpd_server::binary, "nghttp2-server");
  return nghttpd_server(std::move(o));
}

// Sends every request at once; runs until all handlers ran (or the timeout).
std::vector<std::shared_ptr<slot>> send_all(harness& h, const std::vector<http_request>& requests,
                                            std::chrono::milliseconds timeout = 5000ms) {
  std::vector<std::shared_ptr<slot>> slots;
  for (const auto& r : requests)
    slots.push_back(h.start(r));
  const bool all = h.run_until(
      [&] { return std::all_of(slots.begin(), slots.end(), [](auto& s) { return s->calls > 0; }); },
      timeout);
  REQUIRE(all);
  h.run_for(20ms);
  for (const auto& s : slots)
    CHECK(s->calls == 1);
  return slots;
}

}  // namespace

TEST_CASE("http_client h2c: GET and POST with body and headers against nghttpd",
          "[http_client_h2]") {
  nghttpd_options o;
  o.echo_upload = true;
  auto server = start_nghttpd(o);
  harness h(h2_client());

  auto get = h2_request("GET", server.url("/"));
  get.headers = {{"X-Trace", "abc"}, {"Accept", "*/*"}};
  const auto r = h.fetch(get);
  CHECK(r.result == outcome::ok);
  CHECK(r.error.empty());
  CHECK(r.status == 200);
  CHECK(r.body.size() == nghttpd_server::index_file_bytes);
  CHECK(r.request_sent);
  REQUIRE(r.header("content-length") != nullptr);
  CHECK(*r.header("content-length") == std::to_string(nghttpd_server::index_file_bytes));
  CHECK(r.bytes_sent > 0);
  CHECK(r.bytes_received >= r.body.size());
  CHECK(!r.reused_connection);
  CHECK(r.timings.connect > 0ns);
  CHECK(r.timings.tls == 0ns);
  CHECK(r.timings.duration >= r.timings.waiting);

  const std::string body = R"({"amount":17,"currency":"EUR"})";
  auto post = h2_request("POST", server.url("/"), body);
  post.headers = {{"Content-Type", "application/json"}, {"Connection", "keep-alive"}};
  const auto p = h.fetch(post);
  CHECK(p.result == outcome::ok);
  CHECK(p.status == 200);
  CHECK(p.body == body);  // --echo-upload: the body arrived whole
  CHECK(p.reused_connection);
  CHECK(p.timings.connect == 0ns);

  const auto missing = h.fetch(h2_request("GET", server.url("/nope")));
  CHECK(missing.result == outcome::status);
  CHECK(missing.status == 404);
  CHECK(h.client.connections_opened() == 1);
  CHECK(h.client.in_flight() == 0);
}

TEST_CASE("http_client h2: TLS with ALPN h2, verified with the test CA", "[http_client_h2]") {
  const pki_dir pki;
  nghttpd_options o;
  o.tls = ordeal::test::nghttpd_tls_options{pki.dir / "server.pem", pki.dir / "server.key"};
  o.echo_upload = true;
  auto server = start_nghttpd(o);
  client_options co = h2_client();
  co.tls.ca_file = pki.path("ca.pem");
  harness h(co);

  const auto first = h.fetch(h2_request("GET", server.url("/big")));
  CHECK(first.result == outcome::ok);
  CHECK(first.status == 200);
  CHECK(first.body.size() == nghttpd_server::big_file_bytes);
  CHECK(!first.reused_connection);
  CHECK(first.timings.connect > 0ns);
  CHECK(first.timings.tls > 0ns);

  const auto second = h.fetch(h2_request("POST", server.url("/"), "over tls"));
  CHECK(second.result == outcome::ok);
  CHECK(second.body == "over tls");
  CHECK(second.reused_connection);
  CHECK(second.timings.tls == 0ns);
  CHECK(h.client.connections_opened() == 1);

  SECTION("an unknown CA fails the handshake") {
    harness untrusting(h2_client());  // the system store does not know the test CA
    const auto r = untrusting.fetch(h2_request("GET", server.url("/")));
    CHECK(r.result == outcome::tls);
    CHECK(r.error == "unknown CA");
    CHECK(!r.request_sent);
  }
}

TEST_CASE("http_client h2: a TLS server that does not select h2 fails with outcome tls",
          "[http_client_h2]") {
  const pki_dir pki;
  h2_hostile_server_options o;
  o.tls = pki.pki.server;
  o.alpn = "";  // no ALPN in the ServerHello
  h2_hostile_server server(h2_hostile_behaviour::normal, o);
  client_options co = h2_client();
  co.tls.ca_file = pki.path("ca.pem");
  harness h(co);
  const auto slots =
      send_all(h, {h2_request("GET", server.url("/")), h2_request("GET", server.url("/"))});
  for (const auto& s : slots) {
    CHECK(s->response.result == outcome::tls);
    CHECK(s->response.error == "the server did not select h2 by ALPN");
    CHECK(!s->response.request_sent);
  }
  CHECK(server.requests_received() == 0);
}

TEST_CASE("http_client h2: nginx over h2c and over TLS", "[http_client_h2]") {
  require_binary(nginx_server::binary, "nginx-light");
  const pki_dir pki;
  nginx_options o;
  o.h2c = true;
  o.tls = nginx_tls_options{pki.dir / "server.pem", pki.dir / "server.key", true, {}};
  nginx_server server(o);
  client_options co = h2_client();
  co.tls.ca_file = pki.path("ca.pem");
  harness h(co);

  // A header the server acts on: Range reaches nginx decoded.
  auto range = h2_request("GET", server.h2c_url("/any"));
  range.headers = {{"Range", "bytes=0-9"}};
  const auto partial = h.fetch(range);
  CHECK(partial.result == outcome::ok);
  CHECK(partial.status == 206);
  CHECK(partial.body.size() == 10);

  const auto head = h.fetch(h2_request("HEAD", server.h2c_url("/any")));
  CHECK(head.result == outcome::ok);
  CHECK(head.body.empty());

  auto tls = h2_request("GET", server.tls_url("/x"));
  tls.headers = {{"Host", "localhost"}};  // becomes :authority; the certificate names it too
  const auto secure = h.fetch(tls);
  CHECK(secure.result == outcome::ok);
  CHECK(secure.status == 200);
  CHECK(secure.body.size() == nginx_server::static_file_bytes);
  CHECK(secure.timings.tls > 0ns);
  CHECK(server.access_log_lines_reaching(3, 2000ms) == 3);
  CHECK(h.client.connections_opened() == 2);
}

TEST_CASE("http_client h2: 50 concurrent requests share one connection", "[http_client_h2]") {
  auto server = start_nghttpd();
  harness h(h2_client(100));
  std::vector<http_request> requests;
  for (int i = 0; i < 50; ++i)
    requests.push_back(h2_request("GET", server.url(i % 2 == 0 ? "/big" : "/")));
  std::vector<std::shared_ptr<slot>> slots;
  for (const auto& r : requests)
    slots.push_back(h.start(r));
  CHECK(h.client.in_flight() == 50);
  CHECK(h.client.queued() == 0);
  REQUIRE(h.run_until(
      [&] { return std::all_of(slots.begin(), slots.end(), [](auto& s) { return s->calls > 0; }); },
      10000ms));
  h.run_for(20ms);
  for (std::size_t i = 0; i < slots.size(); ++i) {
    CHECK(slots[i]->calls == 1);
    CHECK(slots[i]->response.result == outcome::ok);
    CHECK(slots[i]->response.body.size() ==
          (i % 2 == 0 ? nghttpd_server::big_file_bytes : nghttpd_server::index_file_bytes));
  }
  CHECK(h.client.connections_opened() == 1);
  CHECK(h.client.in_flight() == 0);
}

TEST_CASE("http_client h2: max_streams and the server's limit are honoured", "[http_client_h2]") {
  h2_hostile_server_options o;
  o.response_delay = 150ms;
  SECTION("max_streams per connection: more connections") {
    h2_hostile_server server(h2_hostile_behaviour::normal, o);
    harness h(h2_client(4));
    std::vector<http_request> requests(20, h2_request("GET", server.url("/")));
    const auto slots = send_all(h, requests);
    for (const auto& s : slots)
      CHECK(s->response.result == outcome::ok);
    CHECK(h.client.connections_opened() == 5);
    CHECK(server.connections_accepted() == 5);
    CHECK(server.peak_concurrent_streams() <= 4);
  }
  SECTION("the server's SETTINGS_MAX_CONCURRENT_STREAMS below max_streams") {
    o.max_concurrent_streams = 2;
    h2_hostile_server server(h2_hostile_behaviour::normal, o);
    client_options co = h2_client(100);
    co.max_connections_per_host = 1;
    harness h(co);
    CHECK(h.fetch(h2_request("GET", server.url("/"))).result == outcome::ok);  // SETTINGS known
    std::vector<http_request> requests(8, h2_request("GET", server.url("/")));
    const auto slots = send_all(h, requests);
    for (const auto& s : slots)
      CHECK(s->response.result == outcome::ok);
    CHECK(h.client.connections_opened() == 1);
    CHECK(server.peak_concurrent_streams() <= 2);
  }
  SECTION("max_connections_per_host: the rest wait in the queue") {
    h2_hostile_server server(h2_hostile_behaviour::normal, o);
    client_options co = h2_client(2);
    co.max_connections_per_host = 2;
    harness h(co);
    std::vector<std::shared_ptr<slot>> slots;
    for (int i = 0; i < 10; ++i)
      slots.push_back(h.start(h2_request("GET", server.url("/"))));
    CHECK(h.client.in_flight() == 4);
    CHECK(h.client.queued() == 6);
    REQUIRE(h.run_until(
        [&] {
          return std::all_of(slots.begin(), slots.end(), [](auto& s) { return s->calls > 0; });
        },
        5000ms));
    for (const auto& s : slots) {
      CHECK(s->response.result == outcome::ok);
      CHECK(s->response.timings.duration >= 150ms);
    }
    // Three rounds of four streams (two on each connection): the last ones waited two rounds,
    // and say so.
    const auto longest = std::max_element(slots.begin(), slots.end(), [](auto& a, auto& b) {
      return a->response.timings.blocked < b->response.timings.blocked;
    });
    CHECK((*longest)->response.timings.blocked >= 250ms);
    CHECK(h.client.connections_opened() == 2);
    CHECK(server.peak_concurrent_streams() <= 2);
  }
}

TEST_CASE("http_client h2: abandon after the request was sent resets the stream",
          "[http_client_h2]") {
  h2_hostile_server_options o;
  o.response_delay = 300ms;
  h2_hostile_server server(h2_hostile_behaviour::normal, o);
  harness h(h2_client());
  CHECK(h.fetch(h2_request("GET", server.url("/warm")), 3000ms).result == outcome::ok);
  auto r = h2_request("POST", server.url("/pay"), "amount=17");
  r.abandon = abandon_point::request_sent;
  const auto start = clock_type::now();
  const auto response = h.fetch(r);
  CHECK(clock_type::now() - start < 250ms);
  CHECK(response.result == outcome::abandoned);
  CHECK(response.error == "abandoned after the request was sent");
  CHECK(response.request_sent);
  CHECK(response.status == 0);
  h.run_for(500ms);  // past the server's delay
  CHECK(server.requests_received() == 2);
  // RST_STREAM CANCEL reached the server: it never answered the abandoned stream.
  CHECK(server.requests_answered() == 1);
  CHECK(h.client.connections_opened() == 1);
  CHECK(h.client.in_flight() == 0);
}

TEST_CASE("http_client h2: abandon at the first byte resets the stream, the connection goes on",
          "[http_client_h2]") {
  nghttpd_options o;
  o.max_concurrent_streams = 1;
  auto server = start_nghttpd(o);
  // Far more than one flow-control window: nghttpd is still sending when the client resets.
  {
    std::ofstream huge(server.docroot() / "huge", std::ios::binary);
    const std::string block(64 * 1024, 'h');
    for (int i = 0; i < 128; ++i)
      huge << block;
  }
  client_options co = h2_client(1);
  co.max_connections_per_host = 1;
  co.h2.stream_window = 65535;
  co.h2.connection_window = 65535;
  harness h(co);
  auto r = h2_request("GET", server.url("/huge"));
  r.abandon = abandon_point::first_byte;
  const auto abandoned = h.fetch(r);
  CHECK(abandoned.result == outcome::abandoned);
  CHECK(abandoned.error == "abandoned at the first response byte");
  CHECK(abandoned.request_sent);
  CHECK(abandoned.bytes_received > 0);
  CHECK(abandoned.status == 0);
  CHECK(abandoned.body.size() < 8 * 1024 * 1024);
  // nghttpd allows one stream: the next is answered only if the abandoned one was reset.
  const auto next = h.fetch(h2_request("GET", server.url("/")));
  CHECK(next.result == outcome::ok);
  CHECK(next.status == 200);
  CHECK(next.reused_connection);
  CHECK(h.client.connections_opened() == 1);
}

TEST_CASE("http_client h2: a timed-out stream is reset, its connection serves on",
          "[http_client_h2]") {
  h2_hostile_server_options o;
  o.response_delay = 600ms;
  h2_hostile_server server(h2_hostile_behaviour::normal, o);
  harness h(h2_client());
  auto slow = h2_request("GET", server.url("/slow"));
  slow.timeout = 200ms;
  auto patient = h2_request("GET", server.url("/patient"));
  patient.timeout = 3s;
  const auto start = clock_type::now();
  const auto slots = send_all(h, {slow, patient});
  const auto& timed_out = slots[0]->response;
  CHECK(timed_out.result == outcome::timeout);
  CHECK(timed_out.error == "no complete response within the request timeout");
  CHECK(timed_out.request_sent);
  CHECK(timed_out.timings.duration >= 200ms);
  CHECK(timed_out.timings.duration < 500ms);
  CHECK(slots[1]->response.result == outcome::ok);
  CHECK(clock_type::now() - start < 2000ms);
  CHECK(h.client.connections_opened() == 1);
  CHECK(server.requests_received() == 2);
  CHECK(server.requests_answered() == 1);  // the reset stream was not answered
}

TEST_CASE("http_client h2: streams above a GOAWAY's last stream id are refused",
          "[http_client_h2]") {
  h2_hostile_server_options o;
  o.goaway_after_requests = 3;
  o.response_delay = 100ms;
  h2_hostile_server server(h2_hostile_behaviour::goaway_every_n, o);
  harness h(h2_client());
  std::vector<http_request> requests(6, h2_request("POST", server.url("/"), "x"));
  const auto slots = send_all(h, requests);
  int ok = 0;
  int refused = 0;
  for (const auto& s : slots) {
    if (s->response.result == outcome::ok) ++ok;
    if (s->response.result == outcome::refused) {
      ++refused;
      CHECK(s->response.error == "GOAWAY: not processed (above the server's last stream id)");
      CHECK(s->response.status == 0);
    }
  }
  CHECK(ok == 3);
  CHECK(refused == 3);
  CHECK(server.goaways_sent() == 1);
  // The connection that said GOAWAY takes nothing more: the next request opens a new one.
  const auto after = h.fetch(h2_request("GET", server.url("/")));
  CHECK(after.result == outcome::ok);
  CHECK(!after.reused_connection);
  CHECK(h.client.connections_opened() == 2);
}

TEST_CASE("http_client h2: RST_STREAM from the server", "[http_client_h2]") {
  h2_hostile_server_options o;
  SECTION("INTERNAL_ERROR is stream_reset with its code") {
    o.rst_error_code = ordeal::test::h2_internal_error;
    h2_hostile_server server(h2_hostile_behaviour::rst_stream, o);
    harness h(h2_client());
    const auto r = h.fetch(h2_request("GET", server.url("/")));
    CHECK(r.result == outcome::stream_reset);
    CHECK(r.error == "RST_STREAM INTERNAL_ERROR");
    CHECK(r.status == 0);
  }
  SECTION("REFUSED_STREAM is refused") {
    o.rst_error_code = ordeal::test::h2_refused_stream;
    h2_hostile_server server(h2_hostile_behaviour::rst_stream, o);
    harness h(h2_client());
    const auto r = h.fetch(h2_request("GET", server.url("/")));
    CHECK(r.result == outcome::refused);
    CHECK(r.error == "RST_STREAM REFUSED_STREAM");
  }
}

TEST_CASE("http_client h2: a header block over max_header_bytes is protocol", "[http_client_h2]") {
  h2_hostile_server_options o;
  o.huge_headers_bytes = 256 * 1024;
  h2_hostile_server server(h2_hostile_behaviour::huge_headers, o);
  client_options co = h2_client();
  co.max_header_bytes = 16 * 1024;
  harness h(co);
  const auto r = h.fetch(h2_request("GET", server.url("/")));
  CHECK(r.result == outcome::protocol);
  CHECK(r.error.find("header block over 16384 bytes") != std::string::npos);
  CHECK(r.headers.empty());
}

TEST_CASE("http_client h2: a connection error ends every stream on it as protocol",
          "[http_client_h2]") {
  h2_hostile_server_options o;
  o.invalid_frame = h2_invalid_frame::data_on_stream_zero;
  h2_hostile_server server(h2_hostile_behaviour::invalid_frame, o);
  harness h(h2_client());
  auto slow = h2_request("POST", server.url("/"), "y");
  slow.slow_body.bytes = 1;
  slow.slow_body.every = 2s;  // still open when the first request's answer breaks the connection
  const auto slots = send_all(h, {h2_request("GET", server.url("/")), slow});
  for (const auto& s : slots) {
    CHECK(s->response.result == outcome::protocol);
    CHECK(s->response.error.find("HTTP/2 connection error") != std::string::npos);
  }
  CHECK(h.client.connections_opened() == 1);
}

TEST_CASE("http_client h2: a POST against a zero window times out without hanging",
          "[http_client_h2]") {
  h2_hostile_server server(h2_hostile_behaviour::zero_window);
  harness h(h2_client());
  auto post = h2_request("POST", server.url("/upload"), std::string(256 * 1024, 'z'));
  post.timeout = 300ms;
  const auto start = clock_type::now();
  const auto r = h.fetch(post, 3000ms);
  CHECK(clock_type::now() - start < 1500ms);
  CHECK(r.result == outcome::timeout);
  CHECK(!r.request_sent);
  // The connection goes on: a GET needs no window.
  const auto get = h.fetch(h2_request("GET", server.url("/")));
  CHECK(get.result == outcome::ok);
  CHECK(get.reused_connection);
}

TEST_CASE("http_client h2: the server closing with streams open is reset", "[http_client_h2]") {
  h2_hostile_server_options o;
  o.response_delay = 5s;
  h2_hostile_server server(h2_hostile_behaviour::normal, o);
  harness h(h2_client());
  auto a = h.start(h2_request("POST", server.url("/a"), "1"));
  auto b = h.start(h2_request("POST", server.url("/b"), "2"));
  REQUIRE(h.run_until([&] { return server.requests_received() == 2; }));
  server.stop();
  REQUIRE(h.run_until([&] { return a->calls > 0 && b->calls > 0; }));
  h.run_for(20ms);
  for (const auto& s : {a, b}) {
    CHECK(s->calls == 1);
    CHECK(s->response.result == outcome::reset);
    CHECK(!s->response.error.empty());
  }
}

TEST_CASE("http_client h2: an unanswered PING ends the connection as timeout", "[http_client_h2]") {
  h2_hostile_server server(h2_hostile_behaviour::silent);  // never writes: no PING ACK either
  client_options co = h2_client();
  co.h2.ping_interval = 100ms;
  harness h(co);
  auto r = h2_request("GET", server.url("/"));
  r.timeout = 5s;
  const auto start = clock_type::now();
  const auto response = h.fetch(r, 3000ms);
  CHECK(clock_type::now() - start < 1000ms);
  CHECK(response.result == outcome::timeout);
  CHECK(response.error == "PING unanswered: connection presumed dead");
}

TEST_CASE("http_client h2: a trickled body goes out piece by piece", "[http_client_h2]") {
  nghttpd_options o;
  o.echo_upload = true;
  auto server = start_nghttpd(o);
  harness h(h2_client());
  auto r = h2_request("POST", server.url("/"), "abcdefghijklmnopqrst");
  r.slow_body.bytes = 4;
  r.slow_body.every = 20ms;
  const auto response = h.fetch(r);
  CHECK(response.result == outcome::ok);
  CHECK(response.body == "abcdefghijklmnopqrst");
  // 20 bytes, 4 at a time, every 20 ms: the last piece goes out ~100 ms after the head.
  CHECK(response.timings.sending >= 80ms);
  CHECK(response.timings.sending < 1500ms);
  CHECK(response.request_sent);
}

TEST_CASE("http_client h2: handlers never run inside send(), and may send again",
          "[http_client_h2]") {
  auto server = start_nghttpd();
  harness h(h2_client());
  bool in_send = false;
  int calls = 0;
  int calls_inside = 0;
  std::function<void(http_request)> send = [&](http_request r) {
    in_send = true;
    h.client.send(std::move(r), [&](http_response&&) {
      ++calls;
      if (in_send) ++calls_inside;
      // A handler may send again, on the same connection.
      if (calls == 2) send(h2_request("GET", server.url("/again")));
    });
    in_send = false;
  };
  send(h2_request("GET", server.url("/")));
  REQUIRE(h.run_until([&] { return calls == 1; }));
  // On a ready connection the write, and so this abandon, completes inside send().
  auto abandoned = h2_request("GET", server.url("/"));
  abandoned.abandon = abandon_point::request_sent;
  send(abandoned);
  send(h2_request("GET", "http://127.0.0.1:" + std::to_string(closed_port()) + "/"));
  REQUIRE(h.run_until([&] { return calls == 4; }));
  h.run_for(20ms);
  CHECK(calls == 4);
  CHECK(calls_inside == 0);
}

TEST_CASE("http_client h2: shutdown and destruction run no handler", "[http_client_h2]") {
  SECTION("shutdown counts the requests that went out") {
    h2_hostile_server_options o;
    o.response_delay = 5s;
    h2_hostile_server server(h2_hostile_behaviour::normal, o);
    harness h(h2_client());
    int calls = 0;
    for (int i = 0; i < 3; ++i)
      h.client.send(h2_request("GET", server.url("/")), [&](http_response&&) { ++calls; });
    REQUIRE(h.run_until([&] { return server.requests_received() == 3; }));
    CHECK(h.client.in_flight() == 3);
    CHECK(h.client.shutdown() == 3);
    CHECK(h.client.in_flight() == 0);
    h.run_for(100ms);
    CHECK(calls == 0);
  }
  SECTION("destroyed connecting and with streams open") {
    h2_hostile_server server(h2_hostile_behaviour::silent);
    asio::io_context ioc;
    int calls = 0;
    {
      http_client client(ioc, h2_client());
      client.send(h2_request("GET", server.url("/")), [&](http_response&&) { ++calls; });
      ioc.run_for(50ms);
      client.send(h2_request("GET", server.url("/")), [&](http_response&&) { ++calls; });
      auto slow = h2_request("POST", server.url("/"), "abc");
      slow.slow_body.bytes = 1;
      slow.slow_body.every = 10ms;
      client.send(slow, [&](http_response&&) { ++calls; });
      ioc.run_for(20ms);
    }
    ioc.restart();
    ioc.run_for(100ms);
    CHECK(calls == 0);
  }
}

TEST_CASE("http_client: h2 and HTTP/1.1 to the same host are separate targets",
          "[http_client_h2]") {
  require_binary(nginx_server::binary, "nginx-light");
  nginx_options o;
  o.h2c = true;
  nginx_server server(o);
  harness h(h2_client());
  // The HTTP/1.1 port spoken as HTTP/1.1 and the h2c port as h2, from one client.
  auto h1 = make_request("GET", server.url("/a"));
  h1.protocol = http_version::automatic;  // HTTP/1.1 in the script client
  const auto one = h.fetch(h1);
  const auto two = h.fetch(h2_request("GET", server.h2c_url("/b")));
  CHECK(one.result == outcome::ok);
  CHECK(two.result == outcome::ok);
  CHECK(one.body.size() == nginx_server::static_file_bytes);
  CHECK(two.body.size() == nginx_server::static_file_bytes);
  CHECK(h.client.connections_opened() == 2);
}
