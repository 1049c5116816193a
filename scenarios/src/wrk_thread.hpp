#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ordeal/engine/histogram.hpp"
#include "ordeal/engine/http_client.hpp"
#include "ordeal/engine/run.hpp"
#include "ordeal/scenarios/wrk.hpp"
#include "wrk_request_parse.hpp"
#include "wrk_script.hpp"

namespace ordeal::scenarios {

struct wrk_thread_plan {
  unsigned connections = 1;
  std::chrono::nanoseconds timeout = std::chrono::seconds(2);
  // Open model (-R): time between two requests of one connection; the first request of the
  // connection is due at `first_due`, spread over connections so they do not fire together.
  std::optional<std::chrono::nanoseconds> interval;
  std::vector<std::chrono::nanoseconds> first_due;  // per connection, from `start`
  engine::clock::time_point start;
  engine::clock::time_point end;
  std::string authority;        // Host for requests that carry none: the URL's host[:port]
  std::string scheme = "http";  // https: TLS, unverified as wrk does, SNI = server_name
  std::string server_name;
  // The request that never changes (no request() hook), parsed once; empty when dynamic.
  std::vector<raw_request> static_batch;
};

// What one thread measured; merged with the others after the run.
struct wrk_thread_stats {
  std::uint64_t requests = 0;
  std::uint64_t bytes = 0;
  wrk_errors errors;
  engine::histogram latency;  // µs per batch
  engine::histogram rates;    // requests/s over each 100 ms with traffic
};

// One wrk thread: its io_context, its HTTP client, its Lua state and `connections` loops. Each
// loop gets a batch (the static request, or request() parsed into one or more requests),
// sends the batch's requests one after another (the engine's client has one request per
// connection in flight, so a pipelined batch is sent in sequence, not written at once),
// records the batch's latency, calls response() for each response and delay() before each
// batch, until the end of the run or thread:stop().
class wrk_thread {
 public:
  wrk_thread(wrk_script& script, wrk_thread_link& link, wrk_thread_plan plan,
             const engine::run_control& control);
  ~wrk_thread();
  wrk_thread(const wrk_thread&) = delete;
  wrk_thread& operator=(const wrk_thread&) = delete;

  // The thread's body: returns when the run ends for this thread.
  void run();

  const wrk_thread_stats& stats() const noexcept { return stats_; }
  bool interrupted() const noexcept { return interrupted_; }  // ended by a stop request

 private:
  struct loop;

  void start_cycle(loop& l);
  void next_batch(loop& l);
  void send_batch(loop& l, engine::clock::time_point batch_start);
  void send_current(loop& l);
  void on_response(loop& l, engine::http_response&& r);
  void on_tick();
  void schedule_tick();
  void finish();
  engine::http_request to_http(const raw_request& r) const;
  static engine::client_options client_options(const wrk_thread_plan& plan);

  wrk_script& script_;
  wrk_thread_link& link_;
  wrk_thread_plan plan_;
  const engine::run_control& control_;
  // thread.addr as setup() left it, formatted once: where every request of this thread goes.
  std::string host_;
  std::uint16_t port_ = 0;

  boost::asio::io_context ioc_;  // before client_ and the timers, which use it
  engine::http_client client_;
  boost::asio::steady_timer deadline_;
  boost::asio::steady_timer tick_;
  std::vector<std::unique_ptr<loop>> loops_;
  std::vector<engine::http_request> static_requests_;

  std::string request_bytes_;              // request()'s last result, reused
  std::vector<raw_request> parsed_;        // ... parsed, reused
  std::uint64_t requests_since_rate_ = 0;  // responses since the last Req/Sec sample
  engine::clock::time_point rate_since_;
  wrk_thread_stats stats_;
  bool stopping_ = false;
  bool interrupted_ = false;
};

}  // namespace ordeal::scenarios
