// A shard's result as JSON and back: script_to_json() plus what a merge needs to add shards
// without loss ("merge_state"), and the reader `ordeal merge` uses.
#include <boost/json.hpp>
#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>

#include "json_pretty.hpp"
#include "ordeal/engine/config_error.hpp"
#include "ordeal/reporters/json_report.hpp"
#include "ordeal/reporters/result_merge.hpp"
#include "ordeal/reporters/script_report.hpp"

namespace ordeal::reporters {

namespace json = boost::json;

namespace {

constexpr engine::metric_kind metric_kinds[] = {
    engine::metric_kind::counter, engine::metric_kind::gauge, engine::metric_kind::rate,
    engine::metric_kind::trend};

// JSON has no infinity: an unset min or max (no samples) is null.
json::value finite_or_null(double v) {
  return std::isfinite(v) ? json::value(v) : json::value(nullptr);
}

std::string hex(const std::string& bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

json::array outcomes_json(const std::array<std::uint64_t, engine::outcome_count>& outcomes) {
  json::array a;
  for (const auto n : outcomes)
    a.emplace_back(n);
  return a;
}

json::object metric_state(const engine::metric& m) {
  json::object o;
  o["kind"] = engine::to_string(m.kind);
  o["is_time"] = m.is_time;
  o["sum"] = m.sum;
  o["samples"] = m.samples;
  o["min"] = finite_or_null(m.min);
  o["max"] = finite_or_null(m.max);
  o["last"] = m.last;
  o["trues"] = m.trues;
  if (m.kind == engine::metric_kind::trend && m.values.count() > 0) o["values"] = m.values.encode();
  return o;
}

json::object http_state(const engine::run_results& r) {
  json::object o;
  o["open_model"] = r.open_model;
  o["target_rate_per_s"] = r.target_rate_per_s;
  o["threads"] = r.threads;
  o["connections"] = r.connections;
  o["interrupted"] = r.interrupted;
  o["duration_ns"] = r.duration.count();
  o["wall_time_ns"] = r.wall_time.count();
  o["outcomes"] = outcomes_json(r.outcomes);
  o["in_flight"] = r.in_flight;
  json::object codes;
  for (const auto& [code, n] : r.status_codes)
    codes[std::to_string(code)] = n;
  o["status_codes"] = std::move(codes);
  json::object reasons;
  for (const auto& [reason, n] : r.error_reasons)
    reasons[reason] = n;
  o["error_reasons"] = std::move(reasons);
  o["unsolicited_responses"] = r.unsolicited_responses;
  json::object h;
  h["latency"] = r.latency.encode();
  h["latency_uncorrected"] = r.latency_uncorrected.encode();
  h["connect"] = r.connect_time.encode();
  h["tls_handshake"] = r.tls_handshake.encode();
  h["ttfb"] = r.ttfb.encode();
  o["histograms"] = std::move(h);
  // Per second: the outcomes, then p50 and p99 in µs.
  json::array series;
  for (const auto& s : r.series) {
    auto row = outcomes_json(s.outcomes);
    row.emplace_back(s.p50_us);
    row.emplace_back(s.p99_us);
    series.push_back(std::move(row));
  }
  o["series"] = std::move(series);
  o["protocol"] = r.protocol;
  o["tls"] = r.tls;
  o["tls_full_handshakes"] = r.tls_full_handshakes;
  o["tls_resumed_handshakes"] = r.tls_resumed_handshakes;
  o["connections_opened"] = r.connections_opened;
  o["bytes_sent"] = r.bytes_sent;
  o["bytes_received"] = r.bytes_received;
  return o;
}

// {"series": [[key, kind, is_time], ...], "seconds": [[[series, samples, trues, sum, min, max,
// last, buckets as hex], ...], ...]}: every sample exactly as the timeline holds it.
json::object timeline_state(const engine::metric_timeline& t) {
  json::object o;
  json::array series;
  for (const auto& s : t.series())
    series.push_back(json::array{json::value(s.key), json::value(engine::to_string(s.kind)),
                                 json::value(s.is_time)});
  o["series"] = std::move(series);
  json::array seconds;
  for (std::size_t i = 0; i < t.seconds(); ++i) {
    json::array row;
    for (const auto& s : t.at(i))
      row.push_back(json::array{s.series, s.samples, s.trues, s.sum, finite_or_null(s.min),
                                finite_or_null(s.max), s.last, json::value(hex(s.buckets))});
    seconds.push_back(std::move(row));
  }
  o["seconds"] = std::move(seconds);
  return o;
}

json::object merge_state(const engine::script_results& r) {
  json::object o;
  o["http"] = http_state(r.http);
  json::object metrics;
  for (const auto& [key, m] : r.metrics)
    metrics[key] = metric_state(m);
  o["metrics"] = std::move(metrics);
  o["timeline"] = timeline_state(r.timeline);
  json::array thresholds;
  for (const auto& t : r.thresholds)
    thresholds.push_back(json::object{{"metric", t.metric},
                                      {"expression", t.expression},
                                      {"path", t.path},
                                      {"abort_on_fail", t.abort_on_fail},
                                      {"delay_abort_eval_ns", t.delay_abort_eval.count()},
                                      {"over_ns", t.over.count()}});
  o["thresholds"] = std::move(thresholds);
  return o;
}

// Reading back --------------------------------------------------------------------------------

class reader {
 public:
  explicit reader(std::string_view source) : source_(source) {}

  static std::string joined(std::string_view path, std::string_view key) {
    return path.empty() ? std::string(key) : std::string(path) + "." + std::string(key);
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw engine::config_error(source_ + ": " + what);
  }
  const json::object& object(const json::value& v, std::string_view path) const {
    if (!v.is_object()) fail("\"" + std::string(path) + "\" is not an object");
    return v.get_object();
  }
  const json::value& at(const json::object& o, std::string_view key, std::string_view path) const {
    const auto* v = o.if_contains(key);
    if (!v) fail("no \"" + joined(path, key) + "\"");
    return *v;
  }
  const json::object& obj(const json::object& o, std::string_view key,
                          std::string_view path) const {
    return object(at(o, key, path), joined(path, key));
  }
  const json::array& arr(const json::object& o, std::string_view key, std::string_view path) const {
    const auto& v = at(o, key, path);
    if (!v.is_array()) fail("\"" + joined(path, key) + "\" is not an array");
    return v.get_array();
  }
  std::uint64_t u64(const json::value& v, std::string_view path) const {
    if (v.is_uint64()) return v.get_uint64();
    if (v.is_int64() && v.get_int64() >= 0) return static_cast<std::uint64_t>(v.get_int64());
    fail("\"" + std::string(path) + "\" is not a whole number");
  }
  std::int64_t i64(const json::value& v, std::string_view path) const {
    if (v.is_int64()) return v.get_int64();
    if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
      return static_cast<std::int64_t>(v.get_uint64());
    fail("\"" + std::string(path) + "\" is not a whole number");
  }
  double num(const json::value& v, std::string_view path, double if_null = 0) const {
    if (v.is_null()) return if_null;
    if (v.is_double()) return v.get_double();
    if (v.is_int64()) return static_cast<double>(v.get_int64());
    if (v.is_uint64()) return static_cast<double>(v.get_uint64());
    fail("\"" + std::string(path) + "\" is not a number");
  }
  bool boolean(const json::value& v, std::string_view path) const {
    if (!v.is_bool()) fail("\"" + std::string(path) + "\" is not true or false");
    return v.get_bool();
  }
  std::string str(const json::value& v, std::string_view path) const {
    if (!v.is_string()) fail("\"" + std::string(path) + "\" is not a string");
    return std::string(v.get_string());
  }
  engine::histogram histogram(const json::value& v, std::string_view path) const {
    try {
      return engine::histogram::decode(str(v, path));
    } catch (const std::invalid_argument& e) {
      fail("\"" + std::string(path) + "\" is not a histogram: " + e.what());
    }
  }
  engine::metric_kind kind(const json::value& v, std::string_view path) const {
    const auto s = str(v, path);
    for (const auto k : metric_kinds)
      if (engine::to_string(k) == s) return k;
    fail("\"" + std::string(path) + "\": unknown metric kind \"" + s + "\"");
  }
  std::array<std::uint64_t, engine::outcome_count> outcomes(const json::array& a,
                                                            std::string_view path) const {
    if (a.size() < engine::outcome_count) fail("\"" + std::string(path) + "\" is too short");
    std::array<std::uint64_t, engine::outcome_count> out{};
    for (std::size_t i = 0; i < engine::outcome_count; ++i)
      out[i] = u64(a[i], path);
    return out;
  }
  std::string unhex(const std::string& text, std::string_view path) const {
    if (text.size() % 2) fail("\"" + std::string(path) + "\": odd hex length");
    const auto digit = [&](char c) -> unsigned {
      if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
      if (c >= 'a' && c <= 'f') return static_cast<unsigned>(c - 'a' + 10);
      fail("\"" + std::string(path) + "\": not hex");
    };
    std::string out;
    out.reserve(text.size() / 2);
    for (std::size_t i = 0; i < text.size(); i += 2)
      out.push_back(static_cast<char>(digit(text[i]) << 4 | digit(text[i + 1])));
    return out;
  }

 private:
  std::string source_;
};

engine::run_results read_http(const reader& rd, const json::object& o) {
  const std::string p = "merge_state.http";
  engine::run_results r;
  r.open_model = rd.boolean(rd.at(o, "open_model", p), p + ".open_model");
  r.target_rate_per_s = rd.num(rd.at(o, "target_rate_per_s", p), p);
  r.threads = static_cast<unsigned>(rd.u64(rd.at(o, "threads", p), p + ".threads"));
  r.connections = static_cast<unsigned>(rd.u64(rd.at(o, "connections", p), p + ".connections"));
  r.interrupted = rd.boolean(rd.at(o, "interrupted", p), p + ".interrupted");
  r.duration = std::chrono::nanoseconds(rd.i64(rd.at(o, "duration_ns", p), p + ".duration_ns"));
  r.wall_time = std::chrono::nanoseconds(rd.i64(rd.at(o, "wall_time_ns", p), p + ".wall_time_ns"));
  r.outcomes = rd.outcomes(rd.arr(o, "outcomes", p), p + ".outcomes");
  r.in_flight = rd.u64(rd.at(o, "in_flight", p), p + ".in_flight");
  for (const auto& [code, n] : rd.obj(o, "status_codes", p))
    r.status_codes[std::atoi(std::string(code).c_str())] += rd.u64(n, p + ".status_codes");
  for (const auto& [reason, n] : rd.obj(o, "error_reasons", p))
    r.error_reasons[std::string(reason)] += rd.u64(n, p + ".error_reasons");
  r.unsolicited_responses = rd.u64(rd.at(o, "unsolicited_responses", p), p);
  const auto& h = rd.obj(o, "histograms", p);
  const std::string hp = p + ".histograms";
  r.latency = rd.histogram(rd.at(h, "latency", hp), hp + ".latency");
  r.latency_uncorrected =
      rd.histogram(rd.at(h, "latency_uncorrected", hp), hp + ".latency_uncorrected");
  r.connect_time = rd.histogram(rd.at(h, "connect", hp), hp + ".connect");
  r.tls_handshake = rd.histogram(rd.at(h, "tls_handshake", hp), hp + ".tls_handshake");
  r.ttfb = rd.histogram(rd.at(h, "ttfb", hp), hp + ".ttfb");
  for (const auto& row : rd.arr(o, "series", p)) {
    if (!row.is_array() || row.get_array().size() != engine::outcome_count + 2)
      rd.fail("\"" + p + ".series\": a second is not an array of " +
              std::to_string(engine::outcome_count + 2) + " numbers");
    const auto& a = row.get_array();
    engine::second_sample s;
    s.outcomes = rd.outcomes(a, p + ".series");
    s.p50_us = rd.u64(a[engine::outcome_count], p + ".series");
    s.p99_us = rd.u64(a[engine::outcome_count + 1], p + ".series");
    r.series.push_back(s);
  }
  r.protocol = rd.str(rd.at(o, "protocol", p), p + ".protocol");
  r.tls = rd.boolean(rd.at(o, "tls", p), p + ".tls");
  r.tls_full_handshakes = rd.u64(rd.at(o, "tls_full_handshakes", p), p);
  r.tls_resumed_handshakes = rd.u64(rd.at(o, "tls_resumed_handshakes", p), p);
  r.connections_opened = rd.u64(rd.at(o, "connections_opened", p), p);
  r.bytes_sent = rd.u64(rd.at(o, "bytes_sent", p), p);
  r.bytes_received = rd.u64(rd.at(o, "bytes_received", p), p);
  return r;
}

engine::metric read_metric(const reader& rd, const json::object& o, const std::string& p) {
  engine::metric m;
  m.kind = rd.kind(rd.at(o, "kind", p), p + ".kind");
  m.is_time = rd.boolean(rd.at(o, "is_time", p), p + ".is_time");
  m.sum = rd.num(rd.at(o, "sum", p), p + ".sum");
  m.samples = rd.u64(rd.at(o, "samples", p), p + ".samples");
  m.min = rd.num(rd.at(o, "min", p), p + ".min", std::numeric_limits<double>::infinity());
  m.max = rd.num(rd.at(o, "max", p), p + ".max", -std::numeric_limits<double>::infinity());
  m.last = rd.num(rd.at(o, "last", p), p + ".last");
  m.trues = rd.u64(rd.at(o, "trues", p), p + ".trues");
  if (const auto* v = o.if_contains("values")) m.values = rd.histogram(*v, p + ".values");
  return m;
}

void read_timeline(const reader& rd, const json::object& o, engine::metric_timeline& t) {
  const std::string p = "merge_state.timeline";
  std::vector<std::uint32_t> ids;
  for (const auto& s : rd.arr(o, "series", p)) {
    if (!s.is_array() || s.get_array().size() != 3) rd.fail("\"" + p + ".series\": bad entry");
    const auto& a = s.get_array();
    ids.push_back(t.series_id(rd.str(a[0], p + ".series"), rd.kind(a[1], p + ".series"),
                              rd.boolean(a[2], p + ".series")));
  }
  std::size_t second = 0;
  for (const auto& row : rd.arr(o, "seconds", p)) {
    if (!row.is_array()) rd.fail("\"" + p + ".seconds\": a second is not an array");
    for (const auto& v : row.get_array()) {
      if (!v.is_array() || v.get_array().size() != 8)
        rd.fail("\"" + p + ".seconds\": a sample is not an array of 8");
      const auto& a = v.get_array();
      const auto series = rd.u64(a[0], p);
      if (series >= ids.size())
        rd.fail("\"" + p + ".seconds\": unknown series " + std::to_string(series));
      engine::metric_sample s;
      s.series = ids[series];
      s.samples = rd.u64(a[1], p);
      s.trues = rd.u64(a[2], p);
      s.sum = rd.num(a[3], p);
      s.min = rd.num(a[4], p, std::numeric_limits<double>::infinity());
      s.max = rd.num(a[5], p, -std::numeric_limits<double>::infinity());
      s.last = rd.num(a[6], p);
      s.buckets = rd.unhex(rd.str(a[7], p), p);
      t.add(second, std::move(s));
    }
    ++second;
  }
}

verdict_kind read_verdict_kind(const reader& rd, const std::string& s) {
  for (const auto k : {verdict_kind::threshold, verdict_kind::idempotency, verdict_kind::integrity,
                       verdict_kind::drill})
    if (to_string(k) == s) return k;
  rd.fail("\"verdicts\": unknown kind \"" + s + "\"");
}

}  // namespace

std::int64_t epoch_ms_of(std::chrono::steady_clock::time_point t) {
  const auto wall = std::chrono::system_clock::now() - (std::chrono::steady_clock::now() - t);
  return std::chrono::duration_cast<std::chrono::milliseconds>(wall.time_since_epoch()).count();
}

json::object shard_to_json(const engine::script_results& r, const std::vector<verdict>& verdicts,
                           const run_info& info, const shard_stamp& stamp) {
  json::object o = script_to_json(r, verdicts, info);
  if (stamp.count == 0) {
    o["shard"] = nullptr;
  } else if (stamp.index == 0) {
    o["shard"] = {{"count", stamp.count}, {"master_seed", stamp.master_seed}, {"merged", true}};
  } else {
    o["shard"] = {
        {"index", stamp.index}, {"count", stamp.count}, {"master_seed", stamp.master_seed}};
  }
  o["load_started_at_ms"] = stamp.load_started_ms;
  o["merge_state"] = merge_state(r);
  return o;
}

void write_shard_json(std::ostream& out, const engine::script_results& r,
                      const std::vector<verdict>& verdicts, const run_info& info,
                      const shard_stamp& stamp) {
  detail::write_pretty(out, shard_to_json(r, verdicts, info, stamp));
}

shard_result read_shard_result(const json::value& v, std::string_view source) {
  const reader rd(source);
  const auto& o = rd.object(v, "the result");
  const auto* schema = o.if_contains("schema");
  if (!schema || !schema->is_string() || schema->get_string() != result_schema)
    rd.fail("not an " + std::string(result_schema) + " result (\"schema\" is " +
            (schema ? json::serialize(*schema) : std::string("missing")) + ")");
  if (!o.if_contains("drill"))
    rd.fail("not a drill's result (ordeal merge adds the shards of a drill run with --shard)");
  const auto* shard = o.if_contains("shard");
  if (!shard || shard->is_null())
    rd.fail("not a shard's result: no \"shard\" (run the drill with --shard i/N)");
  const auto& so = rd.object(*shard, "shard");
  if (!so.if_contains("index"))
    rd.fail("already a merged result (merge the shards' own results instead)");
  shard_result out;
  out.source = std::string(source);
  out.stamp.index = static_cast<unsigned>(rd.u64(rd.at(so, "index", "shard"), "shard.index"));
  out.stamp.count = static_cast<unsigned>(rd.u64(rd.at(so, "count", "shard"), "shard.count"));
  out.stamp.master_seed = rd.u64(rd.at(so, "master_seed", "shard"), "shard.master_seed");
  if (out.stamp.count == 0 || out.stamp.index == 0 || out.stamp.index > out.stamp.count)
    rd.fail("\"shard\": index " + std::to_string(out.stamp.index) + " of " +
            std::to_string(out.stamp.count) + " is not a shard");
  out.stamp.load_started_ms = rd.i64(rd.at(o, "load_started_at_ms", ""), "load_started_at_ms");

  const auto& st = rd.obj(o, "merge_state", "");
  auto& r = out.results;
  r.http = read_http(rd, rd.obj(st, "http", "merge_state"));
  for (const auto& [key, m] : rd.obj(st, "metrics", "merge_state"))
    r.metrics.emplace(std::string(key), read_metric(rd, rd.object(m, "merge_state.metrics"),
                                                    "merge_state.metrics." + std::string(key)));
  read_timeline(rd, rd.obj(st, "timeline", "merge_state"), r.timeline);
  for (const auto& t : rd.arr(st, "thresholds", "merge_state")) {
    const auto& to = rd.object(t, "merge_state.thresholds");
    const std::string p = "merge_state.thresholds";
    engine::threshold_spec s;
    s.metric = rd.str(rd.at(to, "metric", p), p + ".metric");
    s.expression = rd.str(rd.at(to, "expression", p), p + ".expression");
    s.path = rd.str(rd.at(to, "path", p), p + ".path");
    s.abort_on_fail = rd.boolean(rd.at(to, "abort_on_fail", p), p + ".abort_on_fail");
    s.delay_abort_eval = std::chrono::nanoseconds(rd.i64(rd.at(to, "delay_abort_eval_ns", p), p));
    s.over = std::chrono::nanoseconds(rd.i64(rd.at(to, "over_ns", p), p));
    r.thresholds.push_back(std::move(s));
  }

  const auto& d = rd.obj(o, "drill", "");
  r.seed = rd.u64(rd.at(d, "seed", "drill"), "drill.seed");
  for (const auto& s : rd.arr(d, "scenarios", "drill")) {
    const auto& so2 = rd.object(s, "drill.scenarios");
    const std::string p = "drill.scenarios";
    engine::scenario_summary sum;
    sum.name = rd.str(rd.at(so2, "name", p), p + ".name");
    sum.executor = rd.str(rd.at(so2, "executor", p), p + ".executor");
    sum.iterations = rd.u64(rd.at(so2, "iterations", p), p + ".iterations");
    sum.failed = rd.u64(rd.at(so2, "failed", p), p + ".failed");
    sum.interrupted = rd.u64(rd.at(so2, "interrupted", p), p + ".interrupted");
    sum.dropped = rd.u64(rd.at(so2, "dropped", p), p + ".dropped");
    sum.max_vus = static_cast<unsigned>(rd.u64(rd.at(so2, "max_vus", p), p + ".max_vus"));
    r.scenarios.push_back(std::move(sum));
  }
  for (const auto& [name, c] : rd.obj(d, "checks", "drill")) {
    const auto& co = rd.object(c, "drill.checks");
    r.checks[std::string(name)] = {rd.u64(rd.at(co, "passes", "drill.checks"), "drill.checks"),
                                   rd.u64(rd.at(co, "fails", "drill.checks"), "drill.checks")};
  }
  const auto& b = rd.obj(d, "behaviour", "drill");
  r.operations = rd.u64(rd.at(b, "operations", "drill.behaviour"), "drill.behaviour.operations");
  r.attempts = rd.u64(rd.at(b, "attempts", "drill.behaviour"), "drill.behaviour.attempts");
  r.retries = rd.u64(rd.at(b, "retries", "drill.behaviour"), "drill.behaviour.retries");
  r.retries_refused =
      rd.u64(rd.at(b, "retries_refused", "drill.behaviour"), "drill.behaviour.retries_refused");
  r.duplicates = rd.u64(rd.at(b, "duplicates", "drill.behaviour"), "drill.behaviour.duplicates");
  for (const auto& [message, n] : rd.obj(d, "script_errors", "drill"))
    r.script_errors[std::string(message)] = rd.u64(n, "drill.script_errors");
  if (const auto* a = o.if_contains("aborted_by"); a && a->is_string())
    r.aborted_by = std::string(a->get_string());

  if (const auto* f = o.if_contains("faults"); f && f->is_object()) {
    const auto& fo = f->get_object();
    for (const auto& e : rd.arr(fo, "events", "faults")) {
      const auto& eo = rd.object(e, "faults.events");
      engine::fault_event ev;
      ev.at_us = rd.i64(rd.at(eo, "at_us", "faults.events"), "faults.events.at_us");
      const auto what = rd.str(rd.at(eo, "event", "faults.events"), "faults.events.event");
      ev.what = what == "start"  ? engine::fault_event::kind::start
                : what == "stop" ? engine::fault_event::kind::stop
                                 : engine::fault_event::kind::hit;
      const auto text = [&](std::string_view key) {
        const auto* v = eo.if_contains(key);
        return v && v->is_string() ? std::string(v->get_string()) : std::string();
      };
      ev.proxy = text("proxy");
      ev.fault = text("fault");
      ev.type = text("type");
      ev.stream = text("stream");
      ev.client = text("client");
      ev.detail = text("detail");
      if (const auto* c = eo.if_contains("connection")) ev.connection = rd.u64(*c, "faults");
      r.faults.push_back(std::move(ev));
    }
    if (const auto* dr = fo.if_contains("dropped")) r.fault_events_dropped = rd.u64(*dr, "faults");
  }

  for (const auto& vv : rd.arr(o, "verdicts", "")) {
    const auto& vo = rd.object(vv, "verdicts");
    verdict v;
    v.kind = read_verdict_kind(rd, rd.str(rd.at(vo, "kind", "verdicts"), "verdicts.kind"));
    v.name = rd.str(rd.at(vo, "name", "verdicts"), "verdicts.name");
    v.passed = rd.boolean(rd.at(vo, "passed", "verdicts"), "verdicts.passed");
    v.measured = rd.str(rd.at(vo, "measured", "verdicts"), "verdicts.measured");
    if (const auto* rs = vo.if_contains("reasons"); rs && rs->is_array())
      for (const auto& reason : rs->get_array())
        if (reason.is_string()) v.reasons.emplace_back(reason.get_string());
    if (const auto* e = vo.if_contains("evidence")) v.evidence = *e;
    out.verdicts.push_back(std::move(v));
  }

  out.info.version = o.contains("version") ? rd.str(o.at("version"), "version") : "";
  out.info.target = o.contains("target") ? rd.str(o.at("target"), "target") : "";
  out.info.started_at = o.contains("started_at") ? rd.str(o.at("started_at"), "started_at") : "";
  out.info.seed = out.stamp.master_seed;
  if (const auto* argv = o.if_contains("command_line"); argv && argv->is_array())
    for (const auto& a : argv->get_array())
      if (a.is_string()) out.info.command_line.emplace_back(a.get_string());
  return out;
}

shard_result load_shard_result(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw engine::config_error(path + ": cannot read the file");
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  boost::system::error_code ec;
  const auto v = json::parse(text, ec);
  if (ec) throw engine::config_error(path + ": not JSON (" + ec.message() + ")");
  return read_shard_result(v, path);
}

}  // namespace ordeal::reporters
