#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ordeal::test {

using header_pairs = std::vector<std::pair<std::string, std::string>>;

// One request as the server read it, for a test to compare with what the client meant to send.
struct recorded_request {
  std::uint64_t connection = 0;  // the connection it came on: 1, 2, ... in accept order
  std::string method;            // "POST"
  std::string target;            // "/pay?x=1"
  header_pairs headers;          // names and values as received, in order
  std::string body;              // decoded (Content-Length or chunked)
  std::chrono::steady_clock::time_point received{};  // when the whole request had arrived

  // First header with this name (case-insensitive), or nullptr.
  const std::string* header(std::string_view name) const noexcept;
};

// How to answer one request.
//
// The response is rendered byte for byte from these fields, so a test controls the wire:
// - "HTTP/1.1 <status> <reason>", then `headers` in order, exactly as given;
// - "Content-Length: <body size>" is added unless a Content-Length or Transfer-Encoding header
//   is given (and never for 1xx, 204 and 304, which have no body);
// - a Transfer-Encoding header whose value ends in "chunked" makes the body go out chunked, in
//   chunks of at most 8 bytes, so that a client decodes across several chunks;
// - the body is left out for a HEAD request (the headers stay as for GET);
// - unless `raw` is set: then exactly those bytes go out.
struct canned_response {
  unsigned status = 200;
  header_pairs headers;
  std::string body = "ok";
  std::chrono::milliseconds delay{0};  // waited on a timer before answering; others go on
  // Close the connection (FIN) after this response. With announce_close, the server says so
  // with "Connection: close" (unless `headers` has a Connection header); without, it is a
  // server that drops kept-alive connections unannounced, as idle timeouts do.
  bool close = false;
  bool announce_close = true;
  bool reset = false;  // instead of answering: RST the connection (SO_LINGER 0)
  // When set, written exactly as is instead of all of the above but delay and close: for
  // framings the rules cannot express (interim 1xx responses, HTTP/1.0, bodies ended by close).
  std::string raw;
};

// Runs on the server's thread, once per request, in arrival order per connection. State it
// keeps must be safe to read from the test thread (atomics), or the test reads requests().
// An exception it throws becomes a 500 whose body is the exception's text.
using request_handler = std::function<canned_response(const recorded_request&)>;

// A real HTTP/1.1 server (Boost.Beast's parser) on 127.0.0.1, ephemeral port, that records every
// request it reads and answers each with what the handler returns (default: 200, "ok",
// Content-Type text/plain). One background thread runs every connection concurrently: a
// delayed answer holds up only its own connection. Connections are kept alive unless a response
// says close or the request said "Connection: close" (answered with one too). stop() (or the
// destructor) resets every open connection and joins the thread, promptly, whatever the clients are
// doing. Every accessor may be called from any thread.
class recording_server {
 public:
  explicit recording_server(request_handler handler = {});
  ~recording_server();

  recording_server(const recording_server&) = delete;
  recording_server& operator=(const recording_server&) = delete;

  std::uint16_t port() const noexcept;
  // "http://127.0.0.1:<port><path>"
  std::string url(std::string_view path = "/") const;

  std::vector<recorded_request> requests() const;  // a copy, in arrival order
  std::size_t request_count() const;
  std::uint64_t connections_accepted() const noexcept;
  std::uint64_t connections_open() const noexcept;  // being served right now

  // True once at least n requests have been recorded; false if the timeout passed first.
  bool wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const;

  // Idempotent; called by the destructor.
  void stop() noexcept;

 private:
  class impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace ordeal::test
