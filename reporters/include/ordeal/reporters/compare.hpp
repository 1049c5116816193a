#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "ordeal/reporters/verdict.hpp"

namespace ordeal::reporters {

// The CI regression gate: two ordeal.result/1 files (a stored baseline and this run), metric by
// metric, each gated metric against its tolerance (`--max-regression p99=10%`).

// How much worse a metric may get. Direction comes from the metric: latency and error rate
// going up is worse, rps going down is worse; improvements always pass.
enum class tolerance_unit : std::uint8_t {
  percent,  // relative to the baseline figure: "10%"
  points,   // error_rate only, absolute percentage points: "0.5pp" (0.10% -> 0.60% is +0.5pp)
  micros,   // latency only, absolute: "5ms", "500us"
};

struct regression_limit {
  std::string expression;  // as written: "p99=10%"
  // Normalized metric: p50 p90 p95 p99 p99.9 max mean min rps error_rate, optionally for one
  // request name of a drill: "p99{name:pay}".
  std::string metric;
  tolerance_unit unit = tolerance_unit::percent;
  double amount = 0;  // in `unit`: 10 (%), 0.5 (pp), 5000 (µs)
};

// "p99=10%", "rps=5%", "error_rate=0.5pp", "p99{name:pay}=5ms". Throws engine::config_error
// (one line quoting the expression) for an unknown metric or a malformed tolerance.
regression_limit parse_max_regression(std::string_view expression);
std::vector<regression_limit> parse_max_regressions(const std::vector<std::string>& expressions);
// Used when a baseline is given without --max-regression: p99=10%, rps=5%, error_rate=0.5pp.
std::vector<regression_limit> default_regression_limits();

// Reads and checks an ordeal.result/1 file (plain run or drill). Throws engine::config_error
// naming the file: missing or unreadable, not JSON, not an object, another schema.
boost::json::object load_result(const std::string& path);
// The same for text already read; `source` names it in messages.
boost::json::object parse_result(std::string_view text, const std::string& source);

struct comparison_row {
  std::string metric;  // "p99", "rps", "p99{name:pay}"
  // In the metric's display unit: ms for latency, req/s, a fraction (0..1) for error_rate;
  // nullopt when the run measured nothing (no responses: no latency).
  std::optional<double> baseline;
  std::optional<double> current;
  std::optional<regression_limit> limit;  // none: shown for information, not gated
  bool passed = true;
  std::string change;     // "+12.3%", "-2.0%", "+0.30pp", "-"
  std::string tolerance;  // "+10%", "-5%", "+0.5pp", "+5.00ms", "-" (not gated)
  std::string note;       // why a gated row passed or failed without a plain figure
};

struct comparison {
  std::string baseline_source;  // file names, for the table's title
  std::string current_source;
  std::vector<comparison_row> rows;
  bool passed() const noexcept;
};

// Compares every limit's metric (and, for information, p50, p99, rps and error_rate): the
// whole-run metrics in a fixed order (p50 .. max, rps, error_rate), then the per-name ones in
// the limits' order. The sources name the results in the table and in messages. Throws
// engine::config_error when a gated metric is missing from either (a plain run gated per
// request name, a hand-edited file) -- except a request name only the baseline has: this run
// measured nothing for it, and the gated row fails.
comparison compare_results(const boost::json::object& baseline, const boost::json::object& current,
                           const std::vector<regression_limit>& limits,
                           const std::string& baseline_source = "baseline",
                           const std::string& current_source = "this run");

// Throws engine::config_error when a limit's metric is not in `result` (checks a baseline before
// a run, so a typo fails in a second rather than after the load).
void check_figures(const boost::json::object& result, const std::vector<regression_limit>& limits,
                   const std::string& source);

// The side-by-side table, plain ASCII:
//   baseline comparison: baseline.json -> result.json
//     metric     baseline   current   change  tolerance  verdict
//     p99          2.00ms    2.50ms   +25.0%       +10%  FAIL
void write_comparison(std::ostream& out, const comparison& c);

// One threshold verdict per gated row, named like "regression p99 <= +10%", so the exit code
// (99) and every output include the gate.
std::vector<verdict> to_verdicts(const comparison& c);

}  // namespace ordeal::reporters
