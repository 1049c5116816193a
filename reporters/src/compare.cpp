#include "ordeal/reporters/compare.hpp"

#include <algorithm>
#include <array>
#include <boost/json/parse.hpp>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iterator>
#include <limits>
#include <system_error>

#include "ordeal/engine/config_error.hpp"
#include "ordeal/engine/duration.hpp"
#include "ordeal/engine/histogram.hpp"
#include "ordeal/reporters/format.hpp"
#include "ordeal/reporters/json_report.hpp"

namespace ordeal::reporters {

namespace json = boost::json;
using engine::config_error;

namespace {

// Whole-run metrics in table order. Shown for information even when not gated: p50, p99, rps,
// error_rate (what a reader looks at first).
struct metric_info {
  std::string_view name;
  std::string_view latency_key;  // in latency_ms; empty: not there (p95: from the histogram)
  std::string_view trend_key;    // in a drill's http_req_duration{name:X}; empty: not recorded
  bool always_shown;
};
constexpr std::array<metric_info, 10> metrics{{
    {"p50", "p50", "med", true},
    {"p90", "p90", "p90", false},
    {"p95", "", "p95", false},
    {"p99", "p99", "p99", true},
    {"p99.9", "p99_9", "", false},
    {"mean", "mean", "avg", false},
    {"min", "min", "min", false},
    {"max", "max", "max", false},
    {"rps", "", "", true},
    {"error_rate", "", "", true},
}};

constexpr std::string_view accepted_metrics =
    "p50, p90, p95, p99, p99.9, mean, min, max, rps, error_rate, optionally per request name "
    "as p99{name:NAME}";

// Rounding in the figures must not turn "exactly at the tolerance" into a failure.
constexpr double epsilon = 1e-9;

const metric_info* find_metric(std::string_view name) {
  if (name == "p99_9") name = "p99.9";  // as the JSON result spells it
  for (const auto& m : metrics)
    if (m.name == name) return &m;
  return nullptr;
}

bool is_latency(std::string_view base) {
  return base != "rps" && base != "error_rate";
}

// "p99{name:pay}" -> {"p99", "pay"}; "p99" -> {"p99", ""}.
std::pair<std::string_view, std::string_view> split_metric(std::string_view metric) {
  const auto brace = metric.find('{');
  if (brace == std::string_view::npos) return {metric, {}};
  return {metric.substr(0, brace), metric.substr(brace + 6, metric.size() - brace - 7)};
}

std::string_view trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

std::string shortest(double v) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc{} ? std::string(buf, end) : std::string("?");
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%+.*f", digits, v);
  return buf;
}

std::optional<double> parse_amount(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double v = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc{} || ptr != text.data() + text.size() || !std::isfinite(v) ||
      v < 0)
    return std::nullopt;
  return v;
}

[[noreturn]] void missing(const std::string& source, const std::string& what) {
  throw config_error(source + ": " + what);
}

const json::object& member_object(const json::object& o, std::string_view key,
                                  const std::string& source, const std::string& path) {
  const json::value* v = o.if_contains(key);
  if (!v || !v->is_object()) missing(source, "no \"" + path + "\" object (not a complete result)");
  return v->get_object();
}

// A number, or nullopt for null ("nothing measured"); a missing member or another type is an
// error (a truncated or hand-edited file).
std::optional<double> member_number(const json::object& o, std::string_view key,
                                    const std::string& source, const std::string& path) {
  const json::value* v = o.if_contains(key);
  if (!v) missing(source, "no \"" + path + "\" (not a complete result)");
  if (v->is_null()) return std::nullopt;
  if (!v->is_number()) missing(source, "\"" + path + "\" is not a number");
  return v->to_number<double>();
}

