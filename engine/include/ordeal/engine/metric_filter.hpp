#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ordeal/engine/metrics.hpp"

namespace ordeal::engine {

// Metric series and the filters that select them. A series is recorded under its canonical
// key, the metric's name and its whole tag set sorted by tag name:
// "http_req_duration{method:POST,name:pay,scenario:checkout,status:201}". Every sample lands
// in exactly one series, so a filter's figure is the merge of the series it selects: a name
// alone selects every series of that metric, "name{k:v,...}" those whose tags include every
// pair given ("http_req_duration{name:pay,status:201}" selects all methods and scenarios).
using metric_tags = std::vector<std::pair<std::string, std::string>>;

struct metric_filter {
  std::string name;
  metric_tags tags;  // sorted by tag name, no name twice

  // True if the series under `key` belongs to the selection.
  bool matches(std::string_view key) const;
  std::string text() const;  // canonical: "name{k:v,k2:v2}" or "name"
};

// Parses "name" or "name{k:v,...}" (spaces around names and values are ignored). Throws
// config_error saying what is wrong: the name is letters, digits and _; a filter ends with
// "}"; each pair is tag:value with a non-empty tag and value, no tag twice.
metric_filter parse_metric_filter(std::string_view text);

// The canonical key of a series: `tags` need not be sorted; pairs with an empty value are left
// out (an attempt without a status has no status tag).
std::string series_key(std::string_view name, metric_tags tags);

// The series key split in views into `key`: its metric name and tags in the key's order. A
// comma starts a new tag only when "word:" follows it, so a value (a request name) may hold
// commas. A key without a well-formed "{...}" is a name without tags.
struct series_view {
  std::string_view name;
  std::vector<std::pair<std::string_view, std::string_view>> tags;
};
series_view split_series_key(std::string_view key);

// Names kept for compatibility: "http_req_retries" reads the "retries" series.
std::string_view canonical_metric_name(std::string_view name) noexcept;

// The merge of every series of `set` that `filter` selects; nullopt when none does (the run
// never recorded that metric with those tags).
std::optional<metric> select(const metric_set& set, const metric_filter& filter);
// Parses `filter` first (config_error when it is malformed).
std::optional<metric> select(const metric_set& set, std::string_view filter);

}  // namespace ordeal::engine
