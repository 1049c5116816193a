// `ordeal serve` over real sockets: the server on 127.0.0.1 port 0, a tiny client whose
// every operation is bounded in time (io_context::run_for), so a hung server fails the
// test instead of hanging it.
#include "ordeal/targets/serve.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <system_error>
#include <thread>

using namespace std::chrono_literals;
namespace net = boost::asio;
namespace http = boost::beast::http;
using boost::system::error_code;
using clock_type = std::chrono::steady_clock;
using ordeal::targets::serve_options;
using ordeal::targets::server;
using tcp = net::ip::tcp;

namespace {

constexpr auto io_timeout = 10s;
using response = http::response<http::string_body>;

serve_options local(serve_options o = {}) {
  o.address = "127.0.0.1";
  o.port = 0;
  return o;
}

std::string get_request(std::string_view target, std::string_view extra_headers = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
         std::string(extra_headers) + "\r\n";
}

class test_client {
 public:
  explicit test_client(std::uint16_t port) {
    const tcp::endpoint server{net::ip::make_address("127.0.0.1"), port};
    REQUIRE_FALSE(run([&](auto done) { socket_.async_connect(server, done); }));
  }

  void write(std::string_view raw) {
    REQUIRE_FALSE(run([&](auto done) { net::async_write(socket_, net::buffer(raw), done); }));
  }

  response read(bool head_request = false) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(boost::none);
    parser.skip(head_request);  // a response to HEAD announces a body it does not carry
    const auto ec = run([&](auto done) { http::async_read(socket_, buffer_, parser, done); });
    INFO(ec.message());
    REQUIRE_FALSE(ec);
    return parser.release();
  }

  response get(std::string_view target, std::string_view extra_headers = "") {
    write(get_request(target, extra_headers));
    return read();
  }

  // True when the server closed the connection (clean EOF or reset) within the bound.
  bool closed_by_server() {
    http::response_parser<http::string_body> parser;
    const auto ec = run([&](auto done) { http::async_read(socket_, buffer_, parser, done); });
    return ec == http::error::end_of_stream || ec == net::error::connection_reset ||
           ec == net::error::eof;
  }

 private:
  // Runs one asynchronous operation to completion or fails the test after io_timeout.
  template <class Start>
  error_code run(Start start) {
    std::optional<error_code> result;
    start([&](error_code ec, auto&&...) { result = ec; });
    io_.restart();
    io_.run_for(io_timeout);
    if (!result) {
      socket_.close();  // completes the operation before its captures go out of scope
      io_.restart();
      io_.run();
      FAIL("no answer within " << io_timeout.count() << "s");
    }
    return *result;
  }

  net::io_context io_;
  tcp::socket socket_{io_};
  boost::beast::flat_buffer buffer_;
};

}  // namespace

TEST_CASE("serve: default response is 200 \"ok\", plain text with a length", "[serve]") {
  server srv(local());
  REQUIRE(srv.port() != 0);
  srv.start();
  test_client c(srv.port());
  const auto r = c.get("/");
  CHECK(r.result_int() == 200);
  CHECK(r.body() == "ok");
  CHECK(r[http::field::content_type] == "text/plain");
  CHECK(r[http::field::content_length] == "2");
  CHECK(r.keep_alive());
}

TEST_CASE("serve: status and size from the query string of any path", "[serve]") {
  server srv(local());
  srv.start();
  test_client c(srv.port());

  auto r = c.get("/any/path?status=503&size=1024");
  CHECK(r.result_int() == 503);
  CHECK(r.body() == std::string(1024, 'x'));

  r = c.get("/?size=0");
  CHECK(r.result_int() == 200);
  CHECK(r.body().empty());

  // Larger than one static chunk: sent in several writes.
  r = c.get("/big?size=1000000");
  CHECK(r[http::field::content_length] == "1000000");
  CHECK(r.body() == std::string(1000000, 'x'));

  r = c.get("/?status=204");
  CHECK(r.result_int() == 204);
  CHECK(r.body().empty());

  c.write("HEAD /?size=100 HTTP/1.1\r\nHost: x\r\n\r\n");
  r = c.read(true);
  CHECK(r[http::field::content_length] == "100");

  r = c.get("/?status=299");  // unassigned codes work too
  CHECK(r.result_int() == 299);
}

