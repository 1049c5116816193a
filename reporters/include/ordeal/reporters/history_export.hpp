#pragma once

#include <ostream>

#include "ordeal/engine/script_results.hpp"

namespace ordeal::reporters {

// The history (`--out history=FILE`, docs/results.md): one JSON array in the shape elle-cli and
// Jepsen's checkers read, one operation map per line, ordered by time and indexed 0, 1, 2, ...
// Every line has Jepsen's keys (type invoke/ok/fail/info, f, process, time in ns since the
// load started, index; value where there is one) and ordeal's own ("entry" and the entry's
// fields):
//   entry "integrity": integrity.add and the checkers' reads, as client operations (integer
//     processes): an invoke line and a completion line each (f add, generate, transfer, read);
//     invariant checks as single info lines of process "monitor";
//   entry "attempt": every HTTP attempt (when the history is recorded), a single info line of
//     process "http" with the attempt's fields (operation, attempt, kind, verdict, ...);
//   entry "fault": the fault layer's events, info lines of process "nemesis" (f start, stop,
//     hit, ...).
// Checkers ignore lines of non-integer processes, so a single-checker history can be handed to
// elle-cli as it is; with several checkers, select one (jq '[.[] | select(.checker == "x")]').
void write_history(std::ostream& out, const engine::script_results& r);

}  // namespace ordeal::reporters
