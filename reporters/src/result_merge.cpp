// `ordeal merge`: shards' results added into one run (docs/distributed.md).
#include "ordeal/reporters/result_merge.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>

#include "ordeal/engine/config_error.hpp"

namespace ordeal::reporters {

namespace json = boost::json;

namespace {

std::string shard_name(const shard_stamp& s) {
  return std::to_string(s.index) + "/" + std::to_string(s.count);
}

// The first non-empty histogram is taken as it is (its layout with it), later ones added.
void add_histogram(engine::histogram& into, const engine::histogram& from) {
  if (into.count() == 0)
    into = from;
  else if (from.count() > 0)
    into.merge(from);
}

void add_http(engine::run_results& into, const engine::run_results& from, std::size_t offset_s) {
  into.open_model = into.open_model || from.open_model;
  into.target_rate_per_s += from.target_rate_per_s;
  into.threads += from.threads;
  into.connections += from.connections;
  into.interrupted = into.interrupted || from.interrupted;
  for (std::size_t i = 0; i < engine::outcome_count; ++i)
    into.outcomes[i] += from.outcomes[i];
  into.in_flight += from.in_flight;
  for (const auto& [code, n] : from.status_codes)
    into.status_codes[code] += n;
  for (const auto& [reason, n] : from.error_reasons)
    into.error_reasons[reason] += n;
  into.unsolicited_responses += from.unsolicited_responses;
  add_histogram(into.latency, from.latency);
  add_histogram(into.latency_uncorrected, from.latency_uncorrected);
  add_histogram(into.connect_time, from.connect_time);
  add_histogram(into.tls_handshake, from.tls_handshake);
  add_histogram(into.ttfb, from.ttfb);
  if (into.series.size() < offset_s + from.series.size())
    into.series.resize(offset_s + from.series.size());
  for (std::size_t s = 0; s < from.series.size(); ++s) {
    auto& to = into.series[offset_s + s];
    const auto& f = from.series[s];
    for (std::size_t i = 0; i < engine::outcome_count; ++i)
      to.outcomes[i] += f.outcomes[i];
    // A second's percentiles are not kept as histograms here: the worst shard's (the exact
    // per-second figures are in the timeline's http_req_duration).
    to.p50_us = std::max(to.p50_us, f.p50_us);
    to.p99_us = std::max(to.p99_us, f.p99_us);
  }
  if (into.protocol.empty()) into.protocol = from.protocol;
  into.tls = into.tls || from.tls;
  into.tls_full_handshakes += from.tls_full_handshakes;
  into.tls_resumed_handshakes += from.tls_resumed_handshakes;
  into.connections_opened += from.connections_opened;
  into.bytes_sent += from.bytes_sent;
  into.bytes_received += from.bytes_received;
}

void add_timeline(engine::metric_timeline& into, const engine::metric_timeline& from,
                  std::size_t offset_s) {
  std::vector<std::uint32_t> ids;
  for (const auto& s : from.series())
    ids.push_back(into.series_id(s.key, s.kind, s.is_time));
  for (std::size_t second = 0; second < from.seconds(); ++second)
    for (auto sample : from.at(second)) {
      sample.series = ids.at(sample.series);
      into.add(offset_s + second, std::move(sample));
    }
}

void add_scenarios(std::vector<engine::scenario_summary>& into,
                   const std::vector<engine::scenario_summary>& from) {
  for (const auto& s : from) {
    auto it =
        std::find_if(into.begin(), into.end(), [&](const auto& x) { return x.name == s.name; });
    if (it == into.end()) {
      into.push_back(s);
      continue;
    }
    it->iterations += s.iterations;
    it->interrupted += s.interrupted;
    it->dropped += s.dropped;
    it->failed += s.failed;
    it->max_vus += s.max_vus;  // each shard's peak: their sum bounds the whole's from above
  }
}

// Numbers summed, arrays concatenated, anything else kept from the first.
void add_evidence(json::value& into, const json::value& from) {
  if (into.is_null()) {
    into = from;
    return;
  }
  if (!into.is_object() || !from.is_object()) return;
  auto& io = into.get_object();
  for (const auto& [key, v] : from.get_object()) {
    auto* mine = io.if_contains(key);
    if (!mine) {
      io[key] = v;
    } else if (mine->is_uint64() && v.is_uint64()) {
      *mine = mine->get_uint64() + v.get_uint64();
    } else if (mine->is_int64() && v.is_int64()) {
      *mine = mine->get_int64() + v.get_int64();
    } else if (mine->is_number() && v.is_number() && !mine->is_bool()) {
      *mine = mine->to_number<double>() + v.to_number<double>();
    } else if (mine->is_array() && v.is_array()) {
      for (const auto& x : v.get_array())
        mine->get_array().push_back(x);
    }
  }
}

std::uint64_t keys_of(const verdict& v) {
  const auto* e = v.evidence.if_object();
  const auto* k = e ? e->if_contains("keys") : nullptr;
  return k && k->is_uint64() ? k->get_uint64() : k && k->is_int64() ? k->get_int64() : 0;
}

// "3 of 200 keys violated ..." -> 3
std::uint64_t violated_of(const verdict& v) {
  if (v.passed) return 0;
  return std::strtoull(v.measured.c_str(), nullptr, 10);
}

void carry_verdicts(merged_result& m, const std::vector<shard_result>& shards) {
  std::optional<verdict> idem;
  std::uint64_t violated = 0;
  unsigned idem_shards = 0;
  for (const auto& s : shards)
    for (const auto& v : s.verdicts) {
      if (v.kind == verdict_kind::threshold) continue;  // judged again on the whole
      if (v.kind == verdict_kind::idempotency) {
        // Keys are per operation and operations are per VU: a key lives on one shard, so
        // per-key judgements add up.
        ++idem_shards;
        violated += violated_of(v);
        if (!idem) {
          idem = verdict{v.kind, v.name, v.passed, {}, {}, nullptr};
        } else {
          idem->passed = idem->passed && v.passed;
        }
        add_evidence(idem->evidence, v.evidence);
        for (const auto& r : v.reasons)
          idem->reasons.push_back("shard " + shard_name(s.stamp) + ": " + r);
        continue;
      }
      verdict copy = v;
      copy.name += " [shard " + shard_name(s.stamp) + "]";
      m.carried.push_back(std::move(copy));
    }
  if (!idem) return;
  const std::uint64_t keys = keys_of(*idem);
  idem->measured =
      idem->passed ? std::to_string(keys) + " keys: consistent"
                   : std::to_string(violated) + " of " + std::to_string(keys) + " keys violated";
  idem->measured += " (" + std::to_string(idem_shards) + " shards merged)";
  m.carried.insert(m.carried.begin(), std::move(*idem));
}

}  // namespace

merged_result merge_shards(std::vector<shard_result> shards, bool require_all) {
  if (shards.empty()) throw engine::config_error("nothing to merge: name the shards' result files");
  const auto& first = shards.front();
  std::map<unsigned, const shard_result*> by_index;
  for (const auto& s : shards) {
    if (s.stamp.count != first.stamp.count)
      throw engine::config_error("mixed shard counts: " + first.source + " is shard " +
                                 shard_name(first.stamp) + ", " + s.source + " is shard " +
                                 shard_name(s.stamp));
    if (s.stamp.master_seed != first.stamp.master_seed)
      throw engine::config_error("different runs: " + first.source + " has master seed " +
                                 std::to_string(first.stamp.master_seed) + ", " + s.source +
                                 " has " + std::to_string(s.stamp.master_seed));
    const auto [it, fresh] = by_index.emplace(s.stamp.index, &s);
    if (!fresh)
      throw engine::config_error("shard " + shard_name(s.stamp) +
                                 " given twice: " + it->second->source + " and " + s.source);
  }
  merged_result m;
  std::vector<unsigned> missing;
  for (unsigned i = 1; i <= first.stamp.count; ++i)
    if (!by_index.contains(i)) missing.push_back(i);
  if (!missing.empty()) {
    std::string list;
    for (const auto i : missing)
      list += (list.empty() ? "" : ", ") + std::to_string(i);
    const std::string what = "shard" + std::string(missing.size() > 1 ? "s " : " ") + list +
                             " of " + std::to_string(first.stamp.count) +
                             " missing: the merge covers only part of the run";
    if (require_all) throw engine::config_error(what);
    m.warnings.push_back(what);
  }
  std::sort(shards.begin(), shards.end(),
            [](const auto& a, const auto& b) { return a.stamp.index < b.stamp.index; });

  std::int64_t start_ms = shards.front().stamp.load_started_ms;
  for (const auto& s : shards)
    start_ms = std::min(start_ms, s.stamp.load_started_ms);
  m.stamp = {0, first.stamp.count, first.stamp.master_seed, start_ms};
  m.info = shards.front().info;
  m.info.seed = first.stamp.master_seed;
  for (const auto& s : shards)
    if (s.info.started_at < m.info.started_at) m.info.started_at = s.info.started_at;

  auto& r = m.results;
  r.seed = first.stamp.master_seed;
  r.thresholds = shards.front().results.thresholds;
  std::chrono::nanoseconds duration{}, wall{};
  for (const auto& s : shards) {
    const auto& f = s.results;
    const std::int64_t offset_ms = s.stamp.load_started_ms - start_ms;
    // Seconds are aligned on the wall clock, to the nearest whole second.
    const auto offset_s =
        static_cast<std::size_t>(std::llround(static_cast<double>(offset_ms) / 1000.0));
    const std::chrono::nanoseconds offset = std::chrono::milliseconds(offset_ms);
    duration = std::max(duration, offset + f.http.duration);
    wall = std::max(wall, offset + f.http.wall_time);
    add_http(r.http, f.http, offset_s);
    engine::merge_into(r.metrics, f.metrics);
    add_timeline(r.timeline, f.timeline, offset_s);
    add_scenarios(r.scenarios, f.scenarios);
    for (const auto& [name, c] : f.checks) {
      r.checks[name].first += c.first;
      r.checks[name].second += c.second;
    }
    for (const auto& [message, n] : f.script_errors)
      r.script_errors[message] += n;
    r.operations += f.operations;
    r.attempts += f.attempts;
    r.retries += f.retries;
    r.duplicates += f.duplicates;
    r.retries_refused += f.retries_refused;
    for (auto e : f.faults) {
      // Each shard has its own proxies: a fault's events stay apart from its namesakes'. (The
      // drill's actions, recorded as proxies "action" and "rollback", keep their names.)
      e.at_us += offset_ms * 1000;
      if (!e.proxy.empty() && e.proxy != "action" && e.proxy != "rollback")
        e.proxy += " [shard " + shard_name(s.stamp) + "]";
      r.faults.push_back(std::move(e));
    }
    r.fault_events_dropped += f.fault_events_dropped;
    if (r.aborted_by.empty() && !f.aborted_by.empty())
      r.aborted_by = f.aborted_by + " (shard " + shard_name(s.stamp) + ")";
    if (f.thresholds.size() != r.thresholds.size())
      m.warnings.push_back(s.source + ": its thresholds differ from " + shards.front().source +
                           "'s; the merge judges " + shards.front().source + "'s");
  }
  r.http.duration = duration;
  r.http.wall_time = wall;
  std::stable_sort(r.faults.begin(), r.faults.end(),
                   [](const auto& a, const auto& b) { return a.at_us < b.at_us; });
  carry_verdicts(m, shards);
  return m;
}

}  // namespace ordeal::reporters
