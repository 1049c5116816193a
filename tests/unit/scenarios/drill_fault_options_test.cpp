// options.proxies and options.faults: read_drill_options carries them as JSON for the fault
// layer (faults::read_fault_plan checks their shape) and refuses only what is not a table.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <lua.hpp>
#include <string>

#include "../../../scenarios/src/lua_sandbox.hpp"
#include "ordeal/engine/config_error.hpp"
#include "ordeal/scenarios/drill.hpp"

using namespace ordeal::scenarios;
using Catch::Matchers::Contains;
using ordeal::engine::config_error;

namespace {

// A drill's state after its chunk ran.
struct drill {
  lua_state state = make_sandboxed_state({});
  lua_State* L = state.get();
  explicit drill(const std::string& code) {
    const std::string all = "function default() end\n" + code;
    REQUIRE(luaL_dostring(L, all.c_str()) == LUA_OK);
  }
  drill_options read() { return read_drill_options(L, "drill.lua"); }
};

std::string error_of(const std::string& code) {
  drill d(code);
  try {
    d.read();
  } catch (const config_error& e) {
    CHECK(lua_gettop(d.L) == 0);  // the stack is restored on errors too
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("drill options: proxies and faults are kept as JSON", "[scenarios][faults]") {
  drill d(R"(
options = {}
options.proxies = { db = { listen = "127.0.0.1:15432", upstream = "127.0.0.1:5432" },
                    api = { listen = "127.0.0.1:18080", upstream = "127.0.0.1:8080", http = true } }
options.faults = {
  { at = "10s", duration = "20s", proxy = "db",  toxic = { type = "latency", latency = "300ms", jitter = "50ms" } },
  { at = 40, duration = "5s",  proxy = "db",  toxic = { type = "down" } },
  { at = "75s", duration = "10s", proxy = "api", http = { match = { method = "POST", path = "/pay*" }, abort = 503, after_upstream = true, probability = 0.1 } },
})");
  const drill_options o = d.read();
  CHECK(lua_gettop(d.L) == 0);

  REQUIRE(o.proxies.is_object());
  const auto& proxies = o.proxies.get_object();
  CHECK(proxies.size() == 2);
  CHECK(proxies.at("db").at("listen") == "127.0.0.1:15432");
  CHECK(proxies.at("db").at("upstream") == "127.0.0.1:5432");
  CHECK_FALSE(proxies.at("db").as_object().contains("http"));
  CHECK(proxies.at("api").at("http") == true);

  REQUIRE(o.faults.is_array());
  const auto& faults = o.faults.get_array();
  REQUIRE(faults.size() == 3);  // in the drill's order
  CHECK(faults[0].at("at") == "10s");
  CHECK(faults[0].at("proxy") == "db");
  CHECK(faults[0].at("toxic").at("type") == "latency");
  CHECK(faults[0].at("toxic").at("latency") == "300ms");
  CHECK(faults[1].at("at").is_int64());  // numbers keep their Lua type: 40 is an integer
  CHECK(faults[1].at("at").as_int64() == 40);
  CHECK(faults[1].at("toxic").at("type") == "down");
  const auto& http = faults[2].at("http");
  CHECK(http.at("match").at("method") == "POST");
  CHECK(http.at("match").at("path") == "/pay*");
  CHECK(http.at("abort").as_int64() == 503);
  CHECK(http.at("after_upstream") == true);
  CHECK(http.at("probability").as_double() == Approx(0.1));
}

TEST_CASE("drill options: without proxies or faults both are null", "[scenarios][faults]") {
  const drill_options absent = drill("options = { vus = 1 }").read();
  CHECK(absent.proxies.is_null());
  CHECK(absent.faults.is_null());
  const drill_options none = drill("").read();
  CHECK(none.proxies.is_null());
  CHECK(none.faults.is_null());
  // An empty timeline is still an array (an empty Lua table has no shape of its own).
  const drill_options empty = drill("options = { proxies = {}, faults = {} }").read();
  CHECK(empty.proxies.is_object());
  CHECK(empty.proxies.get_object().empty());
  REQUIRE(empty.faults.is_array());
  CHECK(empty.faults.get_array().empty());
}

TEST_CASE("drill options: proxies and faults must be tables", "[scenarios][faults]") {
  CHECK(error_of("options = { proxies = 'db' }") ==
        "drill.lua: options.proxies: expected a table, got \"db\"");
  CHECK(error_of("options = { faults = 5 }") ==
        "drill.lua: options.faults: expected a table, got 5");
  CHECK_THAT(error_of("options = { faults = { first = { at = '1s', proxy = 'db' } } }"),
             Contains("drill.lua: options.faults: expected an array of faults (keys 1..n)"));
  CHECK_THAT(error_of("options = { faults = { [1] = { at = '1s' }, [3] = { at = '2s' } } }"),
             Contains("drill.lua: options.faults: expected an array of faults (keys 1..n)"));
  // What JSON cannot hold is refused with its place.
  CHECK(
      error_of("options = { faults = { { at = '1s', toxic = { latency = function() end } } } }") ==
      "drill.lua: options.faults: value at [1].toxic.latency is a function");
  CHECK(error_of("options = { proxies = { db = { listen = 0/0 } } }") ==
        "drill.lua: options.proxies: value at .db.listen is NaN (not a number), which JSON cannot "
        "represent");
  // The rest of the shape is the fault layer's to check: a wrong field passes through here.
  const drill_options o = drill("options = { faults = { { at = -5, toxik = {} } } }").read();
  REQUIRE(o.faults.is_array());
  CHECK(o.faults.get_array()[0].at("at").as_int64() == -5);
  // A near miss of the option's name is still an unknown option.
  CHECK(error_of("options = { fault = {} }") ==
        "drill.lua: options.fault: unknown field (did you mean faults?)");
}
