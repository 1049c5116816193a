#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "ordeal/engine/operation.hpp"

namespace ordeal::engine {

// What the drill's effects hook (options.idempotency.effects) counted after the load, per
// idempotency key: the raw material of the exactly-once half of the idempotency verdict.
struct effect_count {
  std::optional<std::uint64_t> count;  // side effects the hook found; empty when it failed
  std::string error;                   // why the hook gave no count (raised, not a number)
};

struct idempotency_effects {
  bool configured = false;  // options.idempotency was given: the idempotency verdict applies
  bool hook = false;        // options.idempotency.effects was given: exactly-once is judged
  std::map<std::string, effect_count> by_key;
  std::uint64_t unchecked = 0;       // keys the hook was not run for (the phase stopped early)
  std::string stopped;               // why the phase stopped early; empty when it did not
  std::chrono::microseconds took{};  // the whole effects phase
};

// Jepsen's rule for an operation made of several attempts: any attempt ok makes it ok; else
// any info makes it info; else it failed. Fold the attempts' verdicts with it, from `fail`.
constexpr attempt_verdict combine_outcome(attempt_verdict so_far, attempt_verdict next) noexcept {
  if (so_far == attempt_verdict::ok || next == attempt_verdict::ok) return attempt_verdict::ok;
  if (so_far == attempt_verdict::info || next == attempt_verdict::info)
    return attempt_verdict::info;
  return attempt_verdict::fail;
}

}  // namespace ordeal::engine
