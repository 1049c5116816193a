#pragma once

#include <ostream>
#include <vector>

#include "ordeal/engine/results.hpp"
#include "ordeal/engine/script_results.hpp"
#include "ordeal/reporters/run_info.hpp"
#include "ordeal/reporters/verdict.hpp"

namespace ordeal::reporters {

// The HTML report (`--out html=FILE`): one self-contained page, no script and nothing fetched
// from the network. Run summary, latency p50/p99 over time with the fault windows shaded,
// throughput and errors over time, the latency histogram, a table per request name, the
// verdicts with their reasons and evidence, the fault record. Charts are inline SVG; long runs
// are downsampled so the file stays small. Every string from the results is escaped.
void write_html_report(std::ostream& out, const engine::run_results& r,
                       const std::vector<verdict>& verdicts, const run_info& info);
// A drill's: the same, plus a table per request name, checks, scenarios and the faults.
void write_html_report(std::ostream& out, const engine::script_results& r,
                       const std::vector<verdict>& verdicts, const run_info& info);

}  // namespace ordeal::reporters
