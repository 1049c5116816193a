#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ordeal/engine/behaviour.hpp"
#include "ordeal/engine/config.hpp"
#include "ordeal/engine/results.hpp"
#include "ordeal/engine/url.hpp"

namespace ordeal::engine {

using clock = std::chrono::steady_clock;
using header_list = std::vector<std::pair<std::string, std::string>>;

// One request of a script (any method, URL, headers and body).
struct http_request {
  std::string method = "GET";
  url target;           // absolute; Host comes from target.authority unless given in headers
  header_list headers;  // as given; Content-Length is added for a body unless present
  std::string body;
  std::chrono::nanoseconds timeout = std::chrono::seconds(10);  // send to last response byte
  // Open model: when the request should have started (latency is measured from it). Unset:
  // when send() is called.
  clock::time_point intended{};
  abandon_point abandon = abandon_point::never;
  trickle_policy slow_body;
  // HTTP/2 (h2 by ALPN over https, h2c with prior knowledge over http) or HTTP/1.1; automatic
  // is HTTP/1.1 here: a script names its protocol rather than leaving it to each server.
  http_version protocol = http_version::http1;
};

// Time spent in each phase of one attempt.
struct http_timings {
  std::chrono::nanoseconds blocked{};    // intended start to the start of connect or send
  std::chrono::nanoseconds connect{};    // TCP connect (0 on a reused connection)
  std::chrono::nanoseconds tls{};        // TLS handshake (https; 0 on a reused connection)
  std::chrono::nanoseconds sending{};    // first to last request byte written
  std::chrono::nanoseconds waiting{};    // last request byte to first response byte
  std::chrono::nanoseconds receiving{};  // first to last response byte
  std::chrono::nanoseconds duration{};   // intended start to the end (what latency records)
};

// How one attempt ended. `result` is one of the engine's outcomes; `status` responses carry the
// whole response just like `ok` ones.
struct http_response {
  outcome result = outcome::ok;
  std::string error;          // why, when result is neither ok nor status
  bool request_sent = false;  // every request byte was written: the server may have acted on it
  int status = 0;             // 0 when there was no response
  header_list headers;        // names as the server sent them
  std::string body;           // decoded from chunked; cut at client_options::max_body_bytes
  http_timings timings;
  clock::time_point started{};  // intended start
  clock::time_point ended{};
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
  bool reused_connection = false;
  // The client's TCP port on the connection that carried it (0: none was opened): the key that
  // ties an attempt to a fault proxy's record of the connection it hit.
  std::uint16_t local_port = 0;

  // First header with this name (case-insensitive), or nullptr.
  const std::string* header(std::string_view name) const noexcept;
};

struct client_options {
  std::chrono::nanoseconds connect_timeout = std::chrono::seconds(2);
  std::size_t max_header_bytes = 64 * 1024;
  std::size_t max_body_bytes = 16 * 1024 * 1024;  // longer bodies are counted, not kept
  std::size_t max_idle_per_host = 1024;           // kept-alive connections waiting for reuse
  // Connections open to one host at once (0: no limit). Requests beyond it wait for one to
  // come free, in order; the wait counts in their latency (timings.blocked).
  std::size_t max_connections_per_host = 0;
  tls_options tls;  // for https URLs
  // HTTP/2 targets: streams per connection (max_streams) and windows. A request goes to an open
  // connection with room, else to a new one (within max_connections_per_host).
  h2_options h2;
};

using response_handler = std::function<void(http_response&&)>;

// An HTTP client (over TCP, or TLS for https) for one worker thread: per target (scheme, host,
// port, protocol) a keep-alive pool of HTTP/1.1 connections carrying one request at a time, or
// HTTP/2 connections carrying up to h2.max_streams requests each; every attempt timed by phase and
// ended in exactly one outcome. Handlers run on the io_context's thread and may call send() again.
// Not thread-safe: one client per worker, like everything else on a worker.
class http_client {
 public:
  http_client(boost::asio::io_context& ioc, client_options options);
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;
  ~http_client();

  // Starts the request; `done` is called exactly once, never from inside send().
  void send(http_request request, response_handler done);

  // Requests sent and not yet ended.
  std::size_t in_flight() const noexcept;
  // Requests waiting for a connection (max_connections_per_host).
  std::size_t queued() const noexcept;
  // Connections opened so far.
  std::uint64_t connections_opened() const noexcept;
  // Ends every request at once without calling its handler (the run is over); returns how
  // many had been written and were still unanswered.
  std::size_t shutdown() noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace ordeal::engine
