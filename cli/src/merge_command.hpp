#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace ordeal::cli {

// `ordeal merge SHARD.json... [--out json=FILE] [--out junit=FILE] [--out html=FILE]
// [--require-all]`: adds the results of a drill's shards (`ordeal run drill.lua --shard i/N`)
// into one run and judges the whole (docs/distributed.md).
struct merge_args {
  std::vector<std::string> results;
  std::vector<std::string> outputs;
  bool require_all = false;
  std::vector<std::string> argv;  // for the merged result's command_line
};

void add_merge_command(CLI::App& app, merge_args& args);
// Prints the drill's console report for the merged run; the exit code follows the same rules as
// a run's (0, 99 thresholds, 97 idempotency, 98 integrity, 108 a shard aborted). Throws
// config_error (exit 104) for an unreadable file, a result that is not a shard's, mixed shard
// counts or seeds, a shard given twice (a missing one too, with --require-all).
int merge_command(const merge_args& args);

}  // namespace ordeal::cli
