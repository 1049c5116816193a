#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "ordeal/engine/drill_record.hpp"
#include "ordeal/engine/fault_event.hpp"
#include "ordeal/engine/idempotency_effects.hpp"
#include "ordeal/engine/integrity_record.hpp"
#include "ordeal/engine/metric_timeline.hpp"
#include "ordeal/engine/metrics.hpp"
#include "ordeal/engine/operation.hpp"
#include "ordeal/engine/results.hpp"
#include "ordeal/engine/threshold_spec.hpp"

namespace ordeal::engine {

// One attempt in the history: the raw material of idempotency and integrity checks.
struct history_entry {
  std::uint64_t operation = 0;
  unsigned attempt = 1;
  attempt_kind kind = attempt_kind::first;
  attempt_verdict verdict = attempt_verdict::ok;
  outcome result = outcome::ok;
  int status = 0;
  std::string name;
  std::string key;  // idempotency key
  std::string method;
  std::string target;             // path and query
  std::uint64_t vu = 0;           // the virtual user's id
  std::uint16_t client_port = 0;  // the connection's local port (0: none), as fault events show it
  std::int64_t invoke_us = 0;     // since the load started
  std::int64_t complete_us = 0;
  std::string error;
  // options.idempotency, keyed attempts with a complete response: a digest of what the
  // response said (status, headers and body less the volatile parts; 0 = no response), and
  // the body's first bytes for evidence.
  std::uint64_t response_digest = 0;
  std::string response_excerpt;
};

struct scenario_summary {
  std::string name;
  std::string executor;           // "constant-vus", ...
  std::uint64_t iterations = 0;   // completed (errors included)
  std::uint64_t interrupted = 0;  // cut off at the end of the graceful stop
  std::uint64_t dropped = 0;      // arrival-rate: no free virtual user at the intended start
  std::uint64_t failed = 0;       // ended by a script error
  unsigned max_vus = 0;           // most virtual users running at once
};

// The results model of a scripted run: everything reporters may see about it.
struct script_results {
  std::uint64_t seed = 0;
  run_results http;  // every attempt, as for a plain run
  // Built-in (http_req_duration, checks, ...) and custom, one entry per series under its
  // canonical key "name{tag:value,...}": read a metric or a tag filter with engine::select
  // (metric_filter.hpp), which merges the series it selects.
  metric_set metrics;
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> checks;  // passes, fails
  std::map<std::string, std::uint64_t> script_errors;  // "drill.lua:12: message" -> count
  std::vector<scenario_summary> scenarios;
  std::uint64_t operations = 0;
  std::uint64_t attempts = 0;
  std::uint64_t retries = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t retries_refused = 0;   // due, but over the retry budget
  std::vector<history_entry> history;  // by invoke time; empty unless asked for
  // The fault layer's record (proxies, toxics, HTTP faults), in order; always kept, unlike the
  // history. `fault_events_dropped` counts events past the record's cap.
  std::vector<fault_event> faults;
  std::uint64_t fault_events_dropped = 0;
  // options.idempotency: whether it applies, and what the effects hook counted per key after
  // the load (the history holds the attempts and their response digests).
  idempotency_effects effects;
  // options.integrity: per checker, the operations scripts recorded (integrity.add) and the
  // monitor's reads and checks, during the load and after it. Kept whether or not the history is.
  integrity_record integrity;
  // Thresholds as the drill wrote them, in the drill's order (by metric).
  std::vector<threshold_spec> thresholds;
  // Every series' per-second deltas over the load (metric_timeline.hpp): windowed thresholds
  // and per-second outputs read it.
  metric_timeline timeline;
  // The abort_on_fail threshold that stopped the run ("http_req_duration: p(95)<200ms"), empty
  // when none did; the run then ends with exit code 108.
  std::string aborted_by;
  // options.steady_state's probes and options.actions / rollbacks: what they found and did.
  drill_record drill;

  // Attempts per operation (1.0 = no retries or duplicates): the retry storm's size.
  double amplification() const noexcept {
    return operations ? static_cast<double>(attempts) / static_cast<double>(operations) : 0;
  }
};

}  // namespace ordeal::engine
