#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "http_client.hpp"

// The shop's calls to payments: a charge with retries (on timeout, connection errors, 5xx
// and 409 in progress), each attempt with the client's Idempotency-Key, or, with the
// non-idempotent-retry bug, a fresh one.
namespace ordeal::targets::demo {

struct charge_outcome {
  bool ok = false;
  std::int64_t charge_id = 0;
  std::string error;  // when !ok
};

class payments_client {
 public:
  payments_client(http_endpoint to, std::chrono::milliseconds timeout, unsigned retries,
                  bool fresh_key_per_attempt);

  charge_outcome charge(std::int64_t order_id, std::int64_t amount_cents,
                        const std::string& client_key);
  // GET /health: "ok", or why not ("connection refused", "timeout", "status 503").
  std::string health(std::chrono::milliseconds timeout);

 private:
  http_endpoint to_;
  std::chrono::milliseconds timeout_;
  unsigned retries_;
  bool fresh_key_per_attempt_;
};

}  // namespace ordeal::targets::demo
