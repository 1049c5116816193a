#pragma once

#include <chrono>

#include "ordeal/engine/metrics.hpp"

namespace ordeal::scenarios {

// What a drill run shows of itself while it runs, once per second, on the main thread: the
// metrics merged across workers so far, and the deltas of the last complete second. Valid
// only during the callback.
struct live_view {
  std::chrono::nanoseconds elapsed;       // since the load started
  const engine::metric_set& totals;       // cumulative, merged across workers
  const engine::metric_set& last_second;  // the last complete second's deltas
};

}  // namespace ordeal::scenarios