// The figure `metric` names in a result: ms for latency, req/s, a fraction for error_rate.
// `absent_name_is_null`: a request name the result does not have reads as "nothing measured"
// (this run never sent it: a regression, not a bad file).
std::optional<double> figure(const json::object& result, const std::string& metric,
                             const std::string& source, bool absent_name_is_null = false) {
  const auto [base, name] = split_metric(metric);
  const metric_info& m = *find_metric(base);
  if (name.empty()) {
    if (base == "rps") return member_number(result, "rps", source, "rps");
    if (base == "error_rate") return member_number(result, "error_rate", source, "error_rate");
    if (!m.latency_key.empty()) {
      const auto& latency = member_object(result, "latency_ms", source, "latency_ms");
      return member_number(latency, m.latency_key, source,
                           "latency_ms." + std::string(m.latency_key));
    }
    // p95 is not among the summary figures: read it from the lossless histogram.
    const auto& histograms = member_object(result, "histograms", source, "histograms");
    const auto& latency = member_object(histograms, "latency", source, "histograms.latency");
    const json::value* encoded = latency.if_contains("encoded");
    if (!encoded || !encoded->is_string())
      missing(source, "no \"histograms.latency.encoded\" (not a complete result)");
    try {
      const auto h = engine::histogram::decode(encoded->get_string());
      if (h.count() == 0) return std::nullopt;
      return static_cast<double>(h.percentile(95.0)) / 1000.0;
    } catch (const std::exception& e) {
      missing(source,
              "\"histograms.latency.encoded\" is not a histogram: " + std::string(e.what()));
    }
  }
  // Per request name: a drill's metrics, tagged with the request's name.
  const std::string tag = "{name:" + std::string(name) + "}";
  const json::value* drill = result.if_contains("drill");
  if (!drill || !drill->is_object())
    missing(source, "not a drill result, so no per-request figures for " + metric);
  const auto& all = member_object(drill->get_object(), "metrics", source, "drill.metrics");
  if (absent_name_is_null && !all.contains("http_reqs" + tag)) return std::nullopt;
  const auto metric_of = [&](std::string key) -> const json::object& {
    key += tag;
    const json::value* v = all.if_contains(key);
    if (!v || !v->is_object())
      missing(source,
              "no request named \"" + std::string(name) + "\" (no drill.metrics \"" + key + "\")");
    return v->get_object();
  };
  if (base == "rps") {
    const auto count = member_number(metric_of("http_reqs"), "count", source, "count");
    const auto duration = member_number(result, "duration_s", source, "duration_s");
    if (!count || !duration || *duration <= 0) return std::nullopt;
    return *count / *duration;
  }
  if (base == "error_rate") {
    const auto& failed = metric_of("http_req_failed");
    const json::value* rate = failed.if_contains("rate");
    if (!rate || !rate->is_number()) return std::nullopt;
    return rate->to_number<double>();
  }
  const auto& trend = metric_of("http_req_duration");
  const json::value* v = trend.if_contains(m.trend_key);  // absent: no samples
  if (!v || !v->is_number()) return std::nullopt;
  return v->to_number<double>();
}

std::string format_figure(std::string_view base, std::optional<double> v) {
  if (!v) return "-";
  if (base == "rps") return format_rate(*v);
  if (base == "error_rate") return format_percent(*v);
  return format_latency_us(*v * 1000.0);
}

std::string tolerance_text(const regression_limit& l) {
  const bool up = split_metric(l.metric).first != "rps";
  switch (l.unit) {
    case tolerance_unit::percent:
      return (up ? "+" : "-") + shortest(l.amount) + "%";
    case tolerance_unit::points:
      return "+" + shortest(l.amount) + "pp";
    case tolerance_unit::micros:
      return "+" + format_latency_us(l.amount);
  }
  return "?";
}

comparison_row make_row(const std::string& metric, std::optional<double> baseline,
                        std::optional<double> current, const std::optional<regression_limit>& limit,
                        const std::string& current_source) {
  comparison_row row;
  row.metric = metric;
  row.baseline = baseline;
  row.current = current;
  row.limit = limit;
  row.tolerance = limit ? tolerance_text(*limit) : "-";
  const auto base = split_metric(metric).first;
  const bool up_is_worse = base != "rps";
  const auto unit = limit
                        ? limit->unit
                        : (base == "error_rate" ? tolerance_unit::points : tolerance_unit::percent);
  if (!baseline || !current) {
    row.change = "-";
    if (!limit) return row;
    if (!current && baseline) {
      row.passed = false;
      row.note = "nothing measured in " + current_source + " (no responses, or no such request)";
    } else {
      row.note = baseline ? "" : "no baseline figure (no responses in the baseline)";
    }
    return row;
  }
  const double delta = *current - *baseline;
  const double relative = *baseline != 0 ? delta / *baseline * 100.0
                          : delta == 0
                              ? 0.0
                              : std::copysign(std::numeric_limits<double>::infinity(), delta);
  switch (unit) {
    case tolerance_unit::percent:
      row.change = std::isfinite(relative) ? fixed(relative, 1) + "%" : "from 0";
      break;
    case tolerance_unit::points:
      row.change = fixed(delta * 100.0, 2) + "pp";
      break;
    case tolerance_unit::micros:
      row.change = (delta < 0 ? "-" : "+") + format_latency_us(std::abs(delta) * 1000.0);
      break;
  }
  if (!limit) return row;
  // How much worse, in the limit's unit; negative when it got better.
  const double worse_sign = up_is_worse ? 1.0 : -1.0;
  double worse = 0;
  switch (limit->unit) {
    case tolerance_unit::percent:
      worse = worse_sign * relative;
      break;
    case tolerance_unit::points:
      worse = worse_sign * delta * 100.0;
      break;
    case tolerance_unit::micros:
      worse = worse_sign * delta * 1000.0;
      break;
  }
  row.passed = !(worse > limit->amount * (1 + epsilon) + epsilon);
  return row;
}

}  // namespace

