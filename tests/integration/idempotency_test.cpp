// The idempotency verdict end to end: the real binary runs a drill with retries and duplicates
// against a /transfers API keyed by Idempotency-Key (tests/support/transfer_server), whose
// effects hook counts the transfers of each key after the load. A server that honours the key
// passes (exit 0); one that ignores it fails with exit 97 and evidence naming a key.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <vector>

#include "ordeal/engine/run.hpp"
#include "ordeal/scenarios/drill_run.hpp"
#include "process.hpp"
#include "scratch.hpp"
#include "transfer_server.hpp"

using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using ordeal::test::process_result;
using ordeal::test::temp_dir;
using ordeal::test::transfer_server;
using ordeal::test::transfer_server_options;

namespace {

constexpr int exit_ok = 0;
constexpr int exit_idempotency = 97;
constexpr int exit_invalid_config = 104;

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

// 4 users pay 10 times each; half the payments are sent twice (`mode`), 5xx answers retried.
std::string transfer_drill(const transfer_server& server, const std::string& mode,
                           const std::string& effects =
                               "http.get(\"/transfers?key=\" .. "
                               "op.key):json().count") {
  std::string drill = R"(
options = {
  target = "URL",
  scenarios = { pay = { executor = "per-vu-iterations", vus = 4, iterations = 10, exec = "pay" } },
  behaviour = { retry = { attempts = 3, base = "10ms", on = { "5xx" } },
                duplicate = { probability = 0.5, mode = "MODE" } },
  idempotency = {
    ignore_headers = { "X-Served-At" },
    ignore_json = { "$.served_at" },
    effects = function(op) return EFFECTS end,
  },
}
function pay()
  http.post("/transfers", { json = { amount = 5 }, idempotency_key = true, name = "transfer" })
end
)";
  drill = replace_all(drill, "URL", server.url());
  drill = replace_all(drill, "MODE", mode);
  return replace_all(drill, "EFFECTS", effects);
}

