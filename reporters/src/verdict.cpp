#include "ordeal/reporters/verdict.hpp"

#include <algorithm>
#include <boost/json/object.hpp>
#include <cmath>

namespace ordeal::reporters {

std::string_view to_string(verdict_kind k) noexcept {
  switch (k) {
    case verdict_kind::threshold:
      return "threshold";
    case verdict_kind::idempotency:
      return "idempotency";
    case verdict_kind::integrity:
      return "integrity";
    case verdict_kind::drill:
      return "drill";
  }
  return "threshold";
}

verdict to_verdict(const threshold_result& t) {
  verdict v;
  v.kind = verdict_kind::threshold;
  v.name = t.expression;
  v.passed = t.passed;
  v.measured = t.measured;
  if (!t.passed) v.reasons.push_back("measured " + t.measured + ", budget " + t.expression);
  // The figure as a number, so the JSON "thresholds" member keeps its value and unit.
  boost::json::object e;
  e["value"] = std::isfinite(t.value) ? boost::json::value(t.value) : boost::json::value(nullptr);
  e["unit"] = t.unit;
  v.evidence = std::move(e);
  return v;
}

std::vector<verdict> to_verdicts(const std::vector<threshold_result>& ts) {
  std::vector<verdict> out;
  out.reserve(ts.size());
  for (const auto& t : ts)
    out.push_back(to_verdict(t));
  return out;
}

bool all_passed(const std::vector<verdict>& vs) noexcept {
  return std::all_of(vs.begin(), vs.end(), [](const verdict& v) { return v.passed; });
}

int exit_code_for(const std::vector<verdict>& vs) noexcept {
  const auto failed = [&](verdict_kind k) {
    return std::any_of(vs.begin(), vs.end(),
                       [k](const verdict& v) { return !v.passed && v.kind == k; });
  };
  if (failed(verdict_kind::integrity)) return 98;
  if (failed(verdict_kind::idempotency)) return 97;
  if (failed(verdict_kind::threshold) || failed(verdict_kind::drill)) return 99;
  return 0;
}

}  // namespace ordeal::reporters
