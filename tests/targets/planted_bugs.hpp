#pragma once

#include <string>
#include <string_view>

namespace ordeal::planted {

// The bugs the planted target can be started with (`--bugs a,b`), each a switch that makes
// one verdict of ordeal fail while every other keeps passing.
struct bug_set {
  bool ignore_idempotency_key = false;  // POST /transfers executes every request, repeats too
  bool lost_update = false;             // POST /counter/incr: read, wait ~1 ms, write
  bool unstored_writes = false;         // POST /items: every 7th write acknowledged, not stored
  bool slow_path = false;               // GET /search: every 20th request waits 400 ms
};

// Reads a comma-separated list of bug names ("" = none). Throws std::invalid_argument naming
// an unknown bug and the known ones.
bug_set parse_bugs(std::string_view list);

// "ignore_idempotency_key,lost_update" (in declaration order), "none" without bugs.
std::string to_string(const bug_set& bugs);

}  // namespace ordeal::planted
