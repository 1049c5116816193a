#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "connection.hpp"
#include "h2_session.hpp"
#include "ordeal/engine/config.hpp"
#include "ordeal/engine/ramp.hpp"
#include "ordeal/engine/run.hpp"
#include "tls_context.hpp"
#include "worker_stats.hpp"

namespace ordeal::engine {

// What one worker is responsible for.
struct worker_plan {
  unsigned index = 0;                        // this worker
  unsigned count = 1;                        // of how many
  unsigned connections = 0;                  // connections this worker owns (the maximum)
  std::optional<arrival_schedule> arrivals;  // open model: this worker's share of arrivals
  std::optional<ramp> connection_ramp;       // closed model: global connection count
  std::size_t queue_limit = 0;               // open model: arrivals waiting for a connection
  bool h2 = false;                           // the connections speak HTTP/2 (h2 or h2c)
};

// One thread, one io_context, its own connections and statistics; nothing shared with other
// workers while the load runs (the stop flag and the live counters are relaxed atomics read
// or written once per tick).
class worker {
 public:
  worker(const config& c, worker_plan plan, boost::asio::ip::tcp::endpoint endpoint,
         const run_control& control, clock::time_point start);
  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;
  ~worker();

  void run();  // the thread's body; returns when the run and its grace period are over
  bool done() const noexcept { return done_.load(std::memory_order_acquire); }
  worker_stats& stats() noexcept { return stats_; }
  const live_counters& live() const noexcept { return live_; }
  clock::time_point stop_time() const noexcept { return stop_time_; }
  // The load ended early because of a stop request, not at the end of the load window.
  bool stopped_early() const noexcept { return stopped_early_; }

  // For connections.
  const config& cfg() const noexcept { return config_; }
  const boost::asio::ip::tcp::endpoint& endpoint() const noexcept { return endpoint_; }
  std::string_view request_bytes() const noexcept { return request_; }
  std::size_t request_size() const noexcept { return request_size_; }
  bool head_requests() const noexcept { return head_requests_; }
  // HTTP/2: the request's header list, built once, and its body.
  const h2_request_headers& h2_request() const noexcept { return h2_request_; }
  std::string_view request_body() const noexcept { return config_.body; }
  // A stable copy of a rare, variable reason text (HTTP/2 protocol errors), for failure_reason;
  // past 64 distinct texts, a generic one.
  const char* intern(std::string_view text);
  // Adds a connected socket to the worker's epoll set (edge-triggered reads); false + errno
  // on failure.
  bool watch(connection& c, int fd) noexcept;
  // Also report writability, while a partial write waits.
  void want_writable(connection& c, int fd, bool on) noexcept;
  // TLS for https targets, else nullptr.
  tls_client_context* tls() noexcept { return tls_.get(); }
  bool speaks_h2() const noexcept { return plan_.h2; }
  void on_connected(clock::duration connect_time);
  void on_handshake(clock::duration handshake_time, bool resumed);
  void on_first_byte(clock::duration ttfb);
  void on_response(const connection::slot& s, int status, clock::time_point now);
  void on_failure(const connection::slot& s, outcome o, const failure_reason& why,
                  clock::time_point now);
  // The connection can take more requests.
  void on_room(connection& c, bool after_connect_failure = false);
  // Whether a connection with nothing to send should reconnect right away after a close.
  bool keep_open(const connection& c) const noexcept;

 private:
  void begin();
  void arm_poller();
  void on_poll();
  void schedule_tick();
  void tick();
  void schedule_arrival();
  void on_arrivals();
  void dispatch(clock::time_point intended);
  void drain_queue();
  void top_up(connection& c);
  void apply_connection_ramp(clock::time_point now);
  void roll_seconds(clock::time_point now);
  void begin_stop(clock::time_point now);
  void finish();
  void publish() noexcept;

  const config& config_;
  worker_plan plan_;
  boost::asio::ip::tcp::endpoint endpoint_;
  const run_control& control_;
  boost::asio::io_context ioc_;
  std::string request_;  // rendered once: `pipeline` copies back to back
  std::size_t request_size_ = 0;
  bool head_requests_ = false;
  std::unique_ptr<tls_client_context> tls_;
  h2_request_headers h2_request_;
  std::set<std::string, std::less<>> interned_;
  std::vector<std::unique_ptr<connection>> connections_;

  // Open model: idle connections and arrivals waiting for one.
  std::vector<connection*> free_;
  std::vector<clock::time_point> queue_;  // ring buffer, capacity queue_limit
  std::size_t queue_head_ = 0;
  std::size_t queue_count_ = 0;
  std::optional<std::chrono::nanoseconds> next_arrival_;

  // The connections' own epoll set, waited on through Asio as one descriptor: one re-arm per
  // batch of ready connections instead of one per request.
  boost::asio::posix::stream_descriptor poller_;
  bool finished_ = false;
  boost::asio::steady_timer tick_timer_;
  boost::asio::steady_timer arrival_timer_;
  clock::time_point start_;
  clock::time_point end_;
  clock::time_point next_second_;
  clock::time_point stop_time_{};
  clock::time_point grace_deadline_{};
  bool stopping_ = false;
  bool stopped_early_ = false;

  worker_stats stats_;
  live_counters live_;
  std::atomic<bool> done_{false};
};

}  // namespace ordeal::engine
