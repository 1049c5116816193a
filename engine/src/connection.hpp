#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "ordeal/engine/http1_parser.hpp"
#include "worker_stats.hpp"

namespace ordeal::engine {

class worker;
using clock = std::chrono::steady_clock;

// One HTTP/1.1 client connection, pinned to its worker for the whole run. It owns the socket
// and the in-flight requests (up to the pipeline depth) and reports each ended attempt to
// the worker. Asio connects it; then the worker's edge-triggered epoll set reports readiness
// and the connection reads until drained, parses, and writes what the worker assigned, with
// plain non-blocking recv/send. In steady state a request costs one send and one recv, plus
// a share of an epoll_wait.
class connection {
 public:
  // A request given to this connection: queued here until written, then in flight.
  struct slot {
    clock::time_point intended;  // when it should have been sent (open model schedule)
    clock::time_point sent;      // when it was written
  };

  connection(worker& w, boost::asio::io_context& ioc, unsigned depth);
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  unsigned in_flight() const noexcept { return sent_; }  // written, not answered
  bool has_room() const noexcept { return count_ < depth_; }
  bool connected() const noexcept { return state_ == state::connected; }

  // Adds a request; connects if needed and writes it as soon as possible.
  void assign(clock::time_point intended);
  // Opens the connection ahead of any request (warm pool).
  void open();
  // Readiness from the worker's epoll set (EPOLLIN, EPOLLOUT, ...).
  void on_events(std::uint32_t events);
  // Worker's tick: connect and request deadlines.
  void check_deadlines(clock::time_point now);
  // End of run: forget requests not yet written; returns how many there were.
  unsigned discard_unsent() noexcept;
  // Closes an idle connection (retired by a ramp).
  void close_if_idle() noexcept {
    if (count_ == 0) close();
  }
  // Closes the socket; written requests are counted in flight (run over).
  void shutdown() noexcept;

  // Whether the worker's free list holds this connection (open model).
  bool listed = false;
  // Closed-model ramps: an inactive connection finishes what it has and is not refilled.
  bool active = false;
  // Closed model: waiting for think time (timer) or for a connect back-off (next tick).
  bool thinking = false;
  bool backoff = false;
  boost::asio::steady_timer think_timer;

 private:
  enum class state : std::uint8_t { closed, connecting, connected };

  void connect();
  void on_connect(const boost::system::error_code& ec, std::uint32_t epoch);
  void write_from(const char* data, std::size_t bytes, clock::time_point now);
  // Feeds one read's bytes to the parser; false if the connection was closed meanwhile.
  bool process(const char* data, std::size_t size, clock::time_point now);
  void on_eof(clock::time_point now);
  void flush();

  // Ends the oldest in-flight request with a response.
  void complete_head(clock::time_point now, bool unsolicited_after);
  // The server closed after a complete response: re-send what was pipelined behind it.
  void resend_after_close();
  // Ends every written request with `o`.
  void drain_sent(outcome o, const failure_reason& why, clock::time_point now);
  // Closes, ends every written request with `o`, and reconnects if requests are waiting.
  void fail_sent(outcome o, const failure_reason& why, clock::time_point now);
  // Ends every request, written or not, with `o` (connect failures).
  void fail_all(outcome o, const failure_reason& why, clock::time_point now);
  void close() noexcept;
  void reconnect_if_needed();
  slot pop_head() noexcept;

  worker& worker_;
  boost::asio::ip::tcp::socket socket_;
  http1_response_parser parser_;
  static constexpr std::size_t read_buffer_size = 8 * 1024;  // as wrk: enough for most reads

  std::vector<slot> ring_;  // capacity depth_, allocated once
  std::unique_ptr<char[]> buffer_;
  unsigned depth_;
  unsigned head_ = 0;
  unsigned count_ = 0;
  unsigned sent_ = 0;  // the oldest sent_ of count_ are written
  state state_ = state::closed;
  int fd_ = -1;           // once connected: the socket, released from Asio's reactor
  bool writing_ = false;  // a partial write waits for the socket to drain (EPOLLOUT)
  const char* pending_write_ = nullptr;
  std::size_t pending_bytes_ = 0;
  bool reading_ = false;  // inside on_read: assign() defers flush() to its end
  bool first_byte_seen_ = false;
  std::uint32_t epoch_ = 0;  // bumped on close so stale handlers know to ignore themselves
  clock::time_point connect_started_{};
};

}  // namespace ordeal::engine