process_result run_drill(const temp_dir& dir, const std::string& drill,
                         std::vector<std::string> extra = {}) {
  const std::string file = dir.file("idempotency.lua");
  ordeal::test::write_file(file, drill);
  std::vector<std::string> args{ORDEAL_BINARY, "run", file, "-q", "--seed", "11"};
  args.insert(args.end(), extra.begin(), extra.end());
  return ordeal::test::run_process(args, 60s);
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("a server that honours Idempotency-Key passes under retries and duplicates",
          "[drill][idempotency]") {
  const std::string mode = GENERATE("concurrent", "sequential");
  transfer_server_options o;
  o.fail_every = 4;  // the work done, the answer lost: the retry must get the first answer
  transfer_server server(o);
  temp_dir dir("idempotency-pass");
  const std::string history = dir.file("history.jsonl");
  const auto p = run_drill(dir, transfer_drill(server, mode), {"--out", "history=" + history});
  INFO(mode << "\n" << p.describe());
  CHECK(p.exited(exit_ok));
  CHECK_THAT(p.out, Contains("PASS  idempotency  measured 40 keys: consistent, exactly once\n"));
  CHECK_THAT(p.out, !Contains("failing keys"));
  CHECK(server.keys() == 40);
  CHECK(server.transfers() == 40);
  CHECK(server.lost_answers() > 0);
  CHECK(server.replays() > 0);
  if (mode == std::string("concurrent")) CHECK(server.conflicts() > 0);  // 409s, allowed
  // The history carries the digests; the hook's own GETs are not in it.
  const std::string text = read_text(history);
  CHECK_THAT(text, Contains("\"response_digest\":\""));
  CHECK_THAT(text, Contains("\"response_excerpt\":\"{\\\"id\\\":\\\"t"));
  CHECK(text.find("/transfers?key=") == std::string::npos);
}

TEST_CASE("a server that ignores Idempotency-Key fails with 97 and names a key",
          "[drill][idempotency]") {
  const std::string mode = GENERATE("concurrent", "sequential");
  transfer_server_options o;
  o.ignore_key = true;
  o.fail_every = 4;
  transfer_server server(o);
  temp_dir dir("idempotency-fail");
  const std::string result = dir.file("result.json");
  const auto p = run_drill(dir, transfer_drill(server, mode), {"--out", "json=" + result});
  INFO(mode << "\n" << p.describe());
  CHECK(p.exited(exit_idempotency));
  CHECK(server.transfers() > 40);
  CHECK_THAT(p.out, Contains("FAIL  idempotency  measured "));
  CHECK_THAT(p.out, Contains("exit code 97"));
  CHECK_THAT(p.out, Contains("\nidempotency: the first 5 failing keys, every attempt and the "
                             "faults that hit them\n"));
  CHECK_THAT(p.out, Contains("duplicated"));
  CHECK_THAT(p.out, Contains("mismatched"));
  // An example: the key, its outcome and effects, then each attempt on its own line.
  const std::regex example(
      "key [0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12} \\(transfer, "
      "POST /transfers, outcome ok, [2-9] effects\\): .*duplicated: [2-9] effects for outcome ok");
  CHECK(std::regex_search(p.out, example));
  CHECK(std::regex_search(p.out, std::regex("\n      #2 (duplicate|retry) ok 201 ")));

  // The JSON result carries the same verdict with its evidence.
  boost::system::error_code ec;
  const auto doc = boost::json::parse(read_text(result), ec);
  REQUIRE_FALSE(ec);
  const boost::json::object* idempotency = nullptr;
  for (const auto& v : doc.at("verdicts").as_array())
    if (v.at("kind") == "idempotency") idempotency = &v.as_object();
  REQUIRE(idempotency != nullptr);
  CHECK(idempotency->at("passed") == false);
  const auto& evidence = idempotency->at("evidence").as_object();
  CHECK(evidence.at("keys") == 40);
  CHECK(evidence.at("duplicated").to_number<int>() > 0);
  const auto& examples = evidence.at("examples").as_array();
  REQUIRE(examples.size() == 5);
  const auto& first = examples[0].as_object();
  CHECK(first.at("key").as_string().size() == 36);
  CHECK(first.at("attempts").as_array().size() >= 2);
  CHECK(first.at("attempts").as_array()[0].as_object().contains("digest"));
}

TEST_CASE("a broken effects hook fails the verdict with its message", "[drill][idempotency]") {
  transfer_server server;
  temp_dir dir("idempotency-hook");
  const auto p = run_drill(dir, transfer_drill(server, "sequential",
                                               "http.get(\"/transfers?key=\" .. "
                                               "op.key):json().nope.count"));
  INFO(p.describe());
  CHECK(p.exited(exit_idempotency));
  CHECK_THAT(p.out, Contains("(40 hook errors)"));
  CHECK_THAT(p.out, Contains("effects hook failed for 40 keys (first: "));
  CHECK_THAT(p.out, Contains("idempotency.lua:"));
}

TEST_CASE("the effects phase ends within effects_timeout, whatever the hook does",
          "[drill][idempotency]") {
  transfer_server server;
  temp_dir dir("idempotency-slow-hook");
  std::string drill = transfer_drill(server, "sequential", "(function() sleep(30) return 1 end)()");
  drill = replace_all(drill, "effects = function", "effects_timeout = \"1s\", effects = function");
  const auto started = std::chrono::steady_clock::now();
  const auto p = run_drill(dir, drill);
  INFO(p.describe());
  CHECK(std::chrono::steady_clock::now() - started < 20s);
  CHECK(p.exited(exit_idempotency));  // the key it hung on has no count: a hook error
  CHECK_THAT(p.out, Contains("no answer within the effects phase's 1s"));
  CHECK_THAT(p.out, Contains("effects phase stopped early: the effects phase ran out of its 1s "
                             "(options.idempotency.effects_timeout) after 1 of 40 keys; 39 keys "
                             "not counted"));
}

TEST_CASE("a bad options.idempotency is refused with its path", "[drill][idempotency]") {
  transfer_server server;
  temp_dir dir("idempotency-options");
  const std::string drill =
      replace_all(transfer_drill(server, "sequential"), "\"$.served_at\"", "\"served_at\"");
  const auto p = run_drill(dir, drill);
  INFO(p.describe());
  CHECK(p.exited(exit_invalid_config));
  CHECK_THAT(p.err, Contains("idempotency.lua: options.idempotency.ignore_json[1]: \"served_at\" "
                             "is not a JSON path"));
  CHECK(server.transfers() == 0);
}

TEST_CASE("replies lost by a fault after the server acted: retries are judged, faults named",
          "[drill][idempotency][faults]") {
  const bool ignore_key = GENERATE(false, true);
  transfer_server_options o;
  o.ignore_key = ignore_key;
  transfer_server server(o);
  temp_dir dir("idempotency-faults");
  process_result p;
  for (int attempt = 0; attempt < 3; ++attempt) {
    const std::uint16_t port = ordeal::test::free_local_port();
    // The load goes through an HTTP proxy that, for its whole length, loses a third of the
    // replies to POST /transfers after the server has acted (the connection reset): the retry
    // must get the first answer, and the server must not act twice.
    std::string drill = R"(
options = {
  target = "http://127.0.0.1:PROXY",
  proxies = { api = { listen = "127.0.0.1:PROXY", upstream = "127.0.0.1:UPSTREAM", http = true } },
  faults = { { at = "0s", duration = "1m", proxy = "api",
               http = { name = "lost_reply", match = { method = "POST", path = "/transfers" }, abort = 503,
                        after_upstream = true, probability = 0.3 } } },
  scenarios = { pay = { executor = "per-vu-iterations", vus = 4, iterations = 10, exec = "pay" } },
  behaviour = { retry = { attempts = 4, base = "10ms", on = { "5xx", "reset" } } },
  idempotency = {
    ignore_headers = { "X-Served-At" },
    ignore_json = { "$.served_at" },
    effects = function(op) return http.get("/transfers?key=" .. op.key):json().count end,
  },
}
function pay()
  http.post("/transfers", { json = { amount = 5 }, idempotency_key = true, name = "transfer" })
end
)";
    drill = replace_all(drill, "PROXY", std::to_string(port));
    drill = replace_all(drill, "UPSTREAM", std::to_string(server.port()));
    p = run_drill(dir, drill);
    const bool port_taken = p.exited(exit_invalid_config) &&
                            p.err.find(":" + std::to_string(port)) != std::string::npos;
    if (!port_taken) break;
  }
  INFO((ignore_key ? "ignores the key\n" : "honours the key\n") << p.describe());
  CHECK(server.replays() + server.transfers() > 40);  // retries reached the server
  if (!ignore_key) {
    CHECK(p.exited(exit_ok));
    CHECK(server.transfers() == 40);
    CHECK_THAT(p.out, Contains("PASS  idempotency  measured 40 keys: consistent, exactly once"));
  } else {
    CHECK(p.exited(exit_idempotency));
    // Every violation here comes from a lost reply: the examples name the fault that hit them.
    CHECK_THAT(p.out, Contains("\n      fault api/lost_reply (http) hit 127.0.0.1:"));
  }
}

