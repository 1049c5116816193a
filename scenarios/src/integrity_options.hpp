#pragma once

#include <string>
#include <vector>

#include "options_reading.hpp"
#include "ordeal/scenarios/drill.hpp"

namespace ordeal::scenarios::options_reading {

// options.integrity (the table at the top of the stack): name -> { type, read, check, every },
// checked against what each type takes (set, counter: read; bank: read, check, every;
// unique: nothing; invariant: check, every). Sorted by name. Throws config_error with the path.
std::vector<integrity_spec> read_integrity_options(lua_State* L, const std::string& path);

}  // namespace ordeal::scenarios::options_reading
