#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ordeal/engine/script_results.hpp"
#include "ordeal/faults/fault_server.hpp"
#include "ordeal/scenarios/drill.hpp"

namespace ordeal::cli {

// The fault layer of one drill run: its proxies open when the drill is loaded (so that they
// listen before the target is probed), its timeline starts with the load, and it is rolled
// back however the run ends: by the end of the load, by a signal, or by an exception (the
// destructor rolls back too).
class drill_faults {
 public:
  drill_faults() = default;
  drill_faults(const drill_faults&) = delete;
  drill_faults& operator=(const drill_faults&) = delete;

  // Reads options.proxies and options.faults (nothing to do when both are absent or empty),
  // opens the proxies and keeps the timeline. `d.seed` must hold the run's seed. Throws
  // engine::config_error: "<drill_name>: options.faults[1]...: ..." for a bad plan,
  // "<drill_name>: options.proxies: ..." for a listen address that cannot be bound.
  void load(const scenarios::drill_options& d, std::string_view drill_name);

  // Starts the timeline with `origin` as time zero (the load's start); no-op without faults.
  void start(std::chrono::steady_clock::time_point origin);

  // Ends every fault, keeping the proxies open: what runs after the load (idempotency effects,
  // integrity reads) may still go through them, fault-free. No-op without faults.
  void rollback();

  // The faults in effect now ("db/latency"); empty without faults. For the progress line.
  std::vector<std::string> active() const;

  // Ends every fault, copies the fault record into `r` and closes the proxies.
  void finish(engine::script_results& r);

 private:
  std::unique_ptr<faults::fault_server> server_;  // null: the drill declares no faults
};

}  // namespace ordeal::cli