TEST_CASE("serve: a bad value gets a 400 naming the parameter, the connection goes on", "[serve]") {
  server srv(local());
  srv.start();
  test_client c(srv.port());

  auto r = c.get("/?delay=abc");
  CHECK(r.result_int() == 400);
  CHECK(r.body() ==
        "bad query parameter 'delay': \"abc\" is not a duration (use 500ms, 2s, ...)\n");

  r = c.get("/?colour=red");
  CHECK(r.result_int() == 400);
  CHECK(r.body() == "unknown query parameter 'colour' (use status, delay, jitter, size)\n");

  r = c.get("/?status=700");
  CHECK(r.result_int() == 400);

  r = c.get("/");
  CHECK(r.result_int() == 200);
  CHECK(srv.requests_served() == 4);
}

TEST_CASE("serve: delay and jitter are respected", "[serve]") {
  server srv(local());
  srv.start();
  test_client c(srv.port());

  auto start = clock_type::now();
  auto r = c.get("/?delay=200ms");
  auto elapsed = clock_type::now() - start;
  CHECK(r.result_int() == 200);
  CHECK(elapsed >= 200ms);
  CHECK(elapsed < 200ms + 2s);

  // delay + uniform(-jitter, +jitter): between 50ms and 150ms.
  for (int i = 0; i < 5; ++i) {
    start = clock_type::now();
    r = c.get("/?delay=100ms&jitter=50ms");
    elapsed = clock_type::now() - start;
    CHECK(r.result_int() == 200);
    CHECK(elapsed >= 50ms);
    CHECK(elapsed < 150ms + 2s);
  }
}

TEST_CASE("serve: keep-alive answers 100 requests on one connection", "[serve]") {
  server srv(local());
  srv.start();
  test_client c(srv.port());
  for (int i = 0; i < 100; ++i) {
    const auto r = c.get("/?size=10");
    REQUIRE(r.result_int() == 200);
    REQUIRE(r.body().size() == 10);
  }
  CHECK(srv.requests_served() == 100);
}

TEST_CASE("serve: pipelined requests are answered in order", "[serve]") {
  server srv(local());
  srv.start();
  test_client c(srv.port());
  // The first is the slowest: order must still hold.
  c.write(get_request("/?status=201&size=1&delay=100ms") + get_request("/?status=202&size=2") +
          get_request("/?status=203&size=3"));
  auto r = c.read();
  CHECK(r.result_int() == 201);
  CHECK(r.body() == "x");
  r = c.read();
  CHECK(r.result_int() == 202);
  CHECK(r.body() == "ok");
  r = c.read();
  CHECK(r.result_int() == 203);
  CHECK(r.body() == "xxx");
  CHECK(srv.requests_served() == 3);
}

