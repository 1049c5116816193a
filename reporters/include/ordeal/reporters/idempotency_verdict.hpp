#pragma once

#include <cstddef>
#include <ostream>

#include "ordeal/engine/script_results.hpp"
#include "ordeal/reporters/verdict.hpp"

namespace ordeal::reporters {

// The idempotency verdict (docs/scripting.md "Idempotency", docs/results.md): for every
// idempotency key in the history,
// - consistency: every attempt with a complete response below 500 (first, retry, duplicate)
//   has the same response digest, except a 429 (refused before running) and a 409 while
//   another attempt of the key was in flight or had ended without an answer;
// - exactly-once, when the effects hook ran: with the key's outcome by Jepsen's rule (any
//   attempt ok: ok; else any info: info; else fail), ok needs exactly 1 effect, info 0 or 1,
//   fail 0; more than 1 is a duplicated effect, ok with 0 a lost one.
// It fails on any violation or hook error. Evidence: the counts, and the first `max_examples`
// failing keys with every attempt and the fault events that hit them. Call it only when
// r.effects.configured.
verdict idempotency_verdict(const engine::script_results& r, std::size_t max_examples = 5);

// The console's detail of a failed idempotency verdict, after the verdicts (which show the
// first reasons only): each example key with every attempt on a line (kind, verdict, status,
// times, client port, note, body excerpt) and the fault events that hit it. Nothing when the
// verdict passed.
void write_idempotency_section(std::ostream& out, const verdict& v);

}  // namespace ordeal::reporters
