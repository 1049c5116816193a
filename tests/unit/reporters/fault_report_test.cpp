// The fault record in a drill's reports: the JSON result's "faults", the console's "Faults"
// section and the history's fault lines.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "ordeal/reporters/history_export.hpp"
#include "ordeal/reporters/script_report.hpp"
#include "sample_results.hpp"

namespace {

namespace json = boost::json;
using Catch::Matchers::Contains;
using ordeal::engine::fault_event;
using ordeal::engine::script_results;
using ordeal::reporters::test::sample_info;
using ordeal::reporters::test::sample_results;
using kind = fault_event::kind;

fault_event event(kind what, std::int64_t at_us, std::string fault = "latency_downstream",
                  std::string type = "latency") {
  fault_event e;
  e.what = what;
  e.at_us = at_us;
  e.proxy = "db";
  e.fault = std::move(fault);
  e.type = std::move(type);
  e.stream = "downstream";
  return e;
}

fault_event hit(std::int64_t at_us, std::uint64_t connection) {
  fault_event e = event(kind::hit, at_us);
  e.connection = connection;
  e.client = "127.0.0.1:4031" + std::to_string(connection);
  e.detail = "delayed 300ms";
  return e;
}

// A drill run with a latency fault from 10 s to 30 s that hit two connections, and a "down"
// fault from 40 s to 45 s.
script_results with_faults() {
  script_results r;
  r.seed = 7;
  r.http = sample_results();
  r.faults = {event(kind::start, 10'000'000),
              hit(10'000'500, 1),
              hit(12'000'000, 2),
              event(kind::stop, 30'000'000),
              event(kind::start, 40'000'000, "down", "down"),
              event(kind::stop, 45'000'000, "down", "down")};
  r.faults[4].stream.clear();  // "down" acts on both directions
  r.faults[5].stream.clear();
  r.fault_events_dropped = 3;
  return r;
}

json::object round_trip(const script_results& r) {
  std::ostringstream out;
  ordeal::reporters::write_script_json(out, r, {}, sample_info());
  json::error_code ec;
  json::value v = json::parse(out.str(), ec);
  INFO(out.str());
  REQUIRE_FALSE(ec);
  REQUIRE(v.is_object());
  return v.get_object();
}

std::string console(const script_results& r) {
  std::ostringstream out;
  ordeal::reporters::write_script_report(out, r, {}, sample_info());
  return out.str();
}

// The history is one JSON array (elle-cli's shape), one operation per line.
std::vector<json::object> history_lines(const script_results& r) {
  std::ostringstream out;
  ordeal::reporters::write_history(out, r);
  json::error_code ec;
  json::value v = json::parse(out.str(), ec);
  INFO(out.str());
  REQUIRE_FALSE(ec);
  std::vector<json::object> lines;
  for (const auto& e : v.as_array())
    lines.push_back(e.as_object());
  return lines;
}

}  // namespace

TEST_CASE("fault report: the JSON result lists every fault event", "[reporters][faults]") {
  const auto o = round_trip(with_faults());
  REQUIRE(o.contains("faults"));
  const auto& faults = o.at("faults").as_object();
  CHECK(faults.at("dropped").to_number<std::uint64_t>() == 3);
  const auto& events = faults.at("events").as_array();
  REQUIRE(events.size() == 6);

  const auto& start = events[0].as_object();
  CHECK(start.at("at_us").to_number<std::int64_t>() == 10'000'000);
  CHECK(start.at("event") == "start");
  CHECK(start.at("proxy") == "db");
  CHECK(start.at("fault") == "latency_downstream");
  CHECK(start.at("type") == "latency");
  CHECK(start.at("stream") == "downstream");
  // Empty strings and connection 0 are left out, not written as "" or 0.
  CHECK_FALSE(start.contains("connection"));
  CHECK_FALSE(start.contains("client"));
  CHECK_FALSE(start.contains("detail"));

  const auto& first_hit = events[1].as_object();
  CHECK(first_hit.at("event") == "hit");
  CHECK(first_hit.at("connection").to_number<std::uint64_t>() == 1);
  CHECK(first_hit.at("client") == "127.0.0.1:40311");
  CHECK(first_hit.at("detail") == "delayed 300ms");

  CHECK(events[3].at("event") == "stop");
  CHECK(events[3].at("at_us").to_number<std::int64_t>() == 30'000'000);
  CHECK(events[4].at("type") == "down");
  CHECK_FALSE(events[4].as_object().contains("stream"));
}

