#pragma once

// What the http_client integration tests share: a client on an io_context run in bounded
// slices on the test thread, and request helpers.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "hostile_server.hpp"
#include "ordeal/engine/http_client.hpp"
#include "recording_server.hpp"

namespace ordeal::test::client_harness {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using ordeal::engine::abandon_point;
using ordeal::engine::client_options;
using ordeal::engine::http_client;
using ordeal::engine::http_request;
using ordeal::engine::http_response;
using ordeal::engine::outcome;
using ordeal::test::canned_response;
using ordeal::test::hostile_behaviour;
using ordeal::test::hostile_server;
using ordeal::test::hostile_server_options;
using ordeal::test::recorded_request;
using ordeal::test::recording_server;
using clock_type = std::chrono::steady_clock;

inline http_request make_request(std::string method, const std::string& url,
                                 std::string body = {}) {
  http_request r;
  r.method = std::move(method);
  r.target = ordeal::engine::parse_url(url);
  r.body = std::move(body);
  r.timeout = 2s;
  return r;
}

inline std::string local_url(std::uint16_t port, std::string_view path = "/") {
  return "http://127.0.0.1:" + std::to_string(port) + std::string(path);
}

// A port nothing listens on: bound once, then closed.
inline std::uint16_t closed_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor a(io, {asio::ip::address_v4::loopback(), 0});
  return a.local_endpoint().port();
}

// What one send() produced. Shared with the handler, so a handler called late (a bug) still
// writes somewhere valid and the call count shows it.
struct slot {
  int calls = 0;
  http_response response;
};

// An io_context run on the test thread, in bounded slices, and the client on it.
struct harness {
  asio::io_context ioc;
  http_client client;

  explicit harness(client_options options = {}) : client(ioc, options) {}

  // Runs the io_context until `done` holds; false if the timeout passed first.
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = 3000ms) {
    const auto deadline = clock_type::now() + timeout;
    while (!done()) {
      if (clock_type::now() >= deadline) return false;
      if (ioc.stopped()) {
        ioc.restart();
        std::this_thread::sleep_for(1ms);  // nothing to run: don't spin
      }
      ioc.run_for(5ms);
    }
    return true;
  }

  void run_for(std::chrono::milliseconds d) {
    run_until([] { return false; }, d);
  }

  std::shared_ptr<slot> start(http_request r) {
    auto s = std::make_shared<slot>();
    client.send(std::move(r), [s](http_response&& response) {
      ++s->calls;
      s->response = std::move(response);
    });
    return s;
  }

  // Sends one request, runs until its handler ran, then a little longer to catch a second call.
  http_response fetch(http_request r, std::chrono::milliseconds timeout = 3000ms) {
    auto s = start(std::move(r));
    REQUIRE(run_until([&] { return s->calls > 0; }, timeout));
    run_for(20ms);
    CHECK(s->calls == 1);
    return s->response;
  }
};

}  // namespace ordeal::test::client_harness
