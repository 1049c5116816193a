#pragma once

#include <string>
#include <vector>

#include "options_reading.hpp"
#include "ordeal/scenarios/drill.hpp"

namespace ordeal::scenarios::options_reading {

// The drill's structure beside its load, after Chaos Toolkit and AWS FIS. Each reads the value
// at the top of the stack; throws config_error with the path of the bad field.

// options.steady_state = { probes = { { name, probe = function, tolerance }, ... }, within,
// interval, timeout }. A tolerance is a value the probe must return (number, string, boolean,
// table), a range { min, max } of two numbers, or a function(value) returning true.
steady_state_options read_steady_state(lua_State* L, const std::string& path);

// options.actions (`timed`: each needs `at`; sorted by it) or options.rollbacks: arrays of
// { name, at, exec = "cmd" | { argv... } } or { name, at, http = { method, url, headers, body,
// expect }, timeout }.
std::vector<action_spec> read_actions(lua_State* L, const std::string& path, bool timed);

// options.capacity = { p99 = "300ms", error_rate = 0.01, sustain = 3 }: the budgets of the knee.
engine::capacity_spec read_capacity(lua_State* L, const std::string& path);

// options.allow_hosts: an array of host patterns (host_guard.hpp).
std::vector<std::string> read_allow_hosts(lua_State* L, const std::string& path);

}  // namespace ordeal::scenarios::options_reading
