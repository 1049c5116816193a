#pragma once

#include <map>
#include <string>

struct lua_State;

namespace ordeal::scenarios {

// Registers the drill API in a worker's state: http (get, head, options, post, put, patch,
// delete, request, batch), sleep, check, group, vu, scenario, env and the custom metrics
// (counter, trend, rate, gauge). Requests and sleeps yield to the worker: they work inside a
// virtual user (scenario functions, setup, teardown), not in the drill's top level.
void open_drill_api(lua_State* L, const std::map<std::string, std::string>& env);

}  // namespace ordeal::scenarios
