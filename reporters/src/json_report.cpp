#include "ordeal/reporters/json_report.hpp"

#include <chrono>
#include <cmath>
#include <string>

#include "json_pretty.hpp"
#include "ordeal/reporters/verdict_report.hpp"

namespace ordeal::reporters {

namespace {

namespace json = boost::json;
using engine::outcome;

// Every error class, always present (zeros included): readers get a stable shape.
constexpr outcome error_classes[] = {
    outcome::connect, outcome::timeout,   outcome::reset, outcome::protocol, outcome::status,
    outcome::dropped, outcome::abandoned, outcome::tls,   outcome::refused,  outcome::stream_reset};

double ms(std::uint64_t us) noexcept {
  return static_cast<double>(us) / 1000.0;
}

double seconds(std::chrono::nanoseconds d) noexcept {
  return std::chrono::duration<double>(d).count();
}

json::object errors_by_class(const std::array<std::uint64_t, engine::outcome_count>& outcomes) {
  json::object o;
  for (const outcome c : error_classes) {
    o[engine::to_string(c)] = outcomes[static_cast<std::size_t>(c)];
  }
  return o;
}

// null, not 0, when nothing was measured: a reader must not mistake "no responses" for fast.
json::object latency_ms(const engine::histogram& h) {
  const auto at = [&](double p) -> json::value {
    if (h.count() == 0) return nullptr;
    return ms(h.percentile(p));
  };
  json::object o;
  o["min"] = h.count() == 0 ? json::value(nullptr) : json::value(ms(h.min()));
  o["mean"] = h.count() == 0 ? json::value(nullptr) : json::value(h.mean() / 1000.0);
  o["p50"] = at(50.0);
  o["p90"] = at(90.0);
  o["p99"] = at(99.0);
  o["p99_9"] = at(99.9);
  o["max"] = h.count() == 0 ? json::value(nullptr) : json::value(ms(h.max()));
  return o;
}

json::object phase_ms(const engine::histogram& h) {
  json::object o;
  if (h.count() == 0) {
    o["p50"] = nullptr;
    o["p99"] = nullptr;
    o["max"] = nullptr;
    return o;
  }
  o["p50"] = ms(h.percentile(50.0));
  o["p99"] = ms(h.percentile(99.0));
  o["max"] = ms(h.max());
  return o;
}

// Both forms: `encoded` merges back into a histogram without loss (shard merge, baselines);
// `buckets` can be plotted or summed by any JSON tool without knowing the layout.
json::object histogram_json(const engine::histogram& h) {
  json::object o;
  o["count"] = h.count();
  o["encoded"] = h.encode();
  json::array buckets;
  for (const auto& b : h.sparse()) {
    buckets.push_back(
        json::array{h.lowest_equivalent(b.index), h.highest_equivalent(b.index), b.count});
  }
  o["buckets"] = std::move(buckets);
  return o;
}

json::array series_json(const std::vector<engine::second_sample>& series) {
  json::array a;
  a.reserve(series.size());
  for (std::size_t i = 0; i < series.size(); ++i) {
    const auto& s = series[i];
    const bool responded = s.outcomes[static_cast<std::size_t>(outcome::ok)] +
                               s.outcomes[static_cast<std::size_t>(outcome::status)] >
                           0;
    json::object o;
    o["second"] = i;
    o["total"] = s.total();
    o["ok"] = s.outcomes[static_cast<std::size_t>(outcome::ok)];
    o["errors"] = errors_by_class(s.outcomes);
    o["p50_ms"] = responded ? json::value(ms(s.p50_us)) : json::value(nullptr);
    o["p99_ms"] = responded ? json::value(ms(s.p99_us)) : json::value(nullptr);
    a.push_back(std::move(o));
  }
  return a;
}

}  // namespace

json::object to_json(const engine::run_results& r, const std::vector<threshold_result>& thresholds,
                     const run_info& info, const std::vector<verdict>& more) {
  json::object o;
  o["schema"] = result_schema;
  o["version"] = info.version;
  json::array argv;
  for (const auto& arg : info.command_line)
    argv.emplace_back(arg);
  o["command_line"] = std::move(argv);
  o["started_at"] = info.started_at;
  o["seed"] = info.seed;
  o["target"] = info.target;
  o["method"] = info.method;
  o["model"] = r.open_model ? "open" : "closed";
  o["threads"] = r.threads;
  o["connections"] = r.connections;
  if (r.open_model) o["target_rate"] = r.target_rate_per_s;
  o["interrupted"] = r.interrupted;
  o["duration_s"] = seconds(r.duration);
  o["wall_time_s"] = seconds(r.wall_time);

  json::object requests;
  requests["total"] = r.total();
  requests["ok"] = r.count(outcome::ok);
  requests["errors"] = errors_by_class(r.outcomes);
  requests["in_flight"] = r.in_flight;
  json::object codes;
  for (const auto& [code, n] : r.status_codes)
    codes[std::to_string(code)] = n;
  requests["status_codes"] = std::move(codes);
  json::object reasons;
  for (const auto& [reason, n] : r.error_reasons)
    reasons[reason] = n;
  requests["error_reasons"] = std::move(reasons);
  o["requests"] = std::move(requests);

  o["rps"] = r.rps();
  o["error_rate"] = r.error_rate();
  o["unsolicited_responses"] = r.unsolicited_responses;
  if (!r.protocol.empty()) o["protocol"] = r.protocol;
  o["connections_opened"] = r.connections_opened;
  if (r.tls) {
    json::object tls;
    tls["full_handshakes"] = r.tls_full_handshakes;
    tls["resumed_handshakes"] = r.tls_resumed_handshakes;
    o["tls"] = std::move(tls);
  }
  o["bytes_sent"] = r.bytes_sent;
  o["bytes_received"] = r.bytes_received;

  o["latency_ms"] = latency_ms(r.latency);
  // In the closed model both histograms are the same; an identical copy would only mislead.
  if (r.open_model) o["latency_uncorrected_ms"] = latency_ms(r.latency_uncorrected);
  json::object phases;
  phases["connect"] = phase_ms(r.connect_time);
  if (r.tls) phases["tls_handshake"] = phase_ms(r.tls_handshake);
  phases["ttfb"] = phase_ms(r.ttfb);
  o["phases_ms"] = std::move(phases);

  auto verdicts = to_verdicts(thresholds);
  verdicts.insert(verdicts.end(), more.begin(), more.end());
  o["thresholds"] = thresholds_json(verdicts);
  o["verdicts"] = verdicts_json(verdicts);
  o["series"] = series_json(r.series);

  json::object histograms;
  histograms["latency"] = histogram_json(r.latency);
  if (r.open_model) histograms["latency_uncorrected"] = histogram_json(r.latency_uncorrected);
  histograms["connect"] = histogram_json(r.connect_time);
  if (r.tls) histograms["tls_handshake"] = histogram_json(r.tls_handshake);
  histograms["ttfb"] = histogram_json(r.ttfb);
  o["histograms"] = std::move(histograms);
  return o;
}

void write_json(std::ostream& out, const engine::run_results& r,
                const std::vector<threshold_result>& thresholds, const run_info& info,
                const std::vector<verdict>& more) {
  detail::write_pretty(out, to_json(r, thresholds, info, more));
}

}  // namespace ordeal::reporters