TEST_CASE(
    "the effects phase: one call per key, a header key counts, the hook's requests are not "
    "load",
    "[drill][idempotency]") {
  transfer_server server;
  temp_dir dir("idempotency-in-process");
  const std::string file = dir.file("keys.lua");
  ordeal::test::write_file(file, replace_all(R"(
calls = 0
options = {
  target = "URL",
  vus = 1, iterations = 3,
  idempotency = {
    effects = function(op)
      calls = calls + 1
      assert(op.name == "transfer" and op.method == "POST" and op.target == "/transfers")
      assert(op.outcome == "ok" and op.attempts == 1, op.outcome .. " " .. op.attempts)
      return http.get("/transfers?key=" .. op.key):json().count
    end,
  },
}
function default()
  -- A key set as a header, by hand, is a key as much as idempotency_key = true.
  http.post("/transfers", { json = { amount = 1 }, name = "transfer",
                            headers = { ["Idempotency-Key"] = "manual-" .. vu.iteration } })
  http.get("/transfers?key=none")  -- no key: not judged
end
function teardown()
  -- The hook ran before teardown, once per key.
  assert(calls == 3, "effects ran " .. calls .. " times")
end
)",
                                             "URL", server.url()));
  ordeal::scenarios::drill_run_options o;
  o.file = file;
  o.seed = 3;
  ordeal::engine::run_control control;
  const auto r = ordeal::scenarios::run_drill(o, control);
  const std::string first_error = r.script_errors.empty() ? "" : r.script_errors.begin()->first;
  INFO(first_error);
  CHECK(r.script_errors.empty());
  CHECK(r.effects.configured);
  CHECK(r.effects.hook);
  REQUIRE(r.effects.by_key.size() == 3);
  for (int i = 0; i < 3; ++i) {
    const auto& e = r.effects.by_key.at("manual-" + std::to_string(i));
    CHECK(e.count == std::optional<std::uint64_t>(1));
    CHECK(e.error.empty());
  }
  // The history (on by itself) has the 6 requests of the load and none of the hook's 3.
  CHECK(r.history.size() == 6);
  CHECK(r.attempts == 6);
  CHECK(r.operations == 6);
  std::size_t keyed = 0;
  for (const auto& h : r.history) {
    if (h.key.empty()) {
      CHECK(h.response_digest == 0);  // only keyed responses are fingerprinted
      continue;
    }
    ++keyed;
    CHECK(h.response_digest != 0);
    CHECK(h.response_excerpt.find("\"key\":\"" + h.key + "\"") != std::string::npos);
  }
  CHECK(keyed == 3);
}
