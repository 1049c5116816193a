#pragma once

#include <optional>

#include "ordeal/engine/script_results.hpp"
#include "ordeal/reporters/verdict.hpp"

namespace ordeal::reporters {

// A capacity test's answer (options.capacity): the knee, the highest throughput the system
// served within its budgets. Second by second over the load: throughput (http_reqs completed),
// p(99) of http_req_duration and the rate of http_req_failed. The knee is the busiest second in
// which both budgets held, before they broke for `sustain_seconds` seconds in a row (a single
// bad second is noise; a sustained breach is the system past its knee).
struct capacity_knee {
  bool found = false;           // some second held both budgets
  std::size_t knee_second = 0;  // since the load started
  double knee_rps = 0;          // requests completed in that second
  double knee_p99_ms = 0;
  double knee_error_rate = 0;
  std::optional<std::size_t> breach_second;  // the first second of the sustained breach
  double breach_rps = 0;
  double breach_p99_ms = 0;
  double breach_error_rate = 0;
  // Seconds at the very end that broke the budgets, too few to be a sustained breach.
  unsigned trailing_bad_seconds = 0;
};

capacity_knee find_knee(const engine::metric_timeline& timeline, const engine::capacity_spec& c);

// A verdict of kind drill named "capacity knee (p99<=300ms, errors<=1%)": passed when a knee
// was found; its measure names it ("840 req/s at 22s ...") and the breach after it.
verdict capacity_verdict(const engine::script_results& r, const engine::capacity_spec& c);

}  // namespace ordeal::reporters
