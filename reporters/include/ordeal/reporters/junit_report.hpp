#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ordeal/reporters/verdict.hpp"
#include "ordeal/reporters/xml_escape.hpp"  // xml_escape, for callers of the writer

namespace ordeal::reporters {

// JUnit XML (`--out junit=FILE`), so CI systems (GitHub Actions reporters, Jenkins, GitLab)
// list every judgement of a run as a test: one <testsuites> with a <testsuite> per kind that has
// entries, in this order: thresholds, checks, idempotency, integrity. Each threshold, check and
// verdict is a <testcase>; a failed one carries <failure message="..."> with its reasons.

struct junit_run {
  std::string name = "ordeal";  // <testsuites name>: the drill file or the target
  double time_s = 0;            // the run's wall time: every suite judged the whole run
  std::string started_at;       // ISO-8601 UTC, "2024-05-01T12:00:00Z"
};

// A drill's checks: name -> (passes, fails). A check with any fail is a failed testcase.
using check_counts = std::map<std::string, std::pair<std::uint64_t, std::uint64_t>>;

void write_junit(std::ostream& out, const std::vector<verdict>& vs, const check_counts& checks,
                 const junit_run& run);

}  // namespace ordeal::reporters
