#include "live_outputs.hpp"

#include <iostream>

#include "ordeal/engine/metric_filter.hpp"

namespace ordeal::cli {

live_outputs::live_outputs(const std::string& metrics_address, progress_line& progress,
                           reporters::prometheus_run run)
    : progress_(progress), run_(std::move(run)) {
  if (metrics_address.empty()) return;
  server_ = std::make_unique<metrics_server>(metrics_address, reporters::prometheus_text({}, run_));
  // Always said, --quiet or not: with port 0 this line is the only way to find the endpoint.
  std::cerr << "ordeal: metrics on http://" << server_->address() << "/metrics" << std::endl;
}

void live_outputs::publish(const engine::metric_set& totals, std::chrono::nanoseconds elapsed,
                           bool running) {
  if (!server_) return;
  run_.elapsed_s = std::chrono::duration<double>(elapsed).count();
  run_.running = running;
  server_->publish(reporters::prometheus_text(totals, run_));
}

void live_outputs::on_second(const scenarios::live_view& v) {
  // Every series of http_req_duration (all names, statuses, ...) merged. Trend values are ms;
  // the progress line wants µs.
  const auto d = engine::select(v.last_second, engine::metric_filter{"http_req_duration", {}});
  progress_.set_last_second_p99(
      d && d->samples ? static_cast<std::uint64_t>(d->percentile(99) * 1000) : 0);
  publish(v.totals, v.elapsed, true);
}

engine::progress_callback live_outputs::wrap(engine::progress_callback next) {
  if (!server_) return next;
  return [this, next = std::move(next)](const engine::progress& p) {
    publish(progress_metrics(p), p.elapsed, true);
    if (next) next(p);
  };
}

void live_outputs::finish(const engine::metric_set& totals, std::chrono::nanoseconds elapsed) {
  publish(totals, elapsed, false);
}

engine::metric_set progress_metrics(const engine::progress& p) {
  engine::metric_set set;
  auto& reqs = engine::metric_at(set, "http_reqs", engine::metric_kind::counter);
  reqs.sum = static_cast<double>(p.completed);
  reqs.samples = p.completed;
  auto& failed = engine::metric_at(set, "http_req_failed", engine::metric_kind::rate);
  failed.samples = p.completed;
  failed.trues = p.errors;
  if (p.last_second_p99_us) {
    auto& p99 = engine::metric_at(set, "http_req_duration_p99_last_second_seconds",
                                  engine::metric_kind::gauge);
    p99.last = static_cast<double>(p.last_second_p99_us) / 1e6;
    p99.samples = 1;
  }
  return set;
}

}  // namespace ordeal::cli
