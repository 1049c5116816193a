#include "ordeal/engine/metric_filter.hpp"

#include <algorithm>
#include <cctype>

#include "ordeal/engine/config_error.hpp"

namespace ordeal::engine {

namespace {

bool is_word(std::string_view s) noexcept {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
  });
}

std::string_view trim(std::string_view s) noexcept {
  constexpr std::string_view space = " \t";
  const auto first = s.find_first_not_of(space);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(space) - first + 1);
}

// Where the tag starting at `from` ends: the next comma followed by "word:", or the end.
std::size_t tag_end(std::string_view inner, std::size_t from) noexcept {
  for (auto comma = inner.find(',', from); comma != std::string_view::npos;
       comma = inner.find(',', comma + 1)) {
    const auto colon = inner.find(':', comma + 1);
    if (colon != std::string_view::npos &&
        is_word(trim(inner.substr(comma + 1, colon - comma - 1))))
      return comma;
  }
  return inner.size();
}

[[noreturn]] void bad(std::string_view text, const std::string& why) {
  throw config_error("invalid metric \"" + std::string(text) + "\": " + why);
}

}  // namespace

series_view split_series_key(std::string_view key) {
  series_view v{key, {}};
  const auto open = key.find('{');
  if (open == std::string_view::npos || !key.ends_with('}')) return v;
  v.name = key.substr(0, open);
  const auto inner = key.substr(open + 1, key.size() - open - 2);
  for (std::size_t at = 0; at < inner.size();) {
    const auto end = tag_end(inner, at);
    const auto item = inner.substr(at, end - at);
    const auto colon = item.find(':');
    if (colon == std::string_view::npos)
      v.tags.emplace_back(item, std::string_view{});
    else
      v.tags.emplace_back(item.substr(0, colon), item.substr(colon + 1));
    at = end + 1;
  }
  return v;
}

std::string_view canonical_metric_name(std::string_view name) noexcept {
  if (name == "http_req_retries") return "retries";
  return name;
}

metric_filter parse_metric_filter(std::string_view text) {
  metric_filter f;
  const std::string_view whole = trim(text);
  const auto open = whole.find('{');
  const std::string_view name = trim(whole.substr(0, open));
  if (!is_word(name) || std::isdigit(static_cast<unsigned char>(name[0])))
    bad(text, "a metric name is letters, digits and _ (e.g. http_req_duration{name:pay})");
  f.name = std::string(canonical_metric_name(name));
  if (open == std::string_view::npos) return f;
  if (!whole.ends_with('}'))
    bad(text, "a tag filter ends with \"}\" (e.g. http_req_duration{name:pay,status:201})");
  const auto inner = whole.substr(open + 1, whole.size() - open - 2);
  if (trim(inner).empty()) bad(text, "the tag filter {} is empty: drop it or give tag:value");
  for (std::size_t at = 0; at <= inner.size();) {
    const auto end = tag_end(inner, at);
    const auto item = inner.substr(at, end - at);
    const auto colon = item.find(':');
    if (colon == std::string_view::npos)
      bad(text, "\"" + std::string(trim(item)) + "\" in the tag filter is not tag:value");
    const auto key = trim(item.substr(0, colon));
    const auto value = trim(item.substr(colon + 1));
    if (!is_word(key))
      bad(text, "the tag name \"" + std::string(key) + "\" is not letters, digits and _");
    if (value.empty()) bad(text, "the tag " + std::string(key) + " has no value");
    for (const auto& [k, _] : f.tags)
      if (k == key) bad(text, "the tag " + std::string(key) + " is given twice");
    f.tags.emplace_back(std::string(key), std::string(value));
    at = end + 1;
  }
  std::sort(f.tags.begin(), f.tags.end());
  return f;
}

bool metric_filter::matches(std::string_view key) const {
  if (!key.starts_with(name)) return false;
  if (key.size() != name.size() && key[name.size()] != '{') return false;
  if (tags.empty()) return true;
  const auto v = split_series_key(key);
  return std::all_of(tags.begin(), tags.end(), [&](const auto& want) {
    return std::any_of(v.tags.begin(), v.tags.end(), [&](const auto& have) {
      return have.first == want.first && have.second == want.second;
    });
  });
}

std::string metric_filter::text() const {
  return series_key(name, tags);
}

std::string series_key(std::string_view name, metric_tags tags) {
  std::string out(name);
  std::sort(tags.begin(), tags.end());
  bool first = true;
  for (const auto& [k, v] : tags) {
    if (v.empty()) continue;
    out += first ? '{' : ',';
    first = false;
    out += k;
    out += ':';
    out += v;
  }
  if (!first) out += '}';
  return out;
}

std::optional<metric> select(const metric_set& set, const metric_filter& filter) {
  std::optional<metric> out;
  // Every series of the metric sorts from its bare name on ("name" < "name{..." < "name{~").
  for (auto it = set.lower_bound(filter.name);
       it != set.end() && it->first.starts_with(filter.name); ++it) {
    if (!filter.matches(it->first)) continue;
    if (!out) {
      out = it->second;
    } else {
      out->merge(it->second);
    }
  }
  return out;
}

std::optional<metric> select(const metric_set& set, std::string_view filter) {
  return select(set, parse_metric_filter(filter));
}

}  // namespace ordeal::engine
