#pragma once

#include <boost/json.hpp>
#include <ostream>
#include <string_view>
#include <vector>

#include "ordeal/engine/results.hpp"
#include "ordeal/reporters/run_info.hpp"
#include "ordeal/reporters/threshold.hpp"
#include "ordeal/reporters/verdict.hpp"

namespace ordeal::reporters {

// The machine-readable result of a run, documented field by field in docs/results.md. Bump the
// number on any change that could break a reader (renamed or retyped field); adding a field
// does not.
inline constexpr std::string_view result_schema = "ordeal.result/1";

// The whole result as a JSON object (for callers that embed or post-process it). Its
// "verdicts" are the thresholds' followed by `more` (e.g. baseline regressions); "thresholds"
// lists every verdict of the threshold kind.
boost::json::object to_json(const engine::run_results& r,
                            const std::vector<threshold_result>& thresholds, const run_info& info,
                            const std::vector<verdict>& more = {});

// Writes to_json() indented for people and diffs, ending in a newline.
void write_json(std::ostream& out, const engine::run_results& r,
                const std::vector<threshold_result>& thresholds, const run_info& info,
                const std::vector<verdict>& more = {});

}  // namespace ordeal::reporters
