// The counter checker: sum(ok) <= final value <= sum(ok) + sum(info).
#include <catch2/catch.hpp>

#include "integrity_records.hpp"
#include "ordeal/reporters/integrity.hpp"

using namespace ordeal::reporters;
using namespace ordeal::reporters::test;
using Catch::Matchers::Contains;
using ordeal::engine::integrity_type;

namespace {

ordeal::engine::integrity_checker hits() {
  auto c = checker("hits", integrity_type::counter);
  add(c, "1", attempt_verdict::ok, 1);
  add(c, "1", attempt_verdict::ok, 2);
  add(c, "1", attempt_verdict::info, 3);
  add(c, "5", attempt_verdict::fail, 4);  // never counts
  return c;
}

}  // namespace

TEST_CASE("integrity counter: a value between the bounds passes", "[reporters][integrity]") {
  for (const char* value : {"2", "3", "2.0"}) {
    auto c = hits();
    read(c, value);
    const auto v = check_counter(c);
    INFO(value << ": " << v.measured);
    CHECK(v.passed);
    CHECK(v.name == "integrity: hits (counter)");
    CHECK(v.evidence.at("lower").to_number<double>() == 2);
    CHECK(v.evidence.at("upper").to_number<double>() == 3);
    CHECK(count(v.evidence, "ok") == 2);
    CHECK(count(v.evidence, "info") == 1);
    CHECK(count(v.evidence, "fail") == 1);
  }
  auto c = hits();
  read(c, "2");
  CHECK(check_counter(c).measured == "value 2 within [2, 3]");
}

TEST_CASE("integrity counter: below the acknowledged sum is a lost increment",
          "[reporters][integrity]") {
  auto c = hits();
  read(c, "1");
  const auto v = check_counter(c);
  CHECK_FALSE(v.passed);
  CHECK(v.measured == "value 1 below [2, 3]");
  CHECK_THAT(v.reasons[0], Contains("acknowledged (ok) increments alone add up to 2: 1 lost"));
  CHECK(v.evidence.at("value").to_number<double>() == 1);
}

TEST_CASE("integrity counter: above every attempted increment is a double count",
          "[reporters][integrity]") {
  auto c = hits();
  read(c, "4");
  const auto v = check_counter(c);
  CHECK_FALSE(v.passed);
  CHECK(v.measured == "value 4 above [2, 3]");
  CHECK_THAT(v.reasons[0], Contains("1 counted twice or never attempted"));
}

TEST_CASE("integrity counter: negative info increments widen the lower bound",
          "[reporters][integrity]") {
  auto c = checker("balance", integrity_type::counter);
  add(c, "10", attempt_verdict::ok, 1);
  add(c, "-3", attempt_verdict::info, 2);
  read(c, "7");
  CHECK(check_counter(c).passed);
  CHECK(check_counter(c).measured == "value 7 within [7, 10]");
}

TEST_CASE("integrity counter: no adds, and a read of 0", "[reporters][integrity]") {
  auto c = checker("hits", integrity_type::counter);
  read(c, "0");
  CHECK(check_counter(c).passed);
}

TEST_CASE("integrity counter: a bad or missing final read fails", "[reporters][integrity]") {
  SECTION("missing") {
    auto c = hits();
    CHECK_FALSE(check_counter(c).passed);
    CHECK(check_counter(c).measured == "no final read");
  }
  SECTION("errored") {
    auto c = hits();
    errored_read(c, "a request in the hooks did not succeed (status 503)");
    const auto v = check_counter(c);
    CHECK_FALSE(v.passed);
    CHECK_THAT(v.reasons[0], Contains("status 503"));
  }
  SECTION("not a number") {
    auto c = hits();
    read(c, "\"2\"");
    const auto v = check_counter(c);
    CHECK_FALSE(v.passed);
    CHECK_THAT(v.reasons[0], Contains("read() must return the counter's value as a number"));
  }
}