TEST_CASE("fault report: a drill without faults has an empty record", "[reporters][faults]") {
  script_results r;
  r.http = sample_results();
  const auto o = round_trip(r);
  const auto& faults = o.at("faults").as_object();
  CHECK(faults.at("events").as_array().empty());
  CHECK(faults.at("dropped").to_number<std::uint64_t>() == 0);
  // The console says nothing of faults that did not happen.
  CHECK(console(r).find("Faults") == std::string::npos);
}

TEST_CASE("fault report: the console shows each fault's window and hits", "[reporters][faults]") {
  const std::string text = console(with_faults());
  INFO(text);
  CHECK_THAT(text, Contains("\nFaults\n"
                            "  db/latency_downstream (latency): 10.00s - 30.00s, 2 hits\n"
                            "  db/down (down): 40.00s - 45.00s, 0 hits\n"
                            "  3 more fault events not recorded (past the record's cap)\n"));

  // A fault applied twice under one name shows twice; one still on at the end says so. A hit
  // recorded just before its fault's start (on a connection already open) counts for it.
  script_results r = with_faults();
  r.fault_events_dropped = 0;
  r.faults.push_back(hit(49'999'990, 4));
  r.faults.push_back(event(kind::start, 50'000'000));
  r.faults.push_back(hit(50'500'000, 3));
  const std::string again = console(r);
  INFO(again);
  CHECK_THAT(again, Contains("  db/latency_downstream (latency): 10.00s - 30.00s, 2 hits\n"
                             "  db/down (down): 40.00s - 45.00s, 0 hits\n"
                             "  db/latency_downstream (latency): 50.00s - not stopped, 2 hits\n"));
  CHECK(again.find("not recorded") == std::string::npos);

  // Hits whose start is not in the record (past its cap) still show, under one line.
  script_results orphans;
  orphans.http = sample_results();
  orphans.faults = {hit(1'000'000, 1), hit(2'000'000, 2)};
  CHECK_THAT(console(orphans),
             Contains("\nFaults\n  db/latency_downstream (latency): ? - not stopped, 2 hits\n"));
}

TEST_CASE("fault report: the history interleaves fault events by time", "[reporters][faults]") {
  script_results r = with_faults();
  const auto attempt = [](std::uint64_t operation, std::int64_t invoke_us) {
    ordeal::engine::history_entry h;
    h.operation = operation;
    h.method = "GET";
    h.target = "/";
    h.invoke_us = invoke_us;
    h.complete_us = invoke_us + 1000;
    return h;
  };
  // Before the fault, at the very microsecond it starts, during it, after the last event.
  r.history = {attempt(1, 5'000'000), attempt(2, 10'000'000), attempt(3, 11'000'000),
               attempt(4, 50'000'000)};
  const auto lines = history_lines(r);
  REQUIRE(lines.size() == 10);
  std::vector<std::string> order;
  for (const auto& l : lines) {
    if (l.at("entry") == "fault") {
      CHECK(l.at("type") == "info");
      CHECK(l.at("process") == "nemesis");
      order.push_back(std::string(l.at("event").as_string()) + "@" +
                      std::to_string(l.at("at_us").to_number<std::int64_t>()));
    } else {
      order.push_back("op" + std::to_string(l.at("operation").to_number<std::uint64_t>()));
    }
  }
  CHECK(order == std::vector<std::string>{"op1", "start@10000000", "op2", "hit@10000500", "op3",
                                          "hit@12000000", "stop@30000000", "start@40000000",
                                          "stop@45000000", "op4"});
  // A fault line carries the event's fields, the fault's own type under fault_type.
  const auto& start = lines[1];
  CHECK(start.at("proxy") == "db");
  CHECK(start.at("fault") == "latency_downstream");
  CHECK(start.at("fault_type") == "latency");
  CHECK(start.at("stream") == "downstream");
  CHECK(lines[3].at("connection").to_number<std::uint64_t>() == 1);
  CHECK(lines[3].at("client") == "127.0.0.1:40311");

  // Without recorded attempts, the fault lines alone.
  r.history.clear();
  CHECK(history_lines(r).size() == 6);
}
