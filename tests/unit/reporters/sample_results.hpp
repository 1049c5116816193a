#pragma once

#include <chrono>
#include <cstdint>

#include "ordeal/engine/results.hpp"
#include "ordeal/reporters/run_info.hpp"

namespace ordeal::reporters::test {

inline void set(engine::second_sample& s, engine::outcome o, std::uint64_t n) {
  s.outcomes[static_cast<std::size_t>(o)] = n;
}
inline void set(engine::run_results& r, engine::outcome o, std::uint64_t n) {
  r.outcomes[static_cast<std::size_t>(o)] = n;
}

// A hand-built run whose figures are easy to check by hand: 1000 attempts over 10 s (100 rps),
// 990 ok and 10 answered with a 5xx (1% errors). Their latencies are 1..1000 us (below 2048 us a
// 3-digit histogram is exact), so p50 = 500 us, p90 = 900 us, p95 = 950 us, p99 = 990 us,
// p99.9 = 999 us, max = 1000 us, min = 1 us, mean = 500.5 us.
inline engine::run_results sample_results(bool open_model = false) {
  using engine::outcome;
  using namespace std::chrono_literals;
  engine::run_results r;
  r.open_model = open_model;
  r.target_rate_per_s = open_model ? 100.0 : 0.0;
  r.threads = 2;
  r.connections = 10;
  r.duration = 10s;
  r.wall_time = 11s;
  set(r, outcome::ok, 990);
  set(r, outcome::status, 10);
  r.in_flight = 4;
  r.status_codes = {{200, 990}, {500, 6}, {503, 4}};
  r.unsolicited_responses = 1;
  for (std::uint64_t us = 1; us <= 1000; ++us) {
    r.latency.record(us);
    // Measured from the actual send, the open model's latency reads lower than the corrected.
    r.latency_uncorrected.record(us / 2 + 1);
    r.ttfb.record(us / 4 + 1);
  }
  for (std::uint64_t us = 100; us < 110; ++us)
    r.connect_time.record(us);
  r.series.resize(10);
  for (auto& s : r.series) {
    set(s, outcome::ok, 99);
    set(s, outcome::status, 1);
    s.p50_us = 500;
    s.p99_us = 990;
  }
  r.connections_opened = 12;
  r.bytes_sent = 123'456;
  r.bytes_received = 9'876'543;
  return r;
}

inline run_info sample_info() {
  run_info info;
  info.command_line = {
      "ordeal", "run", "-c", "10", "--threshold", "p99<1ms", "http://127.0.0.1:8080/"};
  info.version = "0.1.0";
  info.target = "http://127.0.0.1:8080/";
  info.method = "GET";
  info.started_at = "2024-05-01T12:00:00Z";
  info.seed = 9'223'372'036'854'775'813ULL;  // above INT64_MAX: must survive as unsigned
  return info;
}

}  // namespace ordeal::reporters::test
