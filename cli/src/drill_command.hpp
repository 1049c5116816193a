#pragma once

#include <string>
#include <vector>

#include "run_command.hpp"

namespace ordeal::cli {

// Whether `ordeal run X` names a drill file rather than a URL.
bool is_drill_file(const std::string& target);

// `ordeal run drill.lua`: loads and runs the drill, prints the report, writes --out files and
// returns the exit code (107 for a script that fails to load).
int drill_command(const run_args& args, const std::vector<std::string>& argv);

}  // namespace ordeal::cli
