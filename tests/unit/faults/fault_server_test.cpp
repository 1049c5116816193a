// faults::fault_server as ordeal run and ordeal proxy use it: proxies relay, toxics come and
// go, the timeline runs on schedule, rollback undoes everything, and every change is recorded.
#include "ordeal/faults/fault_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>

using namespace ordeal::faults;
using namespace std::chrono_literals;
using clk = std::chrono::steady_clock;

namespace {

// A listening socket on 127.0.0.1 with a port the kernel picks (returned in `port`).
int listen_on_loopback(std::uint16_t& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::listen(fd, 64) == 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  port = ntohs(a.sin_port);
  return fd;
}

// An echo server on 127.0.0.1:0, one thread per connection, stopped by its destructor.
class echo_server {
 public:
  echo_server() {
    fd_ = listen_on_loopback(port_);
    thread_ = std::thread([this] {
      for (;;) {
        const int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        std::thread([c] {
          char buf[16384];
          for (;;) {
            const auto n = ::read(c, buf, sizeof buf);
            if (n <= 0) break;
            if (::write(c, buf, static_cast<std::size_t>(n)) != n) break;
          }
          ::close(c);
        }).detach();
      }
    });
  }
  ~echo_server() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

int connect_to(const std::string& address) {
  const auto colon = address.rfind(':');
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1))));
  ::inet_pton(AF_INET, address.substr(0, colon).c_str(), &a.sin_addr);
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Sends `text` and reads the echo back; returns the round trip (or -1s on failure).
std::chrono::nanoseconds round_trip(int fd, const std::string& text) {
  const auto start = clk::now();
  if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) return -1s;
  std::string got;
  char buf[4096];
  while (got.size() < text.size()) {
    const auto n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return -1s;
    got.append(buf, static_cast<std::size_t>(n));
  }
  if (got != text) return -1s;
  return clk::now() - start;
}

toxic_spec latency(std::string name, int ms) {
  toxic_spec t;
  t.name = std::move(name);
  t.type = "latency";
  t.attributes["latency"] = ms;
  return t;
}

}  // namespace

TEST_CASE("a proxy relays, and a toxic added and removed on an open connection takes effect",
          "[faults][server]") {
  echo_server echo;
  fault_server server(42);
  const auto listen = server.add_proxy({"echo", "127.0.0.1:0", echo.address(), true, false});
  const int fd = connect_to(listen);
  REQUIRE(fd >= 0);
  const auto plain = round_trip(fd, "hello");
  REQUIRE(plain >= 0s);
  CHECK(plain < 100ms);

  server.add_toxic("echo", latency("slow", 150));
  const auto slow = round_trip(fd, "world");
  CHECK(slow >= 150ms);
  CHECK(slow < 2s);

  server.remove_toxic("echo", "slow");
  const auto again = round_trip(fd, "again");
  REQUIRE(again >= 0s);
  CHECK(again < 100ms);
  ::close(fd);

  const auto events = server.events();
  REQUIRE(events.size() == 3);
  CHECK(events[0].what == ordeal::engine::fault_event::kind::start);
  CHECK(events[0].fault == "slow");
  CHECK(events[1].what == ordeal::engine::fault_event::kind::hit);
  CHECK(events[1].connection == 1);
  CHECK(events[1].client.rfind("127.0.0.1:", 0) == 0);
  CHECK(events[2].what == ordeal::engine::fault_event::kind::stop);
}

