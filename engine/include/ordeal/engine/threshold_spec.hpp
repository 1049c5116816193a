#pragma once

#include <chrono>
#include <string>

namespace ordeal::engine {

// One threshold as a drill wrote it in options.thresholds: a budget on a metric (optionally
// filtered by tags), judged at the end of the run and, with abort_on_fail, every second while
// it runs. Reporters parse the expression; scenarios only read the table.
struct threshold_spec {
  std::string metric;      // "http_req_duration{name:pay,status:201}", as written
  std::string expression;  // "p(95)<200ms"
  // Where the drill wrote it, for messages: options.thresholds["http_req_duration"][2]
  std::string path;
  bool abort_on_fail = false;  // a failure seen live stops the run (exit 108)
  // abort_on_fail is not evaluated before this long since the load started (k6's
  // delayAbortEval): the first seconds of a run say little.
  std::chrono::nanoseconds delay_abort_eval{};
  // Non-zero: the budget must hold in every window of this length (sliding by one second) over
  // the run, not only over the whole run.
  std::chrono::nanoseconds over{};
};

}  // namespace ordeal::engine
