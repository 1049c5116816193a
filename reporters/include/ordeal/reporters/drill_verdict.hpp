#pragma once

#include <vector>

#include "ordeal/engine/drill_record.hpp"
#include "ordeal/reporters/verdict.hpp"

namespace ordeal::reporters {

// The drill's structure as verdicts of kind drill: one per steady-state probe ("steady state:
// <name>", judged after the load: did the system come back, and how long did it take), and one
// per action and rollback ("action: <name>", "rollback: <name>": did it do what it said). A
// failed one exits 99, as a broken budget does.
std::vector<verdict> drill_verdicts(const engine::drill_record& r);

}  // namespace ordeal::reporters
