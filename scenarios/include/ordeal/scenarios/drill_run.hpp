#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "ordeal/engine/run.hpp"
#include "ordeal/engine/script_results.hpp"
#include "ordeal/scenarios/drill.hpp"
#include "ordeal/scenarios/live_view.hpp"

namespace ordeal::scenarios {

// A drill that cannot start: a syntax error, an error in its top level or setup(), a missing
// exec function. The message starts with "file:line: " where there is a line to name.
class script_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The steady-state hypothesis (options.steady_state) did not hold before the load: the drill
// did not start (nothing was injected). The message names every probe that failed and why.
class steady_state_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct drill_run_options {
  std::filesystem::path file;
  unsigned threads = 1;
  std::optional<std::uint64_t> seed;            // replaces options.seed
  std::optional<std::string> target;            // replaces options.target
  bool allow_exec = false;                      // lift the sandbox (--allow-exec)
  std::map<std::string, std::string> env;       // the script's `env` table (-e NAME=VALUE)
  std::uint64_t max_instructions = 50'000'000;  // per resume: the runaway-script guard
  bool history = false;                         // keep every attempt (also options.history)
  // Called once the drill's options are read (seed resolved: `seed` holds the run's seed),
  // before the target is probed and anything runs: throw to refuse them (the CLI checks the
  // thresholds' syntax here, so a typo fails in a second, and opens the drill's fault proxies).
  std::function<void(const drill_options&)> on_loaded;
  // Called with the load's time zero once it is set, just before the workers start (and
  // before that moment comes): what runs beside the load (the fault timeline) starts from it.
  std::function<void(std::chrono::steady_clock::time_point)> on_start;  // engine::clock
  // Called once the load has ended (every worker joined), before anything runs after it
  // (the steady state's probes, teardown, checks of side effects): the CLI rolls the faults
  // back and runs the drill's rollbacks here.
  std::function<void()> on_load_end;
  // Called on the main thread once per second of load with the live metrics (the CLI
  // evaluates abort_on_fail thresholds here and feeds the live outputs). Stop the run through
  // the run_control; do not block.
  std::function<void(const live_view&)> on_second;
  // Called first, to lay command-line flags (TLS, protocol) over the drill's options.
  std::function<void(drill_options&)> adjust;
};

// What a drill run produced: the engine's results model for scripted runs, and the options
// the drill asked for (thresholds, seed, ...).
struct drill_results : engine::script_results {
  drill_options options;  // as read from the drill (with overrides applied)
};

// Loads the drill (script_error, or engine::config_error for bad options, a host outside
// options.allow_hosts included), checks the steady state (steady_state_error), runs setup() once,
// every scenario concurrently on `threads` workers, then teardown(data), and returns the
// merged results. A stop request ends the scenarios early (graceful stop applies).
drill_results run_drill(const drill_run_options& options, engine::run_control& control,
                        const engine::progress_callback& on_progress = {});

}  // namespace ordeal::scenarios
