// The idempotency verdict on synthetic histories: consistency of the answers to one key (with
// the allowed 409 and 429), exactly-once effects by Jepsen's rules, and the evidence.
#include "ordeal/reporters/idempotency_verdict.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace json = boost::json;
using Catch::Matchers::Contains;
using ordeal::engine::attempt_kind;
using ordeal::engine::attempt_verdict;
using ordeal::engine::fault_event;
using ordeal::engine::history_entry;
using ordeal::engine::outcome;
using ordeal::engine::script_results;
using ordeal::reporters::idempotency_verdict;
using ordeal::reporters::verdict;
using ordeal::reporters::verdict_kind;

constexpr std::uint64_t answer_a = 0xa1;
constexpr std::uint64_t answer_b = 0xb2;

// One attempt of `key`: status 0 is a timeout (no response, info), 2xx ok, 4xx fail, 5xx info.
history_entry attempt(const std::string& key, std::uint64_t operation, unsigned number,
                      attempt_kind kind, int status, std::int64_t invoke_ms,
                      std::int64_t complete_ms, std::uint64_t digest,
                      std::uint16_t client_port = 0) {
  history_entry h;
  h.operation = operation;
  h.attempt = number;
  h.kind = kind;
  h.status = status;
  h.verdict = status == 0    ? attempt_verdict::info
              : status < 400 ? attempt_verdict::ok
              : status < 500 ? attempt_verdict::fail
                             : attempt_verdict::info;
  h.result = status == 0 ? outcome::timeout : status < 400 ? outcome::ok : outcome::status;
  if (status == 0) h.error = "no response within 1s";
  h.name = "transfer";
  h.key = key;
  h.method = "POST";
  h.target = "/transfers";
  h.client_port = client_port;
  h.invoke_us = invoke_ms * 1000;
  h.complete_us = complete_ms * 1000;
  h.response_digest = status == 0 ? 0 : digest;
  if (status != 0) h.response_excerpt = "{\"id\":\"t-" + key + "\"}";
  return h;
}

// A run with options.idempotency and (when `hook`) an effects hook that counted `counts`.
script_results run(std::vector<history_entry> history,
                   std::vector<std::pair<std::string, std::int64_t>> counts = {},
                   bool hook = true) {
  script_results r;
  r.history = std::move(history);
  r.effects.configured = true;
  r.effects.hook = hook;
  for (const auto& [key, n] : counts) {
    if (n >= 0)
      r.effects.by_key[key].count = static_cast<std::uint64_t>(n);
    else
      r.effects.by_key[key].error = "drill.lua:9: attempt to index a nil value";
  }
  return r;
}

const json::object& evidence(const verdict& v) {
  return v.evidence.as_object();
}

std::int64_t count(const verdict& v, const char* name) {
  return evidence(v).at(name).to_number<std::int64_t>();
}

std::string all_reasons(const verdict& v) {
  std::string text;
  for (const auto& r : v.reasons)
    text += r + "\n";
  return text;
}

std::string section(const verdict& v) {
  std::ostringstream out;
  ordeal::reporters::write_idempotency_section(out, v);
  return out.str();
}

}  // namespace

TEST_CASE("idempotency: every answer the same and one effect per key passes",
          "[reporters][idempotency]") {
  const auto r = run({attempt("k1", 1, 1, attempt_kind::first, 201, 0, 10, answer_a),
                      attempt("k1", 1, 2, attempt_kind::duplicate, 201, 12, 20, answer_a),
                      attempt("k2", 2, 1, attempt_kind::first, 0, 30, 1030, 0),  // timeout: info
                      attempt("k2", 2, 2, attempt_kind::retry, 201, 1100, 1110, answer_b),
                      attempt("", 3, 1, attempt_kind::first, 200, 5, 6, 0)},  // no key: not judged
                     {{"k1", 1}, {"k2", 1}});
  const verdict v = idempotency_verdict(r);
  INFO(all_reasons(v));
  CHECK(v.kind == verdict_kind::idempotency);
  CHECK(v.name == "idempotency");
  CHECK(v.passed);
  CHECK(v.reasons.empty());
  CHECK(v.measured == "2 keys: consistent, exactly once");
  CHECK(count(v, "operations") == 2);
  CHECK(count(v, "keys") == 2);
  CHECK(count(v, "consistent") == 2);
  CHECK(count(v, "mismatched") == 0);
  CHECK(count(v, "exactly_once") == 2);
  CHECK(count(v, "not_compared") == 1);
  CHECK(evidence(v).at("examples").as_array().empty());
  CHECK(ordeal::reporters::exit_code_for({v}) == 0);
}

