#pragma once

#include <optional>
#include <vector>

#include "ordeal/engine/operation.hpp"

struct lua_State;

namespace ordeal::scenarios {

// The response object a request returns: a userdata over the operation's result whose fields
// (status, headers, body, json(), timings, attempts, error, ...) are made on access, so a
// script that reads only the status pays for nothing else.
void register_response_type(lua_State* L);
void push_response(lua_State* L, engine::operation_result&& r);
// The operation behind the response object at `index`, or nullptr when it is not one.
const engine::operation_result* to_operation_result(lua_State* L, int index);
// An array of response objects, in the batch's order.
void push_batch_responses(lua_State* L, std::vector<std::optional<engine::operation_result>>& rs);

}  // namespace ordeal::scenarios
