#pragma once

#include <vector>

#include "ordeal/engine/integrity_record.hpp"
#include "ordeal/reporters/verdict.hpp"

namespace ordeal::reporters {

// The data-integrity checkers, with Jepsen's semantics, over what a run recorded for each
// options.integrity checker (docs/scripting.md, "Data integrity"). Each gives one verdict of
// kind integrity named "integrity: <name> (<type>)", with counts and first examples as
// evidence (docs/results.md). A read that errored is reported, never taken as a pass; a checker
// whose final read is missing or errored fails with the reason.

// set: every ok add is in the final read (else lost); the final read holds only values some add
// attempted (else unexpected) and no value whose every add definitely failed; info adds that
// are present are recovered (not a failure).
verdict check_set(const engine::integrity_checker& c);
// counter: sum of ok increments <= final value <= sum of ok and info increments (negative
// increments widen the bounds the other way).
verdict check_counter(const engine::integrity_checker& c);
// bank: check(read) held in every read, during the load and after it.
verdict check_bank(const engine::integrity_checker& c);
// unique: no value returned by two ok operations.
verdict check_unique(const engine::integrity_checker& c);
// invariant: check() held every time it ran, during the load and after it.
verdict check_invariant(const engine::integrity_checker& c);

// Every checker of the record, in name order.
std::vector<verdict> integrity_verdicts(const engine::integrity_record& r);

}  // namespace ordeal::reporters
