#include "ordeal/reporters/capacity_knee.hpp"

#include <boost/json.hpp>
#include <cstdio>

#include "ordeal/engine/metric_filter.hpp"

namespace ordeal::reporters {

namespace {

std::string figure(const char* format, double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, v);
  return buffer;
}

std::string budgets(const engine::capacity_spec& c) {
  return "p99<=" + figure("%g", c.p99_ms) + "ms, errors<=" + figure("%g", c.error_rate * 100) + "%";
}

}  // namespace

capacity_knee find_knee(const engine::metric_timeline& timeline, const engine::capacity_spec& c) {
  capacity_knee k;
  const auto requests = timeline.matching(engine::parse_metric_filter("http_reqs"));
  const auto durations = timeline.matching(engine::parse_metric_filter("http_req_duration"));
  const auto failures = timeline.matching(engine::parse_metric_filter("http_req_failed"));
  unsigned bad_run = 0;
  std::size_t bad_start = 0;
  for (std::size_t s = 0; s < timeline.seconds(); ++s) {
    const auto reqs = timeline.select(requests, s, s + 1);
    const double rps = reqs ? reqs->sum : 0;
    if (rps <= 0)
      continue;  // nothing completed: nothing to judge (a stall counts as a breach
                 // through the seconds around it)
    const auto d = timeline.select(durations, s, s + 1);
    const auto f = timeline.select(failures, s, s + 1);
    const double p99 = d && d->samples ? d->percentile(99) : 0;
    const double errors = f ? f->rate_value() : 0;
    const bool holds = p99 <= c.p99_ms && errors <= c.error_rate;
    if (holds) {
      bad_run = 0;
      if (!k.found || rps > k.knee_rps) {
        k.found = true;
        k.knee_second = s;
        k.knee_rps = rps;
        k.knee_p99_ms = p99;
        k.knee_error_rate = errors;
      }
      continue;
    }
    if (bad_run++ == 0) {
      bad_start = s;
      k.breach_rps = rps;
      k.breach_p99_ms = p99;
      k.breach_error_rate = errors;
    }
    if (bad_run >= c.sustain_seconds) {
      k.breach_second = bad_start;
      break;
    }
  }
  if (!k.breach_second) k.trailing_bad_seconds = bad_run;
  return k;
}

verdict capacity_verdict(const engine::script_results& r, const engine::capacity_spec& c) {
  const capacity_knee k = find_knee(r.timeline, c);
  verdict v;
  v.kind = verdict_kind::drill;
  v.name = "capacity knee (" + budgets(c) + ")";
  v.passed = k.found;
  boost::json::object e;
  e["p99_budget_ms"] = c.p99_ms;
  e["error_rate_budget"] = c.error_rate;
  if (k.found) {
    v.measured = figure("%.0f req/s", k.knee_rps) + " at " + std::to_string(k.knee_second) +
                 "s (p99 " + figure("%.1fms", k.knee_p99_ms) + ", errors " +
                 figure("%.2f%%", k.knee_error_rate * 100) + ")";
    e["knee"] = {{"second", k.knee_second},
                 {"rps", k.knee_rps},
                 {"p99_ms", k.knee_p99_ms},
                 {"error_rate", k.knee_error_rate}};
  } else {
    v.measured = "no second held the budgets";
    v.reasons.push_back("the budgets (" + budgets(c) +
                        ") broke from the start: the knee is below the lowest rate tried");
  }
  if (k.breach_second) {
    v.measured += "; broken from " + std::to_string(*k.breach_second) +
                  "s: " + figure("%.0f req/s", k.breach_rps) + ", p99 " +
                  figure("%.1fms", k.breach_p99_ms) + ", errors " +
                  figure("%.2f%%", k.breach_error_rate * 100);
    e["breach"] = {{"second", *k.breach_second},
                   {"rps", k.breach_rps},
                   {"p99_ms", k.breach_p99_ms},
                   {"error_rate", k.breach_error_rate}};
  } else if (k.found && k.trailing_bad_seconds > 0) {
    v.measured += "; the last " + std::to_string(k.trailing_bad_seconds) +
                  "s broke the budgets, too briefly to call it a sustained breach";
  } else if (k.found) {
    v.measured += "; the budgets held throughout: the knee is above the highest rate tried";
  }
  v.evidence = std::move(e);
  return v;
}

}  // namespace ordeal::reporters
