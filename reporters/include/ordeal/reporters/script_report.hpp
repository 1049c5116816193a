#pragma once

#include <boost/json/object.hpp>
#include <ostream>
#include <vector>

#include "ordeal/engine/script_results.hpp"
#include "ordeal/reporters/run_info.hpp"
#include "ordeal/reporters/threshold.hpp"

namespace ordeal::reporters {

// The console report of a drill: the HTTP report of every attempt (as `ordeal run` prints
// it, thresholds included), then scenarios, checks, client behaviour (operations, attempts,
// amplification, retries, duplicates), script errors by message, and the custom metrics.
void write_script_report(std::ostream& out, const engine::script_results& r,
                         const std::vector<threshold_result>& thresholds, const run_info& info);

// ordeal.result/1 with a "drill" member (documented in docs/results.md).
boost::json::object script_to_json(const engine::script_results& r,
                                   const std::vector<threshold_result>& thresholds,
                                   const run_info& info);
void write_script_json(std::ostream& out, const engine::script_results& r,
                       const std::vector<threshold_result>& thresholds, const run_info& info);

// The history, one JSON object per line and attempt, in invoke order (docs/results.md):
// {"operation":..,"attempt":..,"kind":"retry","verdict":"info","outcome":"timeout",...}
void write_history_jsonl(std::ostream& out, const engine::script_results& r);

}  // namespace ordeal::reporters
