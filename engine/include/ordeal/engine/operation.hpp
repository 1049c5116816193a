#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "ordeal/engine/behaviour.hpp"
#include "ordeal/engine/http_client.hpp"

namespace ordeal::engine {

// An operation is one logical action of a virtual user (one idempotency key); each request it
// puts on the wire is an attempt: the first, a retry, or a duplicate.
enum class attempt_kind : std::uint8_t { first, retry, duplicate };
std::string_view to_string(attempt_kind k) noexcept;

// What an attempt tells about the operation: ok = it definitely happened, fail = it definitely
// did not (refused before sending, a 4xx), info = unknown (timeout, reset after sending, 5xx,
// abandoned). When in doubt, info.
enum class attempt_verdict : std::uint8_t { ok, fail, info };
std::string_view to_string(attempt_verdict v) noexcept;
attempt_verdict verdict_of(const http_response& r) noexcept;

// One attempt, as the history records it.
struct attempt_record {
  std::uint64_t operation = 0;  // unique in the run
  unsigned attempt = 1;         // 1-based, duplicates included
  attempt_kind kind = attempt_kind::first;
  attempt_verdict verdict = attempt_verdict::ok;
  const std::string* name = nullptr;      // the request's name tag (owned by the operation)
  const std::string* key = nullptr;       // idempotency key, empty when none
  const http_request* request = nullptr;  // as the operation was given it
  std::uint64_t owner = 0;                // operation_spec::owner
};

// Retries granted so far against first attempts, for one worker: at most `ratio` retries per
// first attempt (plus a small allowance so short runs can retry at all).
class retry_budget {
 public:
  void on_first_attempt() noexcept { ++firsts_; }
  // True, and counted, if one more retry fits under `ratio`; otherwise counted as refused.
  bool try_spend(double ratio) noexcept;
  std::uint64_t retries() const noexcept { return retries_; }
  std::uint64_t refused() const noexcept { return refused_; }
  std::uint64_t first_attempts() const noexcept { return firsts_; }

 private:
  static constexpr double allowance = 10;
  std::uint64_t firsts_ = 0;
  std::uint64_t retries_ = 0;
  std::uint64_t refused_ = 0;
};

struct operation_spec {
  http_request request;
  behaviour how;
  std::string name;             // tag for statistics ("pay"); defaults to the URL path
  std::string idempotency_key;  // sent as Idempotency-Key when not empty
  std::uint64_t seed = 0;       // drives this operation's random choices
  std::uint64_t owner = 0;      // the caller's own tag (e.g. the virtual user), passed back
};

struct operation_result {
  http_response response;  // the last attempt of the first copy (not of a duplicate)
  unsigned attempts = 0;   // on the wire, duplicates included
  unsigned retries = 0;
  unsigned duplicates = 0;
  bool retry_refused = false;  // a retry was due but the budget said no
  std::uint64_t id = 0;        // the operation's id (attempt_record::operation)
  // What the operation did, from all its attempts: ok if any attempt was ok, else info if any
  // was, else fail (Jepsen's reading of a retried operation).
  attempt_verdict outcome = attempt_verdict::fail;
  clock::time_point invoked{};    // its first attempt's start
  clock::time_point completed{};  // its last attempt's end
};

// Called for every attempt as it ends, before the operation goes on.
using attempt_observer = std::function<void(const attempt_record&, const http_response&)>;
using operation_handler = std::function<void(operation_result&&)>;

// Runs operations over an http_client with the client misbehaviours of `behaviour`: retries
// with backoff and jitter (Retry-After honoured up to a minute), duplicates sent sequentially
// or concurrently with the same idempotency key, and abandonment. One per worker.
class operation_runner {
 public:
  operation_runner(boost::asio::io_context& ioc, http_client& client, attempt_observer observer,
                   std::uint64_t first_operation_id);
  ~operation_runner();

  // `done` runs once, when the operation has no attempt left to make (for a concurrent
  // duplicate: when both copies ended).
  void run(operation_spec spec, operation_handler done);

  const retry_budget& budget() const noexcept { return budget_; }
  // Operations started and not finished (their handler not yet run).
  std::size_t active() const noexcept { return active_; }

 private:
  struct op;
  struct copy;
  void attempt(const std::shared_ptr<op>& o, copy& c);
  void on_attempt(const std::shared_ptr<op>& o, copy& c, http_response&& r);
  void copy_done(const std::shared_ptr<op>& o, copy& c, http_response&& r);

  boost::asio::io_context& ioc_;
  http_client& client_;
  attempt_observer observer_;
  retry_budget budget_;
  std::uint64_t next_id_;
  std::size_t active_ = 0;
};

// The wait before retry `retry` (1 = the first retry) under `p`, given a uniform draw in
// [0, 1) for the jitter.
std::chrono::nanoseconds backoff_delay(const retry_policy& p, unsigned retry, double draw) noexcept;
// Whether the attempt's ending is one `p` retries.
bool retryable(const retry_policy& p, const http_response& r) noexcept;

}  // namespace ordeal::engine
