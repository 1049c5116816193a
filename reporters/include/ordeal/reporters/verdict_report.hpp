#pragma once

#include <boost/json/array.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "ordeal/reporters/verdict.hpp"

namespace ordeal::reporters {

// The console's "verdicts" section: one line per verdict (PASS/FAIL, name, measured), the first
// reasons of each failure indented under it, and a closing line naming the exit code and why.
// `exit_code` is the code the process ends with: usually exit_code_for(vs), but a signal (105)
// or an abort condition (108) decides over the verdicts.
void write_verdicts(std::ostream& out, const std::vector<verdict>& vs, int exit_code);

// "exit code 99: 1 of 3 verdicts failed (threshold: p99<250ms)"
std::string exit_code_line(const std::vector<verdict>& vs, int exit_code);

// The JSON "verdicts" array: [{kind, name, passed, measured, reasons, evidence}], in order.
boost::json::array verdicts_json(const std::vector<verdict>& vs);

// The JSON "thresholds" array from the threshold verdicts, in the shape readers of
// ordeal.result/1 know: [{expr, passed, measured, value, unit}] (value and unit from the
// verdict's evidence; null and "" when it has none).
boost::json::array thresholds_json(const std::vector<verdict>& vs);

}  // namespace ordeal::reporters
