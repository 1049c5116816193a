#include "worker_stats.hpp"

namespace ordeal::engine {

void worker_stats::count_reason(outcome o, const failure_reason& r) {
  for (auto& rc : reasons) {
    if (rc.o == o && rc.reason == r) {
      ++rc.count;
      return;
    }
  }
  reasons.push_back({o, r, 1});
}

void worker_stats::roll_second() {
  series.push_back({second_outcomes, second_latency.sparse()});
  second_outcomes = {};
  second_latency.reset();
}

}  // namespace ordeal::engine