regression_limit parse_max_regression(std::string_view expression) {
  const std::string quoted = "--max-regression \"" + std::string(expression) + "\"";
  const auto eq = expression.find('=');
  if (eq == std::string_view::npos)
    throw config_error("invalid " + quoted + ": expected METRIC=TOLERANCE, e.g. p99=10%");
  regression_limit l;
  l.expression = std::string(expression);
  const auto metric = trim(expression.substr(0, eq));
  auto [base, name] = split_metric(metric);
  const bool tagged = metric.find('{') != std::string_view::npos;
  if (tagged && (!metric.substr(base.size()).starts_with("{name:") || !metric.ends_with("}") ||
                 metric.size() <= base.size() + 7))
    throw config_error("invalid metric \"" + std::string(metric) + "\" in " + quoted +
                       ": the only tag is the request name, e.g. p99{name:pay}");
  const metric_info* m = find_metric(base);
  if (!m)
    throw config_error("unknown metric \"" + std::string(metric) + "\" in " + quoted + " (use " +
                       std::string(accepted_metrics) + ")");
  if (tagged && is_latency(base) && m->trend_key.empty())
    throw config_error("invalid metric \"" + std::string(metric) + "\" in " + quoted + ": " +
                       std::string(m->name) +
                       " is not recorded per request name (use p50, p90, p95, p99, mean, min, "
                       "max)");
  l.metric = std::string(m->name);
  if (tagged) l.metric += "{name:" + std::string(name) + "}";

  const auto text = trim(expression.substr(eq + 1));
  const auto malformed = [&](std::string_view expected) {
    return config_error("invalid tolerance \"" + std::string(text) + "\" in " + quoted +
                        ": expected " + std::string(expected));
  };
  const std::string_view expected =
      m->name == "error_rate" ? "a percentage of the baseline (10%) or percentage points (0.5pp)"
      : is_latency(m->name)   ? "a percentage of the baseline (10%) or a duration (5ms)"
                              : "a percentage of the baseline (5%)";
  std::optional<double> amount;
  if (text.ends_with("%")) {
    l.unit = tolerance_unit::percent;
    amount = parse_amount(trim(text.substr(0, text.size() - 1)));
  } else if (text.ends_with("pp") && m->name == "error_rate") {
    l.unit = tolerance_unit::points;
    amount = parse_amount(trim(text.substr(0, text.size() - 2)));
  } else if (is_latency(m->name) && !text.empty() && text.back() >= 'a' && text.back() <= 'z') {
    l.unit = tolerance_unit::micros;
    try {
      amount = std::chrono::duration<double, std::micro>(engine::parse_duration(text)).count();
    } catch (const config_error&) {
      throw malformed(expected);
    }
  }
  if (!amount) throw malformed(expected);
  l.amount = *amount;
  return l;
}

std::vector<regression_limit> parse_max_regressions(const std::vector<std::string>& expressions) {
  std::vector<regression_limit> out;
  out.reserve(expressions.size());
  for (const auto& e : expressions)
    out.push_back(parse_max_regression(e));
  return out;
}

std::vector<regression_limit> default_regression_limits() {
  return parse_max_regressions({"p99=10%", "rps=5%", "error_rate=0.5pp"});
}

json::object parse_result(std::string_view text, const std::string& source) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) throw config_error(source + " is not JSON: " + ec.message());
  if (!v.is_object()) throw config_error(source + " is not an ordeal result (not a JSON object)");
  auto& o = v.get_object();
  const json::value* schema = o.if_contains("schema");
  if (!schema || !schema->is_string())
    throw config_error(source + " is not an ordeal result (no \"schema\"; expected \"" +
                       std::string(result_schema) + "\")");
  if (schema->get_string() != result_schema)
    throw config_error(source + " has schema \"" + std::string(schema->get_string()) +
                       "\", expected \"" + std::string(result_schema) + "\"");
  return std::move(o);
}

json::object load_result(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw config_error("cannot read \"" + path + "\": " +
                       (std::filesystem::exists(path, ec) ? "not a regular file" : "no such file"));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw config_error("cannot read \"" + path + "\"");
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  return parse_result(text, "\"" + path + "\"");
}

bool comparison::passed() const noexcept {
  return std::all_of(rows.begin(), rows.end(), [](const comparison_row& r) { return r.passed; });
}

