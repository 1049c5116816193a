#include "ordeal/reporters/metric_threshold.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "metric_threshold_eval.hpp"
#include "ordeal/engine/config_error.hpp"
#include "ordeal/engine/duration.hpp"

namespace ordeal::reporters {

namespace {

using engine::metric_kind;

std::string_view trim(std::string_view s) noexcept {
  constexpr std::string_view space = " \t";
  const auto first = s.find_first_not_of(space);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(space) - first + 1);
}

[[noreturn]] void fail(std::string_view path, std::string_view metric, std::string_view expression,
                       std::string_view what) {
  std::string message;
  if (!path.empty()) message = std::string(path) + ": ";
  message += "invalid threshold \"" + std::string(expression) + "\" on " + std::string(metric) +
             ": " + std::string(what);
  throw engine::config_error(message);
}

std::optional<double> to_number(std::string_view text) {
  double value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || ptr != end || !std::isfinite(value)) return std::nullopt;
  return value;
}

struct builtin {
  std::string_view name;
  metric_kind kind;
};
constexpr std::array<builtin, 16> builtins{{
    {"http_req_duration", metric_kind::trend},
    {"http_req_blocked", metric_kind::trend},
    {"http_req_connecting", metric_kind::trend},
    {"http_req_tls_handshaking", metric_kind::trend},
    {"http_req_sending", metric_kind::trend},
    {"http_req_waiting", metric_kind::trend},
    {"http_req_receiving", metric_kind::trend},
    {"http_req_failed", metric_kind::rate},
    {"http_reqs", metric_kind::counter},
    {"iterations", metric_kind::counter},
    {"iteration_duration", metric_kind::trend},
    {"group_duration", metric_kind::trend},
    {"checks", metric_kind::rate},
    {"dropped_iterations", metric_kind::counter},
    {"retries", metric_kind::counter},
    {"duplicates", metric_kind::counter},
}};

bool applies(metric_stat s, metric_kind k) noexcept {
  switch (k) {
    case metric_kind::trend:
      return s != metric_stat::rate && s != metric_stat::value;
    case metric_kind::counter:
      return s == metric_stat::count || s == metric_stat::rate;
    case metric_kind::rate:
      return s == metric_stat::rate;
    case metric_kind::gauge:
      return s == metric_stat::value || s == metric_stat::min || s == metric_stat::max ||
             s == metric_stat::avg;
  }
  return false;
}

std::string_view accepted(metric_kind k) noexcept {
  switch (k) {
    case metric_kind::trend:
      return "p(N), avg, med, min, max or count";
    case metric_kind::counter:
      return "count or rate";
    case metric_kind::rate:
      return "rate";
    case metric_kind::gauge:
      return "value, min, max or avg";
  }
  return "";
}

std::string_view stat_name(metric_stat s) noexcept {
  switch (s) {
    case metric_stat::percentile:
      return "p(N)";
    case metric_stat::avg:
      return "avg";
    case metric_stat::med:
      return "med";
    case metric_stat::min:
      return "min";
    case metric_stat::max:
      return "max";
    case metric_stat::count:
      return "count";
    case metric_stat::rate:
      return "rate";
    case metric_stat::value:
      return "value";
  }
  return "?";
}

std::string seconds_text(std::chrono::nanoseconds d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + "s";
}

}  // namespace

std::string metric_threshold::name() const {
  std::string n = metric + ": " + expression;
  if (over.count() > 0) n += " over " + seconds_text(over);
  return n;
}

std::optional<engine::metric_kind> builtin_metric_kind(std::string_view name) noexcept {
  name = engine::canonical_metric_name(name);
  for (const auto& b : builtins)
    if (b.name == name) return b.kind;
  return std::nullopt;
}

