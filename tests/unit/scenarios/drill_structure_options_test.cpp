// options.steady_state, options.actions, options.rollbacks and options.allow_hosts: what they
// accept, and every bad case named by its path.
#include <catch2/catch.hpp>
#include <lua.hpp>
#include <string>

#include "../../../scenarios/src/lua_sandbox.hpp"
#include "ordeal/engine/config_error.hpp"
#include "ordeal/scenarios/drill.hpp"

using namespace ordeal::scenarios;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using ordeal::engine::config_error;

namespace {

struct drill {
  lua_state state = make_sandboxed_state({});
  lua_State* L = state.get();
  explicit drill(const std::string& fields) {
    const std::string all =
        "function default() end\n"
        "local function p() return 200 end\n"
        "options = { " +
        fields + " }";
    INFO(all);
    REQUIRE(luaL_dostring(L, all.c_str()) == LUA_OK);
  }
};

drill_options read(const std::string& fields) {
  drill d(fields);
  return read_drill_options(d.L, "drill.lua");
}

std::string error_of(const std::string& fields) {
  drill d(fields);
  try {
    read_drill_options(d.L, "drill.lua");
  } catch (const config_error& e) {
    CHECK(lua_gettop(d.L) == 0);
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("drill structure: steady-state probes and their tolerances", "[scenarios]") {
  const auto o = read(R"(steady_state = { within = "30s", interval = "250ms", probes = {
      { name = "health", probe = p, tolerance = 200 },
      { probe = p, tolerance = { 0, 300 } },
      { name = "fn", probe = p, tolerance = function(v) return v > 1 end },
      { name = "text", probe = p, tolerance = "ok" },
      { name = "table", probe = p, tolerance = { status = "ok" } },
  } })");
  REQUIRE(o.steady_state);
  const auto& s = *o.steady_state;
  CHECK(s.within == 30s);
  CHECK(s.interval == 250ms);
  CHECK(s.timeout == 10s);
  REQUIRE(s.probes.size() == 5);
  CHECK(s.probes[0].name == "health");
  CHECK(s.probes[0].kind == probe_spec::tolerance_kind::equal);
  CHECK(s.probes[0].tolerance_text == "200");
  CHECK(s.probes[1].name == "probe 2");
  CHECK(s.probes[1].kind == probe_spec::tolerance_kind::range);
  CHECK(s.probes[1].min == 0);
  CHECK(s.probes[1].max == 300);
  CHECK(s.probes[1].tolerance_text == "[0, 300]");
  CHECK(s.probes[2].kind == probe_spec::tolerance_kind::function);
  CHECK(s.probes[3].tolerance_text == "\"ok\"");
  CHECK(s.probes[4].kind == probe_spec::tolerance_kind::equal);
  CHECK(s.probes[4].tolerance_text == "{\"status\":\"ok\"}");
  CHECK_FALSE(read("").steady_state);
}

TEST_CASE("drill structure: bad steady states name the field", "[scenarios]") {
  CHECK_THAT(error_of("steady_state = {}"),
             Contains("drill.lua: options.steady_state.probes: missing"));
  CHECK_THAT(error_of("steady_state = { probes = { { tolerance = 1 } } }"),
             Contains("options.steady_state.probes[1].probe: missing"));
  CHECK_THAT(error_of("steady_state = { probes = { { probe = 3, tolerance = 1 } } }"),
             Contains("options.steady_state.probes[1].probe: expected a function, got 3"));
  CHECK_THAT(error_of("steady_state = { probes = { { probe = p } } }"),
             Contains("options.steady_state.probes[1].tolerance: missing"));
  CHECK_THAT(error_of("steady_state = { probes = { { probe = p, tolerance = { 5, 1 } } } }"),
             Contains("minimum is above its maximum"));
  CHECK_THAT(
      error_of("steady_state = { probes = { { probe = p, tolerance = 1, tolerence = 2 } } }"),
      Contains("options.steady_state.probes[1].tolerence: unknown field (did you mean "
               "tolerance?)"));
  CHECK_THAT(
      error_of("steady_state = { within = \"soon\", probes = { { probe = p, tolerance = 1 } } }"),
      Contains("options.steady_state.within"));
}

TEST_CASE("drill structure: actions sorted by time, rollbacks in order", "[scenarios]") {
  const auto o = read(R"(
    actions = {
      { name = "restart", at = "20s", http = { url = "/admin/restart", expect = 202 } },
      { name = "kill", at = "5s", exec = { "pkill", "-f", "payments" }, timeout = "3s" },
      { at = 7, http = { method = "delete", url = "http://127.0.0.1:9/x",
                         headers = { ["X-Why"] = "drill" }, body = { reason = "game day" } } },
    },
    rollbacks = { { name = "undo", exec = "scripts/demo start" }, { http = { url = "/reset" } } },
  )");
  REQUIRE(o.actions.size() == 3);
  CHECK(o.actions[0].name == "kill");
  CHECK(o.actions[0].at == 5s);
  CHECK(o.actions[0].exec == std::vector<std::string>{"pkill", "-f", "payments"});
  CHECK(o.actions[0].timeout == 3s);
  CHECK(o.actions[1].name == "action 3");
  CHECK(o.actions[1].method == "DELETE");
  CHECK(o.actions[1].body == "{\"reason\":\"game day\"}");
  CHECK(o.actions[1].headers.size() == 2);  // X-Why and the JSON body's Content-Type
  CHECK(o.actions[2].name == "restart");
  CHECK(o.actions[2].method == "POST");
  CHECK(o.actions[2].expect == 202);
  REQUIRE(o.rollbacks.size() == 2);
  CHECK(o.rollbacks[0].exec == std::vector<std::string>{"/bin/sh", "-c", "scripts/demo start"});
  CHECK(o.rollbacks[1].name == "rollback 2");
  CHECK(o.rollbacks[1].url == "/reset");
  // A content type the drill gives is kept: a table body does not add a second one.
  const auto typed = read(R"(actions = { { at = 1, http = { url = "/x", body = { a = 1 },
      headers = { ["content-type"] = "application/merge-patch+json" } } } })");
  REQUIRE(typed.actions.at(0).headers.size() == 1);
  CHECK(typed.actions[0].headers[0].second == "application/merge-patch+json");
}

