#include "ordeal/reporters/script_report.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <cmath>
#include <cstdio>

#include "fault_events.hpp"
#include "json_pretty.hpp"
#include "ordeal/reporters/console_report.hpp"
#include "ordeal/reporters/json_report.hpp"

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
  for (std::string_view b : {"http_req", "iteration", "checks", "dropped_iterations", "group_"})
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
                         const std::vector<threshold_result>& thresholds, const run_info& info) {
  write_console_report(out, r.http, thresholds, info);
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
  for (const auto& [key, m] : r.metrics) {
    if (is_builtin(key)) continue;
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
  }
  if (!r.script_errors.empty()) {
    out << "\nScript errors (the iteration ended; the run went on)\n";
    for (const auto& [message, count] : r.script_errors)
      out << "  " << count << " x " << message << '\n';
  }
  out << "\nSeed " << r.seed << " (replay with --seed " << r.seed << ")\n";
}

json::object script_to_json(const engine::script_results& r,
                            const std::vector<threshold_result>& thresholds, const run_info& info) {
  json::object o = to_json(r.http, thresholds, info);
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
  json::object metrics;
  for (const auto& [key, m] : r.metrics)
    metrics[key] = metric_json(m);
  d["metrics"] = std::move(metrics);
  o["drill"] = std::move(d);
  o["faults"] = detail::faults_json(r);
  return o;
}

void write_script_json(std::ostream& out, const engine::script_results& r,
                       const std::vector<threshold_result>& thresholds, const run_info& info) {
  detail::write_pretty(out, script_to_json(r, thresholds, info));
}

void write_history_jsonl(std::ostream& out, const engine::script_results& r) {
  // Fault events interleave with the attempts by time; a fault event goes before an attempt
  // invoked at the same microsecond (a fault that starts then is already on).
  std::vector<const engine::fault_event*> faults;
  faults.reserve(r.faults.size());
  for (const auto& e : r.faults)
    faults.push_back(&e);
  std::stable_sort(faults.begin(), faults.end(),
                   [](const auto* a, const auto* b) { return a->at_us < b->at_us; });
  auto fault = faults.begin();
  const auto write_faults_until = [&](std::int64_t us, bool all) {
    for (; fault != faults.end() && (all || (*fault)->at_us <= us); ++fault) {
      json::object o;
      o["type"] = "fault";
      for (auto& member : detail::fault_event_json(**fault)) {
        // The fault's own type ("latency") cannot share the line's "type" key.
        if (member.key() == "type")
          o["fault_type"] = member.value();
        else
          o[member.key()] = member.value();
      }
      out << json::serialize(o) << '\n';
    }
  };
  for (const auto& h : r.history) {
    write_faults_until(h.invoke_us, false);
    json::object o;
    o["operation"] = h.operation;
    o["attempt"] = h.attempt;
    o["kind"] = engine::to_string(h.kind);
    o["verdict"] = engine::to_string(h.verdict);
    o["outcome"] = engine::to_string(h.result);
    o["status"] = h.status;
    o["name"] = h.name;
    o["key"] = h.key;
    o["method"] = h.method;
    o["target"] = h.target;
    o["vu"] = h.vu;
    if (h.client_port != 0) o["client_port"] = h.client_port;
    o["invoke_us"] = h.invoke_us;
    o["complete_us"] = h.complete_us;
    if (!h.error.empty()) o["error"] = h.error;
    out << json::serialize(o) << '\n';
  }
  write_faults_until(0, true);
}

}  // namespace ordeal::reporters