TEST_CASE("idempotency: a retry or duplicate that answers differently is a mismatch",
          "[reporters][idempotency]") {
  const auto r = run({attempt("k1", 1, 1, attempt_kind::first, 201, 0, 10, answer_a, 40312),
                      attempt("k1", 1, 2, attempt_kind::duplicate, 201, 15, 25, answer_b, 40313)},
                     {{"k1", 1}});
  const verdict v = idempotency_verdict(r);
  CHECK_FALSE(v.passed);
  CHECK(count(v, "mismatched") == 1);
  CHECK(count(v, "consistent") == 0);
  CHECK(v.measured == "1 of 1 keys violated (1 mismatched)");
  CHECK(ordeal::reporters::exit_code_for({v}) == 97);
  const auto& x = evidence(v).at("examples").as_array().at(0).as_object();
  CHECK(x.at("key") == "k1");
  CHECK(x.at("outcome") == "ok");
  CHECK(x.at("effects") == 1);
  const auto& attempts = x.at("attempts").as_array();
  REQUIRE(attempts.size() == 2);
  CHECK(attempts[0].as_object().at("kind") == "first");
  CHECK(attempts[0].as_object().at("client_port") == 40312);
  CHECK(attempts[0].as_object().at("digest") == "00000000000000a1");
  CHECK_FALSE(attempts[0].as_object().contains("note"));
  CHECK(attempts[1].as_object().at("note") == "differs");
  CHECK(attempts[1].as_object().at("excerpt") == "{\"id\":\"t-k1\"}");
  const std::string text = all_reasons(v);
  CHECK_THAT(text, Contains("key k1 (transfer, POST /transfers, outcome ok, 1 effects)"));
  CHECK_THAT(text, Contains("mismatch: attempt 2 (duplicate) answered 201 differently from "
                            "attempt 1 (first, 201)"));
  CHECK(v.reasons.size() == 2);  // the count, then one line per example
  CHECK_THAT(section(v), Contains("\n      #2 duplicate ok 201 0.015s-0.025s port 40313 "
                                  "[differs]: {\"id\":\"t-k1\"}\n"));
}

TEST_CASE("idempotency: the reference answer is the first success", "[reporters][idempotency]") {
  // A 400 first, then the same request succeeds: the 400 is the odd one out.
  const auto r = run({attempt("k1", 1, 1, attempt_kind::first, 400, 0, 10, answer_b),
                      attempt("k1", 1, 2, attempt_kind::retry, 201, 20, 30, answer_a),
                      attempt("k1", 1, 3, attempt_kind::duplicate, 201, 40, 50, answer_a)},
                     {{"k1", 1}});
  const verdict v = idempotency_verdict(r);
  REQUIRE_FALSE(v.passed);
  const auto& attempts =
      evidence(v).at("examples").as_array().at(0).as_object().at("attempts").as_array();
  CHECK(attempts[0].as_object().at("note") == "differs");
  CHECK_FALSE(attempts[1].as_object().contains("note"));
  CHECK_FALSE(attempts[2].as_object().contains("note"));
}

TEST_CASE("idempotency: a 409 is allowed only while another attempt is in flight",
          "[reporters][idempotency]") {
  SECTION("overlapping a concurrent duplicate") {
    const auto r = run({attempt("k1", 1, 1, attempt_kind::first, 201, 0, 100, answer_a),
                        attempt("k1", 1, 2, attempt_kind::duplicate, 409, 5, 8, answer_b)},
                       {{"k1", 1}});
    const verdict v = idempotency_verdict(r);
    CHECK(v.passed);
    CHECK(count(v, "allowed_409") == 1);
  }
  SECTION("after an attempt that ended without an answer (the server may still run it)") {
    const auto r = run({attempt("k1", 1, 1, attempt_kind::first, 0, 0, 1000, 0),
                        attempt("k1", 1, 2, attempt_kind::retry, 409, 1100, 1105, answer_b),
                        attempt("k1", 1, 3, attempt_kind::retry, 201, 1300, 1310, answer_a)},
                       {{"k1", 1}});
    const verdict v = idempotency_verdict(r);
    CHECK(v.passed);
    CHECK(count(v, "allowed_409") == 1);
  }
  SECTION("after a 5xx (it may have come from a proxy while the server ran it)") {
    const auto r = run({attempt("k1", 1, 1, attempt_kind::first, 503, 0, 10, answer_b),
                        attempt("k1", 1, 2, attempt_kind::retry, 409, 20, 25, answer_b),
                        attempt("k1", 1, 3, attempt_kind::retry, 201, 40, 50, answer_a)},
                       {{"k1", 1}});
    CHECK(idempotency_verdict(r).passed);
  }
  SECTION("not after the original completed") {
    const auto r = run({attempt("k1", 1, 1, attempt_kind::first, 201, 0, 10, answer_a),
                        attempt("k1", 1, 2, attempt_kind::duplicate, 409, 20, 25, answer_b)},
                       {{"k1", 1}});
    const verdict v = idempotency_verdict(r);
    CHECK_FALSE(v.passed);
    CHECK(count(v, "mismatched") == 1);
    CHECK(count(v, "allowed_409") == 0);
  }
}

