#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ordeal::reporters {

// What the results model does not know about a run but every report should say: how it was
// started and against what. Filled in by the CLI.
struct run_info {
  std::vector<std::string> command_line;  // argv, as given (so a run can be repeated)
  std::string version;                    // ordeal version, e.g. "0.1.0"
  std::string target;                     // target URL
  std::string method = "GET";
  std::string started_at;  // ISO-8601 UTC, e.g. "2024-05-01T12:00:00Z"
  std::uint64_t seed = 0;
  // The flags that replay the run's random choices; empty: "--seed <the results' seed>". A
  // shard's own seed is derived, so it replays with "--seed <master> --shard i/N".
  std::string replay_flags;
};

}  // namespace ordeal::reporters
