#include "live_metrics.hpp"

#include <algorithm>
#include <limits>

namespace ordeal::scenarios {

void live_metrics::take(const std::vector<std::unique_ptr<vu_worker>>& workers,
                        std::size_t& complete) {
  complete = std::numeric_limits<std::size_t>::max();
  for (const auto& w : workers) {
    // Done first: a worker that is done has handed off everything before saying so.
    const bool done = w->done();
    const std::size_t handed = w->take_deltas(scratch_);
    if (!done) complete = std::min(complete, handed);
  }
  for (auto& d : scratch_) {
    d.sample.series = timeline_.series_id(d.key, d.kind, d.is_time);
    d.sample.add_to(engine::metric_at(totals_, d.key, d.kind, d.is_time));
    timeline_.add(d.second, std::move(d.sample));
  }
  scratch_.clear();
}

void live_metrics::show(std::size_t second,
                        const std::function<void(const live_view&)>& on_second) {
  for (auto& [key, m] : last_second_)
    if (m.samples) m.reset();
  if (second < timeline_.seconds()) {
    const auto& series = timeline_.series();
    for (const auto& s : timeline_.at(second)) {
      const auto& info = series[s.series];
      s.add_to(engine::metric_at(last_second_, info.key, info.kind, info.is_time));
    }
  }
  on_second(live_view{std::chrono::seconds(second + 1), totals_, last_second_});
}

void live_metrics::poll(const std::vector<std::unique_ptr<vu_worker>>& workers,
                        clock::time_point now,
                        const std::function<void(const live_view&)>& on_second) {
  std::size_t complete = 0;
  take(workers, complete);
  for (;;) {
    const auto end = start_ + std::chrono::seconds(shown_ + 1);
    if (now < end) return;
    if (shown_ >= complete && now < end + grace) return;
    if (on_second) show(shown_, on_second);
    ++shown_;
  }
}

void live_metrics::finish(const std::vector<std::unique_ptr<vu_worker>>& workers) {
  std::size_t complete = 0;
  take(workers, complete);
}

}  // namespace ordeal::scenarios
