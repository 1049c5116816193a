#include "ordeal/scenarios/drill_actions.hpp"

#include <algorithm>

#include "action_run.hpp"
#include "ordeal/engine/config_error.hpp"
#include "ordeal/engine/url.hpp"

namespace ordeal::scenarios {

namespace {

using clock = std::chrono::steady_clock;

std::int64_t micros_since(clock::time_point origin, clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t - origin).count();
}

}  // namespace

drill_actions::~drill_actions() {
  // An exception ended the run: the method stops and the rollbacks still run.
  try {
    stop_and_roll_back();
  } catch (...) {
  }
}

void drill_actions::load(const drill_options& d, std::string_view drill_name, bool allow_exec) {
  const auto refuse_exec = [&](const std::vector<action_spec>& list, const char* field) {
    for (const auto& a : list)
      if (a.is_exec() && !allow_exec)
        throw engine::config_error(std::string(drill_name) + ": options." + field + "[\"" + a.name +
                                   "\"].exec: running a command needs --allow-exec (a drill "
                                   "file runs no program unless the one who runs it says so)");
  };
  refuse_exec(d.actions, "actions");
  refuse_exec(d.rollbacks, "rollbacks");
  actions_ = d.actions;
  rollbacks_ = d.rollbacks;
  target_ = d.target;
  tls_ = d.tls;
}

void drill_actions::start(clock::time_point origin) {
  origin_ = origin;
  started_ = true;
  if (!actions_.empty()) thread_ = std::thread([this] { run_method(); });
}

void drill_actions::run_method() {
  for (const auto& a : actions_) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait_until(lock, origin_ + a.at, [&] { return stopping_; });
      if (stopping_) {
        engine::action_result r;
        r.name = a.name;
        r.phase = "method";
        r.what = describe_action(a);
        r.detail = "not run: the load ended before its time";
        record_.push_back(std::move(r));
        continue;
      }
    }
    auto r = run(a, "method");
    std::lock_guard lock(mutex_);
    record_.push_back(std::move(r));
  }
}

engine::action_result drill_actions::run(const action_spec& a, std::string_view phase) {
  engine::action_result r;
  r.name = a.name;
  r.phase = std::string(phase);
  r.what = describe_action(a);
  r.ran = true;
  r.started_us = micros_since(origin_, clock::now());
  std::optional<engine::url> base;
  if (target_) {
    try {
      base = engine::parse_url(*target_);
    } catch (const std::exception&) {
    }
  }
  const action_outcome o = a.is_exec() ? run_command(a.exec, a.timeout) : run_http(a, base, tls_);
  r.ended_us = micros_since(origin_, clock::now());
  r.passed = o.passed;
  r.detail = o.detail;
  return r;
}

void drill_actions::stop_and_roll_back() {
  if (!started_ || rolled_back_) return;
  rolled_back_ = true;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (const auto& a : rollbacks_) {
    auto r = run(a, "rollback");
    std::lock_guard lock(mutex_);
    record_.push_back(std::move(r));
  }
}

void drill_actions::finish(engine::script_results& r) {
  stop_and_roll_back();
  std::lock_guard lock(mutex_);
  for (const auto& a : record_) {
    r.drill.actions.push_back(a);
    if (!a.ran) continue;
    engine::fault_event e;
    e.proxy = a.phase == "rollback" ? "rollback" : "action";
    e.fault = a.name;
    e.type = a.what.substr(0, a.what.find(':'));  // "exec" or "http"
    e.what = engine::fault_event::kind::start;
    e.at_us = a.started_us;
    e.detail = a.what;
    r.faults.push_back(e);
    e.what = engine::fault_event::kind::stop;
    e.at_us = a.ended_us;
    e.detail = (a.passed ? "done: " : "failed: ") + a.detail;
    r.faults.push_back(std::move(e));
  }
  std::stable_sort(r.faults.begin(), r.faults.end(),
                   [](const auto& x, const auto& y) { return x.at_us < y.at_us; });
  record_.clear();
}

}  // namespace ordeal::scenarios