TEST_CASE("idempotency: a 429 and 5xx are not compared", "[reporters][idempotency]") {
  const auto r = run({attempt("k1", 1, 1, attempt_kind::first, 429, 0, 5, answer_b),
                      attempt("k1", 1, 2, attempt_kind::retry, 503, 100, 105, 0xc3),
                      attempt("k1", 1, 3, attempt_kind::retry, 201, 200, 210, answer_a)},
                     {{"k1", 1}});
  const verdict v = idempotency_verdict(r);
  CHECK(v.passed);
  CHECK(count(v, "allowed_429") == 1);
  CHECK(count(v, "not_compared") == 1);
}

TEST_CASE("idempotency: exactly-once by Jepsen's rules", "[reporters][idempotency]") {
  const auto ok_key = [](const std::string& key, std::uint64_t op) {
    return attempt(key, op, 1, attempt_kind::first, 201, 0, 10, answer_a);
  };
  const auto info_key = [](const std::string& key, std::uint64_t op) {
    return attempt(key, op, 1, attempt_kind::first, 0, 0, 1000, 0);
  };
  const auto fail_key = [](const std::string& key, std::uint64_t op) {
    return attempt(key, op, 1, attempt_kind::first, 422, 0, 10, answer_b);
  };
  SECTION("ok: exactly 1") {
    CHECK(idempotency_verdict(run({ok_key("k", 1)}, {{"k", 1}})).passed);
    const verdict lost = idempotency_verdict(run({ok_key("k", 1)}, {{"k", 0}}));
    CHECK_FALSE(lost.passed);
    CHECK(count(lost, "lost") == 1);
    CHECK_THAT(all_reasons(lost), Contains("lost: 0 effects for outcome ok (expected exactly 1)"));
    const verdict twice = idempotency_verdict(run({ok_key("k", 1)}, {{"k", 2}}));
    CHECK_FALSE(twice.passed);
    CHECK(count(twice, "duplicated") == 1);
    CHECK_THAT(all_reasons(twice),
               Contains("duplicated: 2 effects for outcome ok (expected exactly 1)"));
  }
  SECTION("info: 0 or 1") {
    CHECK(idempotency_verdict(run({info_key("k", 1)}, {{"k", 0}})).passed);
    CHECK(idempotency_verdict(run({info_key("k", 1)}, {{"k", 1}})).passed);
    const verdict twice = idempotency_verdict(run({info_key("k", 1)}, {{"k", 2}}));
    CHECK_FALSE(twice.passed);
    CHECK(count(twice, "duplicated") == 1);
  }
  SECTION("fail: 0") {
    CHECK(idempotency_verdict(run({fail_key("k", 1)}, {{"k", 0}})).passed);
    const verdict once = idempotency_verdict(run({fail_key("k", 1)}, {{"k", 1}}));
    CHECK_FALSE(once.passed);
    CHECK(count(once, "unexpected") == 1);
    CHECK(ordeal::reporters::exit_code_for({once}) == 97);
  }
  SECTION("any ok attempt makes the outcome ok, whatever came before") {
    const auto r = run({attempt("k", 1, 1, attempt_kind::first, 0, 0, 1000, 0),
                        attempt("k", 1, 2, attempt_kind::retry, 503, 1100, 1110, 0xc3),
                        attempt("k", 1, 3, attempt_kind::retry, 201, 1200, 1210, answer_a)},
                       {{"k", 0}});
    const verdict v = idempotency_verdict(r);
    CHECK_FALSE(v.passed);
    CHECK(count(v, "lost") == 1);
    CHECK(evidence(v).at("examples").as_array().at(0).as_object().at("outcome") == "ok");
  }
  SECTION("a key reused by several operations is one action") {
    const auto r = run({attempt("k", 1, 1, attempt_kind::first, 201, 0, 10, answer_a),
                        attempt("k", 2, 1, attempt_kind::first, 201, 50, 60, answer_a)},
                       {{"k", 1}});
    const verdict v = idempotency_verdict(r);
    CHECK(v.passed);
    CHECK(count(v, "operations") == 2);
    CHECK(count(v, "keys") == 1);
  }
}

