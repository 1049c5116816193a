#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "ordeal/engine/script_results.hpp"
#include "ordeal/reporters/run_info.hpp"
#include "ordeal/reporters/verdict.hpp"

namespace ordeal::reporters {

// Distributed runs (docs/distributed.md): each shard (`ordeal run drill.lua --shard i/N`)
// writes its result with what a merge needs; `ordeal merge` reads the shards back, adds them
// into one results model and judges the whole.

// What a result says about the shard that produced it. count == 0: not a shard.
struct shard_stamp {
  unsigned index = 0;  // 1-based
  unsigned count = 0;
  std::uint64_t master_seed = 0;
  std::int64_t load_started_ms = 0;  // the load's time zero, ms since the Unix epoch (UTC)
};

// A steady_clock time point on the wall clock, in ms since the Unix epoch.
std::int64_t epoch_ms_of(std::chrono::steady_clock::time_point t);

// script_to_json() plus "shard" ({index, count, master_seed}, or null), "load_started_at_ms",
// and "merge_state": the results model in a form that merges back without loss (histograms
// encoded, per-second timeline samples with their buckets, thresholds as the drill wrote them,
// fault events). For a merged result (`ordeal merge`), index is 0: "shard" then says
// {count, master_seed, merged: true}.
boost::json::object shard_to_json(const engine::script_results& r,
                                  const std::vector<verdict>& verdicts, const run_info& info,
                                  const shard_stamp& stamp);
void write_shard_json(std::ostream& out, const engine::script_results& r,
                      const std::vector<verdict>& verdicts, const run_info& info,
                      const shard_stamp& stamp);

// One shard's result read back.
struct shard_result {
  std::string source;  // file name, for messages
  shard_stamp stamp;
  engine::script_results results;  // rebuilt from "merge_state"
  std::vector<verdict> verdicts;   // as the shard judged them (idempotency, integrity, drill)
  run_info info;
};

// Throws engine::config_error "<source>: ..." for anything that is not a shard's result.
shard_result read_shard_result(const boost::json::value& v, std::string_view source);
// Reads and parses the file (config_error when unreadable or not JSON).
shard_result load_shard_result(const std::string& path);

// Shards added into one run.
struct merged_result {
  engine::script_results results;
  // The shards' verdicts that are not thresholds, merged where they merge: one idempotency
  // verdict (counts summed, examples concatenated); integrity and drill verdicts kept per
  // shard, named "... [shard i/N]" (a checker's reads saw every shard's writes: see the doc).
  std::vector<verdict> carried;
  run_info info;
  shard_stamp stamp;                  // index 0, the count, master seed, earliest load start
  std::vector<std::string> warnings;  // e.g. missing shards
};

// Checks the set (same schema, same shard count and master seed, no shard twice; missing
// shards are a warning unless `require_all`, then an error) and adds them: counters,
// histograms bucket by bucket, the timeline and per-second series aligned on wall-clock
// seconds (each shard's seconds shifted by its load start minus the earliest, rounded to the
// nearest second), scenarios, checks, fault events. Throws engine::config_error.
merged_result merge_shards(std::vector<shard_result> shards, bool require_all = false);

}  // namespace ordeal::reporters
