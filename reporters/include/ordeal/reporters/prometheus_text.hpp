#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ordeal/engine/metrics.hpp"

namespace ordeal::reporters {

// What the exposition says about the run beside its metrics (ordeal_run_info's labels).
struct prometheus_run {
  std::string version;  // ordeal's
  std::string target;   // URL or drill file
  std::uint64_t seed = 0;
  double elapsed_s = 0;  // since the load started
  bool running = true;   // false once the load has ended (the final snapshot)
};

// The metrics as Prometheus' text exposition format 0.0.4 (`--metrics`): a pure function of
// the metric set. A key "name{tag:value,...}" becomes the family ordeal_<name> with the tags as
// labels:
//   counter -> ordeal_<name>_total (counter)
//   gauge   -> ordeal_<name> (gauge)
//   rate    -> ordeal_<name>_total (true samples) and ordeal_<name>_samples_total (all), both
//              counters, and ordeal_<name>_rate (gauge, their ratio)
//   trend   -> ordeal_<name> (summary, quantiles 0.5 0.9 0.95 0.99, _sum, _count); a trend of
//              durations (ms) is exposed in seconds as ordeal_<name>_seconds
// plus ordeal_up, ordeal_run_info and ordeal_elapsed_seconds.
std::string prometheus_text(const engine::metric_set& metrics, const prometheus_run& run);

// A metric (or label) name made valid: characters outside [a-zA-Z0-9_:] (label: [a-zA-Z0-9_])
// become '_', and a leading digit gets a '_' in front.
std::string prometheus_name(std::string_view name);
std::string prometheus_label_name(std::string_view name);
// A label value escaped for the exposition: backslash, double quote and newline.
std::string prometheus_label_value(std::string_view value);

// The content type of the exposition, for the HTTP response.
inline constexpr std::string_view prometheus_content_type =
    "text/plain; version=0.0.4; charset=utf-8";

}  // namespace ordeal::reporters
