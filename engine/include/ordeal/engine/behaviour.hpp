#pragma once

#include <chrono>
#include <cstdint>
#include <set>

#include "ordeal/engine/results.hpp"

namespace ordeal::engine {

// How a scripted client misbehaves, set for a whole drill and overridden per request. Every
// random choice comes from the virtual user's seeded generator, so a seed replays them.

enum class backoff_kind : std::uint8_t { constant, linear, exponential };
enum class jitter_kind : std::uint8_t { none, full, equal };

struct retry_policy {
  unsigned attempts = 1;  // attempts per operation, the first included: 1 = no retries
  backoff_kind backoff = backoff_kind::exponential;
  std::chrono::nanoseconds base = std::chrono::milliseconds(50);  // the first wait
  std::chrono::nanoseconds max = std::chrono::seconds(2);         // no wait is longer
  jitter_kind jitter = jitter_kind::full;
  // What is retried: these outcomes (timeout, reset, connect, protocol, ...) and these status
  // codes (a range 500-599 stands for "5xx").
  std::set<outcome> on_outcomes{outcome::timeout, outcome::reset, outcome::connect,
                                outcome::refused};
  std::set<int> on_statuses{500, 502, 503, 504};
  bool respect_retry_after = true;  // a 429/503 Retry-After (seconds) replaces the backoff
  // Retries allowed as a share of first attempts (0.2 = at most 20% extra load), so a retry
  // storm is visible and bounded; retries refused by the budget are counted.
  double budget = 0.2;
};

enum class duplicate_mode : std::uint8_t { sequential, concurrent };

struct duplicate_policy {
  double probability = 0;  // per operation
  duplicate_mode mode = duplicate_mode::sequential;
};

// Where a client gives up on a request it sent (a user refreshing, a phone losing signal): the
// connection is closed there and the attempt ends as `abandoned`.
enum class abandon_point : std::uint8_t {
  never,
  request_sent,  // right after the last request byte is written
  first_byte,    // when the first response byte arrives (mid-response)
};

struct abandon_policy {
  double probability = 0;  // per attempt
  abandon_point after = abandon_point::request_sent;
};

// http.batch: with this probability one request of the batch is held back until a later one
// has completed, so the server sees them out of order.
struct reorder_policy {
  double probability = 0;
  std::chrono::nanoseconds delay = std::chrono::milliseconds(0);  // extra wait after that
};

// A slow client: the request body goes out `bytes` at a time, one piece every `every`.
struct trickle_policy {
  std::size_t bytes = 0;  // 0 = off: the whole request in one write
  std::chrono::nanoseconds every = std::chrono::milliseconds(100);
};

struct behaviour {
  retry_policy retry;
  duplicate_policy duplicate;
  abandon_policy abandon;
  reorder_policy reorder;
  trickle_policy trickle;
};

}  // namespace ordeal::engine
