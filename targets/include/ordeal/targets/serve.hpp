#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace ordeal::targets {

// `ordeal serve`: a small, fast HTTP/1.1 server for calibration, tests, benchmarks and the
// quickstart. Any path answers; the query string shapes the response (status, delay,
// jitter, size: see response_shape.hpp). Keep-alive, pipelining, request bodies read and
// discarded, request header capped (431), idle connections closed.
struct serve_options {
  std::string address = "127.0.0.1";  // an IP address or a host name
  std::uint16_t port = 8080;          // 0 = pick a free port (see server::port())
  unsigned threads = 1;               // each with its own io_context
  // With stall_for: freeze all responses for stall_for every stall_every (stall_schedule).
  std::chrono::nanoseconds stall_every{0};
  std::chrono::nanoseconds stall_for{0};
  std::uint64_t seed = 1;                                            // jitter draws
  std::chrono::nanoseconds idle_timeout = std::chrono::seconds{60};  // read or write phase
  std::uint32_t max_header_bytes = 16 * 1024;  // request line + fields; larger: 431
};

class server {
 public:
  // Binds and listens (connections queue until start()). Throws std::system_error
  // ("cannot listen on 127.0.0.1:8080: Address already in use") or, for inconsistent
  // options, std::invalid_argument.
  explicit server(serve_options o);
  ~server();  // stop()
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  std::uint16_t port() const noexcept;  // the real port (useful with port 0)

  // Runs the threads in the background; the stall schedule counts from here. Once only.
  void start();
  // Closes the listener and every connection, joins the threads. Idempotent.
  void stop();

  // Responses handed to the socket, over all threads (relaxed reads): a client that has
  // read n responses sees at least n.
  std::uint64_t requests_served() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace ordeal::targets
