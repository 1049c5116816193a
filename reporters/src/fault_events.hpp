#pragma once

// The fault record in the reports: JSON objects for the result and the history, and the
// console's per-fault summary (docs/results.md).

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "ordeal/engine/script_results.hpp"

namespace ordeal::reporters::detail {

// One fault from its start to its stop, as the console and the HTML report show it.
struct fault_span {
  std::string proxy;
  std::string fault;
  std::string type;
  std::optional<std::int64_t> start_us;  // none: hits seen without a start (past the cap)
  std::optional<std::int64_t> stop_us;   // none: still on when the record ends
  std::uint64_t hits = 0;
  std::string ended;  // the stop event's detail (a drill action's result: "done: 202")
};

// The drill's actions and rollbacks share the fault record (proxy "action" / "rollback").
inline bool is_drill_action(const fault_span& s) {
  return s.proxy == "action" || s.proxy == "rollback";
}

// A fault record's spans in order of start, each with the hits it covers.
std::vector<fault_span> spans_of(const std::vector<engine::fault_event>& events);

// {"at_us", "event", "proxy", "fault", "type", "stream", "connection", "client", "detail"}:
// empty strings and connection 0 are left out.
boost::json::object fault_event_json(const engine::fault_event& e);

// {"events": [...], "dropped": N}
boost::json::object faults_json(const engine::script_results& r);

// The console's "Faults" section: one line per fault occurrence (start to stop) with its hits;
// nothing when there are no events.
void write_fault_section(std::ostream& out, const engine::script_results& r);

}  // namespace ordeal::reporters::detail
