// The unique checker: no id returned by two ok operations.
#include <catch2/catch.hpp>

#include "integrity_records.hpp"
#include "ordeal/reporters/integrity.hpp"

using namespace ordeal::reporters;
using namespace ordeal::reporters::test;
using Catch::Matchers::Contains;
using ordeal::engine::integrity_type;

TEST_CASE("integrity unique: distinct ids pass", "[reporters][integrity]") {
  auto c = checker("order_ids", integrity_type::unique);
  add(c, "\"o-1\"", attempt_verdict::ok, 1);
  add(c, "\"o-2\"", attempt_verdict::ok, 2);
  add(c, "\"o-1\"", attempt_verdict::fail, 3);  // a refusal naming an existing id
  add(c, "\"o-1\"", attempt_verdict::ok, 1);    // the same operation, recorded again
  const auto v = check_unique(c);
  CHECK(v.passed);
  CHECK(v.name == "integrity: order_ids (unique)");
  CHECK(v.measured == "2 ids, all distinct");
  CHECK(count(v.evidence, "attempted") == 4);
  CHECK(count(v.evidence, "acknowledged") == 3);
  CHECK(count(v.evidence, "duplicated") == 0);
}

TEST_CASE("integrity unique: an id two operations returned is a duplicate",
          "[reporters][integrity]") {
  auto c = checker("order_ids", integrity_type::unique);
  add(c, "7", attempt_verdict::ok, 10, 1, 100);
  add(c, "8", attempt_verdict::ok, 11, 2, 200);
  add(c, "7.0", attempt_verdict::ok, 12, 3, 300);
  const auto v = check_unique(c);
  CHECK_FALSE(v.passed);
  CHECK(v.measured == "1 of 2 ids returned more than once");
  const auto& d = v.evidence.at("duplicates").as_array();
  REQUIRE(d.size() == 1);
  CHECK(d[0].at("value") == 7);
  CHECK(d[0].at("count") == 2);
  CHECK(d[0].at("operations").as_array()[0].at("operation") == 10);
  CHECK(d[0].at("operations").as_array()[1].at("operation") == 12);
  CHECK_THAT(v.reasons[0], Contains("7 returned by 2 operations: operation 10 of vu 1"));
}

TEST_CASE("integrity unique: nothing added passes", "[reporters][integrity]") {
  const auto v = check_unique(checker("ids", integrity_type::unique));
  CHECK(v.passed);
  CHECK(v.measured == "0 ids, all distinct");
}
