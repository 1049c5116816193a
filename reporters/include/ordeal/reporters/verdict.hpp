#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ordeal/reporters/threshold.hpp"

namespace ordeal::reporters {

// What a run ends in: named pass/fail judgements with their evidence. Every output (console,
// JSON, JUnit, HTML) renders the same list, and the exit code comes from it.
// drill: the drill's own structure (steady-state probes, actions, rollbacks).
enum class verdict_kind : std::uint8_t { threshold, idempotency, integrity, drill };
// "threshold", "idempotency", "integrity", "drill"
std::string_view to_string(verdict_kind k) noexcept;

struct verdict {
  verdict_kind kind = verdict_kind::threshold;
  // Unique within a run: "http_req_duration{name:pay}: p(99)<300ms", "idempotency",
  // "integrity: items (set)".
  std::string name;
  bool passed = true;
  // One line with the figure that decided it: "p(99)=412ms", "3 of 200 keys duplicated".
  std::string measured;
  // Why it failed, most telling first: short human-readable lines (first examples, counts).
  // Empty when it passed.
  std::vector<std::string> reasons;
  // Structured detail for JSON and HTML: counts, examples with their attempt timelines and
  // the faults that hit them. Null when there is none.
  boost::json::value evidence;
};

verdict to_verdict(const threshold_result& t);
std::vector<verdict> to_verdicts(const std::vector<threshold_result>& ts);

bool all_passed(const std::vector<verdict>& vs) noexcept;

// The process exit code the verdicts call for (DESIGN.md): 0 when all passed; otherwise the
// most serious failure wins: integrity (98) over idempotency (97) over thresholds and the
// drill's steady state and actions (99). A lost write matters more than a slow one.
int exit_code_for(const std::vector<verdict>& vs) noexcept;

}  // namespace ordeal::reporters
