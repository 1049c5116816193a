#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ordeal/engine/operation.hpp"

struct lua_State;

namespace ordeal::scenarios {

// Registers the drill API in a worker's state: http (get, head, options, post, put, patch,
// delete, request, batch), sleep, check, group, vu, scenario, env and the custom metrics
// (counter, trend, rate, gauge). Requests and sleeps yield to the worker: they work inside a
// virtual user (scenario functions, setup, teardown), not in the drill's top level.
void open_drill_api(lua_State* L, const std::map<std::string, std::string>& env);

// Pushes the response object a request returns (status, headers, body, json(), timings, ...).
void push_response(lua_State* L, engine::operation_result&& r);
// Pushes an array of response objects, in the batch's order.
void push_batch_responses(lua_State* L, std::vector<std::optional<engine::operation_result>>& rs);

}  // namespace ordeal::scenarios
