#include <boost/json/array.hpp>
#include <unordered_map>

#include "integrity_common.hpp"
#include "ordeal/reporters/integrity.hpp"

namespace ordeal::reporters {

namespace json = boost::json;
using namespace detail;
using engine::attempt_verdict;

namespace {

// Every add of one value: the first of each kind decides and shows.
struct added {
  json::value value;
  const engine::integrity_op* ok = nullptr;
  const engine::integrity_op* info = nullptr;
  const engine::integrity_op* fail = nullptr;
};

}  // namespace

verdict check_set(const engine::integrity_checker& c) {
  verdict v = start_verdict(c);
  json::object e;
  e["checker"] = c.name;
  e["type"] = "set";
  e["reads"] = reads_summary(c);

  std::unordered_map<std::string, added> adds;
  std::vector<std::string> order;  // values by their first add
  std::uint64_t ok_ops = 0, info_ops = 0, fail_ops = 0;
  for (const auto& op : c.ops) {
    json::value value = parse_value(op.value);
    std::string key = canonical(value);
    auto [it, fresh] = adds.try_emplace(key);
    if (fresh) {
      it->second.value = std::move(value);
      order.push_back(std::move(key));
    }
    auto& a = it->second;
    switch (op.kind) {
      case attempt_verdict::ok:
        ++ok_ops;
        if (!a.ok) a.ok = &op;
        break;
      case attempt_verdict::info:
        ++info_ops;
        if (!a.info) a.info = &op;
        break;
      case attempt_verdict::fail:
        ++fail_ops;
        if (!a.fail) a.fail = &op;
        break;
    }
  }
  std::uint64_t acknowledged = 0;
  for (const auto& [key, a] : adds)
    if (a.ok) ++acknowledged;

  json::object counts;
  counts["attempted"] = adds.size();
  counts["acknowledged"] = acknowledged;
  counts["ok"] = ok_ops;
  counts["info"] = info_ops;
  counts["fail"] = fail_ops;

  const auto finish = [&] {
    e["counts"] = std::move(counts);
    v.evidence = std::move(e);
    return v;
  };
  if (!require_final_read(c, v)) return finish();
  const auto& fr = *final_read(c);
  e["final_read"] = read_json(fr, false);

  // The read: an array of elements (an empty Lua table reads as {}: no elements).
  const json::value read = parse_value(fr.value);
  const json::array empty;
  const json::array* elements = read.if_array();
  if (elements == nullptr && read.is_object() && read.get_object().empty()) elements = &empty;
  if (elements == nullptr) {
    v.passed = false;
    v.measured = "the final read is not a set";
    add_reason(v, "the final read returned " + display(read) +
                      ": read() must return an array of the set's elements");
    return finish();
  }
  std::unordered_map<std::string, const json::value*> present;
  std::vector<std::string> read_order;
  for (const auto& element : *elements) {
    auto key = canonical(element);
    if (present.emplace(key, &element).second) read_order.push_back(std::move(key));
  }

  json::array lost, unexpected, recovered, failed_present;
  std::uint64_t n_lost = 0, n_unexpected = 0, n_recovered = 0, n_failed_present = 0;
  for (const auto& key : order) {
    const auto& a = adds.at(key);
    const bool in_read = present.contains(key);
    if (a.ok && !in_read) {
      ++n_lost;
      if (lost.size() < max_examples) lost.push_back(op_json(*a.ok));
      add_reason(v, "lost " + display(a.value) + ": acknowledged (" + op_text(*a.ok) +
                        "), absent from the final read at " + seconds(fr.invoke_us));
    } else if (!a.ok && a.info && in_read) {
      ++n_recovered;
      if (recovered.size() < max_examples) recovered.push_back(op_json(*a.info));
    } else if (!a.ok && !a.info && in_read) {
      ++n_failed_present;
      if (failed_present.size() < max_examples) failed_present.push_back(op_json(*a.fail));
      add_reason(v, display(a.value) + " is in the final read though every add of it failed (" +
                        op_text(*a.fail) + ")");
    }
  }
  for (const auto& key : read_order) {
    if (adds.contains(key)) continue;
    ++n_unexpected;
    if (unexpected.size() < max_examples) unexpected.push_back(*present.at(key));
    add_reason(v, "unexpected " + display(*present.at(key)) +
                      ": in the final read, never added by the drill");
  }
  counts["read"] = present.size();
  counts["lost"] = n_lost;
  counts["unexpected"] = n_unexpected;
  counts["recovered"] = n_recovered;
  counts["failed_present"] = n_failed_present;
  e["lost"] = std::move(lost);
  e["unexpected"] = std::move(unexpected);
  e["recovered"] = std::move(recovered);
  e["failed_present"] = std::move(failed_present);

  v.passed = n_lost == 0 && n_unexpected == 0 && n_failed_present == 0;
  const std::string of = " of " + std::to_string(acknowledged) + " acknowledged";
  if (v.passed) {
    v.measured = std::to_string(acknowledged) + " acknowledged, all in the final read (" +
                 std::to_string(present.size()) + " elements, " + std::to_string(n_recovered) +
                 " recovered)";
  } else {
    v.measured =
        std::to_string(n_lost) + " lost" + of + ", " + std::to_string(n_unexpected) + " unexpected";
    if (n_failed_present)
      v.measured += ", " + std::to_string(n_failed_present) + " present after failing";
  }
  return finish();
}

}  // namespace ordeal::reporters
