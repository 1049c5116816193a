// options.idempotency: what a drill may say, and a clear error naming the path for each thing
// it may not.
#include <catch2/catch.hpp>
#include <lua.hpp>
#include <string>

#include "../../../scenarios/src/lua_sandbox.hpp"
#include "ordeal/engine/config_error.hpp"
#include "ordeal/scenarios/drill.hpp"

using namespace ordeal::scenarios;
using namespace std::chrono_literals;
using ordeal::engine::config_error;

namespace {

struct drill {
  lua_state state = make_sandboxed_state({});
  lua_State* L = state.get();
  explicit drill(const std::string& code) {
    const std::string all = "function default() end\n" + code;
    REQUIRE(luaL_dostring(L, all.c_str()) == LUA_OK);
  }
};

drill_options read(const std::string& idempotency) {
  drill d("options = { idempotency = " + idempotency + " }");
  return read_drill_options(d.L, "drill.lua");
}

std::string error_of(const std::string& idempotency) {
  drill d("options = { idempotency = " + idempotency + " }");
  try {
    read_drill_options(d.L, "drill.lua");
  } catch (const config_error& e) {
    CHECK(lua_gettop(d.L) == 0);
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("idempotency options: absent, empty and full", "[scenarios][idempotency]") {
  drill none("options = {}");
  const auto absent = read_drill_options(none.L, "drill.lua");
  CHECK_FALSE(absent.idempotency);
  CHECK_FALSE(absent.history);

  const auto empty = read("{}");
  REQUIRE(empty.idempotency);
  CHECK(empty.history);  // the verdict reads every attempt
  CHECK(empty.idempotency->ignore_headers.empty());
  CHECK(empty.idempotency->ignore_json.empty());
  CHECK_FALSE(empty.idempotency->effects);
  CHECK(empty.idempotency->effects_timeout == 60s);

  const auto full = read(R"({
    ignore_headers = { "X-Request-Id", "x-node" },
    ignore_json = { "$.created_at", "$.items[*].ts", "$..updated_at", "$['a b'][0]" },
    effects = function(op) return 1 end,
    effects_timeout = "5s" })");
  REQUIRE(full.idempotency);
  CHECK(full.idempotency->ignore_headers == std::vector<std::string>{"x-request-id", "x-node"});
  CHECK(full.idempotency->ignore_json.size() == 4);
  CHECK(full.idempotency->ignore_json[1] == "$.items[*].ts");
  CHECK(full.idempotency->effects);
  CHECK(full.idempotency->effects_timeout == 5s);

  const auto camel = read(R"({ ignoreHeaders = {}, ignoreJson = {}, effects = print,
                               effectsTimeout = 1 })");
  CHECK(camel.idempotency->effects_timeout == 1s);
}

TEST_CASE("idempotency options: each bad value names its path", "[scenarios][idempotency]") {
  CHECK(error_of("true") == "drill.lua: options.idempotency: expected a table, got true");
  CHECK(error_of("{ ignore_header = {} }") ==
        "drill.lua: options.idempotency.ignore_header: unknown field (did you mean "
        "ignore_headers?)");
  CHECK(error_of("{ effect = 1 }") ==
        "drill.lua: options.idempotency.effect: unknown field (did you mean effects?)");
  CHECK(error_of("{ ignore_headers = \"Date\" }") ==
        "drill.lua: options.idempotency.ignore_headers: expected an array of strings, each a "
        "header name such as \"X-Request-Id\", got \"Date\"");
  CHECK(error_of("{ ignore_headers = { h = \"Date\" } }") ==
        "drill.lua: options.idempotency.ignore_headers: expected an array (keys 1..n) of "
        "strings, each a header name such as \"X-Request-Id\"");
  CHECK(error_of("{ ignore_headers = { \"Date\", 7 } }") ==
        "drill.lua: options.idempotency.ignore_headers[2]: expected a header name such as "
        "\"X-Request-Id\", got 7");
  CHECK(error_of("{ ignore_headers = { \"X Request\" } }") ==
        "drill.lua: options.idempotency.ignore_headers[1]: \"X Request\" is not a header name "
        "(letters, digits and !#$%&'*+-.^_`|~; \"*\" ignores every header)");
  CHECK(error_of("{ ignore_headers = { \"\" } }") ==
        "drill.lua: options.idempotency.ignore_headers[1]: expected a header name such as "
        "\"X-Request-Id\", got \"\"");
  CHECK(error_of("{ ignore_json = { \"$.created_at\", \"items[*].ts\" } }") ==
        "drill.lua: options.idempotency.ignore_json[2]: \"items[*].ts\" is not a JSON path: at "
        "character 1: expected the path to start with \"$\" (e.g. \"$.created_at\") (accepted: "
        "$, .name, ['name'], [3], .*, [*], ..name)");
  CHECK(error_of("{ ignore_json = { \"$.items[\" } }") ==
        "drill.lua: options.idempotency.ignore_json[1]: \"$.items[\" is not a JSON path: at "
        "character 9: expected an index, \"*\" or a quoted name inside [ ] (accepted: $, .name, "
        "['name'], [3], .*, [*], ..name)");
  CHECK(error_of("{ ignore_json = { {} } }") ==
        "drill.lua: options.idempotency.ignore_json[1]: expected a JSON path such as "
        "\"$.created_at\", got a table");
  CHECK(error_of("{ effects = \"count\" }") ==
        "drill.lua: options.idempotency.effects: expected a function(op) returning the number of "
        "side effects of op.key, got \"count\"");
  CHECK(error_of("{ effects = function() end, effects_timeout = \"soon\" }")
            .starts_with("drill.lua: options.idempotency.effects_timeout: "));
  CHECK(error_of("{ effects = function() end, effects_timeout = 0 }") ==
        "drill.lua: options.idempotency.effects_timeout: expected a duration > 0, got 0");
  CHECK(error_of("{ effects_timeout = \"5s\" }") ==
        "drill.lua: options.idempotency.effects_timeout: given without effects = function(op) "
        "... end");
}
