#pragma once

#include <array>
#include <atomic>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstdint>
#include <vector>

#include "ordeal/engine/histogram.hpp"
#include "ordeal/engine/protocol_error.hpp"
#include "ordeal/engine/results.hpp"

namespace ordeal::engine {

// Why an attempt failed, kept as plain values so that counting one allocates nothing: a fixed
// text, a system error code, or a protocol error. Turned into text after the run.
struct failure_reason {
  failure_reason(const char* fixed) noexcept : text(fixed) {}
  failure_reason(boost::system::error_code ec) noexcept : code(ec) {}
  failure_reason(protocol_error e) noexcept : protocol(e) {}

  const char* text = nullptr;                                 // a fixed text, or
  boost::system::error_code code;                             // a system error, or
  protocol_error protocol = protocol_error::bad_status_line;  // when neither is set
  bool operator==(const failure_reason& o) const noexcept {
    return text == o.text && code == o.code && protocol == o.protocol;
  }
};

// One second of one worker, kept until the merge.
struct second_snapshot {
  std::array<std::uint64_t, outcome_count> outcomes{};
  std::vector<histogram::bucket_count> latency;  // sparse corrected latency of the second
};

// Per-worker statistics: owned and written by its worker thread only, merged after join.
struct worker_stats {
  std::array<std::uint64_t, outcome_count> outcomes{};
  std::array<std::uint64_t, 1000> status_codes{};  // index = status code (100-999)
  struct reason_count {
    outcome o;
    failure_reason reason;
    std::uint64_t count;
  };
  std::vector<reason_count> reasons;  // few distinct values: linear search
  std::uint64_t in_flight = 0;
  std::uint64_t unsolicited = 0;
  std::uint64_t connections_opened = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;

  histogram latency;
  histogram latency_uncorrected;
  histogram connect_time;
  histogram tls_handshake;
  histogram ttfb;
  std::uint64_t tls_full = 0;     // handshakes without resumption
  std::uint64_t tls_resumed = 0;  // resumed sessions

  // The second being filled, and the finished ones.
  std::array<std::uint64_t, outcome_count> second_outcomes{};
  histogram second_latency;
  std::vector<second_snapshot> series;

  void count(outcome o) noexcept {
    ++outcomes[static_cast<std::size_t>(o)];
    ++second_outcomes[static_cast<std::size_t>(o)];
  }
  void count_reason(outcome o, const failure_reason& r);
  // Closes the current second into `series`.
  void roll_second();
};

// What a worker publishes for the progress line, about every 10 ms (relaxed atomics: the
// coordinator only needs recent values, not a consistent snapshot).
struct alignas(64) live_counters {
  std::atomic<std::uint64_t> completed{0};
  std::atomic<std::uint64_t> errors{0};
  std::atomic<std::uint64_t> last_second_p99_us{0};
};

}  // namespace ordeal::engine
