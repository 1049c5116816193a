#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>

#include "ordeal/engine/config.hpp"
#include "ordeal/engine/results.hpp"

namespace ordeal::engine {

// Live totals for a progress line, published by the workers about every 10 ms.
struct progress {
  std::chrono::nanoseconds elapsed{};
  std::uint64_t completed = 0;  // attempts ended, any outcome
  std::uint64_t errors = 0;     // attempts ended, any outcome but ok
  std::uint64_t last_second_p99_us = 0;
};

// Lets another thread (or a signal handler) stop a run: stop sending, give in-flight
// requests config::grace, then return what happened so far. request_stop() is
// async-signal-safe.
class run_control {
 public:
  void request_stop() noexcept { stop_.store(true, std::memory_order_relaxed); }
  bool stop_requested() const noexcept { return stop_.load(std::memory_order_relaxed); }
  // A stop that also cuts short what runs after the load (a signal: the user wants out), as
  // opposed to one that only ends the load (an abort condition: the checks after it still run).
  void interrupt() noexcept {
    interrupted_.store(true, std::memory_order_relaxed);
    request_stop();
  }
  bool interrupted() const noexcept { return interrupted_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<bool> interrupted_{false};
  static_assert(std::atomic<bool>::is_always_lock_free);
};

// Called about once a second from the thread that called run(); must not block for long.
using progress_callback = std::function<void(const progress&)>;

// Runs the load described by `c` (validated first: config_error on bad values) and returns
// the merged results. Blocks until the load window and grace period end or a stop request.
run_results run(const config& c, run_control& control, const progress_callback& on_progress = {});

}  // namespace ordeal::engine

namespace ordeal::engine {

// Resolves the target and opens (and closes) one TCP connection within the connect timeout,
// so a run against a wrong host or port fails at once with a clear message (config_error)
// instead of counting a flood of connect errors.
void check_reachable(const config& c);

}  // namespace ordeal::engine
