#include "ordeal/reporters/script_report.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <cmath>
#include <cstdio>

#include "fault_events.hpp"
#include "json_pretty.hpp"
#include "metric_views.hpp"
#include "ordeal/reporters/console_report.hpp"
#include "ordeal/reporters/json_report.hpp"
#include "ordeal/reporters/verdict_report.hpp"

namespace ordeal::reporters {

namespace json = boost::json;

namespace {

std::string fixed(double v, int digits = 2) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string percent(std::uint64_t part, std::uint64_t whole) {
  return whole ? fixed(100.0 * static_cast<double>(part) / static_cast<double>(whole)) + "%" : "-";
}

bool is_builtin(std::string_view key) {
  for (std::string_view b :
       {"http_req", "iteration", "checks", "dropped_iterations", "group_", "retries", "duplicates"})
    if (key.starts_with(b)) return true;
  return false;
}

json::object metric_json(const engine::metric& m) {
  json::object o;
  o["kind"] = engine::to_string(m.kind);
  o["samples"] = m.samples;
  switch (m.kind) {
    case engine::metric_kind::counter:
      o["count"] = m.sum;
      break;
    case engine::metric_kind::gauge:
      o["value"] = m.last;
      o["min"] = m.samples ? json::value(m.min) : json::value(nullptr);
      o["max"] = m.samples ? json::value(m.max) : json::value(nullptr);
      break;
    case engine::metric_kind::rate:
      o["rate"] = m.rate_value();
      o["trues"] = m.trues;
      break;
    case engine::metric_kind::trend:
      if (m.is_time) o["unit"] = "ms";
      if (m.samples) {
        o["avg"] = m.mean();
        o["min"] = m.min;
        o["med"] = m.percentile(50);
        o["p90"] = m.percentile(90);
        o["p95"] = m.percentile(95);
        o["p99"] = m.percentile(99);
        o["max"] = m.max;
      }
      break;
  }
  return o;
}

}  // namespace

void write_script_report(std::ostream& out, const engine::script_results& r,
                         const std::vector<verdict>& verdicts, const run_info& info,
                         const comparison* baseline) {
  // Thresholds are verdicts here, listed with the others at the end.
  write_console_report(out, r.http, {}, info);
  out << "\nScenarios\n";
  for (const auto& s : r.scenarios) {
    out << "  " << s.name << " (" << s.executor << "): " << s.iterations << " iterations";
    if (s.failed) out << ", " << s.failed << " failed";
    if (s.interrupted) out << ", " << s.interrupted << " interrupted";
    if (s.dropped) out << ", " << s.dropped << " dropped";
    out << ", max " << s.max_vus << " VUs\n";
  }
  if (!r.checks.empty()) {
    out << "\nChecks\n";
    for (const auto& [name, c] : r.checks) {
      const auto total = c.first + c.second;
      out << "  " << (c.second == 0 ? "pass" : "FAIL") << "  " << name << ": " << c.first << "/"
          << total << " (" << percent(c.first, total) << ")\n";
    }
  }
  out << "\nClient behaviour\n";
  out << "  operations " << r.operations << ", attempts " << r.attempts << ", amplification "
      << fixed(r.amplification()) << "x\n";
  out << "  retries " << r.retries << " (refused by the retry budget: " << r.retries_refused
      << "), duplicates " << r.duplicates << ", abandoned "
      << r.http.count(engine::outcome::abandoned) << "\n";
  detail::write_fault_section(out, r);
  bool custom = false;
  detail::for_each_metric_view(r.metrics, [&](const std::string& key, const engine::metric& m) {
    if (is_builtin(key)) return;
    if (!custom) out << "\nMetrics\n";
    custom = true;
    out << "  " << key << " (" << engine::to_string(m.kind) << "): ";
    switch (m.kind) {
      case engine::metric_kind::counter:
        out << fixed(m.sum, 0);
        break;
      case engine::metric_kind::gauge:
        out << m.last;
        break;
      case engine::metric_kind::rate:
        out << fixed(100 * m.rate_value()) << "% of " << m.samples;
        break;
      case engine::metric_kind::trend:
        out << "avg " << fixed(m.mean()) << " p95 " << fixed(m.percentile(95)) << " max "
            << fixed(m.samples ? m.max : 0) << (m.is_time ? " ms" : "");
        break;
    }
    out << '\n';
  });
  if (!r.script_errors.empty()) {
    out << "\nScript errors (the iteration ended; the run went on)\n";
    for (const auto& [message, count] : r.script_errors)
      out << "  " << count << " x " << message << '\n';
  }
  out << "\nSeed " << r.seed << " (replay with "
      << (info.replay_flags.empty() ? "--seed " + std::to_string(r.seed) : info.replay_flags)
      << ")\n";
  if (baseline) {
    out << '\n';
    write_comparison(out, *baseline);
  }
  if (!r.aborted_by.empty())
    out << "\nAborted: the threshold " << r.aborted_by
        << " failed during the run (abort_on_fail); the load stopped early\n";
  // Last, so a CI log ends with what decided the job.
  write_verdicts(out, verdicts,
                 !r.aborted_by.empty() ? 108
                 : r.http.interrupted  ? 105
                                       : exit_code_for(verdicts));
}

json::object script_to_json(const engine::script_results& r, const std::vector<verdict>& verdicts,
                            const run_info& info) {
  json::object o = to_json(r.http, {}, info);
  o["thresholds"] = thresholds_json(verdicts);
  o["verdicts"] = verdicts_json(verdicts);
  // The abort_on_fail threshold that stopped the run early (exit 108), or null.
  o["aborted_by"] = r.aborted_by.empty() ? json::value(nullptr) : json::value(r.aborted_by);
  json::object d;
  d["seed"] = r.seed;
  json::array scenarios;
  for (const auto& s : r.scenarios) {
    json::object so;
    so["name"] = s.name;
    so["executor"] = s.executor;
    so["iterations"] = s.iterations;
    so["failed"] = s.failed;
    so["interrupted"] = s.interrupted;
    so["dropped"] = s.dropped;
    so["max_vus"] = s.max_vus;
    scenarios.push_back(std::move(so));
  }
  d["scenarios"] = std::move(scenarios);
  json::object checks;
  for (const auto& [name, c] : r.checks)
    checks[name] = {{"passes", c.first}, {"fails", c.second}};
  d["checks"] = std::move(checks);
  json::object behaviour;
  behaviour["operations"] = r.operations;
  behaviour["attempts"] = r.attempts;
  behaviour["amplification"] = r.amplification();
  behaviour["retries"] = r.retries;
  behaviour["retries_refused"] = r.retries_refused;
  behaviour["duplicates"] = r.duplicates;
  behaviour["abandoned"] = r.http.count(engine::outcome::abandoned);
  d["behaviour"] = std::move(behaviour);
  json::object errors;
  for (const auto& [message, count] : r.script_errors)
    errors[message] = count;
  d["script_errors"] = std::move(errors);
  // Each metric as a whole and per tag ("http_reqs", "http_reqs{name:home}"), every recorded
  // series under its whole tag set, and the per-second timeline (metric_views.hpp).
  json::object metrics;
  detail::for_each_metric_view(r.metrics, [&](const std::string& key, const engine::metric& m) {
    metrics[key] = metric_json(m);
  });
  d["metrics"] = std::move(metrics);
  json::object series;
  for (const auto& [key, m] : r.metrics)
    if (m.samples) series[key] = metric_json(m);
  d["series"] = std::move(series);
  d["timeline"] = detail::timeline_json(r.timeline);
  o["drill"] = std::move(d);
  o["faults"] = detail::faults_json(r);
  return o;
}

void write_script_json(std::ostream& out, const engine::script_results& r,
                       const std::vector<verdict>& verdicts, const run_info& info) {
  detail::write_pretty(out, script_to_json(r, verdicts, info));
}

}  // namespace ordeal::reporters
