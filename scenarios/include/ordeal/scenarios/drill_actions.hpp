#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "ordeal/engine/drill_record.hpp"
#include "ordeal/engine/script_results.hpp"
#include "ordeal/scenarios/drill.hpp"

namespace ordeal::scenarios {

// The drill's method beside its fault timeline: options.actions run at their times during the
// load (a command, with --allow-exec, or an HTTP call), options.rollbacks once it has ended.
// Rollbacks always run once the load has started: at its end, on an abort or a signal, and
// from the destructor when an exception ends the run. Each action is recorded (start and stop)
// in the fault record beside the faults, and in the results' drill record.
class drill_actions {
 public:
  drill_actions() = default;
  drill_actions(const drill_actions&) = delete;
  drill_actions& operator=(const drill_actions&) = delete;
  ~drill_actions();

  // Keeps the drill's actions and rollbacks. A command without `allow_exec` is refused with
  // engine::config_error "<drill>: options.actions[\"name\"].exec: running a command needs
  // --allow-exec".
  void load(const drill_options& d, std::string_view drill_name, bool allow_exec);

  // Starts the method with `origin` (the load's start) as time zero; no-op without actions.
  void start(std::chrono::steady_clock::time_point origin);

  // Ends the method (actions not yet due do not run; one that is running finishes, within its
  // timeout), then runs every rollback in order. Once only; no-op before start().
  void stop_and_roll_back();

  // Copies the record into `r` (r.drill.actions, and r.faults as events, kept in time order).
  void finish(engine::script_results& r);

 private:
  void run_method();
  engine::action_result run(const action_spec& a, std::string_view phase);

  std::vector<action_spec> actions_;
  std::vector<action_spec> rollbacks_;
  std::optional<std::string> target_;  // base for actions' /paths
  engine::tls_options tls_;            // options.tls, for https actions
  std::chrono::steady_clock::time_point origin_{};
  bool started_ = false;
  bool rolled_back_ = false;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;                      // guarded by mutex_
  std::vector<engine::action_result> record_;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace ordeal::scenarios
