#pragma once

// Synthetic integrity records for the checkers' tests.

#include <boost/json.hpp>
#include <string>

#include "ordeal/engine/integrity_record.hpp"

namespace ordeal::reporters::test {

using engine::attempt_verdict;
using engine::integrity_phase;

inline engine::integrity_checker checker(std::string name, engine::integrity_type type) {
  engine::integrity_checker c;
  c.name = std::move(name);
  c.type = type;
  return c;
}

// An add of `value` (JSON text) by operation `operation` of vu `vu`, over 1 ms at `at_ms`.
inline void add(engine::integrity_checker& c, std::string value, attempt_verdict kind,
                std::uint64_t operation, std::uint64_t vu = 1, std::int64_t at_ms = 0) {
  engine::integrity_op op;
  op.value = std::move(value);
  op.kind = kind;
  op.operation = operation;
  op.vu = vu;
  op.invoke_us = at_ms * 1000;
  op.complete_us = at_ms * 1000 + 1000;
  c.ops.push_back(std::move(op));
}

inline engine::integrity_read& read(engine::integrity_checker& c, std::string value,
                                    integrity_phase phase = integrity_phase::final,
                                    std::int64_t at_ms = 10'000) {
  engine::integrity_read r;
  r.phase = phase;
  r.invoke_us = at_ms * 1000;
  r.complete_us = at_ms * 1000 + 2000;
  r.value = std::move(value);
  c.reads.push_back(std::move(r));
  return c.reads.back();
}

inline engine::integrity_read& errored_read(engine::integrity_checker& c, std::string error,
                                            integrity_phase phase = integrity_phase::final,
                                            std::int64_t at_ms = 10'000) {
  auto& r = read(c, "", phase, at_ms);
  r.error = std::move(error);
  return r;
}

inline engine::integrity_read& check(engine::integrity_checker& c, bool passed,
                                     std::string message = "",
                                     integrity_phase phase = integrity_phase::final,
                                     std::int64_t at_ms = 10'000, std::string value = "") {
  auto& r = read(c, std::move(value), phase, at_ms);
  r.checked = true;
  r.passed = passed;
  r.message = std::move(message);
  return r;
}

inline std::uint64_t count(const boost::json::value& evidence, const char* name) {
  return evidence.at("counts").at(name).to_number<std::uint64_t>();
}

}  // namespace ordeal::reporters::test
