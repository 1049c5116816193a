#include <cmath>
#include <cstdio>

#include "integrity_common.hpp"
#include "ordeal/reporters/integrity.hpp"

namespace ordeal::reporters {

namespace json = boost::json;
using namespace detail;
using engine::attempt_verdict;

namespace {

std::string number(double d) {
  if (d == std::floor(d) && std::fabs(d) < 9e15) return std::to_string(static_cast<long long>(d));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", d);
  return buf;
}

double as_number(const json::value& v, bool& ok) {
  ok = true;
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  if (v.is_double()) return v.get_double();
  ok = false;
  return 0;
}

}  // namespace

verdict check_counter(const engine::integrity_checker& c) {
  verdict v = start_verdict(c);
  json::object e;
  e["checker"] = c.name;
  e["type"] = "counter";
  e["reads"] = reads_summary(c);

  // Jepsen's counter: ok increments certainly happened, info ones may have, failed ones did not.
  // With only non-negative increments: sum(ok) <= value <= sum(ok) + sum(info). A negative info
  // increment may have lowered the value instead.
  double ok_sum = 0, lower = 0, upper = 0;
  std::uint64_t ok_ops = 0, info_ops = 0, fail_ops = 0, unreadable = 0;
  for (const auto& op : c.ops) {
    bool numeric = false;
    const double d = as_number(parse_value(op.value), numeric);
    if (!numeric) {
      ++unreadable;
      continue;
    }
    switch (op.kind) {
      case attempt_verdict::ok:
        ++ok_ops;
        ok_sum += d;
        lower += d;
        upper += d;
        break;
      case attempt_verdict::info:
        ++info_ops;
        (d < 0 ? lower : upper) += d;
        break;
      case attempt_verdict::fail:
        ++fail_ops;
        break;
    }
  }
  json::object counts;
  counts["ok"] = ok_ops;
  counts["info"] = info_ops;
  counts["fail"] = fail_ops;
  e["counts"] = std::move(counts);
  e["ok_sum"] = ok_sum;
  e["lower"] = lower;
  e["upper"] = upper;

  if (require_final_read(c, v)) {
    const auto& fr = *final_read(c);
    e["final_read"] = read_json(fr, true);
    bool numeric = false;
    const json::value read = parse_value(fr.value);
    const double value = as_number(read, numeric);
    if (!numeric) {
      v.passed = false;
      v.measured = "the final read is not a number";
      add_reason(v, "the final read returned " + display(read) +
                        ": read() must return the counter's value as a number");
    } else {
      e["value"] = value;
      const std::string bounds = "[" + number(lower) + ", " + number(upper) + "]";
      v.passed = lower <= value && value <= upper;
      if (v.passed) {
        v.measured = "value " + number(value) + " within " + bounds;
      } else if (value < lower) {
        v.measured = "value " + number(value) + " below " + bounds;
        add_reason(v, "the final read at " + seconds(fr.invoke_us) + " is " + number(value) +
                          ", but the acknowledged (ok) increments alone add up to " +
                          number(lower) + ": " + number(lower - value) + " lost");
      } else {
        v.measured = "value " + number(value) + " above " + bounds;
        add_reason(v, "the final read at " + seconds(fr.invoke_us) + " is " + number(value) +
                          ", more than every attempted (ok and info) increment adds up to (" +
                          number(upper) + "): " + number(value - upper) + " counted twice or " +
                          "never attempted");
      }
    }
  }
  if (unreadable) e["unreadable"] = unreadable;  // added values that were not numbers
  v.evidence = std::move(e);
  return v;
}

}  // namespace ordeal::reporters
