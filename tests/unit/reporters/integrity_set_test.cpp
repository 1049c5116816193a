// The set checker: Jepsen's set over recorded adds and the final read.
#include <catch2/catch.hpp>

#include "integrity_records.hpp"
#include "ordeal/reporters/integrity.hpp"

using namespace ordeal::reporters;
using namespace ordeal::reporters::test;
using Catch::Matchers::Contains;
using ordeal::engine::integrity_type;

namespace {

ordeal::engine::integrity_checker items() {
  return checker("items", integrity_type::set);
}

}  // namespace

TEST_CASE("integrity set: every acknowledged add in the final read passes",
          "[reporters][integrity]") {
  auto c = items();
  add(c, "1", attempt_verdict::ok, 1);
  add(c, "2", attempt_verdict::ok, 2);
  add(c, "\"a\"", attempt_verdict::ok, 3);
  read(c, "[2, 1.0, \"a\"]");  // 1.0 is the element 1
  const auto v = check_set(c);
  INFO(v.measured);
  CHECK(v.passed);
  CHECK(v.kind == verdict_kind::integrity);
  CHECK(v.name == "integrity: items (set)");
  CHECK(v.reasons.empty());
  CHECK(count(v.evidence, "acknowledged") == 3);
  CHECK(count(v.evidence, "lost") == 0);
  CHECK(count(v.evidence, "read") == 3);
  CHECK_THAT(v.measured, Contains("3 acknowledged, all in the final read"));
}

TEST_CASE("integrity set: an acknowledged add missing from the final read is lost",
          "[reporters][integrity]") {
  auto c = items();
  add(c, "1", attempt_verdict::ok, 11, 3, 1200);
  add(c, "57", attempt_verdict::ok, 17, 3, 1500);
  read(c, "[1]");
  const auto v = check_set(c);
  CHECK_FALSE(v.passed);
  CHECK(count(v.evidence, "lost") == 1);
  const auto& lost = v.evidence.at("lost").as_array();
  REQUIRE(lost.size() == 1);
  CHECK(lost[0].at("value") == 57);
  CHECK(lost[0].at("operation") == 17);
  CHECK(lost[0].at("vu") == 3);
  CHECK(lost[0].at("kind") == "ok");
  CHECK(lost[0].at("invoke_us") == 1'500'000);
  CHECK_THAT(v.measured, Contains("1 lost of 2 acknowledged"));
  REQUIRE_FALSE(v.reasons.empty());
  CHECK_THAT(v.reasons[0], Contains("lost 57: acknowledged (operation 17 of vu 3"));
  CHECK_THAT(v.reasons[0], Contains("absent from the final read at 10.000s"));
}

TEST_CASE("integrity set: info adds are recovered when present, not required",
          "[reporters][integrity]") {
  auto c = items();
  add(c, "1", attempt_verdict::ok, 1);
  add(c, "2", attempt_verdict::info, 2);  // timed out: may or may not have happened
  add(c, "3", attempt_verdict::info, 3);
  add(c, "4", attempt_verdict::fail, 4);  // definitely not
  read(c, "[1, 2]");
  const auto v = check_set(c);
  INFO(v.measured);
  CHECK(v.passed);
  CHECK(count(v.evidence, "ok") == 1);
  CHECK(count(v.evidence, "info") == 2);
  CHECK(count(v.evidence, "fail") == 1);
  CHECK(count(v.evidence, "recovered") == 1);
  CHECK(count(v.evidence, "lost") == 0);
  CHECK(v.evidence.at("recovered").as_array()[0].at("value") == 2);
}

TEST_CASE("integrity set: values never added are unexpected", "[reporters][integrity]") {
  auto c = items();
  add(c, "1", attempt_verdict::ok, 1);
  read(c, "[1, 99]");
  const auto v = check_set(c);
  CHECK_FALSE(v.passed);
  CHECK(count(v.evidence, "unexpected") == 1);
  CHECK(v.evidence.at("unexpected").as_array()[0] == 99);
  CHECK_THAT(v.reasons[0], Contains("unexpected 99: in the final read, never added"));
}

TEST_CASE("integrity set: a value whose every add failed must not be there",
          "[reporters][integrity]") {
  auto c = items();
  add(c, "5", attempt_verdict::fail, 1);
  read(c, "[5]");
  const auto v = check_set(c);
  CHECK_FALSE(v.passed);
  CHECK(count(v.evidence, "failed_present") == 1);
  CHECK_THAT(v.reasons[0], Contains("5 is in the final read though every add of it failed"));
  // Added again by an operation that succeeded: it belongs there.
  add(c, "5", attempt_verdict::ok, 2);
  CHECK(check_set(c).passed);
}

TEST_CASE("integrity set: empty adds and empty reads", "[reporters][integrity]") {
  auto c = items();
  read(c, "{}");  // an empty Lua table reads back as {}
  CHECK(check_set(c).passed);
  auto d = items();
  read(d, "[]");
  CHECK(check_set(d).passed);
  add(d, "1", attempt_verdict::ok, 1);
  CHECK_FALSE(check_set(d).passed);
}

TEST_CASE("integrity set: a missing, errored or malformed final read fails",
          "[reporters][integrity]") {
  SECTION("no final read") {
    auto c = items();
    add(c, "1", attempt_verdict::ok, 1);
    const auto v = check_set(c);
    CHECK_FALSE(v.passed);
    CHECK(v.measured == "no final read");
    CHECK_THAT(v.reasons[0], Contains("no read ran after the load ended"));
  }
  SECTION("errored") {
    auto c = items();
    add(c, "1", attempt_verdict::ok, 1);
    errored_read(c, "read() raised: drill.lua:4: response:json(): the body is not JSON");
    const auto v = check_set(c);
    CHECK_FALSE(v.passed);
    CHECK(v.measured == "the final read failed");
    CHECK_THAT(v.reasons[0], Contains("the body is not JSON"));
    CHECK(v.evidence.at("reads").at("errored") == 1);
  }
  SECTION("not an array") {
    auto c = items();
    read(c, "{\"ids\": [1]}");
    const auto v = check_set(c);
    CHECK_FALSE(v.passed);
    CHECK_THAT(v.reasons[0], Contains("read() must return an array"));
  }
  SECTION("a later final read decides") {
    auto c = items();
    add(c, "1", attempt_verdict::ok, 1);
    errored_read(c, "boom", ordeal::engine::integrity_phase::final, 9'000);
    read(c, "[1]");
    CHECK(check_set(c).passed);
  }
}

TEST_CASE("integrity set: object elements compare whatever their key order",
          "[reporters][integrity]") {
  auto c = items();
  add(c, "{\"a\":1,\"b\":2}", attempt_verdict::ok, 1);
  read(c, "[{\"b\":2,\"a\":1}]");
  CHECK(check_set(c).passed);
}

TEST_CASE("integrity: one verdict per checker, in name order", "[reporters][integrity]") {
  ordeal::engine::integrity_record r;
  r.at("ids", integrity_type::unique);
  auto& s = r.at("items", integrity_type::set);
  read(s, "[]");
  const auto vs = integrity_verdicts(r);
  REQUIRE(vs.size() == 2);
  CHECK(vs[0].name == "integrity: ids (unique)");
  CHECK(vs[1].name == "integrity: items (set)");
  CHECK(exit_code_for(vs) == 0);
  add(s, "1", attempt_verdict::ok, 1);
  CHECK(exit_code_for(integrity_verdicts(r)) == 98);
}
