#pragma once

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <random>

#include "ordeal/targets/stall_schedule.hpp"

namespace ordeal::targets::detail {

// Fixed before the threads start; read by every connection.
struct serve_settings {
  std::chrono::nanoseconds idle_timeout{};
  std::uint32_t max_header_bytes = 0;
  stall_schedule stalls;
  std::chrono::steady_clock::time_point epoch;  // start(): where the stall schedule counts from
};

// One thread's share of the server: its loop, its jitter generator, its counter. Nothing
// here is touched by another thread except `served_` (relaxed reads).
struct worker {
  worker(const serve_settings& settings, std::uint64_t seed)
      : settings_(settings), rng_(seed), guard_(boost::asio::make_work_guard(*ioc_)) {}

  const serve_settings& settings_;
  // Optional so that stop() can destroy the loop (and every connection on it) while the
  // counter survives for requests_served().
  std::optional<boost::asio::io_context> ioc_{std::in_place, 1};  // 1: one thread runs it
  std::mt19937_64 rng_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>
      guard_;  // keeps run() going while the worker has no connection yet
  alignas(64) std::atomic<std::uint64_t> served_{0};  // on its own cache line: hot, per thread
};

}  // namespace ordeal::targets::detail
