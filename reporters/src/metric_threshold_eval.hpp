#pragma once

// Shared by the whole-run, windowed and live evaluations of metric thresholds.

#include "ordeal/engine/metrics.hpp"
#include "ordeal/reporters/metric_threshold.hpp"

namespace ordeal::reporters::detail {

// The threshold's statistic of `m` (count rates per second of `seconds`) and its unit.
struct stat_figure {
  double value = 0;
  std::string_view unit;
};
stat_figure figure_of(const metric_threshold& t, const engine::metric& m, double seconds) noexcept;

// Fills out's passed, measured, value and unit from `m` (nullptr: the run never recorded the
// metric). A trend, rate or gauge without samples fails: a budget nobody measured is not met.
void judge(const metric_threshold& t, const engine::metric* m, double seconds,
           threshold_result& out);

bool holds(double measured, threshold_op op, double limit) noexcept;
// How much worse `a` is than `b` for this threshold: a higher value is worse under < and <=.
bool worse(double a, double b, threshold_op op) noexcept;
std::string format_figure(double v, std::string_view unit);

}  // namespace ordeal::reporters::detail
