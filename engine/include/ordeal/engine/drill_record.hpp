#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ordeal::engine {

// What a drill's structure did around the load, after Chaos Toolkit: the steady-state
// hypothesis (probes checked before and after the method) and the method's actions and
// rollbacks. Reporters turn failures into verdicts; the fault record holds the actions too.

// One probe of options.steady_state, checked in one phase.
struct probe_result {
  std::string name;
  std::string phase;  // "before" (the drill does not start unless it holds) or "after"
  bool passed = false;
  std::string value;      // what the probe returned last, as JSON ("200", "{\"p99\":12}")
  std::string tolerance;  // as the drill gave it: "200", "[0, 300]", "a function"
  std::string error;      // the probe raised an error or ran out of time (then it failed)
  unsigned attempts = 0;  // calls made (after: retried until it held, within `within`)
  // After: from the start of the phase (the faults and actions rolled back) to the first call
  // that held, in milliseconds: the time to recover. -1 when it never held.
  std::int64_t met_after_ms = -1;
};

// One action of options.actions (at a time during the load) or options.rollbacks (once the
// load has ended, and however the run ends).
struct action_result {
  std::string name;
  std::string phase;  // "method" or "rollback"
  std::string what;   // "exec: kill -HUP 42", "http: POST http://127.0.0.1:8080/admin/restart"
  bool ran = false;   // false: the load ended before its time came
  bool passed = false;
  std::int64_t started_us = 0;  // since the load started
  std::int64_t ended_us = 0;
  std::string detail;  // "exit 0", "202", "exit 1: <last output>", "timed out after 10s"
};

// options.capacity: the budgets a capacity test's knee is found with. The knee is the highest
// throughput of a second in which both held, before they broke for `sustain_seconds` in a row.
struct capacity_spec {
  double p99_ms = 0;         // http_req_duration's p(99) per second, at most
  double error_rate = 0.01;  // http_req_failed's rate per second, at most
  unsigned sustain_seconds = 3;
};

struct drill_record {
  std::vector<probe_result> probes;  // before, then after; empty without options.steady_state
  std::vector<action_result> actions;
  std::optional<capacity_spec> capacity;
};

}  // namespace ordeal::engine
