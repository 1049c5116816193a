// The history export: one JSON array in the shape elle-cli and Jepsen's checkers read.
#include "ordeal/reporters/history_export.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <map>
#include <sstream>

#include "integrity_records.hpp"

using namespace ordeal::reporters;
using namespace ordeal::reporters::test;
namespace json = boost::json;
using ordeal::engine::integrity_phase;
using ordeal::engine::integrity_type;
using ordeal::engine::script_results;

namespace {

json::array export_of(const script_results& r) {
  std::ostringstream out;
  write_history(out, r);
  const std::string text = out.str();
  INFO(text);
  REQUIRE(text.rfind("[\n", 0) == 0);
  REQUIRE(text.size() >= 3);
  REQUIRE(text.substr(text.size() - 3) == "\n]\n");
  return json::parse(text).as_array();
}

// Jepsen's rules for client operations: every invoke is completed by the next operation of its
// process, and a process that completed with info never invokes again.
void check_jepsen_shape(const json::array& ops) {
  std::map<std::int64_t, bool> pending, crashed;
  std::int64_t last_time = std::numeric_limits<std::int64_t>::min();
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const auto& o = ops[i].as_object();
    INFO(json::serialize(o));
    CHECK(o.at("index").to_number<std::size_t>() == i);
    const auto type = std::string(o.at("type").as_string());
    CHECK((type == "invoke" || type == "ok" || type == "fail" || type == "info"));
    CHECK(o.contains("f"));
    const auto time = o.at("time").to_number<std::int64_t>();
    CHECK(time >= last_time);
    last_time = time;
    if (!o.at("process").is_number()) {
      CHECK(type == "info");  // http, monitor and nemesis lines stand alone
      continue;
    }
    const auto p = o.at("process").to_number<std::int64_t>();
    if (type == "invoke") {
      CHECK_FALSE(pending[p]);
      CHECK_FALSE(crashed[p]);
      pending[p] = true;
    } else {
      CHECK(pending[p]);
      pending[p] = false;
      if (type == "info") crashed[p] = true;
    }
  }
  for (const auto& [p, open] : pending)
    CHECK_FALSE(open);
}

}  // namespace

TEST_CASE("history export: integrity operations as invoke/complete pairs",
          "[reporters][integrity][history]") {
  script_results r;
  r.integrity.at("ids", integrity_type::unique);
  auto& items = r.integrity.at("items", integrity_type::set);
  add(items, "1", attempt_verdict::ok, 1, 3, 100);
  add(items, "2", attempt_verdict::info, 2, 3, 200);  // vu 3's process crashes here
  add(items, "3", attempt_verdict::ok, 3, 3, 300);
  add(items, "4", attempt_verdict::fail, 4, 5, 300);
  read(items, "[1, 3]", integrity_phase::final, 1000);
  auto& ids = *r.integrity.find("ids");
  add(ids, "\"x\"", attempt_verdict::ok, 1, 3, 100);  // two values from one response
  const auto ops = export_of(r);
  check_jepsen_shape(ops);
  REQUIRE(ops.size() == 12);

  const auto& first = ops[0].as_object();
  CHECK(first.at("type") == "invoke");
  CHECK(first.at("time") == 100'000'000);  // ns since the load started
  CHECK(first.at("entry") == "integrity");
  // The unique id is known when the operation returns, not when it is invoked.
  CHECK((first.at("f") == "generate" || first.at("f") == "add"));

  std::map<std::string, json::object> by_value;  // completions of items by value
  for (const auto& op : ops) {
    const auto& o = op.as_object();
    if (o.at("checker") == "items" && o.at("f") == "add" && o.at("type") != "invoke")
      by_value[json::serialize(o.at("value"))] = o;
  }
  CHECK(by_value.at("1").at("type") == "ok");
  CHECK(by_value.at("2").at("type") == "info");
  CHECK(by_value.at("2").at("operation") == 2);
  // After an info completion, the process is never used again.
  CHECK(by_value.at("3").at("process") != by_value.at("2").at("process"));
  CHECK(by_value.at("4").at("type") == "fail");
  CHECK(by_value.at("4").at("process") == 5);

  const auto& last = ops.back().as_object();
  CHECK(last.at("f") == "read");
  CHECK(last.at("type") == "ok");
  CHECK(last.at("phase") == "final");
  CHECK(last.at("value").as_array().size() == 2);
  CHECK(last.at("checker_type") == "set");
}

TEST_CASE("history export: attempts, faults, failed reads and invariant checks",
          "[reporters][integrity][history]") {
  script_results r;
  ordeal::engine::history_entry h;
  h.operation = 9;
  h.method = "POST";
  h.target = "/items";
  h.key = "k";
  h.invoke_us = 50;
  h.complete_us = 90;
  h.vu = 2;
  h.client_port = 40000;
  r.history.push_back(h);
  ordeal::engine::fault_event e;
  e.at_us = 50;
  e.what = ordeal::engine::fault_event::kind::start;
  e.proxy = "db";
  e.fault = "slow";
  e.type = "latency";
  r.faults.push_back(e);
  r.integrity.at("hits", integrity_type::counter);
  r.integrity.at("stock", integrity_type::invariant);
  errored_read(*r.integrity.find("hits"), "read() raised: boom", integrity_phase::final, 1);
  check(*r.integrity.find("stock"), false, "n=-1", integrity_phase::during, 1);
  const auto ops = export_of(r);
  check_jepsen_shape(ops);
  REQUIRE(ops.size() == 5);
  // The fault first: it starts at the microsecond the attempt does.
  CHECK(ops[0].at("entry") == "fault");
  CHECK(ops[0].at("process") == "nemesis");
  CHECK(ops[0].at("f") == "start");
  CHECK(ops[0].at("fault_type") == "latency");
  CHECK(ops[1].at("entry") == "attempt");
  CHECK(ops[1].at("process") == "http");
  CHECK(ops[1].at("verdict") == "ok");
  CHECK(ops[1].at("key") == "k");
  CHECK(ops[1].at("client_port") == 40000);
  std::size_t failed_reads = 0, checks = 0;
  for (const auto& op : ops) {
    if (op.at("f") == "read" && op.at("type") == "fail") {
      ++failed_reads;
      CHECK(op.at("error") == "read() raised: boom");
    }
    if (op.at("f") == "check") {
      ++checks;
      CHECK(op.at("process") == "monitor");
      CHECK(op.at("passed") == false);
      CHECK(op.at("message") == "n=-1");
    }
  }
  CHECK(failed_reads == 1);
  CHECK(checks == 1);
}

TEST_CASE("history export: an empty run is an empty array", "[reporters][history]") {
  std::ostringstream out;
  const script_results empty;
  write_history(out, empty);
  CHECK(out.str() == "[\n]\n");
}