TEST_CASE("drill structure: bad actions name the field", "[scenarios]") {
  CHECK_THAT(error_of("actions = { { exec = 'true' } }"),
             Contains("options.actions[1].at: missing"));
  CHECK_THAT(error_of("actions = { { at = '1s' } }"),
             Contains("options.actions[1]: expected exec = \"command\""));
  CHECK_THAT(error_of("actions = { { at = '1s', exec = 'true', http = { url = '/' } } }"),
             Contains("both exec and http are given"));
  CHECK_THAT(error_of("actions = { { at = '1s', http = { url = 'ftp://x' } } }"),
             Contains("options.actions[1].http.url: \"ftp://x\" is neither"));
  CHECK_THAT(error_of("actions = { { at = '1s', http = { url = '/', expect = 700 } } }"),
             Contains("options.actions[1].http.expect"));
  CHECK_THAT(error_of("actions = { { at = '1s', exec = {} } }"),
             Contains("options.actions[1].exec"));
  CHECK_THAT(error_of("rollbacks = { { at = '1s', exec = 'true' } }"),
             Contains("options.rollbacks[1].at: rollbacks have no time"));
  CHECK_THAT(error_of("actions = { { at = -1, exec = 'true' } }"),
             Contains("options.actions[1].at"));
}

TEST_CASE("drill structure: allow_hosts defaults to the loopback", "[scenarios]") {
  CHECK(read("").allow_hosts == std::vector<std::string>{"localhost", "127.0.0.0/8", "::1"});
  CHECK(read("allow_hosts = { 'staging.example.com', '10.0.0.0/8' }").allow_hosts ==
        std::vector<std::string>{"staging.example.com", "10.0.0.0/8"});
  CHECK(read("allowHosts = '*'").allow_hosts == std::vector<std::string>{"*"});
  CHECK_THAT(error_of("allow_hosts = { '10.0.0.0/33' }"),
             Contains("options.allow_hosts[1]: \"10.0.0.0/33\" has a prefix length"));
  CHECK_THAT(error_of("allow_hosts = { 'a.*.com' }"),
             Contains("options.allow_hosts[1]: \"a.*.com\": a wildcard may only lead"));
  CHECK_THAT(error_of("allow_hosts = { 3 }"), Contains("options.allow_hosts[1]: expected"));
}
