// The verdicts against planted bugs, end to end: the real `ordeal` binary runs the drill
// tests/drills/planted/bank.lua against the planted target (tests/targets/, a real process on
// port 0). With one bug on, exactly the verdict that should catch it fails, with its exit code
// and evidence naming what went wrong (a key, an element, a value); with every bug off, under
// retries, duplicates, abandonment and a fault timeline, every verdict passes.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "planted_client.hpp"
#include "planted_target.hpp"
#include "process.hpp"
#include "scratch.hpp"

using namespace std::chrono_literals;
namespace json = boost::json;
using ordeal::test::planted_client;
using ordeal::test::planted_target;
using ordeal::test::process_result;
using ordeal::test::temp_dir;

namespace {

constexpr int exit_ok = 0;
constexpr int exit_threshold_failed = 99;
constexpr int exit_idempotency_violated = 97;
constexpr int exit_integrity_violated = 98;
constexpr int exit_invalid_config = 104;
constexpr int exit_script_error = 107;

const std::string drill_file = ORDEAL_SOURCE_DIR "/tests/drills/planted/bank.lua";

// The drill's verdicts by name (bank.lua's thresholds and checkers).
const std::string search_p99 = "http_req_duration{name:search,status:200}: p(99)<250ms";
const std::string search_median = "http_req_duration{name:search,status:200}: med<100ms";
const std::string idempotency = "idempotency";
const std::string counter_checker = "integrity: hits (counter)";
const std::string set_checker = "integrity: items (set)";
const std::string bank_checker = "integrity: money (bank)";
const std::string unique_checker = "integrity: order_ids (unique)";

struct drill_run {
  process_result process;
  json::object result;  // the JSON result (--out json=)
};

json::object read_json(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  INFO(text.substr(0, 2000));
  REQUIRE_FALSE(ec);
  REQUIRE(v.is_object());
  return v.as_object();
}

// Runs bank.lua against `target` for about three seconds. With `faults`, the load goes through
// a fault proxy on a port that was free a moment ago (another one if it was taken meanwhile).
drill_run run_drill(const planted_target& target, const temp_dir& dir, bool faults,
                    const std::string& seed) {
  const std::string result = dir.file("result.json");
  drill_run run;
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::vector<std::string> args{ORDEAL_BINARY, "run",
                                  drill_file,    "-q",
                                  "--seed",      seed,
                                  "-e",          "TARGET=" + target.address(),
                                  "--out",       "json=" + result};
    std::string port;
    if (faults) {
      port = std::to_string(ordeal::test::free_local_port());
      args.insert(args.end(), {"-e", "PROXY_PORT=" + port});
    }
    run.process = ordeal::test::run_process(args, 40s);
    const bool port_taken = faults && run.process.exited(exit_invalid_config) &&
                            run.process.err.find(":" + port) != std::string::npos;
    if (!port_taken) break;
  }
  INFO(run.process.describe());
  REQUIRE_FALSE(run.process.timed_out);
  REQUIRE(run.process.err.find("ordeal:") == std::string::npos);  // no load-time error
  run.result = read_json(result);
  return run;
}

const json::object& verdict(const drill_run& run, const std::string& name) {
  for (const auto& v : run.result.at("verdicts").as_array())
    if (v.at("name").as_string() == name) return v.as_object();
  FAIL("no verdict named " << name << " in " << json::serialize(run.result.at("verdicts")));
  throw std::logic_error("unreachable");
}

// Every verdict of the drill is there; the one named `failing` (if any) failed, all others
// passed.
void expect_only_failure(const drill_run& run, const std::string& failing) {
  const auto& verdicts = run.result.at("verdicts").as_array();
  std::set<std::string> names;
  for (const auto& v : verdicts) {
    const std::string name(v.at("name").as_string());
    names.insert(name);
    INFO(name << ": " << json::serialize(v).substr(0, 1500));
    CHECK(v.at("passed").as_bool() == (name != failing));
  }
  for (const auto& expected : {search_p99, search_median, idempotency, counter_checker, set_checker,
                               bank_checker, unique_checker})
    CHECK(names.count(expected) == 1);
}

