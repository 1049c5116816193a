#include "ordeal/reporters/html_report.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "fault_events.hpp"
#include "ordeal/engine/metric_filter.hpp"
#include "ordeal/reporters/format.hpp"
#include "ordeal/reporters/svg_chart.hpp"

namespace ordeal::reporters {

namespace json = boost::json;
using svg::escape;

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
// Evidence can be large (every example of a thousand bad keys): the page shows the first ones.
constexpr std::size_t max_evidence_rows = 50;
constexpr std::size_t max_evidence_text = 4000;
constexpr int max_evidence_depth = 6;

constexpr std::string_view style = R"(
body{font-family:-apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif;margin:24px;
color:#222;background:#f6f7f9}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px}
.sub{color:#666;font-size:13px;word-break:break-all}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin-top:14px}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px 14px;min-width:110px}
.card .k{font-size:11px;color:#666;text-transform:uppercase}.card .v{font-size:20px;font-weight:600}
.panel{background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px;margin-bottom:12px;
overflow-x:auto}
table{border-collapse:collapse;font-size:13px;background:#fff}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top;
white-space:pre-wrap;word-break:break-word}
th{background:#eef0f3}td.n{text-align:right;font-variant-numeric:tabular-nums}
.pass{color:#1a7f37;font-weight:600}.fail{color:#c62828;font-weight:600}
.badge{display:inline-block;padding:2px 10px;border-radius:10px;color:#fff;font-weight:600}
.badge.pass{background:#1a7f37;color:#fff}.badge.fail{background:#c62828;color:#fff}
details{margin:6px 0 12px}summary{cursor:pointer;font-weight:600}
ul.reasons{margin:4px 0 8px 18px;padding:0}
pre{background:#f3f3f3;padding:6px;font-size:12px;white-space:pre-wrap;word-break:break-all}
.muted{color:#888}svg.chart{width:100%;height:auto;max-width:1400px;display:block}
)";

std::string fixed(double v, int digits = 2) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string pct(std::uint64_t part, std::uint64_t whole) {
  return whole ? format_percent(static_cast<double>(part) / static_cast<double>(whole)) : "-";
}

std::string us(std::uint64_t v) {
  return format_latency_us(static_cast<double>(v));
}

std::string td(std::string_view text) {
  return "<td>" + escape(text) + "</td>";
}
std::string tdn(std::string_view text) {
  return "<td class=\"n\">" + escape(text) + "</td>";
}
std::string th(std::string_view text) {
  return "<th>" + escape(text) + "</th>";
}

std::string card(std::string_view key, std::string_view value, std::string_view cls = {}) {
  std::string s = "<div class=\"card\"><div class=\"k\">" + escape(key) + "</div><div class=\"v";
  if (!cls.empty()) s += ' ' + std::string(cls);
  return s + "\">" + escape(value) + "</div></div>";
}

// ---- evidence: any JSON, shown as nested tables ------------------------------------------

void json_html(std::string& out, const json::value& v, int depth);

std::string scalar_text(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "-";
    case json::kind::bool_:
      return v.get_bool() ? "true" : "false";
    case json::kind::double_: {
      // Shortest exact form ("82.495"), not the serializer's "8.2495E1".
      char buf[64];
      const auto r = std::to_chars(buf, buf + sizeof buf, v.get_double());
      return std::string(buf, r.ptr);
    }
    case json::kind::string: {
      std::string s(v.get_string());
      if (s.size() > max_evidence_text)
        s = s.substr(0, max_evidence_text) + "... (" + std::to_string(v.get_string().size()) +
            " bytes)";
      return s;
    }
    default:
      return json::serialize(v);
  }
}

void array_html(std::string& out, const json::array& a, int depth) {
  if (a.empty()) {
    out += "<span class=\"muted\">(none)</span>";
    return;
  }
  const bool all_objects =
      std::all_of(a.begin(), a.end(), [](const json::value& e) { return e.is_object(); });
  const std::size_t shown = std::min(a.size(), max_evidence_rows);
  if (all_objects) {
    // A list of records: one row each, the union of their keys as columns (in first-seen order).
    std::vector<std::string> columns;
    for (std::size_t i = 0; i < shown; ++i)
      for (const auto& kv : a[i].get_object())
        if (std::find(columns.begin(), columns.end(), kv.key()) == columns.end())
          columns.emplace_back(kv.key());
    out += "<table><tr>";
    for (const auto& c : columns)
      out += th(c);
    out += "</tr>";
    for (std::size_t i = 0; i < shown; ++i) {
      out += "<tr>";
      const auto& o = a[i].get_object();
      for (const auto& c : columns) {
        out += "<td>";
        if (const auto* e = o.if_contains(c)) json_html(out, *e, depth + 1);
        out += "</td>";
      }
      out += "</tr>";
    }
    out += "</table>";
  } else {
    out += "<ol>";
    for (std::size_t i = 0; i < shown; ++i) {
      out += "<li>";
      json_html(out, a[i], depth + 1);
      out += "</li>";
    }
    out += "</ol>";
  }
  if (a.size() > shown)
    out += "<div class=\"muted\">... and " + std::to_string(a.size() - shown) + " more</div>";
}

void json_html(std::string& out, const json::value& v, int depth) {
  if (depth > max_evidence_depth) {
    out += "<pre>" + escape(scalar_text(json::value(json::serialize(v)))) + "</pre>";
    return;
  }
  if (v.is_array()) return array_html(out, v.get_array(), depth);
  if (v.is_object()) {
    const auto& o = v.get_object();
    if (o.empty()) {
      out += "<span class=\"muted\">(empty)</span>";
      return;
    }
    out += "<table>";
    for (const auto& kv : o) {
      out += "<tr><th>" + escape(kv.key()) + "</th><td>";
      json_html(out, kv.value(), depth + 1);
      out += "</td></tr>";
    }
    out += "</table>";
    return;
  }
  out += escape(scalar_text(v));
}

// ---- sections ----------------------------------------------------------------------------

void verdicts_section(std::string& out, const std::vector<verdict>& verdicts) {
  out += "<h2>Verdicts</h2>";
  if (verdicts.empty()) {
    out += "<p class=\"muted\">No thresholds or checkers were set for this run.</p>";
    return;
  }
  out +=
      "<div class=\"panel\"><table><tr><th>result</th><th>kind</th><th>verdict</th>"
      "<th>measured</th></tr>";
  for (const auto& v : verdicts)
    out += std::string("<tr><td class=\"") + (v.passed ? "pass\">pass" : "fail\">FAIL") + "</td>" +
           td(to_string(v.kind)) + td(v.name) + td(v.measured) + "</tr>";
  out += "</table>";
  for (const auto& v : verdicts) {
    // A passed threshold's evidence is its figure, already in the table.
    if (v.passed && (v.evidence.is_null() || v.kind == verdict_kind::threshold)) continue;
    // Failures open, so the reasons are on the page (and in a screenshot) without a click.
    out += std::string("<details") + (v.passed ? "" : " open") + "><summary><span class=\"" +
           (v.passed ? "pass\">pass" : "fail\">FAIL") + "</span> " + escape(v.name) + "</summary>";
    if (!v.reasons.empty()) {
      out += "<ul class=\"reasons\">";
      for (const auto& r : v.reasons)
        out += "<li>" + escape(r) + "</li>";
      out += "</ul>";
    }
    if (!v.evidence.is_null()) json_html(out, v.evidence, 0);
    out += "</details>";
  }
  out += "</div>";
}

std::vector<svg::window> fault_windows(const engine::script_results* s, double end_s) {
  std::vector<svg::window> windows;
  if (!s) return windows;
  for (const auto& span : detail::spans_of(s->faults)) {
    if (!span.start_us && !span.stop_us) continue;  // hits only: no window to draw
    svg::window w;
    w.from_s = span.start_us ? std::max(0.0, static_cast<double>(*span.start_us) / 1e6) : 0.0;
    w.to_s = span.stop_us ? static_cast<double>(*span.stop_us) / 1e6 : end_s;
    if (w.to_s < 0) continue;  // over before the load started (setup)
    w.label = span.proxy + '/' + span.fault;
    if (!span.type.empty() && span.type != span.fault) w.label += " (" + span.type + ")";
    windows.push_back(std::move(w));
  }
  return windows;
}

void charts_section(std::string& out, const engine::run_results& r,
                    const engine::script_results* s) {
  const auto& series = r.series;
  const double end_s =
      std::max(static_cast<double>(series.size()), static_cast<double>(r.duration.count()) / 1e9);
  const auto windows = fault_windows(s, end_s);

  svg::series p50{"p50", "#4e79a7", {}, svg::merge::mean};
  svg::series p99{"p99", "#e15759", {}, svg::merge::max};
  svg::series ok{"ok/s", "#59a14f", {}, svg::merge::mean};
  svg::series errors{"errors/s", "#e15759", {}, svg::merge::mean};
  for (const auto& sec : series) {
    const auto good = sec.outcomes[static_cast<std::size_t>(engine::outcome::ok)];
    const auto all = sec.total();
    // A second without responses has no latency: a gap, not a zero.
    p50.values.push_back(sec.p99_us ? static_cast<double>(sec.p50_us) : nan);
    p99.values.push_back(sec.p99_us ? static_cast<double>(sec.p99_us) : nan);
    ok.values.push_back(static_cast<double>(good));
    errors.values.push_back(static_cast<double>(all - good));
  }

  svg::line_chart latency;
  latency.title = "Latency per second (corrected)";
  latency.y_label = "latency";
  latency.format_y = [](double v) { return format_latency_us(v); };
  latency.lines = {std::move(p50), std::move(p99)};
  latency.windows = windows;

  svg::line_chart throughput;
  throughput.title = "Throughput and errors per second";
  throughput.y_label = "attempts / s";
  throughput.lines = {std::move(ok), std::move(errors)};
  throughput.windows = windows;

  out += "<h2>Over time</h2><div class=\"panel\">" + svg::render(latency) + "</div>";
  out += "<div class=\"panel\">" + svg::render(throughput) + "</div>";
}

// The fine HDR buckets regrouped into ~40 log-spaced bars between the fastest and the slowest.
std::vector<svg::bar> histogram_bars(const engine::histogram& h) {
  std::vector<svg::bar> bars;
  if (h.count() == 0) return bars;
  const double lo = std::max<double>(1, static_cast<double>(h.min()));
  const double hi = std::max(lo * 1.0001, static_cast<double>(h.max()));
  const std::size_t n = hi / lo < 1.5 ? 1 : 40;
  std::vector<std::uint64_t> counts(n, 0);
  const double span = std::log(hi / lo);
  for (const auto& b : h.sparse()) {
    const double mid = (static_cast<double>(h.lowest_equivalent(b.index)) +
                        static_cast<double>(h.highest_equivalent(b.index))) /
                       2;
    const double v = std::clamp(mid, lo, hi);
    auto i =
        n == 1 ? 0 : static_cast<std::size_t>(std::log(v / lo) / span * static_cast<double>(n));
    counts[std::min(i, n - 1)] += b.count;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const double from = lo * std::exp(span * static_cast<double>(i) / static_cast<double>(n));
    const double to = lo * std::exp(span * static_cast<double>(i + 1) / static_cast<double>(n));
    svg::bar b;
    b.label = format_latency_us(to);
    b.value = static_cast<double>(counts[i]);
    b.tooltip = format_latency_us(from) + " - " + format_latency_us(to) + ": " +
                std::to_string(counts[i]) + " responses";
    bars.push_back(std::move(b));
  }
  return bars;
}

void histogram_section(std::string& out, const engine::histogram& h) {
  svg::bar_chart c;
  c.title = "Latency histogram (corrected)";
  c.x_label = "latency (upper bound of each bar, log scale)";
  c.y_label = "responses";
  c.bars = histogram_bars(h);
  out += "<h2>Latency distribution</h2><div class=\"panel\">" + svg::render(c);
  if (h.count()) {
    out += "<table><tr>";
    for (const char* p : {"min", "p50", "p90", "p95", "p99", "p99.9", "max", "mean"})
      out += th(p);
    out += "</tr><tr>" + tdn(us(h.min())) + tdn(us(h.percentile(50))) + tdn(us(h.percentile(90))) +
           tdn(us(h.percentile(95))) + tdn(us(h.percentile(99))) + tdn(us(h.percentile(99.9))) +
           tdn(us(h.max())) + tdn(format_latency_us(h.mean())) + "</tr></table>";
  }
  out += "</div>";
}

// `base`'s series merged per value of their "name" tag (every sample is in exactly one series).
std::map<std::string, engine::metric> by_name(const engine::metric_set& set,
                                              std::string_view base) {
  std::map<std::string, engine::metric> merged;
  const std::string prefix = std::string(base) + '{';
  for (auto it = set.lower_bound(prefix); it != set.end() && it->first.starts_with(prefix); ++it) {
    const auto key = engine::split_series_key(it->first);
    if (key.name != base) continue;
    const auto name = std::find_if(key.tags.begin(), key.tags.end(),
                                   [](const auto& t) { return t.first == "name"; });
    if (name == key.tags.end()) continue;
    const auto [m, fresh] = merged.try_emplace(std::string(name->second), it->second);
    if (!fresh) m->second.merge(it->second);
  }
  return merged;
}

void endpoints_section(std::string& out, const engine::run_results& r,
                       const engine::script_results* s, const run_info& info) {
  out += "<h2>Requests by name</h2><div class=\"panel\"><table><tr>";
  for (const char* h : {"name", "requests", "failed", "p50", "p90", "p95", "p99", "max"})
    out += th(h);
  out += "</tr>";
  if (!s) {
    // A plain run has one request: the target.
    const auto& h = r.latency;
    out += "<tr>" + td(info.method + ' ' + info.target) + tdn(std::to_string(r.total())) +
           tdn(format_percent(r.error_rate()));
    for (const double p : {50.0, 90.0, 95.0, 99.0})
      out += tdn(h.count() ? us(h.percentile(p)) : "-");
    out += tdn(h.count() ? us(h.max()) : "-") + "</tr>";
  } else {
    const auto durations = by_name(s->metrics, "http_req_duration");
    const auto reqs = by_name(s->metrics, "http_reqs");
    const auto failed = by_name(s->metrics, "http_req_failed");
    std::map<std::string, int> names;
    for (const auto* m : {&durations, &reqs, &failed})
      for (const auto& [name, _] : *m)
        names[name] = 0;
    for (const auto& [name, _] : names) {
      out += "<tr>" + td(name);
      const auto rq = reqs.find(name);
      const auto d = durations.find(name);
      const auto f = failed.find(name);
      out += tdn(rq != reqs.end() ? fixed(rq->second.sum, 0)
                                  : (d != durations.end() ? std::to_string(d->second.samples)
                                                          : std::string("-")));
      out += tdn(f != failed.end() && f->second.samples ? format_percent(f->second.rate_value())
                                                        : "-");
      const bool has = d != durations.end() && d->second.samples > 0;
      // Trend values are ms; the table shows them as latencies (µs in, best unit out).
      for (const double p : {50.0, 90.0, 95.0, 99.0})
        out += tdn(has ? format_latency_us(d->second.percentile(p) * 1000) : "-");
      out += tdn(has ? format_latency_us(d->second.max * 1000) : "-") + "</tr>";
    }
    if (names.empty()) out += "<tr><td colspan=\"8\" class=\"muted\">no named requests</td></tr>";
  }
  out += "</table></div>";
}

void outcomes_section(std::string& out, const engine::run_results& r) {
  out +=
      "<h2>Outcomes</h2><div class=\"panel\"><table><tr><th>outcome</th><th>attempts</th>"
      "<th>share</th></tr>";
  for (std::size_t i = 0; i < engine::outcome_count; ++i) {
    const auto n = r.outcomes[i];
    if (n == 0) continue;
    out += "<tr>" + td(engine::to_string(static_cast<engine::outcome>(i))) +
           tdn(std::to_string(n)) + tdn(pct(n, r.total())) + "</tr>";
  }
  if (r.total() == 0) out += "<tr><td colspan=\"3\" class=\"muted\">no attempts</td></tr>";
  if (r.in_flight)
    out +=
        "<tr>" + td("in flight at the end") + tdn(std::to_string(r.in_flight)) + td("") + "</tr>";
  out += "</table>";
  if (!r.status_codes.empty()) {
    out += "<h3>Status codes</h3><table><tr><th>status</th><th>responses</th></tr>";
    for (const auto& [code, n] : r.status_codes)
      out += "<tr>" + td(std::to_string(code)) + tdn(std::to_string(n)) + "</tr>";
    out += "</table>";
  }
  if (!r.error_reasons.empty()) {
    out += "<h3>Errors</h3><table><tr><th>reason</th><th>count</th></tr>";
    std::size_t shown = 0;
    for (const auto& [reason, n] : r.error_reasons) {
      if (++shown > max_evidence_rows) break;
      out += "<tr>" + td(reason) + tdn(std::to_string(n)) + "</tr>";
    }
    out += "</table>";
  }
  out += "</div>";
}

void faults_section(std::string& out, const engine::script_results& s) {
  if (s.faults.empty()) return;
  const auto at = [](const std::optional<std::int64_t>& t, const char* none) {
    return t ? fixed(static_cast<double>(*t) / 1e6) + "s" : std::string(none);
  };
  out +=
      "<h2>Faults</h2><div class=\"panel\"><table><tr><th>proxy</th><th>fault</th>"
      "<th>type</th><th>start</th><th>stop</th><th>hits</th></tr>";
  for (const auto& span : detail::spans_of(s.faults))
    out += "<tr>" + td(span.proxy) + td(span.fault) + td(span.type) + tdn(at(span.start_us, "?")) +
           tdn(at(span.stop_us, "not stopped")) + tdn(std::to_string(span.hits)) + "</tr>";
  out += "</table>";
  if (s.fault_events_dropped)
    out += "<p class=\"muted\">" + std::to_string(s.fault_events_dropped) +
           " more fault events not recorded (past the record's cap)</p>";
  out += "</div>";
}

void drill_section(std::string& out, const engine::script_results& s) {
  out += "<h2>Scenarios</h2><div class=\"panel\"><table><tr>";
  for (const char* h :
       {"scenario", "executor", "iterations", "failed", "interrupted", "dropped", "max VUs"})
    out += th(h);
  out += "</tr>";
  for (const auto& sc : s.scenarios)
    out += "<tr>" + td(sc.name) + td(sc.executor) + tdn(std::to_string(sc.iterations)) +
           tdn(std::to_string(sc.failed)) + tdn(std::to_string(sc.interrupted)) +
           tdn(std::to_string(sc.dropped)) + tdn(std::to_string(sc.max_vus)) + "</tr>";
  out +=
      "</table><h3>Client behaviour</h3><table><tr><th>operations</th><th>attempts</th>"
      "<th>amplification</th><th>retries</th><th>retries refused</th><th>duplicates</th></tr>"
      "<tr>" +
      tdn(std::to_string(s.operations)) + tdn(std::to_string(s.attempts)) +
      tdn(fixed(s.amplification()) + "x") + tdn(std::to_string(s.retries)) +
      tdn(std::to_string(s.retries_refused)) + tdn(std::to_string(s.duplicates)) + "</tr></table>";
  if (!s.checks.empty()) {
    out +=
        "<h3>Checks</h3><table><tr><th>check</th><th>passes</th><th>fails</th><th>rate</th>"
        "</tr>";
    for (const auto& [name, c] : s.checks)
      out += "<tr>" + td(name) + tdn(std::to_string(c.first)) + tdn(std::to_string(c.second)) +
             tdn(pct(c.first, c.first + c.second)) + "</tr>";
    out += "</table>";
  }
  if (!s.script_errors.empty()) {
    out += "<h3>Script errors</h3><table><tr><th>error</th><th>count</th></tr>";
    for (const auto& [message, n] : s.script_errors)
      out += "<tr>" + td(message) + tdn(std::to_string(n)) + "</tr>";
    out += "</table>";
  }
  out += "</div>";
}

void write_page(std::ostream& os, const engine::run_results& r, const engine::script_results* s,
                const std::vector<verdict>& verdicts, const run_info& info) {
  std::string out;
  out.reserve(64 * 1024);
  out +=
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>ordeal report: " +
      escape(info.target) + "</title><style>";
  out += style;
  out += "</style></head><body>\n";

  const bool passed = all_passed(verdicts);
  out += "<h1>ordeal report <span class=\"badge " + std::string(passed ? "pass" : "fail") + "\">" +
         (verdicts.empty() ? "no verdicts"
          : passed         ? "PASSED"
                           : "FAILED") +
         "</span></h1>";
  out += "<div class=\"sub\">" + escape(info.method) + ' ' + escape(info.target) + "</div>";
  std::string command;
  for (const auto& a : info.command_line)
    command += (command.empty() ? "" : " ") + a;
  out += "<div class=\"sub\">started " + escape(info.started_at) + " &middot; ordeal " +
         escape(info.version) + " &middot; seed " + std::to_string(s ? s->seed : info.seed) +
         (r.interrupted ? " &middot; <b>interrupted</b>" : "") + "</div>";
  if (!command.empty()) out += "<div class=\"sub\"><code>" + escape(command) + "</code></div>";
  if (s && !s->aborted_by.empty())
    out += "<p class=\"fail\">Stopped early: the threshold " + escape(s->aborted_by) +
           " failed during the run (abort_on_fail).</p>";

  const auto& h = r.latency;
  std::size_t failed = 0;
  for (const auto& v : verdicts)
    failed += v.passed ? 0 : 1;
  out += "<div class=\"cards\">";
  out += card("duration", format_latency_us(static_cast<double>(r.duration.count()) / 1e3));
  out += card("requests", std::to_string(r.total()));
  out += card("rate", format_rate(r.rps()) + " req/s");
  out += card("error rate", format_percent(r.error_rate()), r.errors() ? "fail" : "");
  out += card("p50", h.count() ? us(h.percentile(50)) : "-");
  out += card("p99", h.count() ? us(h.percentile(99)) : "-");
  out += card("max", h.count() ? us(h.max()) : "-");
  out += card("verdicts",
              std::to_string(verdicts.size() - failed) + " of " + std::to_string(verdicts.size()) +
                  " passed",
              failed ? "fail" : "pass");
  out += "</div>\n";

  verdicts_section(out, verdicts);
  out += '\n';
  charts_section(out, r, s);
  out += '\n';
  histogram_section(out, r.latency);
  endpoints_section(out, r, s, info);
  outcomes_section(out, r);
  if (s) {
    faults_section(out, *s);
    drill_section(out, *s);
  }
  out += "\n<p class=\"muted\">Generated by ordeal " + escape(info.version) +
         ". Latency is measured from each request's intended send time (coordinated-omission "
         "corrected). Shaded bands are fault windows.</p></body></html>\n";
  os << out;
}

}  // namespace

void write_html_report(std::ostream& out, const engine::run_results& r,
                       const std::vector<verdict>& verdicts, const run_info& info) {
  write_page(out, r, nullptr, verdicts, info);
}

void write_html_report(std::ostream& out, const engine::script_results& r,
                       const std::vector<verdict>& verdicts, const run_info& info) {
  write_page(out, r.http, &r, verdicts, info);
}

}  // namespace ordeal::reporters
