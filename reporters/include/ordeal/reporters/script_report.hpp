#pragma once

#include <boost/json/object.hpp>
#include <ostream>
#include <vector>

#include "ordeal/engine/script_results.hpp"
#include "ordeal/reporters/compare.hpp"
#include "ordeal/reporters/run_info.hpp"
#include "ordeal/reporters/verdict.hpp"

namespace ordeal::reporters {

// The console report of a drill: the HTTP report of every attempt (as `ordeal run` prints
// it), then scenarios, checks, client behaviour (operations, attempts, amplification, retries,
// duplicates), script errors by message, the custom metrics, the baseline comparison when
// there is one, and last the verdicts with the exit code they call for.
void write_script_report(std::ostream& out, const engine::script_results& r,
                         const std::vector<verdict>& verdicts, const run_info& info,
                         const comparison* baseline = nullptr);

// ordeal.result/1 with a "drill" member and the "verdicts" (documented in docs/results.md);
// "thresholds" lists the threshold verdicts.
boost::json::object script_to_json(const engine::script_results& r,
                                   const std::vector<verdict>& verdicts, const run_info& info);
void write_script_json(std::ostream& out, const engine::script_results& r,
                       const std::vector<verdict>& verdicts, const run_info& info);

// The history (`--out history=FILE`): see history_export.hpp.

}  // namespace ordeal::reporters
