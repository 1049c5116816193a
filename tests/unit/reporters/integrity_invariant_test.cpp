// The invariant checker: check() must hold every time it ran.
#include <catch2/catch.hpp>

#include "integrity_records.hpp"
#include "ordeal/reporters/integrity.hpp"

using namespace ordeal::reporters;
using namespace ordeal::reporters::test;
using Catch::Matchers::Contains;
using ordeal::engine::integrity_phase;
using ordeal::engine::integrity_type;

TEST_CASE("integrity invariant: held every time passes", "[reporters][integrity]") {
  auto c = checker("stock", integrity_type::invariant);
  check(c, true, "n=3", integrity_phase::during, 2000);
  check(c, true, "n=1", integrity_phase::final, 5000);
  const auto v = check_invariant(c);
  CHECK(v.passed);
  CHECK(v.name == "integrity: stock (invariant)");
  CHECK(v.measured == "held in 2 of 2 reads");
}

TEST_CASE("integrity invariant: the first failures are the evidence", "[reporters][integrity]") {
  auto c = checker("stock", integrity_type::invariant);
  check(c, true, "n=3", integrity_phase::during, 2000);
  check(c, false, "n=-1", integrity_phase::during, 4000);
  check(c, false, "n=-2", integrity_phase::final, 5000);
  const auto v = check_invariant(c);
  CHECK_FALSE(v.passed);
  CHECK(v.measured == "broke in 2 of 3 reads");
  REQUIRE(v.reasons.size() == 2);
  CHECK(v.reasons[0] == "at 4.000s (during the load): check() returned false: n=-1");
  CHECK(v.reasons[1] == "at 5.000s (after the load): check() returned false: n=-2");
  const auto& failures = v.evidence.at("failures").as_array();
  REQUIRE(failures.size() == 2);
  CHECK_FALSE(failures[0].as_object().contains("value"));
  CHECK(failures[1].at("phase") == "final");
}

TEST_CASE("integrity invariant: errors and a missing final check", "[reporters][integrity]") {
  auto c = checker("stock", integrity_type::invariant);
  errored_read(c, "check() raised: drill.lua:3: boom", integrity_phase::during, 1000);
  auto v = check_invariant(c);
  CHECK_FALSE(v.passed);
  CHECK(v.measured == "no final read");
  check(c, true, "", integrity_phase::final, 5000);
  v = check_invariant(c);
  CHECK(v.passed);
  CHECK(v.measured == "held in 1 of 2 reads (1 errored, not counted)");
}
