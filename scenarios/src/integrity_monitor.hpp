#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ordeal/engine/integrity_record.hpp"
#include "vu_worker.hpp"

namespace ordeal::scenarios {

// Runs the hooks of options.integrity (read, check) on a worker that carries no load (the setup
// worker, idle while the scenarios run): during the load on a thread of its own, every checker
// whose `every` is set, at that interval; after the load, every checker with a hook, once.
// Virtual users never wait for it. Each run is recorded with its time, its phase and what the
// hooks returned or why they failed.
class integrity_monitor {
 public:
  // Finds the hooks in `host`'s state; call before the load, on the thread that owns `host`.
  integrity_monitor(vu_worker& host, const run_plan& plan);
  ~integrity_monitor();
  integrity_monitor(const integrity_monitor&) = delete;
  integrity_monitor& operator=(const integrity_monitor&) = delete;

  // Starts the periodic runs (a thread, only when some checker has `every`).
  void start();
  // Ends them: a run in progress finishes first. Then `host` belongs to the caller again.
  void stop();
  // After the load: every checker with a read or a check, once, in name order.
  void run_final();
  engine::integrity_record& record() noexcept { return record_; }

 private:
  struct hooks {
    const integrity_spec* spec = nullptr;
    int read_ref = 0;   // LUA_NOREF when none
    int check_ref = 0;  // LUA_NOREF when none
  };
  void loop();
  void run(const hooks& h, engine::integrity_phase phase);

  vu_worker& host_;
  const run_plan& plan_;
  int runner_ref_ = 0;  // the Lua function that calls the hooks and packs their results
  std::vector<hooks> hooks_;
  engine::integrity_record record_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
};

}  // namespace ordeal::scenarios
