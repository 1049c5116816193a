#pragma once

#include <string>

#include "options_reading.hpp"
#include "ordeal/scenarios/drill.hpp"

namespace ordeal::scenarios::options_reading {

// options.idempotency (the table at the top of the stack): { ignore_headers = {names},
// ignore_json = {JSON paths}, effects = function(op) ... end, effects_timeout = "60s" }, every
// field optional. Header names must be tokens (or "*"), paths what parse_json_path reads.
// Throws config_error naming the path ("options.idempotency.ignore_json[2]: ...").
idempotency_options read_idempotency_options(lua_State* L, const std::string& path);

}  // namespace ordeal::scenarios::options_reading
