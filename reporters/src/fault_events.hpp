#pragma once

// The fault record in the reports: JSON objects for the result and the history, and the
// console's per-fault summary (docs/results.md).

#include <boost/json/object.hpp>
#include <ostream>

#include "ordeal/engine/script_results.hpp"

namespace ordeal::reporters::detail {

// {"at_us", "event", "proxy", "fault", "type", "stream", "connection", "client", "detail"}:
// empty strings and connection 0 are left out.
boost::json::object fault_event_json(const engine::fault_event& e);

// {"events": [...], "dropped": N}
boost::json::object faults_json(const engine::script_results& r);

// The console's "Faults" section: one line per fault occurrence (start to stop) with its hits;
// nothing when there are no events.
void write_fault_section(std::ostream& out, const engine::script_results& r);

}  // namespace ordeal::reporters::detail
