#include "ordeal/reporters/drill_verdict.hpp"

#include <boost/json.hpp>
#include <cstdio>

namespace ordeal::reporters {

namespace {

namespace json = boost::json;

std::string seconds(std::int64_t ms) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1fs", static_cast<double>(ms) / 1000.0);
  return buffer;
}

json::object probe_json(const engine::probe_result& p) {
  json::object o;
  o["passed"] = p.passed;
  o["value"] = p.value;
  o["error"] = p.error;
  o["attempts"] = p.attempts;
  if (p.met_after_ms >= 0)
    o["met_after_ms"] = p.met_after_ms;
  else
    o["met_after_ms"] = nullptr;
  return o;
}

verdict probe_verdict(const engine::probe_result* before, const engine::probe_result& after) {
  verdict v;
  v.kind = verdict_kind::drill;
  v.name = "steady state: " + after.name;
  v.passed = after.passed;
  const std::string calls =
      std::to_string(after.attempts) + (after.attempts == 1 ? " call" : " calls");
  if (after.passed) {
    v.measured = after.met_after_ms > 0 && after.attempts > 1
                     ? "held again after " + seconds(after.met_after_ms) + " (" + calls + ")"
                     : "held (" + after.value + ")";
  } else {
    v.measured = (after.error.empty() ? "returned " + after.value : after.error) + ", tolerance " +
                 after.tolerance + " (" + calls + ")";
    v.reasons.push_back("after the load " + v.measured +
                        (before ? "; before it, it returned " + before->value : std::string()));
  }
  json::object e;
  e["tolerance"] = after.tolerance;
  if (before) e["before"] = probe_json(*before);
  e["after"] = probe_json(after);
  v.evidence = std::move(e);
  return v;
}

verdict action_verdict(const engine::action_result& a) {
  verdict v;
  v.kind = verdict_kind::drill;
  v.name = (a.phase == "rollback" ? "rollback: " : "action: ") + a.name;
  v.passed = a.ran && a.passed;
  v.measured = a.detail;
  if (!v.passed) v.reasons.push_back(a.what + ": " + a.detail);
  json::object e;
  e["what"] = a.what;
  e["ran"] = a.ran;
  e["started_us"] = a.started_us;
  e["ended_us"] = a.ended_us;
  e["detail"] = a.detail;
  v.evidence = std::move(e);
  return v;
}

}  // namespace

std::vector<verdict> drill_verdicts(const engine::drill_record& r) {
  std::vector<verdict> out;
  for (const auto& p : r.probes) {
    if (p.phase != "after") continue;
    const engine::probe_result* before = nullptr;
    for (const auto& b : r.probes)
      if (b.phase == "before" && b.name == p.name) before = &b;
    out.push_back(probe_verdict(before, p));
  }
  for (const auto& a : r.actions)
    out.push_back(action_verdict(a));
  return out;
}

}  // namespace ordeal::reporters
