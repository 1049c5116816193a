#include "ordeal/targets/response_shape.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace std::chrono_literals;
using ordeal::targets::parse_response_shape;
using ordeal::targets::response_shape;

namespace {

response_shape shape_of(std::string_view target) {
  auto result = parse_response_shape(target);
  INFO(target);
  if (const auto* error = std::get_if<std::string>(&result)) FAIL("unexpected error: " << *error);
  return std::get<response_shape>(result);
}

std::string error_of(std::string_view target) {
  auto result = parse_response_shape(target);
  INFO(target);
  REQUIRE(std::holds_alternative<std::string>(result));
  return std::get<std::string>(result);
}

}  // namespace

TEST_CASE("no query string gives the defaults", "[targets]") {
  for (const auto* target : {"/", "/any/path", "*", "/x?", "/x?&&"}) {
    const auto s = shape_of(target);
    CHECK(s.status == 200);
    CHECK(s.delay == 0ns);
    CHECK(s.jitter == 0ns);
    CHECK(s.size_bytes == 2);
  }
}

TEST_CASE("every parameter together, on any path", "[targets]") {
  const auto s = shape_of("/some/where?status=503&delay=20ms&jitter=5ms&size=1024");
  CHECK(s.status == 503);
  CHECK(s.delay == 20ms);
  CHECK(s.jitter == 5ms);
  CHECK(s.size_bytes == 1024);
}

TEST_CASE("status: 200..599", "[targets]") {
  CHECK(shape_of("/?status=200").status == 200);
  CHECK(shape_of("/?status=204").status == 204);
  CHECK(shape_of("/?status=599").status == 599);

  CHECK(error_of("/?status=199") ==
        "bad query parameter 'status': \"199\" is out of range (use 200..599)");
  CHECK(error_of("/?status=600") ==
        "bad query parameter 'status': \"600\" is out of range (use 200..599)");
  CHECK(error_of("/?status=abc") ==
        "bad query parameter 'status': \"abc\" is not an HTTP status (use 200..599)");
  for (const auto* bad : {"/?status=-200", "/?status=2OO", "/?status=200x", "/?status=+200",
                          "/?status=99999999999999999999"}) {
    CHECK_THAT(error_of(bad), Catch::StartsWith("bad query parameter 'status': "));
  }
}

TEST_CASE("delay and jitter: durations with units, at most 1h", "[targets]") {
  CHECK(shape_of("/?delay=250us").delay == 250us);
  CHECK(shape_of("/?delay=1.5s").delay == 1500ms);
  CHECK(shape_of("/?delay=2m").delay == 2min);
  CHECK(shape_of("/?delay=0ms").delay == 0ns);
  CHECK(shape_of("/?delay=1h").delay == 1h);
  CHECK(shape_of("/?jitter=5ms").jitter == 5ms);

  CHECK(error_of("/?delay=abc") ==
        "bad query parameter 'delay': \"abc\" is not a duration (use 500ms, 2s, ...)");
  CHECK(error_of("/?jitter=20") ==
        "bad query parameter 'jitter': \"20\" is not a duration (use 500ms, 2s, ...)");
  CHECK(error_of("/?delay=-5ms") ==
        "bad query parameter 'delay': \"-5ms\" is not a duration (use 500ms, 2s, ...)");
  CHECK(error_of("/?delay=61m") == "bad query parameter 'delay': \"61m\" is too long (at most 1h)");
  CHECK(error_of("/?jitter=2h") == "bad query parameter 'jitter': \"2h\" is too long (at most 1h)");
}

TEST_CASE("size: 0..64 MiB of body", "[targets]") {
  CHECK(shape_of("/?size=0").size_bytes == 0);
  CHECK(shape_of("/?size=1").size_bytes == 1);
  CHECK(shape_of("/?size=67108864").size_bytes == 64ull * 1024 * 1024);

  CHECK(error_of("/?size=67108865") ==
        "bad query parameter 'size': \"67108865\" is too large (at most 67108864, 64 MiB)");
  CHECK(error_of("/?size=1k") ==
        "bad query parameter 'size': \"1k\" is not a byte count (use 0..67108864)");
  CHECK_THAT(error_of("/?size=-1"), Catch::StartsWith("bad query parameter 'size': "));
}

TEST_CASE("unknown, repeated or valueless parameters are errors", "[targets]") {
  CHECK(error_of("/?status=200&colour=red") ==
        "unknown query parameter 'colour' (use status, delay, jitter, size)");
  CHECK(error_of("/?Status=200") ==
        "unknown query parameter 'Status' (use status, delay, jitter, size)");
  CHECK(error_of("/?status=200&status=500") == "bad query parameter 'status': given twice");
  CHECK(error_of("/?delay") == "bad query parameter 'delay': missing value");
  CHECK(error_of("/?size=") == "bad query parameter 'size': missing value");
}

TEST_CASE("the echoed value is short and printable", "[targets]") {
  const auto error = error_of("/?delay=" + std::string(200, 'a') + "%0A\x01");
  CHECK(error.size() < 120);
  CHECK(error.find('\n') == std::string::npos);
  CHECK(error.find("...\"") != std::string::npos);
}
