// Response fingerprints for the idempotency verdict: what two answers to one key may differ in
// (volatile headers, ignored JSON paths, member order) and what they may not.
#include "../../../scenarios/src/response_fingerprint.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace ordeal::scenarios;
using Catch::Matchers::Contains;
using ordeal::engine::header_list;

namespace {

response_fingerprint fingerprint(std::vector<std::string> ignore_json = {},
                                 std::vector<std::string> ignore_headers = {}) {
  idempotency_options o;
  o.ignore_json = std::move(ignore_json);
  o.ignore_headers = std::move(ignore_headers);
  return response_fingerprint(o);
}

const header_list json_headers = {{"Content-Type", "application/json"}};

std::string path_error(const std::string& text) {
  try {
    parse_json_path(text);
  } catch (const json_path_error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("json paths: the accepted forms", "[scenarios][idempotency]") {
  using kind = json_path::step::kind;
  CHECK(parse_json_path("$").steps.empty());
  const auto p = parse_json_path("$.items[*].ts");
  REQUIRE(p.steps.size() == 3);
  CHECK(p.steps[0].what == kind::member);
  CHECK(p.steps[0].name == "items");
  CHECK(p.steps[1].what == kind::any);
  CHECK(p.steps[2].name == "ts");
  const auto q = parse_json_path("$['a.b'][\"c\"][12].*..ts");
  REQUIRE(q.steps.size() == 5);
  CHECK(q.steps[0].name == "a.b");
  CHECK(q.steps[1].name == "c");
  CHECK(q.steps[2].what == kind::index);
  CHECK(q.steps[2].index == 12);
  CHECK(q.steps[3].what == kind::any);
  CHECK(q.steps[4].what == kind::descend);
  CHECK(q.steps[4].name == "ts");
}

TEST_CASE("json paths: each malformed form says where", "[scenarios][idempotency]") {
  CHECK(path_error("created_at") ==
        "at character 1: expected the path to start with \"$\" (e.g. \"$.created_at\")");
  CHECK(path_error("") == path_error("created_at"));
  CHECK_THAT(path_error("$."), Contains("at character 3: expected a member name"));
  CHECK_THAT(path_error("$.a..b."), Contains("at character 8: expected a member name"));
  CHECK_THAT(path_error("$.items[0"), Contains("at character 8: unclosed \"[\""));
  CHECK_THAT(path_error("$['a"), Contains("at character 3: unclosed quote"));
  CHECK_THAT(path_error("$[x]"), Contains("at character 3: expected an index, \"*\""));
  CHECK_THAT(path_error("$[-1]"), Contains("expected an index"));
  CHECK_THAT(path_error("$x"), Contains("at character 2: unexpected \"x\""));
  CHECK_THAT(path_error("$..*"), Contains("would ignore the whole body"));
  CHECK_THAT(path_error("$[99999999999999999999999]"), Contains("too large"));
}

TEST_CASE("fingerprint: volatile headers and header order do not count",
          "[scenarios][idempotency]") {
  const auto f = fingerprint();
  const header_list a = {{"Date", "Mon, 01 Jan 2024 00:00:00 GMT"},
                         {"Content-Type", "text/plain"},
                         {"X-Request-Id", "r1"},
                         {"Idempotent-Replayed", "false"},
                         {"Location", "/transfers/1"}};
  const header_list b = {{"location", "/transfers/1"},    {"Date", "Mon, 01 Jan 2024 00:00:09 GMT"},
                         {"X-Request-Id", "r2"},          {"Idempotent-Replayed", "true"},
                         {"content-type", " text/plain"}, {"Content-Length", "2"}};
  CHECK(f.digest(201, a, "ok") == f.digest(201, b, "ok"));
  CHECK(f.canonical(201, a, "ok") ==
        "201\ncontent-type: text/plain\nlocation: /transfers/1\n\nbytes ok");
  SECTION("but the status, the body and other headers do") {
    CHECK(f.digest(201, a, "ok") != f.digest(200, a, "ok"));
    CHECK(f.digest(201, a, "ok") != f.digest(201, a, "ko"));
    header_list c = a;
    c.back().second = "/transfers/2";
    CHECK(f.digest(201, a, "ok") != f.digest(201, c, "ok"));
  }
  SECTION("ignore_headers adds names, any case; \"*\" ignores them all") {
    const header_list x1 = {{"X-Served-At", "1"}, {"X-Node", "a"}};
    const header_list x2 = {{"X-Served-At", "2"}, {"X-Node", "b"}};
    CHECK(fingerprint({}, {"x-served-at"}).digest(200, x1, "") !=
          fingerprint({}, {"x-served-at"}).digest(200, x2, ""));
    CHECK(fingerprint({}, {"x-served-at", "x-node"}).digest(200, x1, "") ==
          fingerprint({}, {"x-served-at", "x-node"}).digest(200, x2, ""));
    CHECK(fingerprint({}, {"*"}).digest(200, x1, "") == fingerprint({}, {"*"}).digest(200, x2, ""));
  }
}

TEST_CASE("fingerprint: JSON bodies compare as data, less the ignored paths",
          "[scenarios][idempotency]") {
  const std::string a =
      R"({"id":"t1","amount":5,"created_at":"10:00","items":[{"n":1,"ts":1},{"n":2,"ts":2}]})";
  const std::string b = R"({ "items": [{"ts": 7, "n": 1}, {"n": 2, "ts": 8}], "created_at": "10:05",
                             "amount": 5, "id": "t1" })";
  SECTION("member order and whitespace never count") {
    const auto f = fingerprint();
    CHECK(f.digest(201, json_headers, R"({"a":1,"b":[1,2]})") ==
          f.digest(201, json_headers, "{ \"b\": [1, 2],\n \"a\": 1 }"));
    CHECK(f.canonical(201, json_headers, R"({"b":1,"a":{"d":null,"c":"x"}})") ==
          "201\ncontent-type: application/json\n\njson {\"a\":{\"c\":\"x\",\"d\":null},\"b\":1}");
  }
  SECTION("volatile paths differ: a mismatch unless ignored") {
    CHECK(fingerprint().digest(201, json_headers, a) != fingerprint().digest(201, json_headers, b));
    const auto f = fingerprint({"$.created_at", "$.items[*].ts"});
    CHECK(f.digest(201, json_headers, a) == f.digest(201, json_headers, b));
    const auto g = fingerprint({"$.created_at", "$..ts"});
    CHECK(g.digest(201, json_headers, a) == g.digest(201, json_headers, b));
    const auto only_first = fingerprint({"$.created_at", "$.items[0].ts"});
    CHECK(only_first.digest(201, json_headers, a) != only_first.digest(201, json_headers, b));
  }
  SECTION("what is not ignored still counts") {
    const auto f = fingerprint({"$.created_at", "$.items[*].ts"});
    const std::string other_id =
        R"({"id":"t2","amount":5,"created_at":"10:00","items":[{"n":1,"ts":1},{"n":2,"ts":2}]})";
    CHECK(f.digest(201, json_headers, a) != f.digest(201, json_headers, other_id));
  }
  SECTION("\"$\" ignores the whole body; missing paths are fine") {
    const auto f = fingerprint({"$", "$.nothing.here", "$[3]"});
    CHECK(f.digest(201, json_headers, a) == f.digest(201, json_headers, "[1]"));
    CHECK(f.digest(201, json_headers, a) != f.digest(200, json_headers, "[1]"));
  }
  SECTION("a body that looks like JSON is JSON without a Content-Type") {
    CHECK(fingerprint().digest(200, {}, R"({"a":1,"b":2})") ==
          fingerprint().digest(200, {}, R"({"b":2,"a":1})"));
  }
  SECTION("invalid JSON compares as bytes") {
    const auto f = fingerprint({"$.a"});
    CHECK(f.digest(200, json_headers, "{\"a\":1") != f.digest(200, json_headers, "{\"a\":2"));
    CHECK_THAT(f.canonical(200, json_headers, "{\"a\":1"), Contains("bytes {\"a\":1"));
  }
}

TEST_CASE("fingerprint: a digest is never 0", "[scenarios][idempotency]") {
  CHECK(fingerprint().digest(0, {}, "") != 0);
  CHECK(fingerprint().digest(204, {}, "") != 0);
}

TEST_CASE("body excerpts are short, valid UTF-8", "[scenarios][idempotency]") {
  CHECK(body_excerpt("{\"id\":1}") == "{\"id\":1}");
  CHECK(body_excerpt(std::string(300, 'x')) == std::string(200, 'x') + "...");
  CHECK(body_excerpt("abc", 2) == "ab...");
  // "é" is two bytes: not cut in half.
  CHECK(body_excerpt("a\xc3\xa9z", 2) == "a...");
  CHECK(body_excerpt("a\xc3\xa9z", 3) == "a\xc3\xa9...");
  CHECK(body_excerpt("a\xff\xfe"
                     "b") == "a??b");
  CHECK(body_excerpt("a\xc3") == "a?");
  CHECK(body_excerpt("\xc0\xaf") == "??");  // overlong
  CHECK(body_excerpt("") == "");
}