TEST_CASE("the timeline starts and stops faults on schedule, rollback ends the rest",
          "[faults][server]") {
  echo_server echo;
  fault_server server(7);
  fault_plan plan;
  plan.proxies.push_back({"p", "127.0.0.1:0", echo.address(), true, false});
  timed_fault f;
  f.at = 300ms;
  f.duration = 400ms;
  f.proxy = "p";
  f.toxic = latency("lag", 120);
  plan.timeline.push_back(f);
  timed_fault down;
  down.at = 10s;  // never reached: rollback cancels it
  down.proxy = "p";
  down.toxic.name = "outage";
  down.toxic.type = "down";
  plan.timeline.push_back(down);
  timed_fault forever;
  forever.at = 0ms;
  forever.proxy = "p";
  forever.toxic.name = "noop";
  forever.toxic.type = "noop";
  plan.timeline.push_back(forever);
  server.load(plan);
  server.start_timeline(clk::now());

  std::this_thread::sleep_for(900ms);
  server.rollback();
  server.rollback();  // twice is fine
  const auto events = server.events();
  std::vector<std::string> seen;
  for (const auto& e : events)
    seen.push_back(std::string(to_string(e.what)) + " " + e.fault);
  CHECK(seen == std::vector<std::string>{"start noop", "start lag", "stop lag", "stop noop"});
  REQUIRE(events.size() == 4);
  CHECK(events[1].at_us >= 300'000);
  CHECK(events[1].at_us < 600'000);
  CHECK(events[2].at_us >= 700'000);
  CHECK(events[2].at_us < 900'000);
}

TEST_CASE("a down toxic refuses connections until it is removed", "[faults][server]") {
  echo_server echo;
  fault_server server(1);
  const auto listen = server.add_proxy({"p", "127.0.0.1:0", echo.address(), true, false});
  const int open = connect_to(listen);
  REQUIRE(open >= 0);
  REQUIRE(round_trip(open, "x") >= 0s);
  toxic_spec down;
  down.name = "down";
  down.type = "down";
  server.add_toxic("p", down);
  CHECK(connect_to(listen) == -1);
  char c;
  CHECK(::read(open, &c, 1) <= 0);  // the open connection was closed
  ::close(open);
  server.remove_toxic("p", "down");
  const int fd = connect_to(listen);
  REQUIRE(fd >= 0);
  CHECK(round_trip(fd, "back") >= 0s);
  ::close(fd);
}

TEST_CASE("bad calls change nothing", "[faults][server]") {
  echo_server echo;
  fault_server server(1);
  server.add_proxy({"p", "127.0.0.1:0", echo.address(), true, false});
  CHECK_THROWS_AS(server.add_proxy({"p", "127.0.0.1:0", echo.address(), true, false}), spec_error);
  toxic_spec bad = latency("bad", 1);
  bad.attributes["latency"] = "soon";
  try {
    server.add_toxic("p", bad);
    FAIL("accepted");
  } catch (const spec_error& e) {
    CHECK(e.status() == 400);
    CHECK_THAT(e.what(), Catch::StartsWith("attributes.latency: expected a duration"));
  }
  try {
    server.add_toxic("nope", latency("x", 1));
    FAIL("accepted");
  } catch (const spec_error& e) {
    CHECK(e.status() == 404);
  }
  server.add_toxic("p", latency("x", 1));
  try {
    server.add_toxic("p", latency("x", 1));
    FAIL("accepted");
  } catch (const spec_error& e) {
    CHECK(e.status() == 409);
  }
  try {
    server.add_proxy({"q", "127.0.0.1:0", "no-such-host.invalid:1", true, false});
    FAIL("accepted");
  } catch (const spec_error& e) {
    CHECK(e.status() == 400);
  }
  CHECK(server.events().size() == 1);  // only the one toxic that was added
}

namespace {

// Answers every connection with `reply` as soon as it accepts it, then resets it (SO_LINGER
// 0): an error reply sent just before an RST, as servers do when they will not read a body.
class reply_then_reset_server {
 public:
  explicit reply_then_reset_server(std::string reply) : reply_(std::move(reply)) {
    fd_ = listen_on_loopback(port_);
    thread_ = std::thread([this] {
      for (;;) {
        const int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        if (::write(c, reply_.data(), reply_.size()) < 0) {
          // the test sees a short reply
        }
        std::this_thread::sleep_for(20ms);
        linger l{1, 0};
        ::setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        ::close(c);
      }
    });
  }
  ~reply_then_reset_server() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  std::string reply_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace

TEST_CASE("a reset from the upstream stays behind the data a toxic still holds",
          "[faults][server]") {
  const std::string reply = "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\n\r\n";
  reply_then_reset_server upstream(reply);
  fault_server server(3);
  const auto listen = server.add_proxy({"p", "127.0.0.1:0", upstream.address(), true, false});
  server.add_toxic("p", latency("slow", 200));
  const int fd = connect_to(listen);
  REQUIRE(fd >= 0);
  std::string got;
  char buf[512];
  int last_errno = 0;
  for (;;) {
    const auto n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      got.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    last_errno = n < 0 ? errno : 0;
    break;
  }
  ::close(fd);
  CHECK(got == reply);              // the whole reply, 200 ms late
  CHECK(last_errno == ECONNRESET);  // and then the reset, as without the proxy
}

TEST_CASE("a toxic added while another holds a chunk starts at once", "[faults][server]") {
  echo_server echo;
  fault_server server(4);
  const auto listen = server.add_proxy({"p", "127.0.0.1:0", echo.address(), true, false});
  server.add_toxic("p", latency("slow", 1500));
  const int fd = connect_to(listen);
  REQUIRE(fd >= 0);
  REQUIRE(::write(fd, "hello", 5) == 5);
  std::this_thread::sleep_for(200ms);  // "hello" is back at the proxy, held by the latency
  toxic_spec reset;
  reset.name = "reset";
  reset.type = "reset_peer";
  const auto start = clk::now();
  server.add_toxic("p", reset);
  char buf[16];
  const auto n = ::read(fd, buf, sizeof buf);
  const int err = errno;
  const auto waited = clk::now() - start;
  ::close(fd);
  CHECK(n < 0);
  CHECK(err == ECONNRESET);
  CHECK(waited < 1s);  // not after the held chunk's 1.3 s that remain
}

TEST_CASE("a FIN held by half_open goes out when the toxic is removed", "[faults][server]") {
  echo_server echo;
  fault_server server(5);
  const auto listen = server.add_proxy({"p", "127.0.0.1:0", echo.address(), true, false});
  toxic_spec hold;
  hold.name = "hold";
  hold.type = "half_open";
  hold.stream = stream_direction::upstream;
  server.add_toxic("p", hold);
  const int fd = connect_to(listen);
  REQUIRE(fd >= 0);
  ::shutdown(fd, SHUT_WR);  // the client's FIN: held, so the echo server does not close
  pollfd p{fd, POLLIN, 0};
  CHECK(::poll(&p, 1, 300) == 0);  // nothing comes back: the server has not seen the FIN
  server.remove_toxic("p", "hold");
  char c;
  const auto n = ::read(fd, &c, 1);  // the echo server saw the FIN and closed: EOF here
  ::close(fd);
  CHECK(n == 0);
}
