#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "metrics_server.hpp"
#include "ordeal/engine/metrics.hpp"
#include "ordeal/engine/run.hpp"
#include "ordeal/reporters/prometheus_text.hpp"
#include "ordeal/scenarios/live_view.hpp"
#include "progress_line.hpp"

namespace ordeal::cli {

// What a run shows while it runs, once a second: the progress line's last-second p99 and the
// `--metrics` endpoint's snapshot. Main thread only (the server thread only reads snapshots).
class live_outputs {
 public:
  // `metrics_address` empty: no endpoint. Otherwise binds it (config_error: exit 104) and says
  // where it listens on stderr, so that port 0 is usable.
  live_outputs(const std::string& metrics_address, progress_line& progress,
               reporters::prometheus_run run);

  void set_seed(std::uint64_t seed) noexcept { run_.seed = seed; }

  // Drills: once per second with the live view.
  void on_second(const scenarios::live_view& v);
  // Plain runs: the engine's progress (requests, errors, the last second's p99) as metrics,
  // then `next` (the progress line's callback, may be empty).
  engine::progress_callback wrap(engine::progress_callback next);
  // The final figures, once the load has ended (ordeal_running 0).
  void finish(const engine::metric_set& totals, std::chrono::nanoseconds elapsed);

  // "127.0.0.1:9464", or empty without --metrics.
  std::string address() const { return server_ ? server_->address() : std::string(); }

 private:
  void publish(const engine::metric_set& totals, std::chrono::nanoseconds elapsed, bool running);

  progress_line& progress_;
  reporters::prometheus_run run_;
  std::unique_ptr<metrics_server> server_;
};

// A plain run's figures as the metric set a drill would have: http_reqs, http_req_failed
// and, when known, the last second's p99 (gauge http_req_duration_p99_last_second_seconds).
engine::metric_set progress_metrics(const engine::progress& p);

}  // namespace ordeal::cli
