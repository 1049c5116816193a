#include <catch2/catch.hpp>

#include "ordeal/targets/stall_schedule.hpp"

using namespace std::chrono_literals;
using ordeal::targets::stall_schedule;

TEST_CASE("no schedule: every response goes out when due", "[targets]") {
  const stall_schedule none;
  CHECK_FALSE(none.enabled());
  CHECK(none.release(0ns) == 0ns);
  CHECK(none.release(1234ms) == 1234ms);
  CHECK_FALSE(stall_schedule{5s, 0s}.enabled());
  CHECK_FALSE(stall_schedule{0s, 1s}.enabled());
}

TEST_CASE("stalls start one period after start and last their length", "[targets]") {
  const stall_schedule s{5s, 1s};
  REQUIRE(s.enabled());
  // Before the first stall: normal service.
  CHECK(s.release(0ns) == 0ns);
  CHECK(s.release(4999ms) == 4999ms);
  // Inside [5s, 6s): held until 6s, wherever in the stall it became due.
  CHECK(s.release(5s) == 6s);
  CHECK(s.release(5500ms) == 6s);
  CHECK(s.release(6s - 1ns) == 6s);
  // The stall's end is open: due at 6s goes out at 6s.
  CHECK(s.release(6s) == 6s);
  CHECK(s.release(9s) == 9s);
  // Every later period the same.
  CHECK(s.release(10s) == 11s);
  CHECK(s.release(10s + 999ms) == 11s);
  CHECK(s.release(11s) == 11s);
  CHECK(s.release(3600s + 200ms) == 3601s);
}

TEST_CASE("short periods, as the integration test uses", "[targets]") {
  const stall_schedule s{300ms, 200ms};
  CHECK(s.release(299ms) == 299ms);
  CHECK(s.release(300ms) == 500ms);
  CHECK(s.release(499ms) == 500ms);
  CHECK(s.release(500ms) == 500ms);
  CHECK(s.release(600ms) == 800ms);
  CHECK(s.release(900ms + 1us) == 1100ms);
}
