#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "ordeal/engine/metric_timeline.hpp"
#include "ordeal/engine/metrics.hpp"
#include "ordeal/scenarios/live_view.hpp"
#include "vu_worker.hpp"

namespace ordeal::scenarios {

// The main thread's side of the live metrics: merges the per-second deltas the workers hand
// off into running totals and the per-second timeline, and shows each second once every
// worker has handed it off (or it is well over: a worker stuck in a long script step does not
// hold the view back).
class live_metrics {
 public:
  explicit live_metrics(clock::time_point start) : start_(start) {}

  // Takes what the workers handed off so far and calls `on_second` (if set) for each second
  // now complete, in order.
  void poll(const std::vector<std::unique_ptr<vu_worker>>& workers, clock::time_point now,
            const std::function<void(const live_view&)>& on_second);
  // After join: takes the rest (the last, partial second included), without calling anything.
  void finish(const std::vector<std::unique_ptr<vu_worker>>& workers);

  engine::metric_set& totals() noexcept { return totals_; }
  engine::metric_timeline& timeline() noexcept { return timeline_; }

 private:
  void take(const std::vector<std::unique_ptr<vu_worker>>& workers, std::size_t& complete);
  void show(std::size_t second, const std::function<void(const live_view&)>& on_second);

  // A second is shown this long after it ended even if a worker has not handed it off yet.
  static constexpr auto grace = std::chrono::milliseconds(500);

  clock::time_point start_;
  engine::metric_set totals_;
  engine::metric_set last_second_;  // the shown second's deltas; other series read empty
  engine::metric_timeline timeline_;
  std::size_t shown_ = 0;  // seconds passed to on_second so far
  std::vector<second_delta> scratch_;
};

}  // namespace ordeal::scenarios
