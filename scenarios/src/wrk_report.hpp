#pragma once

#include <iosfwd>

#include "ordeal/scenarios/wrk.hpp"
#include "wrk_stats.hpp"

namespace ordeal::scenarios {

// wrk's console output, line for line, so tools that scrape wrk's output read ordeal's.
// Before the run: "Running 30s test @ URL" and the threads/connections line.
void write_wrk_header(std::ostream& out, const wrk_options& options);
// After the run: thread stats, the latency distribution (--latency), totals, errors, rates.
void write_wrk_report(std::ostream& out, const wrk_options& options, const wrk_results& results,
                      const wrk_stats_view& latency, const wrk_stats_view& rates);

}  // namespace ordeal::scenarios
