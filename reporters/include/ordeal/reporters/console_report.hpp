#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "ordeal/engine/results.hpp"
#include "ordeal/engine/run.hpp"
#include "ordeal/reporters/run_info.hpp"
#include "ordeal/reporters/threshold.hpp"

namespace ordeal::reporters {

// The final human-readable report (wrk-like, richer): what ran, how many requests and how they
// ended, latency (coordinated-omission corrected; the open model also shows uncorrected),
// phases, bytes and thresholds. Plain ASCII so CI logs keep it intact.
void write_console_report(std::ostream& out, const engine::run_results& r,
                          const std::vector<threshold_result>& thresholds, const run_info& info);

// The one-line live progress, e.g.
//   "[12.0s] 12345 requests, 1028.8 req/s, 12 errors (0.10%), p99 12.30ms (last second)".
// Rate is the average since the start.
std::string format_progress(const engine::progress& now);
// Rate over the interval since `previous` (the last line printed): what the load does now.
std::string format_progress(const engine::progress& now, const engine::progress& previous);

}  // namespace ordeal::reporters
