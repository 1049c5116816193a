#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ordeal/scenarios/drill.hpp"

namespace ordeal::scenarios {

// One shard of a distributed run (`--shard i/N`): shard `index` (1-based) of `count`. Every
// shard runs a deterministic 1/N of every scenario; `ordeal merge` adds the shards' results
// back into the whole (docs/distributed.md).
struct shard {
  unsigned index = 1;
  unsigned count = 1;
};

// "2/3" -> {2, 3}. Throws engine::config_error "--shard 4/3: ..." unless 1 <= i <= N.
shard parse_shard(std::string_view text);

// Shard i's share of an integer total: floor(total*i/N) - floor(total*(i-1)/N). The N shares
// sum to `total` exactly and differ by at most one.
std::uint64_t shard_share(std::uint64_t total, shard s) noexcept;

// The seed shard i runs with: splitmix64(master + i * 0x9E3779B97F4A7C15), so shards differ
// and the same shard of the same master seed replays the same. A single shard (N = 1) keeps
// the master seed, so `--shard 1/1` is the unsharded run.
std::uint64_t shard_seed(std::uint64_t master, shard s) noexcept;

// Cuts every scenario of `d` to shard `s`'s share: VUs, start VUs, max VUs (pre-allocated VUs
// of arrival-rate scenarios) and shared iterations by shard_share; per-VU iterations stay per
// VU; arrival rates and ramping-arrival-rate stage targets divided by N (fractional rates are
// fine); ramping-vus stage targets by shard_share. A scenario left with nothing to do on this
// shard (no VUs, or no shared iterations) is removed. Arrival-rate scenarios keep at least one
// pre-allocated VU, since their rate share is never zero.
void apply_shard(drill_options& d, shard s);

}  // namespace ordeal::scenarios
