#pragma once

// What the integrity checkers share: values compared by their canonical JSON, the evidence of
// operations and reads, and the reads' bookkeeping (errors, the final read).

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "ordeal/engine/integrity_record.hpp"
#include "ordeal/reporters/verdict.hpp"

namespace ordeal::reporters::detail {

// Examples kept in evidence (the counts are always whole).
inline constexpr std::size_t max_examples = 10;
// Reasons listed (the console shows the first few).
inline constexpr std::size_t max_reasons = 5;

// The recorded JSON text as a value (null when it is not JSON).
boost::json::value parse_value(const std::string& text);
// One spelling per value: 3 and 3.0 are the same element, {"a":1,"b":2} the same whatever the
// order of its keys.
std::string canonical(const boost::json::value& v);
// The value as a person reads it in a reason: 57, "a-17", {"id":3}.
std::string display(const boost::json::value& v);
// "1.234s" since the load started.
std::string seconds(std::int64_t us);

boost::json::object op_json(const engine::integrity_op& op);
// "operation 17 of vu 3, 1.200s-1.234s"
std::string op_text(const engine::integrity_op& op);
boost::json::object read_json(const engine::integrity_read& r, bool with_value);

// The verdict's name and kind, passed until a checker says otherwise.
verdict start_verdict(const engine::integrity_checker& c);

// The reads' counts and first errors: {"during", "final", "errored", "errors": [...]}. Errored
// reads are named in `v`'s reasons (they do not fail it by themselves).
boost::json::object reads_summary(const engine::integrity_checker& c);
// The last read after the load, or nullptr.
const engine::integrity_read* final_read(const engine::integrity_checker& c);
// Fails `v` when the final read is missing or errored, naming why; true when it can be used.
bool require_final_read(const engine::integrity_checker& c, verdict& v);

void add_reason(verdict& v, std::string reason);

// bank and invariant: check() must have held in every read, during the load and after it (the
// final one required). Fills `v` and its evidence `e` (counts, first failures with their time,
// phase, message and, with `with_value`, what read() returned).
void judge_checks(const engine::integrity_checker& c, verdict& v, boost::json::object& e,
                  bool with_value);

}  // namespace ordeal::reporters::detail
