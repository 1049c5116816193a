#include "hostile_server.hpp"

#include <poll.h>

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <functional>
#include <string>
#include <string_view>
#include <thread>

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using ordeal::test::hostile_behaviour;
using ordeal::test::hostile_server;
using ordeal::test::hostile_server_options;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::string_view get_request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
constexpr std::string_view ok_response =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello";

struct received {
  std::string data;
  error_code ec;           // set when the read ended on EOF or an error
  bool timed_out = false;  // the deadline passed first
};

// A blocking client whose every read is bounded by a deadline. It polls the descriptor before
// each read because SO_RCVTIMEO does not bound Asio's blocking reads: on EAGAIN Asio polls again
// with no timeout.
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

  // Reads until done(data) holds, EOF or an error, the deadline, or max_bytes.
  received read_until(const std::function<bool(const std::string&)>& done,
                      std::chrono::milliseconds timeout, std::size_t max_bytes = 16 << 20) {
    received r;
    const auto deadline = clock_type::now() + timeout;
    std::array<char, 64 * 1024> buffer{};
    while (!done(r.data) && r.data.size() < max_bytes) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock_type::now());
      if (left <= 0ms) {
        r.timed_out = true;
        break;
      }
      pollfd p{socket_.native_handle(), POLLIN, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno != EINTR) FAIL("poll failed");
      if (ready <= 0) continue;
      const std::size_t want = std::min(buffer.size(), max_bytes - r.data.size());
      const std::size_t n = socket_.read_some(asio::buffer(buffer.data(), want), r.ec);
      if (r.ec) break;
      r.data.append(buffer.data(), n);
    }
    return r;
  }

  received read_at_least(std::size_t bytes, std::chrono::milliseconds timeout) {
    return read_until([bytes](const std::string& d) { return d.size() >= bytes; }, timeout);
  }
  received read_to_end(std::chrono::milliseconds timeout) {
    return read_until([](const std::string&) { return false; }, timeout);
  }
  received read_head(std::chrono::milliseconds timeout) {
    return read_until([](const std::string& d) { return d.find("\r\n\r\n") != std::string::npos; },
                      timeout);
  }

  void close() {
    error_code ignored;
    socket_.close(ignored);
  }

 private:
  asio::io_context io_;
  tcp::socket socket_;
};

bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = 3000ms) {
  const auto deadline = clock_type::now() + timeout;
  while (!condition()) {
    if (clock_type::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

std::size_t count_of(std::string_view haystack, std::string_view needle) {
  std::size_t n = 0;
  for (auto at = haystack.find(needle); at != std::string_view::npos;
       at = haystack.find(needle, at + needle.size()))
    ++n;
  return n;
}

// Threads of this process, from the kernel: a stopped server must leave none behind.
int thread_count() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  return -1;
}

}  // namespace

TEST_CASE("hostile_server listens on an ephemeral loopback port", "[hostile_server]") {
  hostile_server a(hostile_behaviour::ok);
  hostile_server b(hostile_behaviour::ok);
  CHECK(a.port() != 0);
  CHECK(a.port() != b.port());
  CHECK(a.requests_received() == 0);
  CHECK(a.connections_accepted() == 0);
  CHECK(ordeal::test::to_string(hostile_behaviour::reset_mid_body) == "reset_mid_body");
}

TEST_CASE("ok answers every request on a kept-alive connection", "[hostile_server]") {
  hostile_server server(hostile_behaviour::ok);
  raw_client client(server.port());
  for (int i = 0; i < 3; ++i) {
    REQUIRE(!client.send(get_request));
    const auto r = client.read_at_least(ok_response.size(), 2000ms);
    REQUIRE(!r.ec);
    CHECK(r.data == ok_response);
  }
  // Pipelined: two heads in one write, two answers in order.
  REQUIRE(!client.send(std::string(get_request) + std::string(get_request)));
  const auto r = client.read_at_least(2 * ok_response.size(), 2000ms);
  CHECK(r.data == std::string(ok_response) + std::string(ok_response));
  CHECK(server.requests_received() == 5);
  CHECK(server.connections_accepted() == 1);
  CHECK(server.connections_open() == 1);
}

TEST_CASE("close_after_response answers then closes, the client reconnects", "[hostile_server]") {
  hostile_server server(hostile_behaviour::close_after_response);
  for (int i = 0; i < 2; ++i) {
    raw_client client(server.port());
    REQUIRE(!client.send(get_request));
    const auto r = client.read_to_end(2000ms);
    CHECK(r.ec == asio::error::eof);
    CHECK(r.data.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    CHECK(r.data.find("Connection: close\r\n") != std::string::npos);
    CHECK(r.data.ends_with("\r\n\r\nhello"));
  }
  CHECK(server.requests_received() == 2);
  CHECK(server.connections_accepted() == 2);
  CHECK(eventually([&] { return server.connections_open() == 0; }));
}

TEST_CASE("garbage writes seeded non-HTTP bytes and keeps the connection", "[hostile_server]") {
  auto garbage_from = [](std::uint64_t seed) {
    hostile_server_options options;
    options.seed = seed;
    options.garbage_bytes = 128;
    hostile_server server(hostile_behaviour::garbage, options);
    raw_client client(server.port());
    REQUIRE(!client.send(get_request));
    auto r = client.read_at_least(128, 2000ms);
    REQUIRE(r.data.size() == 128);
    CHECK(r.data.rfind("HTTP", 0) != 0);
    // Still open: nothing more and no EOF until the next request.
    const auto more = client.read_at_least(1, 100ms);
    CHECK(more.timed_out);
    CHECK(!more.ec);
    REQUIRE(!client.send(get_request));
    CHECK(client.read_at_least(128, 2000ms).data.size() == 128);
    CHECK(server.requests_received() == 2);
    return r.data;
  };
  const std::string first = garbage_from(7);
  CHECK(garbage_from(7) == first);
  CHECK(garbage_from(8) != first);
}

TEST_CASE("truncated_body sends 100 of 1000 promised bytes then FIN", "[hostile_server]") {
  hostile_server server(hostile_behaviour::truncated_body);
  raw_client client(server.port());
  REQUIRE(!client.send(get_request));
  const auto r = client.read_to_end(2000ms);
  CHECK(r.ec == asio::error::eof);
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";
  REQUIRE(r.data.rfind(head, 0) == 0);
  CHECK(r.data.size() - head.size() == 100);
  CHECK(server.requests_received() == 1);
}

TEST_CASE("reset_mid_body sends 100 of 1000 promised bytes then RST", "[hostile_server]") {
  hostile_server server(hostile_behaviour::reset_mid_body);
  raw_client client(server.port());
  REQUIRE(!client.send(get_request));
  const auto r = client.read_to_end(2000ms);
  CHECK(r.ec == asio::error::connection_reset);
  // On loopback the bytes are queued at the client before the RST arrives, so all are read.
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";
  REQUIRE(r.data.rfind(head, 0) == 0);
  CHECK(r.data.size() - head.size() == 100);
  CHECK(server.requests_received() == 1);
}

TEST_CASE("huge_header sends a 4 MiB header in pieces", "[hostile_server]") {
  hostile_server server(hostile_behaviour::huge_header);
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Huge: ";

  SECTION("the first bytes are a status line and an endless header") {
    raw_client client(server.port());
    REQUIRE(!client.send(get_request));
    const auto r = client.read_at_least(256 * 1024, 2000ms);
    REQUIRE(r.data.size() >= 256 * 1024);
    CHECK(r.data.rfind(head, 0) == 0);
    CHECK(r.data.find("\r\n\r\n") == std::string::npos);
    // A client that gives up mid-header stops the writing; the server lets the connection go.
    client.close();
    CHECK(eventually([&] { return server.connections_open() == 0; }));
  }
  SECTION("the header ends after 4 MiB") {
    raw_client client(server.port());
    REQUIRE(!client.send(get_request));
    const auto r = client.read_head(10000ms);
    REQUIRE(!r.timed_out);
    CHECK(r.data.size() == head.size() + 4 * 1024 * 1024 + 4);
    CHECK(r.data.ends_with("aaaa\r\n\r\n"));
  }
  CHECK(server.requests_received() == 1);
}

TEST_CASE("trickle delivers its body one byte per interval", "[hostile_server]") {
  hostile_server server(hostile_behaviour::trickle);  // 200 ms per byte
  raw_client client(server.port());
  REQUIRE(!client.send(get_request));
  const auto head = client.read_head(2000ms);
  REQUIRE(!head.timed_out);
  CHECK(head.data.rfind("HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n", 0) == 0);
  const auto head_at = clock_type::now();
  std::string body = head.data.substr(head.data.find("\r\n\r\n") + 4);
  while (body.size() < 3) {
    const auto r = client.read_at_least(1, 2000ms);
    REQUIRE(!r.ec);
    REQUIRE(!r.timed_out);
    body += r.data;
  }
  const auto elapsed = clock_type::now() - head_at;
  CHECK(body == "abc");     // no more than one byte per interval
  CHECK(elapsed >= 500ms);  // bytes at ~200, 400, 600 ms
  CHECK(elapsed < 3000ms);
  CHECK(server.requests_received() == 1);
  client.close();  // the server notices on its next write and lets the connection go
  CHECK(eventually([&] { return server.connections_open() == 0; }));
}

TEST_CASE("silent reads the request and never answers", "[hostile_server]") {
  hostile_server server(hostile_behaviour::silent);
  raw_client client(server.port());
  REQUIRE(!client.send(get_request));
  const auto r = client.read_at_least(1, 300ms);
  CHECK(r.timed_out);
  CHECK(!r.ec);  // no EOF either: the connection stays open
  CHECK(r.data.empty());
  CHECK(eventually([&] { return server.requests_received() == 1; }));
  REQUIRE(!client.send(get_request));
  CHECK(eventually([&] { return server.requests_received() == 2; }));
  CHECK(server.connections_open() == 1);
}

TEST_CASE("bad_chunked sends an invalid chunk size line", "[hostile_server]") {
  hostile_server server(hostile_behaviour::bad_chunked);
  raw_client client(server.port());
  REQUIRE(!client.send(get_request));
  const auto r = client.read_until(
      [](const std::string& d) { return d.find("\r\n\r\nzz\r\n") != std::string::npos; }, 2000ms);
  REQUIRE(!r.timed_out);
  CHECK(r.data.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(r.data.find("Transfer-Encoding: chunked\r\n") != std::string::npos);
  CHECK(server.requests_received() == 1);
}

TEST_CASE("bad_status_line sends a status code that is not a number", "[hostile_server]") {
  hostile_server server(hostile_behaviour::bad_status_line);
  raw_client client(server.port());
  REQUIRE(!client.send(get_request));
  const auto r = client.read_head(2000ms);
  REQUIRE(!r.timed_out);
  CHECK(r.data.rfind("HTTP/1.1 2OO OK\r\n", 0) == 0);
  CHECK(server.requests_received() == 1);
}

TEST_CASE("unsolicited_extra sends two complete responses per request", "[hostile_server]") {
  hostile_server server(hostile_behaviour::unsolicited_extra);
  raw_client client(server.port());
  REQUIRE(!client.send(get_request));
  const auto r = client.read_at_least(2 * ok_response.size(), 2000ms);
  CHECK(r.data == std::string(ok_response) + std::string(ok_response));
  CHECK(count_of(r.data, "HTTP/1.1 200 OK\r\n") == 2);
  // Nothing beyond the two.
  CHECK(client.read_at_least(1, 100ms).data.empty());
  CHECK(server.requests_received() == 1);
}

TEST_CASE("negative_content_length sends Content-Length: -5", "[hostile_server]") {
  hostile_server server(hostile_behaviour::negative_content_length);
  raw_client client(server.port());
  REQUIRE(!client.send(get_request));
  const auto r = client.read_head(2000ms);
  REQUIRE(!r.timed_out);
  CHECK(r.data.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(r.data.find("\r\nContent-Length: -5\r\n") != std::string::npos);
  CHECK(server.requests_received() == 1);
}

TEST_CASE("reset_on_accept resets before reading anything", "[hostile_server]") {
  hostile_server server(hostile_behaviour::reset_on_accept);
  raw_client client(server.port());
  REQUIRE(eventually([&] { return server.connections_accepted() == 1; }));
  // The RST may already be in when we write; then the write reports it and the read sees EOF.
  const error_code write_ec = client.send(get_request);
  const auto r = client.read_to_end(2000ms);
  REQUIRE(!r.timed_out);
  CHECK(r.data.empty());
  const bool reset_seen = write_ec == asio::error::connection_reset ||
                          write_ec == asio::error::broken_pipe ||
                          r.ec == asio::error::connection_reset;
  CHECK(reset_seen);
  CHECK(server.requests_received() == 0);
  CHECK(server.connections_open() == 0);
}

TEST_CASE("an endless request head is cut off at the bound", "[hostile_server]") {
  hostile_server_options options;
  options.max_request_head_bytes = 1024;
  hostile_server server(hostile_behaviour::ok, options);
  raw_client client(server.port());
  std::string endless = "GET / HTTP/1.1\r\n";
  while (endless.size() < 4096)
    endless += "X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
  (void)client.send(endless);  // may fail part-way: the server closes as soon as it has 1 KiB
  const auto r = client.read_to_end(2000ms);
  CHECK(!r.timed_out);
  CHECK(r.data.empty());
  CHECK(server.requests_received() == 0);
  CHECK(eventually([&] { return server.connections_open() == 0; }));
}

TEST_CASE("stop() is prompt and closes every connection, whatever the behaviour",
          "[hostile_server]") {
  const int threads_before = thread_count();
  const auto behaviour = GENERATE(from_range(ordeal::test::all_hostile_behaviours));
  INFO("behaviour: " << ordeal::test::to_string(behaviour));
  {
    hostile_server server(behaviour);
    raw_client reading(server.port());
    raw_client not_reading(server.port());  // never reads: huge_header's writes block on it
    raw_client idle(server.port());         // connected, never sends
    (void)reading.send(get_request);
    (void)not_reading.send(get_request);
    (void)reading.read_at_least(1, 50ms);
    REQUIRE(eventually([&] { return server.connections_accepted() == 3; }));

    const auto start = clock_type::now();
    server.stop();
    CHECK(clock_type::now() - start < 1000ms);
    CHECK(server.connections_open() == 0);
    // The clients see the end: EOF or a reset, not silence.
    CHECK(!reading.read_to_end(2000ms).timed_out);
    CHECK(!idle.read_to_end(2000ms).timed_out);
    server.stop();  // idempotent
  }
  CHECK(thread_count() == threads_before);
}

TEST_CASE("many servers come and go without leaking threads", "[hostile_server]") {
  const int threads_before = thread_count();
  const auto start = clock_type::now();
  for (int i = 0; i < 100; ++i) {
    const auto behaviour =
        ordeal::test::all_hostile_behaviours[i % ordeal::test::all_hostile_behaviours.size()];
    hostile_server server(behaviour);
    raw_client client(server.port());
    (void)client.send(get_request);
    // Destroyed with the connection in whatever state it reached.
  }
  CHECK(clock_type::now() - start < 10s);
  CHECK(thread_count() == threads_before);
}
