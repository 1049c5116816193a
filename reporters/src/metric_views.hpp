#pragma once

// Readable cuts of a run's metric series for the outputs: the results model keeps one series
// per whole tag set ("http_reqs{method:GET,name:home,scenario:browse,status:200}"); reports
// show each metric as a whole and per single tag ("http_reqs", "http_reqs{name:home}"), as k6's
// summary does, and the per-second timeline per metric.

#include <boost/json/object.hpp>
#include <functional>
#include <string>

#include "ordeal/engine/metric_timeline.hpp"
#include "ordeal/engine/metrics.hpp"

namespace ordeal::reporters::detail {

// Every metric's merge under its bare name, and under "name{tag:value}" for every tag pair
// its series with samples carry, in key order: `visit(key, merged)`. One merged metric at a
// time: a view's dense histogram lives only during its visit.
void for_each_metric_view(
    const engine::metric_set& series,
    const std::function<void(const std::string& key, const engine::metric& merged)>& visit);

// The JSON "timeline": per-second figures of every metric as a whole (not histograms), arrays
// indexed by second since the load started, null for a second without samples:
// {"seconds": N, "metrics": {"http_req_duration": {"kind": "trend", "unit": "ms",
// "p50": [...], "p95": [...], "p99": [...], "max": [...]}, "http_reqs": {"kind": "counter",
// "count": [...]}, "http_req_failed": {"kind": "rate", "rate": [...]}, ...}}
boost::json::object timeline_json(const engine::metric_timeline& timeline);

}  // namespace ordeal::reporters::detail
