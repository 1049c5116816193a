#include "drill_faults.hpp"

#include <string>

#include "ordeal/engine/config_error.hpp"
#include "ordeal/faults/spec.hpp"

namespace ordeal::cli {

void drill_faults::load(const scenarios::drill_options& d, std::string_view drill_name) {
  faults::fault_plan plan;
  try {
    plan = faults::read_fault_plan(d.proxies, d.faults, drill_name);
  } catch (const faults::spec_error& e) {
    // The plan is part of the drill: a bad one is a bad drill (104), with the fault layer's
    // message, which names the drill and the field.
    throw engine::config_error(e.what());
  }
  if (plan.empty()) return;
  auto server = std::make_unique<faults::fault_server>(d.seed.value_or(0));
  try {
    server->load(plan);
  } catch (const faults::spec_error& e) {
    // A listen address that is taken or cannot be bound: say which drill asked for it.
    throw engine::config_error(std::string(drill_name) + ": options.proxies: " + e.what());
  }
  server_ = std::move(server);
}

void drill_faults::start(std::chrono::steady_clock::time_point origin) {
  if (server_) server_->start_timeline(origin);
}

void drill_faults::rollback() {
  if (server_) server_->rollback();
}

std::vector<std::string> drill_faults::active() const {
  return server_ ? server_->active_faults() : std::vector<std::string>{};
}

void drill_faults::finish(engine::script_results& r) {
  if (!server_) return;
  server_->rollback();
  r.faults = server_->events();
  r.fault_events_dropped = server_->events_dropped();
  server_.reset();
}

}  // namespace ordeal::cli
