#include <algorithm>
#include <boost/json/array.hpp>
#include <unordered_map>

#include "integrity_common.hpp"
#include "ordeal/reporters/integrity.hpp"

namespace ordeal::reporters {

namespace json = boost::json;
using namespace detail;

verdict check_unique(const engine::integrity_checker& c) {
  verdict v = start_verdict(c);
  json::object e;
  e["checker"] = c.name;
  e["type"] = "unique";

  // Jepsen's unique-ids: the values ok operations returned. One operation recording the same
  // value twice (its retry or duplicate answered with it again) is one id, not a duplicate.
  struct seen {
    json::value value;
    std::vector<const engine::integrity_op*> ops;  // distinct operations
  };
  std::unordered_map<std::string, seen> ids;
  std::vector<std::string> order;
  std::uint64_t acknowledged = 0;
  for (const auto& op : c.ops) {
    if (op.kind != engine::attempt_verdict::ok) continue;
    ++acknowledged;
    json::value value = parse_value(op.value);
    std::string key = canonical(value);
    auto [it, fresh] = ids.try_emplace(key);
    if (fresh) {
      it->second.value = std::move(value);
      order.push_back(std::move(key));
    }
    auto& ops = it->second.ops;
    const bool same_operation = std::any_of(
        ops.begin(), ops.end(), [&](const auto* o) { return o->operation == op.operation; });
    if (!same_operation) ops.push_back(&op);
  }
  json::array duplicates;
  std::uint64_t duplicated = 0;
  for (const auto& key : order) {
    const auto& s = ids.at(key);
    if (s.ops.size() < 2) continue;
    ++duplicated;
    if (duplicates.size() < max_examples) {
      json::object d;
      d["value"] = s.value;
      d["count"] = s.ops.size();
      json::array ops;
      for (const auto* op : s.ops)
        if (ops.size() < max_examples) ops.push_back(op_json(*op));
      d["operations"] = std::move(ops);
      duplicates.push_back(std::move(d));
    }
    add_reason(v, display(s.value) + " returned by " + std::to_string(s.ops.size()) +
                      " operations: " + op_text(*s.ops[0]) + "; " + op_text(*s.ops[1]));
  }
  json::object counts;
  counts["attempted"] = c.ops.size();
  counts["acknowledged"] = acknowledged;
  counts["distinct"] = ids.size();
  counts["duplicated"] = duplicated;
  e["counts"] = std::move(counts);
  e["duplicates"] = std::move(duplicates);
  v.passed = duplicated == 0;
  v.measured = v.passed ? std::to_string(ids.size()) + " ids, all distinct"
                        : std::to_string(duplicated) + " of " + std::to_string(ids.size()) +
                              " ids returned more than once";
  v.evidence = std::move(e);
  return v;
}

}  // namespace ordeal::reporters