TEST_CASE("idempotency: a failing effects hook fails the verdict with its message",
          "[reporters][idempotency]") {
  const auto r = run({attempt("k1", 1, 1, attempt_kind::first, 201, 0, 10, answer_a),
                      attempt("k2", 2, 1, attempt_kind::first, 201, 20, 30, answer_a)},
                     {{"k1", -1}, {"k2", -1}});
  const verdict v = idempotency_verdict(r);
  CHECK_FALSE(v.passed);
  CHECK(count(v, "hook_errors") == 2);
  CHECK(v.measured == "2 of 2 keys violated (2 hook errors)");
  CHECK_THAT(all_reasons(v), Contains("effects hook failed for 2 keys (first: k1): drill.lua:9: "
                                      "attempt to index a nil value"));
  CHECK(evidence(v).at("examples").as_array().at(0).as_object().at("effects_error") ==
        "drill.lua:9: attempt to index a nil value");
}

TEST_CASE("idempotency: without an effects hook only consistency is judged",
          "[reporters][idempotency]") {
  const auto r = run({attempt("k1", 1, 1, attempt_kind::first, 201, 0, 10, answer_a)}, {}, false);
  const verdict v = idempotency_verdict(r);
  CHECK(v.passed);
  CHECK(v.measured == "1 key: consistent (effects not counted: no effects hook)");
  CHECK(evidence(v).at("effects_checked") == false);
  CHECK_FALSE(evidence(v).contains("duplicated"));
}

TEST_CASE("idempotency: a run without keys says so", "[reporters][idempotency]") {
  const verdict v =
      idempotency_verdict(run({attempt("", 1, 1, attempt_kind::first, 200, 0, 10, answer_a)}));
  CHECK(v.passed);
  CHECK(v.measured ==
        "no request carried an idempotency key (idempotency_key = true, or an Idempotency-Key "
        "header)");
  CHECK(count(v, "keys") == 0);
}

TEST_CASE("idempotency: keys the effects phase had no time for are not judged",
          "[reporters][idempotency]") {
  auto r = run({attempt("k1", 1, 1, attempt_kind::first, 201, 0, 10, answer_a),
                attempt("k2", 2, 1, attempt_kind::first, 201, 20, 30, answer_a)},
               {{"k1", 1}});
  r.effects.unchecked = 1;
  r.effects.stopped = "the effects phase ran out of its 1s after 1 of 2 keys";
  const verdict v = idempotency_verdict(r);
  CHECK(v.passed);
  CHECK(count(v, "unchecked") == 1);
  CHECK_THAT(v.measured, Contains("effects phase stopped early: the effects phase ran out of its "
                                  "1s after 1 of 2 keys; 1 keys not counted"));
}

