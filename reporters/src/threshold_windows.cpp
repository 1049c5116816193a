// End-of-run evaluation of drill thresholds: over the whole run, or, for a windowed one
// (over = "30s"), over every window of that length sliding by one second along the run's
// per-second timeline: an SLO holds in every stretch of the run, not only on average.

#include <boost/json/object.hpp>
#include <cmath>

#include "metric_threshold_eval.hpp"
#include "ordeal/reporters/metric_threshold.hpp"

namespace ordeal::reporters {

namespace {

namespace json = boost::json;

struct window_outcome {
  threshold_result result;
  json::value evidence;
};

window_outcome evaluate_windows(const metric_threshold& t, const engine::script_results& r) {
  window_outcome out;
  out.result.expression = t.name();
  const auto width =
      static_cast<std::size_t>(std::chrono::duration_cast<std::chrono::seconds>(t.over).count());
  const std::size_t seconds = r.timeline.seconds();
  json::object e;
  e["window_s"] = width;
  // A run shorter than the window is one window: the whole run.
  if (seconds <= width) {
    out.result = evaluate(t, r.metrics, r.http.duration);
    out.result.expression = t.name();
    e["windows"] = std::uint64_t{1};
    e["failed_windows"] = std::uint64_t{out.result.passed ? 0u : 1u};
    if (std::isfinite(out.result.value)) {
      e["worst"] = {{"start_s", std::uint64_t{0}},
                    {"end_s", std::chrono::duration<double>(r.http.duration).count()},
                    {"value", out.result.value}};
    }
    e["value"] = std::isfinite(out.result.value) ? json::value(out.result.value) : nullptr;
    e["unit"] = out.result.unit;
    out.evidence = std::move(e);
    return out;
  }
  const auto mask = r.timeline.matching(t.filter);
  std::size_t evaluated = 0, failed = 0, worst_start = 0;
  double worst = 0;
  std::string_view unit;
  bool any_series = false;
  for (std::size_t start = 0; start + width <= seconds; ++start) {
    const auto m = r.timeline.select(mask, start, start + width);
    if (!m) break;  // no series matches: none will
    any_series = true;
    if (m->samples == 0 && m->kind != engine::metric_kind::counter) continue;  // nothing then
    const auto f = detail::figure_of(t, *m, static_cast<double>(width));
    unit = f.unit;
    const bool ok = detail::holds(f.value, t.op, t.limit);
    if (evaluated == 0 || detail::worse(f.value, worst, t.op)) {
      worst = f.value;
      worst_start = start;
    }
    ++evaluated;
    if (!ok) ++failed;
  }
  auto& res = out.result;
  if (evaluated == 0) {
    res.passed = false;
    res.measured = any_series ? "no samples" : "no such metric in this run";
    res.value = std::nan("");
  } else {
    res.passed = failed == 0;
    res.value = worst;
    res.unit = unit;
    res.measured = "worst " + std::to_string(width) + "s window (" + std::to_string(worst_start) +
                   "s-" + std::to_string(worst_start + width) +
                   "s): " + detail::format_figure(worst, unit);
    if (failed)
      res.measured +=
          ", " + std::to_string(failed) + " of " + std::to_string(evaluated) + " windows failed";
    e["worst"] = {{"start_s", worst_start}, {"end_s", worst_start + width}, {"value", worst}};
  }
  e["windows"] = evaluated;
  e["failed_windows"] = failed;
  e["value"] = std::isfinite(res.value) ? json::value(res.value) : nullptr;
  e["unit"] = res.unit;
  out.evidence = std::move(e);
  return out;
}

}  // namespace

threshold_result evaluate(const metric_threshold& t, const engine::script_results& r) {
  if (t.over.count() > 0) return evaluate_windows(t, r).result;
  auto out = evaluate(t, r.metrics, r.http.duration);
  out.expression = t.name();
  return out;
}

std::vector<threshold_result> evaluate(const std::vector<metric_threshold>& ts,
                                       const engine::script_results& r) {
  std::vector<threshold_result> out;
  out.reserve(ts.size());
  for (const auto& t : ts)
    out.push_back(evaluate(t, r));
  return out;
}

std::vector<verdict> threshold_verdicts(const std::vector<metric_threshold>& ts,
                                        const engine::script_results& r) {
  std::vector<verdict> out;
  out.reserve(ts.size());
  for (const auto& t : ts) {
    verdict v;
    if (t.over.count() > 0) {
      auto w = evaluate_windows(t, r);
      v = to_verdict(w.result);
      v.evidence = std::move(w.evidence);
      if (!v.passed) {
        v.reasons.clear();
        v.reasons.push_back(
            w.result.measured + "; the budget " + t.expression + " must hold in every " +
            std::to_string(std::chrono::duration_cast<std::chrono::seconds>(t.over).count()) +
            "s window");
      }
    } else {
      v = to_verdict(evaluate(t, r));
    }
    if (!r.aborted_by.empty() && r.aborted_by == t.name()) {
      v.reasons.insert(v.reasons.begin(),
                       "abort_on_fail: it failed during the run, which "
                       "stopped the load early");
      if (v.evidence.is_object()) v.evidence.as_object()["aborted_run"] = true;
    }
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace ordeal::reporters