metric_threshold parse_metric_threshold(
    const engine::threshold_spec& spec,
    const std::map<std::string, engine::metric_kind, std::less<>>* declared) {
  metric_threshold t;
  t.metric = std::string(trim(spec.metric));
  t.expression = std::string(trim(spec.expression));
  t.path = spec.path;
  t.abort_on_fail = spec.abort_on_fail;
  t.delay_abort_eval = spec.delay_abort_eval;
  t.over = spec.over;
  const auto& metric = spec.metric;
  const auto& expression = spec.expression;
  try {
    t.filter = engine::parse_metric_filter(t.metric);
  } catch (const engine::config_error& e) {
    fail(spec.path, metric, expression, e.what());
  }
  const std::string_view e = t.expression;
  const auto op_at = e.find_first_of("<>");
  if (op_at == std::string_view::npos || op_at == 0)
    fail(spec.path, metric, expression,
         "expected STAT OP VALUE, e.g. p(99)<300ms, avg<200, rate<0.01");
  const bool or_equal = op_at + 1 < e.size() && e[op_at + 1] == '=';
  t.op = e[op_at] == '<' ? (or_equal ? threshold_op::less_equal : threshold_op::less)
                         : (or_equal ? threshold_op::greater_equal : threshold_op::greater);
  const std::string_view stat = trim(e.substr(0, op_at));
  const std::string_view value = trim(e.substr(op_at + (or_equal ? 2 : 1)));
  if (stat.starts_with("p(") && stat.ends_with(")")) {
    const auto p = to_number(stat.substr(2, stat.size() - 3));
    if (!p || *p < 0 || *p > 100)
      fail(spec.path, metric, expression, "p(N) needs N between 0 and 100");
    t.stat = metric_stat::percentile;
    t.percentile = *p;
  } else if (stat == "avg") {
    t.stat = metric_stat::avg;
  } else if (stat == "med") {
    t.stat = metric_stat::med;
  } else if (stat == "min") {
    t.stat = metric_stat::min;
  } else if (stat == "max") {
    t.stat = metric_stat::max;
  } else if (stat == "count") {
    t.stat = metric_stat::count;
  } else if (stat == "rate") {
    t.stat = metric_stat::rate;
  } else if (stat == "value") {
    t.stat = metric_stat::value;
  } else {
    fail(spec.path, metric, expression,
         "unknown statistic \"" + std::string(stat) +
             "\" (use p(N), avg, med, min, max, count, rate, value)");
  }
  if (const auto n = to_number(value)) {
    t.limit = *n;
  } else {
    try {  // a duration: compared in milliseconds
      t.limit = static_cast<double>(engine::parse_duration(value).count()) / 1e6;
    } catch (const engine::config_error&) {
      fail(spec.path, metric, expression,
           "\"" + std::string(value) + "\" is neither a number nor a duration such as 300ms");
    }
  }
  // The statistic must be one the metric's kind has: p(95) of a counter means nothing.
  std::optional<engine::metric_kind> kind = builtin_metric_kind(t.filter.name);
  if (!kind && declared) {
    if (const auto it = declared->find(t.filter.name); it != declared->end()) kind = it->second;
  }
  if (kind && !applies(t.stat, *kind))
    fail(spec.path, metric, expression,
         std::string(stat_name(t.stat)) + " does not apply to " + t.filter.name + ", a " +
             std::string(engine::to_string(*kind)) + " (use " + std::string(accepted(*kind)) + ")");
  if (!kind && declared)
    fail(spec.path, metric, expression,
         "no metric named " + t.filter.name +
             " (neither built in, such as http_req_duration, nor declared by the drill's top "
             "level with metrics.counter/gauge/rate/trend)");
  return t;
}

metric_threshold parse_metric_threshold(std::string_view metric, std::string_view expression) {
  engine::threshold_spec spec;
  spec.metric = std::string(metric);
  spec.expression = std::string(expression);
  return parse_metric_threshold(spec);
}

std::vector<metric_threshold> parse_metric_thresholds(
    const std::vector<engine::threshold_spec>& specs,
    const std::map<std::string, engine::metric_kind, std::less<>>* declared) {
  std::vector<metric_threshold> out;
  out.reserve(specs.size());
  for (const auto& s : specs)
    out.push_back(parse_metric_threshold(s, declared));
  return out;
}

threshold_result evaluate(const metric_threshold& t, const engine::metric_set& metrics,
                          std::chrono::nanoseconds duration) {
  threshold_result out;
  out.expression = t.metric + ": " + t.expression;
  const auto m = engine::select(metrics, t.filter);
  detail::judge(t, m ? &*m : nullptr, std::chrono::duration<double>(duration).count(), out);
  return out;
}

std::optional<threshold_result> abort_check(const std::vector<metric_threshold>& ts,
                                            const engine::metric_set& totals,
                                            std::chrono::nanoseconds elapsed) {
  for (const auto& t : ts) {
    if (!t.abort_on_fail || elapsed < t.delay_abort_eval) continue;
    const auto m = engine::select(totals, t.filter);
    // Nothing measured yet is no evidence of a breach.
    if (!m || (m->samples == 0 && m->kind != engine::metric_kind::counter)) continue;
    threshold_result r;
    r.expression = t.name();
    detail::judge(t, &*m, std::chrono::duration<double>(elapsed).count(), r);
    if (!r.passed) return r;
  }
  return std::nullopt;
}

}  // namespace ordeal::reporters