TEST_CASE("idempotency: evidence names the faults that hit a failing key",
          "[reporters][idempotency]") {
  auto r = run({attempt("k1", 1, 1, attempt_kind::first, 0, 1000, 2000, 0, 40312),
                attempt("k1", 1, 2, attempt_kind::retry, 201, 2100, 2110, answer_a, 40313)},
               {{"k1", 2}});
  const auto hit = [](std::int64_t at_ms, std::string client, std::string fault) {
    fault_event e;
    e.what = fault_event::kind::hit;
    e.at_us = at_ms * 1000;
    e.proxy = "api";
    e.fault = std::move(fault);
    e.type = "reset_peer";
    e.client = std::move(client);
    e.detail = "reset after 10 bytes";
    return e;
  };
  fault_event start;
  start.what = fault_event::kind::start;
  start.at_us = 900'000;
  start.proxy = "api";
  start.fault = "cut";
  r.faults = {start, hit(1500, "127.0.0.1:40312", "cut"),  // on the first attempt's connection
              hit(1600, "127.0.0.1:50000", "cut"),         // someone else's connection
              hit(2500, "127.0.0.1:40313", "cut"),         // after the retry ended
              hit(2105, "", "http_503")};                  // no client: in the key's time span
  const verdict v = idempotency_verdict(r);
  REQUIRE_FALSE(v.passed);
  const auto& faults =
      evidence(v).at("examples").as_array().at(0).as_object().at("faults").as_array();
  REQUIRE(faults.size() == 2);
  CHECK(faults[0].as_object().at("client") == "127.0.0.1:40312");
  CHECK(faults[1].as_object().at("fault") == "http_503");
  const std::string text = section(v);
  CHECK_THAT(text, Contains("\n      fault api/cut (reset_peer) hit 127.0.0.1:40312 at 1.500s: "
                            "reset after 10 bytes\n"));
  CHECK_THAT(text, Contains("\n      #1 first info timeout 1.000s-2.000s port 40312 "
                            "[not compared: no response]: no response within 1s\n"));
}

TEST_CASE("idempotency: at most max_examples examples, the earliest keys first",
          "[reporters][idempotency]") {
  std::vector<history_entry> h;
  std::vector<std::pair<std::string, std::int64_t>> counts;
  for (int i = 0; i < 8; ++i) {
    const std::string key = "k" + std::to_string(i);
    h.push_back(attempt(key, static_cast<std::uint64_t>(i + 1), 1, attempt_kind::first, 201, i * 10,
                        i * 10 + 5, answer_a));
    counts.emplace_back(key, 2);
  }
  const verdict v = idempotency_verdict(run(h, counts), 3);
  CHECK(count(v, "duplicated") == 8);
  const auto& examples = evidence(v).at("examples").as_array();
  REQUIRE(examples.size() == 3);
  CHECK(examples[0].as_object().at("key") == "k0");
  CHECK(examples[2].as_object().at("key") == "k2");
  CHECK(v.measured == "8 of 8 keys violated (8 duplicated)");
}

TEST_CASE("idempotency: its failure outranks a threshold's in the exit code",
          "[reporters][idempotency]") {
  const verdict idem = idempotency_verdict(
      run({attempt("k", 1, 1, attempt_kind::first, 201, 0, 10, answer_a)}, {{"k", 2}}));
  verdict threshold;
  threshold.kind = verdict_kind::threshold;
  threshold.passed = false;
  CHECK(ordeal::reporters::exit_code_for({threshold, idem}) == 97);
  verdict integrity;
  integrity.kind = verdict_kind::integrity;
  integrity.passed = false;
  CHECK(ordeal::reporters::exit_code_for({threshold, idem, integrity}) == 98);
}

TEST_CASE("idempotency: the console section", "[reporters][idempotency]") {
  const verdict v = idempotency_verdict(
      run({attempt("k", 1, 1, attempt_kind::first, 201, 0, 10, answer_a)}, {{"k", 2}}));
  CHECK(section(v) ==
        "\nidempotency: the first 1 failing keys, every attempt and the faults that hit them\n"
        "    key k (transfer, POST /transfers, outcome ok, 2 effects): duplicated: 2 effects for "
        "outcome ok (expected exactly 1)\n"
        "      #1 first ok 201 0.000s-0.010s: {\"id\":\"t-k\"}\n");
  CHECK(v.reasons == std::vector<std::string>{
                         "1 of 1 keys violated (1 duplicated); 1 operations",
                         "key k (transfer, POST /transfers, outcome ok, 2 effects): duplicated: 2 "
                         "effects for outcome ok (expected exactly 1)"});
  SECTION("a hook error shows its message") {
    const verdict e = idempotency_verdict(
        run({attempt("k", 1, 1, attempt_kind::first, 201, 0, 10, answer_a)}, {{"k", -1}}));
    CHECK_THAT(section(e), Contains("\n      effects hook: drill.lua:9: attempt to index a nil "
                                    "value\n"));
  }
  SECTION("nothing when it passed") {
    const verdict ok = idempotency_verdict(
        run({attempt("k", 1, 1, attempt_kind::first, 201, 0, 10, answer_a)}, {{"k", 1}}));
    CHECK(section(ok).empty());
  }
}