TEST_CASE("serve: request bodies are read and discarded", "[serve]") {
  server srv(local());
  srv.start();
  test_client c(srv.port());

  const std::string body(100 * 1024, 'b');
  c.write("POST /?size=3 HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
          "\r\n\r\n" + body);
  CHECK(c.read().body() == "xxx");

  c.write(
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  CHECK(c.read().body() == "ok");

  // Expect: 100-continue gets its interim response, then the final one.
  c.write(
      "POST /?status=201 HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
      "Expect: 100-continue\r\n\r\n");
  auto r = c.read();
  CHECK(r.result_int() == 100);
  c.write("data");
  r = c.read();
  CHECK(r.result_int() == 201);

  CHECK(c.get("/").result_int() == 200);
}

TEST_CASE("serve: a 32 KiB request header gets 431, and the server keeps serving", "[serve]") {
  server srv(local());
  srv.start();
  {
    test_client hostile(srv.port());
    hostile.write(get_request("/", "X-Big: " + std::string(32 * 1024, 'a') + "\r\n"));
    const auto r = hostile.read();
    CHECK(r.result_int() == 431);
    CHECK(r[http::field::connection] == "close");
    CHECK(hostile.closed_by_server());
  }
  test_client c(srv.port());
  CHECK(c.get("/").result_int() == 200);
}

TEST_CASE("serve: a malformed request gets 400 and the connection is closed", "[serve]") {
  server srv(local());
  srv.start();
  test_client c(srv.port());
  c.write("GET / HTTP/1.1\r\nHost x\r\n\r\n");
  const auto r = c.read();
  CHECK(r.result_int() == 400);
  CHECK(c.closed_by_server());
}

TEST_CASE("serve: Connection: close and HTTP/1.0 are honoured", "[serve]") {
  server srv(local());
  srv.start();
  {
    test_client c(srv.port());
    const auto r = c.get("/", "Connection: close\r\n");
    CHECK(r.result_int() == 200);
    CHECK(r[http::field::connection] == "close");
    CHECK(c.closed_by_server());
  }
  {
    test_client c(srv.port());
    c.write("GET / HTTP/1.0\r\n\r\n");
    CHECK(c.read().body() == "ok");
    CHECK(c.closed_by_server());
  }
  {
    test_client c(srv.port());
    c.write("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    const auto r = c.read();
    CHECK(r[http::field::connection] == "keep-alive");
    c.write("GET /?size=1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    CHECK(c.read().body() == "x");
  }
}

TEST_CASE("serve: idle connections are closed after the idle timeout", "[serve]") {
  serve_options o;
  o.idle_timeout = 200ms;
  server srv(local(o));
  srv.start();
  test_client c(srv.port());
  CHECK(c.get("/").result_int() == 200);
  const auto start = clock_type::now();
  CHECK(c.closed_by_server());
  const auto elapsed = clock_type::now() - start;
  CHECK(elapsed >= 150ms);
  CHECK(elapsed < 200ms + 2s);
}

TEST_CASE("serve: a request due during a stall waits until the stall ends", "[serve]") {
  serve_options o;
  o.stall_every = 300ms;
  o.stall_for = 200ms;
  server srv(local(o));
  test_client c(srv.port());  // queued in the backlog until start()
  const auto before = clock_type::now();
  srv.start();
  const auto after = clock_type::now();
  // The schedule's epoch lies in [before, after]. Aim 20ms into a stall [k*300, k*300 + 200);
  // on a loaded machine we may arrive too late for one stall: then try the next.
  for (int k = 1; k <= 5; ++k) {
    const auto stall_start = k * 300ms;
    std::this_thread::sleep_until(after + stall_start + 20ms);
    if (clock_type::now() >= before + stall_start + 150ms) continue;  // too late for this one
    const auto r = c.get("/");
    const auto done = clock_type::now();
    CHECK(r.result_int() == 200);
    CHECK(done >= before + stall_start + 200ms);
    CHECK(done < after + stall_start + 200ms + 2s);
    return;
  }
  WARN("the machine is too busy to land a request inside a stall; not checked");
}

TEST_CASE("serve: several threads share the load and the count", "[serve]") {
  serve_options o;
  o.threads = 3;
  server srv(local(o));
  srv.start();
  std::vector<std::unique_ptr<test_client>> clients;
  for (int i = 0; i < 6; ++i)
    clients.push_back(std::make_unique<test_client>(srv.port()));
  for (int round = 0; round < 5; ++round) {
    for (auto& c : clients)
      REQUIRE(c->get("/").result_int() == 200);
  }
  CHECK(srv.requests_served() == 30);
}

TEST_CASE("serve: stop() closes connections, even one waiting out a delay", "[serve]") {
  server srv(local());
  srv.start();
  test_client c(srv.port());
  c.write(get_request("/?delay=1h"));
  std::this_thread::sleep_for(50ms);
  const auto start = clock_type::now();
  srv.stop();
  srv.stop();  // idempotent
  CHECK(clock_type::now() - start < 2s);
  CHECK(c.closed_by_server());
}

TEST_CASE("serve: a port in use is a clear error", "[serve]") {
  server first(local());
  serve_options o;
  o.port = first.port();
  try {
    server second(o);
    FAIL("a second server bound the same port");
  } catch (const std::system_error& e) {
    CHECK(std::string(e.what()) == "cannot listen on 127.0.0.1:" + std::to_string(first.port()) +
                                       ": Address already in use");
  }
}

TEST_CASE("serve: inconsistent options are rejected", "[serve]") {
  serve_options o = local();
  o.stall_every = 1s;
  CHECK_THROWS_AS(server(o), std::invalid_argument);
  o.stall_for = 2s;
  CHECK_THROWS_WITH(server(o), "stall-for (2s) must be shorter than stall-every (1s)");
  o = local();
  o.threads = 0;
  CHECK_THROWS_AS(server(o), std::invalid_argument);
}
