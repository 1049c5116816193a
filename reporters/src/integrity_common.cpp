#include "integrity_common.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cmath>
#include <cstdio>

namespace ordeal::reporters::detail {

namespace json = boost::json;

json::value parse_value(const std::string& text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  return ec ? json::value(nullptr) : v;
}

std::string canonical(const json::value& v) {
  switch (v.kind()) {
    case json::kind::int64:
      return std::to_string(v.get_int64());
    case json::kind::uint64:
      return std::to_string(v.get_uint64());
    case json::kind::double_: {
      const double d = v.get_double();
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.2e18)
        return std::to_string(static_cast<std::int64_t>(d));
      return json::serialize(v);
    }
    case json::kind::array: {
      std::string out = "[";
      for (const auto& e : v.get_array())
        out += (out.size() > 1 ? "," : "") + canonical(e);
      return out + "]";
    }
    case json::kind::object: {
      std::vector<std::pair<std::string, std::string>> members;
      for (const auto& m : v.get_object())
        members.emplace_back(json::serialize(json::string(m.key())), canonical(m.value()));
      std::sort(members.begin(), members.end());
      std::string out = "{";
      for (const auto& [k, e] : members)
        out += (out.size() > 1 ? "," : "") + k + ":" + e;
      return out + "}";
    }
    default:
      return json::serialize(v);
  }
}

std::string display(const json::value& v) {
  std::string s = canonical(v);
  if (s.size() > 80) s = s.substr(0, 77) + "...";
  return s;
}

std::string seconds(std::int64_t us) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3fs", static_cast<double>(us) / 1e6);
  return buf;
}

json::object op_json(const engine::integrity_op& op) {
  json::object o;
  o["value"] = parse_value(op.value);
  o["kind"] = engine::to_string(op.kind);
  o["operation"] = op.operation;
  o["vu"] = op.vu;
  o["invoke_us"] = op.invoke_us;
  o["complete_us"] = op.complete_us;
  return o;
}

std::string op_text(const engine::integrity_op& op) {
  return "operation " + std::to_string(op.operation) + " of vu " + std::to_string(op.vu) + ", " +
         std::string(engine::to_string(op.kind)) + " at " + seconds(op.invoke_us) + "-" +
         seconds(op.complete_us);
}

json::object read_json(const engine::integrity_read& r, bool with_value) {
  json::object o;
  o["phase"] = engine::to_string(r.phase);
  o["invoke_us"] = r.invoke_us;
  o["complete_us"] = r.complete_us;
  if (with_value && !r.value.empty()) o["value"] = parse_value(r.value);
  if (r.checked) o["passed"] = r.passed;
  if (!r.message.empty()) o["message"] = r.message;
  if (!r.error.empty()) o["error"] = r.error;
  return o;
}

verdict start_verdict(const engine::integrity_checker& c) {
  verdict v;
  v.kind = verdict_kind::integrity;
  v.name = "integrity: " + c.name + " (" + std::string(engine::to_string(c.type)) + ")";
  v.passed = true;
  return v;
}

json::object reads_summary(const engine::integrity_checker& c) {
  json::object o;
  std::uint64_t during = 0, final = 0, errored = 0;
  json::array errors;
  for (const auto& r : c.reads) {
    (r.phase == engine::integrity_phase::during ? during : final) += 1;
    if (r.error.empty()) continue;
    ++errored;
    if (errors.size() < max_examples) errors.push_back(read_json(r, false));
  }
  o["during"] = during;
  o["final"] = final;
  o["errored"] = errored;
  o["errors"] = std::move(errors);
  return o;
}

const engine::integrity_read* final_read(const engine::integrity_checker& c) {
  const engine::integrity_read* last = nullptr;
  for (const auto& r : c.reads)
    if (r.phase == engine::integrity_phase::final) last = &r;
  return last;
}

bool require_final_read(const engine::integrity_checker& c, verdict& v) {
  const auto* r = final_read(c);
  if (r == nullptr) {
    v.passed = false;
    v.measured = "no final read";
    add_reason(v, "no read ran after the load ended: nothing shows what the system kept");
    return false;
  }
  if (!r->error.empty()) {
    v.passed = false;
    v.measured = "the final read failed";
    add_reason(v, "the final read at " + seconds(r->invoke_us) + " failed: " + r->error);
    return false;
  }
  return true;
}

void add_reason(verdict& v, std::string reason) {
  if (v.reasons.size() < max_reasons) v.reasons.push_back(std::move(reason));
}

}  // namespace ordeal::reporters::detail

namespace ordeal::reporters::detail {

void judge_checks(const engine::integrity_checker& c, verdict& v, json::object& e,
                  bool with_value) {
  std::uint64_t held = 0, broke = 0, errored = 0;
  json::array failures;
  for (const auto& r : c.reads) {
    if (!r.error.empty()) {
      ++errored;
      continue;
    }
    if (!r.checked || r.passed) {
      ++held;
      continue;
    }
    ++broke;
    if (failures.size() < max_examples) failures.push_back(read_json(r, with_value));
    std::string reason =
        "at " + seconds(r.invoke_us) +
        (r.phase == engine::integrity_phase::during ? " (during the load)" : " (after the load)") +
        ": check() returned false";
    if (!r.message.empty()) reason += ": " + r.message;
    if (with_value && !r.value.empty()) reason += " (read " + display(parse_value(r.value)) + ")";
    add_reason(v, std::move(reason));
  }
  json::object counts;
  counts["reads"] = c.reads.size();
  counts["held"] = held;
  counts["broke"] = broke;
  counts["errored"] = errored;
  e["counts"] = std::move(counts);
  e["failures"] = std::move(failures);
  const bool final_ok = require_final_read(c, v);
  if (const auto* fr = final_read(c)) e["final_read"] = read_json(*fr, with_value);
  if (!final_ok) {
    if (broke)
      v.measured = std::to_string(broke) + " of " + std::to_string(c.reads.size()) +
                   " reads broke it; " + v.measured;
    return;
  }
  v.passed = broke == 0;
  const std::string errors =
      errored ? " (" + std::to_string(errored) + " errored, not counted)" : std::string();
  if (v.passed)
    v.measured = "held in " + std::to_string(held) + " of " + std::to_string(c.reads.size()) +
                 " reads" + errors;
  else
    v.measured = "broke in " + std::to_string(broke) + " of " + std::to_string(c.reads.size()) +
                 " reads" + errors;
}

}  // namespace ordeal::reporters::detail