void check_figures(const json::object& result, const std::vector<regression_limit>& limits,
                   const std::string& source) {
  for (const auto& l : limits)
    figure(result, l.metric, source);
}

comparison compare_results(const json::object& baseline, const json::object& current,
                           const std::vector<regression_limit>& limits,
                           const std::string& baseline_source, const std::string& current_source) {
  comparison c;
  c.baseline_source = baseline_source;
  c.current_source = current_source;
  const auto row = [&](const std::string& metric, const std::optional<regression_limit>& limit) {
    c.rows.push_back(make_row(metric, figure(baseline, metric, c.baseline_source),
                              figure(current, metric, c.current_source, true), limit,
                              c.current_source));
  };
  for (const auto& m : metrics) {
    bool gated = false;
    for (const auto& l : limits) {
      if (l.metric != m.name) continue;
      gated = true;
      row(l.metric, l);
    }
    if (!gated && m.always_shown) row(std::string(m.name), std::nullopt);
  }
  for (const auto& l : limits)
    if (l.metric.find('{') != std::string::npos) row(l.metric, l);
  return c;
}

void write_comparison(std::ostream& out, const comparison& c) {
  out << "baseline comparison: " << c.baseline_source << " -> " << c.current_source << '\n';
  std::size_t width = 10;
  for (const auto& r : c.rows)
    width = std::max(width, r.metric.size());
  const auto w = static_cast<int>(width);
  const auto cell = [&](const std::string& s, int n) { out << std::setw(n) << s; };
  out << "  " << std::left << std::setw(w) << "metric" << std::right;
  cell("baseline", 11);
  cell("current", 11);
  cell("change", 11);
  cell("tolerance", 11);
  out << "  verdict\n";
  std::size_t gated = 0, failed = 0;
  for (const auto& r : c.rows) {
    const auto base = split_metric(r.metric).first;
    out << "  " << std::left << std::setw(w) << r.metric << std::right;
    cell(format_figure(base, r.baseline), 11);
    cell(format_figure(base, r.current), 11);
    cell(r.change, 11);
    cell(r.tolerance, 11);
    if (r.limit) {
      ++gated;
      if (!r.passed) ++failed;
      out << "  " << (r.passed ? "PASS" : "FAIL");
      if (!r.note.empty()) out << " (" << r.note << ')';
    }
    out << '\n';
  }
  if (gated == 0)
    out << "  no metric gated\n";
  else if (failed == 0)
    out << "  all " << gated << " gated metrics within their tolerance\n";
  else
    out << "  " << failed << " of " << gated << " gated metrics regressed beyond their tolerance\n";
}

std::vector<verdict> to_verdicts(const comparison& c) {
  std::vector<verdict> out;
  for (const auto& r : c.rows) {
    if (!r.limit) continue;
    const auto base = split_metric(r.metric).first;
    const bool up_is_worse = base != "rps";
    verdict v;
    v.kind = verdict_kind::threshold;
    v.name = "regression " + r.metric + (up_is_worse ? " <= " : " >= ") + r.tolerance;
    v.passed = r.passed;
    const std::string from = format_figure(base, r.baseline);
    const std::string to = format_figure(base, r.current);
    v.measured = r.change + " (" + from + " -> " + to + ")";
    if (!r.passed) {
      if (!r.note.empty())
        v.reasons.push_back(r.metric + ": " + r.note + " (baseline " + from + ")");
      else {
        // "rose by 25.0%": the direction is in the verb, not in a sign.
        std::string by = r.change;
        if (!by.empty() && (by.front() == '+' || by.front() == '-')) by.erase(0, 1);
        if (by == "from 0")  // no relative tolerance allows a rise from zero
          v.reasons.push_back(r.metric + " rose from " + from + " (" + c.baseline_source + ") to " +
                              to + ": beyond any relative tolerance");
        else
          v.reasons.push_back(r.metric + (up_is_worse ? " rose by " : " fell by ") + by + " from " +
                              from + " (" + c.baseline_source + ") to " + to + ", beyond the " +
                              r.tolerance + " tolerance");
      }
    }
    json::object e;
    e["metric"] = r.metric;
    e["baseline"] = r.baseline ? json::value(*r.baseline) : json::value(nullptr);
    e["current"] = r.current ? json::value(*r.current) : json::value(nullptr);
    e["change"] = r.change;
    e["tolerance"] = r.tolerance;
    // value and unit as the "thresholds" member has them: ms, req/s, % (0..100).
    const double scale = base == "error_rate" ? 100.0 : 1.0;
    e["value"] = r.current ? json::value(*r.current * scale) : json::value(nullptr);
    e["unit"] = base == "rps" ? "req/s" : base == "error_rate" ? "%" : "ms";
    v.evidence = std::move(e);
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace ordeal::reporters
