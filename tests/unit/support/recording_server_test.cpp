#include "recording_server.hpp"

#include <poll.h>

#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using ordeal::test::canned_response;
using ordeal::test::recorded_request;
using ordeal::test::recording_server;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct received {
  std::string data;
  error_code ec;           // set when the read ended on EOF or an error
  bool timed_out = false;  // the deadline passed first
};

// A blocking client whose every read is bounded by a deadline (poll before each read: Asio's
// blocking reads ignore SO_RCVTIMEO).
class raw_client {
 public:
  explicit raw_client(std::uint16_t port) : socket_(io_) {
    socket_.connect(tcp::endpoint(asio::ip::address_v4::loopback(), port));
  }

  error_code send(std::string_view bytes) {
    error_code ec;
    asio::write(socket_, asio::buffer(bytes), ec);
    return ec;
  }

  received read_until(const std::function<bool(const std::string&)>& done,
                      std::chrono::milliseconds timeout) {
    received r;
    const auto deadline = clock_type::now() + timeout;
    std::array<char, 16 * 1024> buffer{};
    while (!done(r.data)) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock_type::now());
      if (left <= 0ms) {
        r.timed_out = true;
        break;
      }
      pollfd p{socket_.native_handle(), POLLIN, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno != EINTR) FAIL("poll failed");
      if (ready <= 0) continue;
      const std::size_t n = socket_.read_some(asio::buffer(buffer), r.ec);
      if (r.ec) break;
      r.data.append(buffer.data(), n);
    }
    return r;
  }

  received read_to_end(std::chrono::milliseconds timeout) {
    return read_until([](const std::string&) { return false; }, timeout);
  }
  received read_ending(std::string_view tail, std::chrono::milliseconds timeout) {
    return read_until([tail](const std::string& d) { return d.ends_with(tail); }, timeout);
  }

 private:
  asio::io_context io_;
  tcp::socket socket_;
};

}  // namespace

TEST_CASE("recording_server records a request and answers with the handler's response",
          "[recording_server]") {
  recording_server server([](const recorded_request& r) {
    canned_response c;
    c.status = 201;
    c.headers = {{"X-Seen", r.method + " " + r.target}, {"Content-Type", "text/plain"}};
    c.body = "created:" + r.body;
    c.close = true;
    return c;
  });
  CHECK(server.port() != 0);
  CHECK(server.url("/a?b=1") == "http://127.0.0.1:" + std::to_string(server.port()) + "/a?b=1");
  CHECK(server.url() == "http://127.0.0.1:" + std::to_string(server.port()) + "/");

  raw_client client(server.port());
  const auto sent_at = clock_type::now();
  REQUIRE(!client.send(
      "POST /pay?x=1 HTTP/1.1\r\nHost: example\r\nX-Key: k-17\r\nContent-Length: 11\r\n\r\n"
      "hello world"));
  const auto r = client.read_to_end(2000ms);
  CHECK(r.ec == asio::error::eof);  // close: FIN after the response
  CHECK(r.data ==
        "HTTP/1.1 201 Created\r\nX-Seen: POST /pay?x=1\r\nContent-Type: text/plain\r\n"
        "Content-Length: 19\r\nConnection: close\r\n\r\ncreated:hello world");

  REQUIRE(server.wait_for_requests(1, 2000ms));
  const auto requests = server.requests();
  REQUIRE(requests.size() == 1);
  const auto& q = requests[0];
  CHECK(q.connection == 1);
  CHECK(q.method == "POST");
  CHECK(q.target == "/pay?x=1");
  CHECK(q.body == "hello world");
  REQUIRE(q.headers.size() == 3);
  CHECK(q.headers[0] == std::pair<std::string, std::string>{"Host", "example"});
  REQUIRE(q.header("x-key") != nullptr);
  CHECK(*q.header("x-key") == "k-17");
  CHECK(q.header("X-Absent") == nullptr);
  CHECK(q.received >= sent_at);
  CHECK(server.request_count() == 1);
  CHECK(server.connections_accepted() == 1);
}

TEST_CASE("recording_server decodes chunked requests and keeps connections alive",
          "[recording_server]") {
  recording_server server;  // default answer: 200 "ok"
  raw_client client(server.port());
  REQUIRE(
      !client.send("PUT /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"));
  auto r = client.read_ending("\r\n\r\nok", 2000ms);
  REQUIRE(!r.timed_out);
  CHECK(r.data.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(r.data.find("Content-Length: 2\r\n") != std::string::npos);
  // Same connection, second request.
  REQUIRE(!client.send("GET /again HTTP/1.1\r\nHost: x\r\n\r\n"));
  r = client.read_ending("\r\n\r\nok", 2000ms);
  REQUIRE(!r.timed_out);
  const auto requests = server.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].body == "hello world");
  CHECK(requests[1].target == "/again");
  CHECK(requests[1].body.empty());
  CHECK(requests[1].connection == 1);
  CHECK(server.connections_accepted() == 1);
}

