#include "metric_views.hpp"

#include <boost/json/array.hpp>
#include <map>
#include <string>
#include <vector>

#include "ordeal/engine/metric_filter.hpp"

namespace ordeal::reporters::detail {

namespace json = boost::json;

void for_each_metric_view(
    const engine::metric_set& series,
    const std::function<void(const std::string& key, const engine::metric& merged)>& visit) {
  // View key -> the series it merges (pointers into `series`).
  std::map<std::string, std::vector<const engine::metric*>> views;
  for (const auto& [key, m] : series) {
    const auto v = engine::split_series_key(key);
    views[std::string(v.name)].push_back(&m);
    // A series that never got a sample (a tag set's retries) only says the metric exists.
    if (m.samples == 0) continue;
    for (const auto& [tag, value] : v.tags) {
      std::string view(v.name);
      view.append("{").append(tag).append(":").append(value).append("}");
      views[view].push_back(&m);
    }
  }
  for (const auto& [key, members] : views) {
    if (members.size() == 1) {
      visit(key, *members.front());
      continue;
    }
    engine::metric merged = *members.front();
    for (std::size_t i = 1; i < members.size(); ++i)
      merged.merge(*members[i]);
    visit(key, merged);
  }
}

json::object timeline_json(const engine::metric_timeline& timeline) {
  json::object out;
  const std::size_t seconds = timeline.seconds();
  out["seconds"] = seconds;
  // Series by metric name.
  std::map<std::string, std::vector<bool>, std::less<>> masks;
  const auto& series = timeline.series();
  for (std::size_t i = 0; i < series.size(); ++i) {
    auto& mask = masks[std::string(engine::split_series_key(series[i].key).name)];
    mask.resize(series.size());
    mask[i] = true;
  }
  json::object metrics;
  for (auto& [name, mask] : masks) {
    mask.resize(series.size());
    std::size_t first = 0;
    while (!mask[first])
      ++first;
    engine::metric acc;  // reset each second: one histogram for the whole walk
    acc.kind = series[first].kind;
    acc.is_time = series[first].is_time;
    std::map<std::string, json::array> columns;
    for (std::size_t s = 0; s < seconds; ++s) {
      acc.reset();
      for (const auto& sample : timeline.at(s))
        if (mask[sample.series]) sample.add_to(acc);
      const bool any = acc.samples > 0;
      const auto put = [&](const char* column, double v) {
        columns[column].push_back(any ? json::value(v) : json::value(nullptr));
      };
      switch (acc.kind) {
        case engine::metric_kind::counter:
          columns["count"].push_back(acc.sum);  // a second without any counted 0
          break;
        case engine::metric_kind::rate:
          put("rate", acc.rate_value());
          break;
        case engine::metric_kind::gauge:
          put("value", acc.last);
          break;
        case engine::metric_kind::trend:
          put("p50", acc.percentile(50));
          put("p95", acc.percentile(95));
          put("p99", acc.percentile(99));
          put("max", acc.max);
          break;
      }
    }
    json::object o;
    o["kind"] = engine::to_string(acc.kind);
    if (acc.is_time) o["unit"] = "ms";
    for (auto& [column, values] : columns)
      o[column] = std::move(values);
    metrics[name] = std::move(o);
  }
  out["metrics"] = std::move(metrics);
  return out;
}

}  // namespace ordeal::reporters::detail
