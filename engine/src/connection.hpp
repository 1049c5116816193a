#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>

#include "ordeal/engine/results.hpp"
#include "transport.hpp"
#include "worker_stats.hpp"

namespace ordeal::engine {

class worker;
using clock = std::chrono::steady_clock;

// One client connection of a worker, pinned to it for the whole run: the session seam (after
// h2load's Client and Session). This half owns the socket and its transport: Asio connects it,
// then the worker's edge-triggered epoll set reports readiness, TLS shakes hands, and the
// protocol half (http1_connection, h2_connection) reads and writes through the transport and
// reports each ended attempt to the worker.
class connection {
 public:
  // A request given to a connection: queued until written, then in flight.
  struct slot {
    clock::time_point intended;  // when it should have been sent (open model schedule)
    clock::time_point sent;      // when it was written
  };

  connection(worker& w, boost::asio::io_context& ioc);
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  virtual ~connection();

  virtual unsigned in_flight() const noexcept = 0;  // written, not answered
  virtual bool has_room() const noexcept = 0;       // may take another request now
  bool connected() const noexcept { return state_ == state::connected; }

  // Adds a request; connects if needed and writes it as soon as possible.
  virtual void assign(clock::time_point intended) = 0;
  // Opens the connection ahead of any request (warm pool).
  void open();
  // Readiness from the worker's epoll set (EPOLLIN, EPOLLOUT, ...).
  void on_events(std::uint32_t events);
  // Worker's tick: connect, handshake and request deadlines.
  void check_deadlines(clock::time_point now);
  // End of run: forget requests not yet written; returns how many there were.
  virtual unsigned discard_unsent() noexcept = 0;
  // Closes an idle connection (retired by a ramp).
  void close_if_idle() noexcept {
    if (idle()) close();
  }
  // Closes the socket; written requests are counted in flight (run over).
  virtual void shutdown() noexcept = 0;

  // Whether the worker's free list holds this connection (open model).
  bool listed = false;
  // Closed-model ramps: an inactive connection finishes what it has and is not refilled.
  bool active = false;
  // Closed model: waiting for think time (timer) or for a connect back-off (next tick).
  bool thinking = false;
  bool backoff = false;
  boost::asio::steady_timer think_timer;

 protected:
  enum class state : std::uint8_t { closed, connecting, handshaking, connected };

  // The protocol half.
  virtual bool idle() const noexcept = 0;  // no request queued or in flight
  // The transport is ready (TCP connected, TLS done): start the protocol and write.
  virtual void on_established(clock::time_point now) = 0;
  // Readiness while connected.
  virtual void on_io(std::uint32_t events) = 0;
  // The tick, while connected: request deadlines.
  virtual void on_tick(clock::time_point now) = 0;
  // Connect or handshake failed: end every request, written or not, with `o`.
  virtual void fail_all(outcome o, const failure_reason& why, clock::time_point now) = 0;
  // The socket was just closed: forget protocol state tied to it.
  virtual void on_closed() noexcept {}

  void connect();
  void close() noexcept;
  // Also report writability, while a partial write (or a TLS step) waits for the socket.
  void want_writable(bool on) noexcept;

  worker& worker_;
  transport io_;
  state state_ = state::closed;
  bool writable_wanted_ = false;
  std::uint32_t epoch_ = 0;  // bumped on close so stale handlers know to ignore themselves

 private:
  void on_connect(const boost::system::error_code& ec, std::uint32_t epoch);
  void continue_handshake();

  boost::asio::ip::tcp::socket socket_;
  clock::time_point connect_started_{};
  clock::time_point handshake_started_{};
};

}  // namespace ordeal::engine
