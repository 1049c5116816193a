#include <algorithm>
#include <boost/json.hpp>
#include <cmath>

#include "ordeal/engine/config_error.hpp"
#include "ordeal/engine/duration.hpp"
#include "toxic.hpp"

namespace ordeal::faults {

namespace json = boost::json;

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string format_number(double v) {
  json::value j = v;
  if (v == std::floor(v) && std::abs(v) < 1e15) j = static_cast<std::int64_t>(v);
  return json::serialize(j);
}

}  // namespace

attribute_reader::attribute_reader(const json::object& attributes, std::string where)
    : attributes_(attributes), where_(std::move(where)) {}

void attribute_reader::fail(std::string_view name, std::string_view what) const {
  throw spec_error(400, where_ + "." + std::string(name) + ": " + std::string(what));
}

const json::value* attribute_reader::raw(std::string_view name) {
  known_.emplace_back(name);
  return attributes_.if_contains(name);
}

std::chrono::nanoseconds attribute_reader::duration(std::string_view name,
                                                    std::chrono::nanoseconds fallback) {
  const auto* v = raw(name);
  if (!v || v->is_null()) return fallback;
  if (v->is_string()) {
    try {
      const auto d = engine::parse_duration(v->as_string());
      if (d.count() < 0) fail(name, "must not be negative");
      return d;
    } catch (const engine::config_error&) {
      fail(name,
           "expected a duration such as \"300ms\" or \"1.5s\" (or a number of "
           "milliseconds), got \"" +
               std::string(v->as_string()) + "\"");
    }
  }
  if (v->is_number()) {
    const double ms = v->to_number<double>();
    if (!(ms >= 0) || ms > 1e12) fail(name, "expected milliseconds >= 0, got " + format_number(ms));
    return std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(ms * 1e6)));
  }
  fail(name, "expected a duration such as \"300ms\" or a number of milliseconds");
}

double attribute_reader::number(std::string_view name, double fallback, double min, double max) {
  const auto* v = raw(name);
  if (!v || v->is_null()) return fallback;
  if (!v->is_number()) fail(name, "expected a number");
  const double d = v->to_number<double>();
  if (!(d >= min && d <= max))
    fail(name, "expected a number from " + format_number(min) + " to " + format_number(max) +
                   ", got " + format_number(d));
  return d;
}

std::int64_t attribute_reader::integer(std::string_view name, std::int64_t fallback,
                                       std::int64_t min, std::int64_t max) {
  const auto* v = raw(name);
  if (!v || v->is_null()) return fallback;
  double d = 0;
  if (v->is_int64())
    d = static_cast<double>(v->get_int64());
  else if (v->is_uint64())
    d = static_cast<double>(v->get_uint64());
  else if (v->is_double() && v->get_double() == std::floor(v->get_double()))
    d = v->get_double();
  else
    fail(name, "expected a whole number");
  if (!(d >= static_cast<double>(min) && d <= static_cast<double>(max)))
    fail(name, "expected a whole number from " + std::to_string(min) + " to " +
                   std::to_string(max) + ", got " + format_number(d));
  return static_cast<std::int64_t>(d);
}

bool attribute_reader::boolean(std::string_view name, bool fallback) {
  const auto* v = raw(name);
  if (!v || v->is_null()) return fallback;
  if (!v->is_bool()) fail(name, "expected true or false");
  return v->get_bool();
}

std::string attribute_reader::string(std::string_view name, std::string_view fallback) {
  const auto* v = raw(name);
  if (!v || v->is_null()) return std::string(fallback);
  if (!v->is_string()) fail(name, "expected a string");
  return std::string(v->get_string());
}

void attribute_reader::finish() const {
  for (const auto& [key, value] : attributes_) {
    if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
    std::string hint;
    std::size_t best = 3;
    for (const auto& k : known_) {
      const auto d = edit_distance(key, k);
      if (d < best) {
        best = d;
        hint = k;
      }
    }
    std::string accepted;
    for (const auto& k : known_)
      accepted += (accepted.empty() ? "" : ", ") + k;
    fail(key, "unknown attribute" + (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)") +
                  (accepted.empty() ? std::string("; this toxic takes none")
                                    : "; this toxic takes: " + accepted));
  }
}

}  // namespace ordeal::faults