json::value get_json(const planted_target& target, const std::string& path) {
  planted_client client(target.port());
  const auto reply = client.get(path);
  REQUIRE(reply.status == 200);
  return reply.json();
}

}  // namespace

TEST_CASE(
    "planted bug ignore_idempotency_key: the idempotency verdict fails (97) naming a key "
    "that executed twice",
    "[planted][verdicts]") {
  planted_target target("ignore_idempotency_key");
  temp_dir dir("planted-idempotency");
  const auto run = run_drill(target, dir, false, "101");
  INFO(run.process.describe());
  CHECK(run.process.exited(exit_idempotency_violated));
  expect_only_failure(run, idempotency);

  const auto& evidence = verdict(run, idempotency).at("evidence").as_object();
  INFO(json::serialize(evidence).substr(0, 3000));
  CHECK(evidence.at("duplicated").to_number<std::uint64_t>() >= 1);
  CHECK(evidence.at("mismatched").to_number<std::uint64_t>() >= 1);
  const auto& examples = evidence.at("examples").as_array();
  REQUIRE_FALSE(examples.empty());
  const auto& example = examples.front().as_object();
  const std::string key(example.at("key").as_string());
  CHECK(key.size() == 36);  // the seeded uuid the drill sent
  CHECK(example.at("target") == "/transfers");
  CHECK(example.at("attempts").as_array().size() >= 2);
  // The target agrees: the named key moved money more than once.
  const auto effects = get_json(target, "/transfers?key=" + key).at("count").to_number<int>();
  CHECK(effects >= 2);
  CHECK(example.at("effects").to_number<int>() == effects);
  // The console names it too.
  CHECK(run.process.out.find(key) != std::string::npos);
}

TEST_CASE(
    "planted bug lost_update: the counter checker fails (98) with the final value below "
    "the acknowledged increments",
    "[planted][verdicts]") {
  planted_target target("lost_update");
  temp_dir dir("planted-counter");
  const auto run = run_drill(target, dir, false, "102");
  INFO(run.process.describe());
  CHECK(run.process.exited(exit_integrity_violated));
  expect_only_failure(run, counter_checker);

  const auto& evidence = verdict(run, counter_checker).at("evidence").as_object();
  INFO(json::serialize(evidence));
  CHECK(evidence.at("checker") == "hits");
  const auto value = evidence.at("value").to_number<double>();
  const auto lower = evidence.at("lower").to_number<double>();
  CHECK(value < lower);
  // The value the checker read is the target's counter (nothing changed it since).
  CHECK(get_json(target, "/counter").at("value").to_number<double>() == value);
  CHECK(run.process.out.find("lost") != std::string::npos);
}

TEST_CASE(
    "planted bug unstored_writes: the set checker fails (98) naming acknowledged elements "
    "the target lost",
    "[planted][verdicts]") {
  planted_target target("unstored_writes");
  temp_dir dir("planted-set");
  const auto run = run_drill(target, dir, false, "103");
  INFO(run.process.describe());
  CHECK(run.process.exited(exit_integrity_violated));
  expect_only_failure(run, set_checker);

  const auto& evidence = verdict(run, set_checker).at("evidence").as_object();
  INFO(json::serialize(evidence).substr(0, 3000));
  CHECK(evidence.at("checker") == "items");
  const auto& lost = evidence.at("lost").as_array();
  REQUIRE_FALSE(lost.empty());
  CHECK(evidence.at("counts").at("lost").to_number<std::uint64_t>() >= lost.size());
  // Each element named was acknowledged (ok) and is indeed missing from the target.
  std::set<std::int64_t> stored;
  const auto items = get_json(target, "/items");
  for (const auto& id : items.at("ids").as_array())
    stored.insert(id.to_number<std::int64_t>());
  for (const auto& element : lost) {
    CHECK(element.at("kind") == "ok");
    CHECK(stored.count(element.at("value").to_number<std::int64_t>()) == 0);
  }
  const auto first_lost = std::to_string(lost.front().at("value").to_number<std::int64_t>());
  CHECK(run.process.out.find("lost " + first_lost) != std::string::npos);
}

