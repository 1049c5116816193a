// options.integrity: each checker type takes its own hooks; every bad case names its path.
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
using ordeal::engine::integrity_type;

namespace {

struct drill {
  lua_state state = make_sandboxed_state({});
  lua_State* L = state.get();
  explicit drill(const std::string& code) {
    const std::string all =
        "function default() end\n"
        "local function r() return {} end\n"
        "local function c() return true end\n"
        "options = { integrity = " +
        code + " }";
    INFO(all);
    REQUIRE(luaL_dostring(L, all.c_str()) == LUA_OK);
  }
};

std::vector<integrity_spec> read(const std::string& code) {
  drill d(code);
  return read_drill_options(d.L, "drill.lua").integrity;
}

std::string error_of(const std::string& code) {
  drill d(code);
  try {
    read_drill_options(d.L, "drill.lua");
  } catch (const config_error& e) {
    CHECK(lua_gettop(d.L) == 0);
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("integrity options: every checker type with its hooks", "[scenarios][integrity]") {
  const auto specs = read(
      "{ items = { type = 'set', read = r }, hits = { type = 'counter', read = r },"
      "  money = { type = 'bank', read = r, check = c, every = '1s' },"
      "  ids = { type = 'unique' }, stock = { type = 'invariant', check = c, every = 2 } }");
  REQUIRE(specs.size() == 5);
  // Sorted by name.
  CHECK(specs[0].name == "hits");
  CHECK(specs[0].type == integrity_type::counter);
  CHECK(specs[0].has_read);
  CHECK_FALSE(specs[0].has_check);
  CHECK(specs[1].name == "ids");
  CHECK(specs[1].type == integrity_type::unique);
  CHECK_FALSE(specs[1].has_read);
  CHECK(specs[2].name == "items");
  CHECK(specs[2].type == integrity_type::set);
  CHECK(specs[2].every == 0s);
  CHECK(specs[3].name == "money");
  CHECK(specs[3].type == integrity_type::bank);
  CHECK(specs[3].has_read);
  CHECK(specs[3].has_check);
  CHECK(specs[3].every == 1s);
  CHECK(specs[4].name == "stock");
  CHECK(specs[4].type == integrity_type::invariant);
  CHECK(specs[4].every == 2s);
  // A bank checker without every is judged after the load only.
  CHECK(read("{ m = { type = 'bank', read = r, check = c } }")[0].every == 0s);
}

TEST_CASE("integrity options: bad checkers name their path", "[scenarios][integrity]") {
  SECTION("not a table") {
    CHECK_THAT(error_of("5"), Contains("drill.lua: options.integrity: expected a table, got 5"));
  }
  SECTION("a checker that is not a table") {
    CHECK_THAT(error_of("{ items = 'set' }"),
               Contains("options.integrity.items: expected a table, got \"set\""));
  }
  SECTION("array keys instead of names") {
    CHECK_THAT(error_of("{ { type = 'set', read = r } }"),
               Contains("options.integrity: expected checker names as keys, got the key 1"));
  }
  SECTION("missing type") {
    CHECK_THAT(error_of("{ items = { read = r } }"),
               Contains("options.integrity.items.type: missing (expected one of set, counter, "
                        "bank, unique, invariant)"));
  }
  SECTION("unknown type") {
    CHECK_THAT(error_of("{ items = { type = 'sett', read = r } }"),
               Contains("options.integrity.items.type: unknown checker type \"sett\" (expected "
                        "set, counter, bank, unique, invariant)"));
  }
  SECTION("unknown field, with a suggestion") {
    CHECK_THAT(error_of("{ items = { type = 'set', reed = r } }"),
               Contains("options.integrity.items.reed: unknown field (did you mean read?)"));
  }
  SECTION("set without read") {
    CHECK_THAT(error_of("{ items = { type = 'set' } }"),
               Contains("options.integrity.items.read: missing (a set checker needs read = "
                        "function(...) ... end)"));
  }
  SECTION("counter with a check") {
    CHECK_THAT(error_of("{ hits = { type = 'counter', read = r, check = c } }"),
               Contains("options.integrity.hits.check: not used by a counter checker"));
  }
  SECTION("set with every") {
    CHECK_THAT(error_of("{ items = { type = 'set', read = r, every = '1s' } }"),
               Contains("options.integrity.items.every: not used by a set checker (it takes "
                        "read, judged once the load has ended)"));
  }
  SECTION("bank without check") {
    CHECK_THAT(error_of("{ money = { type = 'bank', read = r } }"),
               Contains("options.integrity.money.check: missing (a bank checker needs check"));
  }
  SECTION("read that is not a function") {
    CHECK_THAT(error_of("{ money = { type = 'bank', read = '/accounts', check = c } }"),
               Contains("options.integrity.money.read: expected a function, got \"/accounts\""));
  }
  SECTION("bad every") {
    CHECK_THAT(error_of("{ money = { type = 'bank', read = r, check = c, every = '0s' } }"),
               Contains("options.integrity.money.every: expected a duration > 0"));
    CHECK_THAT(error_of("{ money = { type = 'bank', read = r, check = c, every = 'often' } }"),
               Contains("options.integrity.money.every:"));
  }
  SECTION("unique with hooks") {
    CHECK_THAT(error_of("{ ids = { type = 'unique', read = r } }"),
               Contains("options.integrity.ids.read: not used by a unique checker (it takes no "
                        "hooks: only the values scripts add)"));
  }
  SECTION("invariant with a read") {
    CHECK_THAT(error_of("{ stock = { type = 'invariant', read = r, check = c } }"),
               Contains("options.integrity.stock.read: not used by an invariant checker"));
  }
  SECTION("invariant without check") {
    CHECK_THAT(error_of("{ stock = { type = 'invariant', every = '1s' } }"),
               Contains("options.integrity.stock.check: missing"));
  }
}