TEST_CASE("recording_server renders chunked, HEAD and unannounced-close responses",
          "[recording_server]") {
  recording_server server([](const recorded_request& r) {
    canned_response c;
    c.body = "abcdefghijklmnopqrst";  // 20 bytes: chunks of 8, 8 and 4
    if (r.target == "/chunked") c.headers = {{"Transfer-Encoding", "chunked"}};
    if (r.target == "/quiet") {
      c.close = true;
      c.announce_close = false;
    }
    if (r.target == "/raw") c.raw = "HTTP/1.1 100 Continue\r\n\r\nanything";
    return c;
  });
  SECTION("raw bytes, exactly") {
    raw_client client(server.port());
    REQUIRE(!client.send("GET /raw HTTP/1.1\r\nHost: x\r\n\r\n"));
    const auto r = client.read_ending("anything", 2000ms);
    CHECK(r.data == "HTTP/1.1 100 Continue\r\n\r\nanything");
  }
  SECTION("the client asked to close") {
    raw_client client(server.port());
    REQUIRE(!client.send("GET /h HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    const auto r = client.read_to_end(2000ms);
    CHECK(r.ec == asio::error::eof);
    CHECK(r.data ==
          "HTTP/1.1 200 OK\r\nContent-Length: 20\r\nConnection: close\r\n\r\n"
          "abcdefghijklmnopqrst");
  }
  SECTION("chunked") {
    raw_client client(server.port());
    REQUIRE(!client.send("GET /chunked HTTP/1.1\r\nHost: x\r\n\r\n"));
    const auto r = client.read_ending("0\r\n\r\n", 2000ms);
    CHECK(r.data ==
          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
          "8\r\nabcdefgh\r\n8\r\nijklmnop\r\n4\r\nqrst\r\n0\r\n\r\n");
  }
  SECTION("HEAD: the length of the body, not the body") {
    raw_client client(server.port());
    REQUIRE(!client.send("HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n"));
    const auto r = client.read_ending("\r\n\r\n", 2000ms);
    CHECK(r.data == "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n");
    // Nothing follows.
    CHECK(client.read_until([](const std::string& d) { return !d.empty(); }, 100ms).timed_out);
  }
  SECTION("unannounced close") {
    raw_client client(server.port());
    REQUIRE(!client.send("GET /quiet HTTP/1.1\r\nHost: x\r\n\r\n"));
    const auto r = client.read_to_end(2000ms);
    CHECK(r.ec == asio::error::eof);
    CHECK(r.data == "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\nabcdefghijklmnopqrst");
  }
}

TEST_CASE("recording_server delays one connection without holding up another",
          "[recording_server]") {
  recording_server server([](const recorded_request& r) {
    canned_response c;
    if (r.target == "/slow") c.delay = 500ms;
    c.body = r.target;
    return c;
  });
  raw_client slow(server.port());
  raw_client fast(server.port());
  const auto start = clock_type::now();
  REQUIRE(!slow.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"));
  REQUIRE(server.wait_for_requests(1, 2000ms));
  REQUIRE(!fast.send("GET /fast HTTP/1.1\r\nHost: x\r\n\r\n"));
  const auto f = fast.read_ending("/fast", 2000ms);
  REQUIRE(!f.timed_out);
  CHECK(clock_type::now() - start < 400ms);
  const auto s = slow.read_ending("/slow", 2000ms);
  REQUIRE(!s.timed_out);
  CHECK(clock_type::now() - start >= 500ms);
  const auto requests = server.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].connection != requests[1].connection);
  CHECK(server.connections_accepted() == 2);
}

TEST_CASE("recording_server resets on request and turns handler exceptions into 500s",
          "[recording_server]") {
  recording_server server([](const recorded_request& r) -> canned_response {
    if (r.target == "/throw") throw std::runtime_error("handler broke");
    canned_response c;
    c.reset = true;
    return c;
  });
  {
    raw_client client(server.port());
    REQUIRE(!client.send("GET /reset HTTP/1.1\r\nHost: x\r\n\r\n"));
    const auto r = client.read_to_end(2000ms);
    CHECK(r.ec == asio::error::connection_reset);
    CHECK(r.data.empty());
  }
  {
    raw_client client(server.port());
    REQUIRE(!client.send("GET /throw HTTP/1.1\r\nHost: x\r\n\r\n"));
    const auto r = client.read_ending("handler broke", 2000ms);
    CHECK(r.data.rfind("HTTP/1.1 500 Internal Server Error\r\n", 0) == 0);
  }
  CHECK(server.request_count() == 2);
}

TEST_CASE("recording_server stops promptly with connections open", "[recording_server]") {
  recording_server server([](const recorded_request&) {
    canned_response c;
    c.delay = 10s;
    return c;
  });
  raw_client waiting(server.port());
  raw_client idle(server.port());
  REQUIRE(!waiting.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  REQUIRE(server.wait_for_requests(1, 2000ms));
  CHECK(!server.wait_for_requests(2, 50ms));
  const auto start = clock_type::now();
  server.stop();
  CHECK(clock_type::now() - start < 1000ms);
  CHECK(server.connections_open() == 0);
  CHECK(!waiting.read_to_end(2000ms).timed_out);
  CHECK(!idle.read_to_end(2000ms).timed_out);
  server.stop();  // idempotent
}
