// The bank checker: check(read) must hold in every read, during the load and after it.
#include <catch2/catch.hpp>

#include "integrity_records.hpp"
#include "ordeal/reporters/integrity.hpp"

using namespace ordeal::reporters;
using namespace ordeal::reporters::test;
using Catch::Matchers::Contains;
using ordeal::engine::integrity_phase;
using ordeal::engine::integrity_type;

namespace {

ordeal::engine::integrity_checker money() {
  return checker("money", integrity_type::bank);
}

}  // namespace

TEST_CASE("integrity bank: every read holding passes", "[reporters][integrity]") {
  auto c = money();
  check(c, true, "total 100", integrity_phase::during, 1000, "[60, 40]");
  check(c, true, "total 100", integrity_phase::during, 2000, "[50, 50]");
  check(c, true, "total 100", integrity_phase::final, 3000, "[70, 30]");
  const auto v = check_bank(c);
  CHECK(v.passed);
  CHECK(v.name == "integrity: money (bank)");
  CHECK(v.measured == "held in 3 of 3 reads");
  CHECK(count(v.evidence, "held") == 3);
  CHECK(v.evidence.at("reads").at("during") == 2);
  CHECK(v.evidence.at("reads").at("final") == 1);
}

TEST_CASE("integrity bank: a read during the load that breaks it fails, with its time",
          "[reporters][integrity]") {
  auto c = money();
  check(c, true, "total 100", integrity_phase::during, 1000, "[60, 40]");
  check(c, false, "total 90", integrity_phase::during, 2000, "[50, 40]");
  check(c, true, "total 100", integrity_phase::final, 3000, "[70, 30]");
  const auto v = check_bank(c);
  CHECK_FALSE(v.passed);
  CHECK(v.measured == "broke in 1 of 3 reads");
  REQUIRE(v.reasons.size() == 1);
  CHECK(v.reasons[0] ==
        "at 2.000s (during the load): check() returned false: total 90 (read [50,40])");
  const auto& failures = v.evidence.at("failures").as_array();
  REQUIRE(failures.size() == 1);
  CHECK(failures[0].at("phase") == "during");
  CHECK(failures[0].at("invoke_us") == 2'000'000);
  CHECK(failures[0].at("message") == "total 90");
  CHECK(failures[0].at("value").as_array().size() == 2);
}

TEST_CASE("integrity bank: errored reads are reported, not passed", "[reporters][integrity]") {
  auto c = money();
  errored_read(c, "read() raised: drill.lua:9: connection refused", integrity_phase::during, 1000);
  check(c, true, "total 100", integrity_phase::final, 3000, "[70, 30]");
  auto v = check_bank(c);
  // A read during a fault may fail: it proves nothing either way, and says so.
  CHECK(v.passed);
  CHECK(v.measured == "held in 1 of 2 reads (1 errored, not counted)");
  CHECK(count(v.evidence, "errored") == 1);
  CHECK_THAT(v.evidence.at("reads").at("errors").as_array()[0].at("error").as_string().c_str(),
             Contains("connection refused"));
  // The final read erroring leaves nothing verified: a failure.
  auto d = money();
  check(d, true, "total 100", integrity_phase::during, 1000, "[70, 30]");
  errored_read(d, "check() raised: drill.lua:12: attempt to index a nil value");
  v = check_bank(d);
  CHECK_FALSE(v.passed);
  CHECK_THAT(v.reasons[0], Contains("the final read at 10.000s failed: check() raised"));
}

TEST_CASE("integrity bank: no final read fails", "[reporters][integrity]") {
  auto c = money();
  check(c, true, "", integrity_phase::during, 1000, "[1]");
  const auto v = check_bank(c);
  CHECK_FALSE(v.passed);
  CHECK(v.measured == "no final read");
}
