#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ordeal/engine/operation.hpp"

namespace ordeal::engine {

// The data-integrity checkers a drill declares (options.integrity), with Jepsen's meaning.
enum class integrity_type : std::uint8_t { set, counter, bank, unique, invariant };

constexpr std::string_view to_string(integrity_type t) noexcept {
  switch (t) {
    case integrity_type::set:
      return "set";
    case integrity_type::counter:
      return "counter";
    case integrity_type::bank:
      return "bank";
    case integrity_type::unique:
      return "unique";
    case integrity_type::invariant:
      return "invariant";
  }
  return "set";
}

// One integrity.add(checker, value, response): what one operation did for one checker.
struct integrity_op {
  std::string value;  // as JSON text ("17", "\"a-17\""); a counter's is a number
  attempt_verdict kind = attempt_verdict::ok;  // the operation's outcome (ok / fail / info)
  std::uint64_t operation = 0;                 // the operation's id, as the history has it
  std::uint64_t vu = 0;                        // the virtual user's id (0: setup or teardown)
  std::int64_t invoke_us = 0;                  // its first attempt started, since the load started
  std::int64_t complete_us = 0;                // its last attempt ended
};

enum class integrity_phase : std::uint8_t { during, final };
constexpr std::string_view to_string(integrity_phase p) noexcept {
  return p == integrity_phase::during ? "during" : "final";
}

// One run of a checker's hooks by the monitor: read() (set, counter, bank) and then check()
// (bank: check(value); invariant: check()). During the load every `every`, and once after it.
struct integrity_read {
  integrity_phase phase = integrity_phase::final;
  std::int64_t invoke_us = 0;    // since the load started
  std::int64_t complete_us = 0;  // both hooks done
  std::string value;             // read()'s result as JSON text; empty without a read
  bool checked = false;          // check() ran and returned a verdict
  bool passed = true;            // check()'s verdict
  std::string message;           // check()'s second result, if any
  // Why this read is no evidence either way: a hook raised, a request in it failed, or it
  // returned what the checker cannot use ("read() returned a string, expected a number").
  std::string error;
};

struct integrity_checker {
  std::string name;  // key in options.integrity
  integrity_type type = integrity_type::set;
  std::vector<integrity_op> ops;      // by invoke time once merged
  std::vector<integrity_read> reads;  // in the order they ran
};

// Everything the integrity verdicts are judged on: per checker, the recorded operations and the
// monitor's reads. Each worker keeps its own; merged after join.
struct integrity_record {
  std::vector<integrity_checker> checkers;  // sorted by name

  integrity_checker* find(std::string_view name) noexcept {
    const auto it =
        std::lower_bound(checkers.begin(), checkers.end(), name,
                         [](const integrity_checker& c, std::string_view n) { return c.name < n; });
    return it != checkers.end() && it->name == name ? &*it : nullptr;
  }
  const integrity_checker* find(std::string_view name) const noexcept {
    return const_cast<integrity_record*>(this)->find(name);
  }
  // The checker named `name`, added (with `type`) when absent; adding one moves the others, so
  // a reference is good until the next at() of a new name.
  integrity_checker& at(std::string_view name, integrity_type type) {
    if (auto* c = find(name)) return *c;
    integrity_checker c;
    c.name = std::string(name);
    c.type = type;
    const auto it =
        std::lower_bound(checkers.begin(), checkers.end(), name,
                         [](const integrity_checker& x, std::string_view n) { return x.name < n; });
    return *checkers.insert(it, std::move(c));
  }
  // Takes `other`'s operations and reads; operations end up sorted by invoke time.
  void merge(integrity_record&& other) {
    for (auto& c : other.checkers) {
      auto& into = at(c.name, c.type);
      into.ops.insert(into.ops.end(), std::make_move_iterator(c.ops.begin()),
                      std::make_move_iterator(c.ops.end()));
      into.reads.insert(into.reads.end(), std::make_move_iterator(c.reads.begin()),
                        std::make_move_iterator(c.reads.end()));
      std::stable_sort(into.ops.begin(), into.ops.end(),
                       [](const auto& a, const auto& b) { return a.invoke_us < b.invoke_us; });
      std::stable_sort(into.reads.begin(), into.reads.end(),
                       [](const auto& a, const auto& b) { return a.invoke_us < b.invoke_us; });
    }
    other.checkers.clear();
  }
  bool empty() const noexcept { return checkers.empty(); }
};

}  // namespace ordeal::engine