TEST_CASE("planted bug slow_path: the search p(99) budget fails (99) while the median holds",
          "[planted][verdicts]") {
  planted_target target("slow_path");
  temp_dir dir("planted-threshold");
  const auto run = run_drill(target, dir, false, "104");
  INFO(run.process.describe());
  CHECK(run.process.exited(exit_threshold_failed));
  expect_only_failure(run, search_p99);

  const auto& failed = verdict(run, search_p99);
  INFO(json::serialize(failed));
  CHECK(failed.at("kind") == "threshold");
  // The stalls are 400 ms sleeps: p(99) cannot be below that when 1 in 20 stalls.
  CHECK(failed.at("evidence").at("value").to_number<double>() >= 390.0);
  CHECK(verdict(run, search_median).at("passed").as_bool());
}

TEST_CASE(
    "planted target without bugs: every verdict passes under retries, duplicates, "
    "abandonment and faults",
    "[planted][verdicts]") {
  planted_target target;
  temp_dir dir("planted-clean");
  const auto run = run_drill(target, dir, true, "105");
  INFO(run.process.describe());
  CHECK(run.process.exited(exit_ok));
  expect_only_failure(run, "");

  // The run really misbehaved: retries, duplicates and abandoned attempts all happened ...
  const auto& behaviour = run.result.at("drill").at("behaviour").as_object();
  INFO(json::serialize(behaviour));
  CHECK(behaviour.at("retries").to_number<std::uint64_t>() >= 1);
  CHECK(behaviour.at("duplicates").to_number<std::uint64_t>() >= 1);
  CHECK(behaviour.at("abandoned").to_number<std::uint64_t>() >= 1);
  // ... and the faults hit: every fault of the timeline started and hit something.
  std::set<std::string> started;
  std::set<std::string> hit;
  for (const auto& e : run.result.at("faults").at("events").as_array()) {
    const std::string fault(e.at("fault").as_string());
    if (e.at("event") == "start") started.insert(fault);
    if (e.at("event") == "hit") hit.insert(fault);
  }
  CHECK(started.size() == 4);
  CHECK(hit.size() >= 3);  // the 10% refusals of item writes may, rarely, draw none
  // Some transfers lost their reply after the target ran them, and still count once.
  const auto& evidence = verdict(run, idempotency).at("evidence").as_object();
  INFO(json::serialize(evidence).substr(0, 2000));
  CHECK(evidence.at("duplicated") == 0);
  CHECK(evidence.at("mismatched") == 0);
  CHECK(evidence.at("keys").to_number<std::uint64_t>() >= 50);
  // The bank held in the reads during the run and after it.
  const auto total = [&] {
    std::int64_t sum = 0;
    const auto accounts = get_json(target, "/accounts");
    for (const auto& a : accounts.as_array())
      sum += a.at("balance").to_number<std::int64_t>();
    return sum;
  }();
  CHECK(total == 1000);
}

TEST_CASE(
    "planted target with every bug under faults: each verdict catches its bug, and "
    "integrity's exit code (98) wins",
    "[planted][verdicts]") {
  planted_target target("ignore_idempotency_key,lost_update,unstored_writes,slow_path");
  temp_dir dir("planted-all");
  const auto run = run_drill(target, dir, true, "106");
  INFO(run.process.describe());
  CHECK(run.process.exited(exit_integrity_violated));
  for (const auto& name : {search_p99, idempotency, counter_checker, set_checker}) {
    INFO(name);
    CHECK_FALSE(verdict(run, name).at("passed").as_bool());
  }
  for (const auto& name : {search_median, bank_checker, unique_checker}) {
    INFO(name);
    CHECK(verdict(run, name).at("passed").as_bool());
  }
}

TEST_CASE("the planted drill without -e TARGET is a load-time script error naming the line",
          "[planted][verdicts]") {
  const auto p = ordeal::test::run_process({ORDEAL_BINARY, "run", drill_file, "-q"}, 20s);
  INFO(p.describe());
  CHECK(p.exited(exit_script_error));
  CHECK(p.err.find("bank.lua:") != std::string::npos);
  CHECK(p.err.find("set -e TARGET=HOST:PORT") != std::string::npos);
  CHECK(p.out.empty());
}
