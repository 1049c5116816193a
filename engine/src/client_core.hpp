#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "ordeal/engine/http_client.hpp"
#include "tls_context.hpp"

namespace ordeal::engine {

class client_connection;
class client_h2_connection;

// A request waiting for a connection to its host (the per-host limit is reached).
struct queued_request {
  http_request request;
  response_handler done;
  bool resent = false;  // HTTP/2: already sent again once after its connection closed under it
};

// One scheme, host, port and protocol the client talks to: where it is and its connections.
struct client_target {
  bool secure = false;                          // https
  http_version protocol = http_version::http1;  // http1 or h2
  std::string host;
  std::uint16_t port = 0;
  bool resolved = false;
  std::string resolve_error;  // set when resolution failed: every request fails with it
  boost::asio::ip::tcp::endpoint endpoint;
  std::vector<client_connection*> idle;
  std::vector<client_h2_connection*> h2;  // HTTP/2: connecting or open, in the order opened
  std::size_t connections = 0;            // connection objects assigned: busy, idle or connecting
  std::deque<queued_request> queue;
  bool drain_scheduled = false;
};

// What http_client is made of. Connections are polled by the client's own edge-triggered epoll
// set, as the engine's worker does, so a request costs one send and one recv in steady state.
class client_core {
 public:
  client_core(boost::asio::io_context& ioc, client_options options);
  client_core(const client_core&) = delete;
  client_core& operator=(const client_core&) = delete;
  ~client_core();

  void send(http_request request, response_handler done);
  std::size_t in_flight() const noexcept;
  std::size_t queued() const noexcept;
  std::uint64_t connections_opened() const noexcept { return connections_opened_; }
  std::size_t shutdown() noexcept;

  // For connections.
  boost::asio::io_context& ioc() noexcept { return ioc_; }
  tls_client_context& tls() noexcept { return *tls_; }
  // The context for h2 over TLS (ALPN offers "h2" only), made on first use; nullptr with the
  // reason in `why` if it cannot be made.
  tls_client_context* tls_h2(std::string& why);
  bool stopped() const noexcept { return stopped_; }
  const client_options& options() const noexcept { return options_; }
  char* read_buffer() noexcept { return read_buffer_.get(); }
  static constexpr std::size_t read_buffer_size = 16 * 1024;
  bool watch(client_connection& c, int fd) noexcept;
  void want_writable(client_connection& c, int fd, bool on) noexcept;
  bool watch(client_h2_connection& c, int fd) noexcept;
  void want_writable(client_h2_connection& c, int fd, bool on) noexcept;
  void on_opened() noexcept { ++connections_opened_; }
  // The connection's request ended; `keep` puts it back in its target's idle list.
  void release(client_connection& c, bool keep);
  // An idle connection closed (the server timed it out).
  void forget_idle(client_connection& c);
  // HTTP/2: the connection closed (it leaves its target), or streams ended (room for the queue).
  void h2_closed(client_h2_connection& c);
  void h2_room(client_target& t);
  // Requests a connection took but never sent go back to the front of their target's queue,
  // in order.
  void requeue(client_target& t, std::vector<queued_request>& requests);
  // Runs `done` now, or soon when called from inside send() (handlers never run inside it).
  void complete(response_handler& done, http_response&& r);

 private:
  client_target& target_for(const url& u, http_version protocol);
  // HTTP/2: the first connection with room, else a new one if the per-host limit allows.
  client_h2_connection* h2_connection_for(client_target& t);
  client_connection& take_connection(client_target& t);
  // Whether a request to `t` may have a connection now (drops closed idle ones first).
  bool has_room(client_target& t);
  void start(client_target& t, http_request&& request, response_handler&& done,
             bool resent = false);
  // Hands freed connections to waiting requests, from the io_context (never nested in a
  // completion, so a long queue failing at once cannot recurse).
  void schedule_drain(client_target& t);
  void drain();
  void arm_poller();
  void on_poll();
  void schedule_tick();
  void run_deferred();

  boost::asio::io_context& ioc_;
  client_options options_;
  boost::asio::posix::stream_descriptor poller_;
  boost::asio::steady_timer tick_timer_;
  // Completions that happened inside send(), run from the io_context right after. A timer and
  // not a post: shutdown() and the destructor cancel it, so none runs after them.
  boost::asio::steady_timer defer_timer_;
  boost::asio::steady_timer drain_timer_;  // cancelled by shutdown() and the destructor
  bool draining_ = false;
  std::vector<std::pair<response_handler, http_response>> deferred_;
  std::unique_ptr<tls_client_context> tls_;  // made up front: a bad CA file fails at once
  std::unique_ptr<tls_client_context> tls_h2_;
  std::unique_ptr<char[]> read_buffer_;
  std::vector<std::unique_ptr<client_target>> targets_;
  std::vector<std::unique_ptr<client_connection>> connections_;        // index = id; never shrinks
  std::vector<std::uint32_t> free_;                                    // ids of closed connections
  std::vector<client_connection*> busy_;                               // with a request
  std::vector<std::unique_ptr<client_h2_connection>> h2_connections_;  // index = id
  std::vector<std::uint32_t> h2_free_;
  std::uint64_t connections_opened_ = 0;
  bool in_send_ = false;
  bool polling_ = false;
  bool ticking_ = false;
  bool deferring_ = false;
  bool stopped_ = false;
};

}  // namespace ordeal::engine
