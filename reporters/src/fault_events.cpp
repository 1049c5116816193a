#include "fault_events.hpp"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace ordeal::reporters::detail {

namespace json = boost::json;
using engine::fault_event;

namespace {

std::string seconds(std::int64_t us) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2fs", static_cast<double>(us) / 1e6);
  return buf;
}

}  // namespace

// A fault's spans in order of start: a stop ends the latest span of the same proxy and fault
// that has not stopped (one name can be applied again later). A hit counts for the span of its
// proxy and fault that covers it, else the nearest one: the fault layer may record the hits of
// a toxic's first moment (on the connections already open) just before its start.
std::vector<fault_span> spans_of(const std::vector<fault_event>& events) {
  std::vector<fault_span> spans;
  const auto same = [](const fault_span& s, const fault_event& e) {
    return s.proxy == e.proxy && s.fault == e.fault;
  };
  const auto new_span = [&](const fault_event& e) -> fault_span& {
    spans.push_back({e.proxy, e.fault, e.type, std::nullopt, std::nullopt, 0, {}});
    return spans.back();
  };
  for (const auto& e : events) {
    if (e.what == fault_event::kind::start) {
      new_span(e).start_us = e.at_us;
    } else if (e.what == fault_event::kind::stop) {
      const auto open = std::find_if(spans.rbegin(), spans.rend(),
                                     [&](const fault_span& s) { return same(s, e) && !s.stop_us; });
      auto& span = open != spans.rend() ? *open : new_span(e);
      span.stop_us = e.at_us;
      span.ended = e.detail;
    }
  }
  for (const auto& e : events) {
    if (e.what != fault_event::kind::hit) continue;
    fault_span* best = nullptr;
    std::int64_t best_distance = 0;
    for (auto& s : spans) {
      if (!same(s, e)) continue;
      // 0 inside [start, stop] (an unknown start or stop bounds nothing); else how far outside.
      const std::int64_t before = s.start_us ? *s.start_us - e.at_us : 0;
      const std::int64_t after = s.stop_us ? e.at_us - *s.stop_us : 0;
      const std::int64_t distance = std::max<std::int64_t>({before, after, 0});
      if (best == nullptr || distance < best_distance) best = &s, best_distance = distance;
    }
    ++(best ? *best : new_span(e)).hits;
  }
  return spans;
}

json::object fault_event_json(const fault_event& e) {
  json::object o;
  o["at_us"] = e.at_us;
  o["event"] = engine::to_string(e.what);
  const auto put = [&](std::string_view key, const std::string& value) {
    if (!value.empty()) o[key] = value;
  };
  put("proxy", e.proxy);
  put("fault", e.fault);
  put("type", e.type);
  put("stream", e.stream);
  if (e.connection != 0) o["connection"] = e.connection;
  put("client", e.client);
  put("detail", e.detail);
  return o;
}

json::object faults_json(const engine::script_results& r) {
  json::array events;
  events.reserve(r.faults.size());
  for (const auto& e : r.faults)
    events.push_back(fault_event_json(e));
  json::object o;
  o["events"] = std::move(events);
  o["dropped"] = r.fault_events_dropped;
  return o;
}

void write_fault_section(std::ostream& out, const engine::script_results& r) {
  if (r.faults.empty()) return;
  out << "\nFaults\n";
  for (const auto& s : spans_of(r.faults)) {
    out << "  " << s.proxy << '/' << s.fault;
    if (!s.type.empty()) out << " (" << s.type << ")";
    out << ": " << (s.start_us ? seconds(*s.start_us) : std::string("?")) << " - "
        << (s.stop_us ? seconds(*s.stop_us) : std::string("not stopped")) << ", ";
    if (is_drill_action(s))
      out << s.ended << '\n';
    else
      out << s.hits << (s.hits == 1 ? " hit" : " hits") << '\n';
  }
  if (r.fault_events_dropped) {
    out << "  " << r.fault_events_dropped
        << " more fault events not recorded (past the record's cap)\n";
  }
}

}  // namespace ordeal::reporters::detail
