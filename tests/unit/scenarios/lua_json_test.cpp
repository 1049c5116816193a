#include "../../../scenarios/src/lua_json.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <lua.hpp>
#include <string>

#include "../../../scenarios/src/lua_sandbox.hpp"

using namespace ordeal::scenarios;

namespace {

struct json_state {
  lua_state state = make_sandboxed_state({});
  lua_State* L = state.get();
  json_state() { open_json_library(L); }

  // Evaluates a Lua expression; returns its string result or the error message.
  std::string eval(const std::string& expression) {
    const std::string code = "return " + expression;
    if (luaL_dostring(L, code.c_str()) != LUA_OK) {
      std::string message = lua_tostring(L, -1);
      lua_pop(L, 1);
      return "error: " + message;
    }
    std::string result = luaL_tolstring(L, -1, nullptr);
    lua_pop(L, 2);
    return result;
  }
  // The error message of a statement without the chunk position.
  std::string error_of(const std::string& code) {
    if (luaL_dostring(L, code.c_str()) == LUA_OK) return "(no error)";
    std::string message = lua_tostring(L, -1);
    lua_pop(L, 1);
    const auto at = message.find("]:1: ");
    return at == std::string::npos ? message : message.substr(at + 5);
  }
};

}  // namespace

TEST_CASE("json: decode then encode gives the same text", "[scenarios]") {
  json_state s;
  for (const std::string text :
       {R"({"a":[1,2.5,"x",true,false,null],"b":{},"c":[],"d":{"e":[[]]}})", R"([])", R"({})",
        R"("t\"e\\x\n\u0001")", R"(-17)", R"(1.0)", R"(1e+300)", R"([{"k":-0.5}])"}) {
    INFO(text);
    lua_pushlstring(s.L, text.data(), text.size());
    lua_setglobal(s.L, "text");
    CHECK(s.eval("json.encode(json.decode(text))") == text);
  }
}

TEST_CASE("json: integers, floats, null and strings keep their type", "[scenarios]") {
  json_state s;
  CHECK(s.eval("math.type(json.decode('3'))") == "integer");
  CHECK(s.eval("math.type(json.decode('3.0'))") == "float");
  CHECK(s.eval("math.type(json.decode('1e2'))") == "float");
  CHECK(s.eval("json.encode(3)") == "3");
  CHECK(s.eval("json.encode(3.0)") == "3.0");
  CHECK(s.eval("json.encode(0.1)") == "0.1");
  CHECK(s.eval("json.encode(math.mininteger)") == "-9223372036854775808");
  CHECK(s.eval("json.decode('18446744073709551615') == 2^64") == "true");  // past int64: a float
  CHECK(s.eval("json.decode('null') == json.null") == "true");
  CHECK(s.eval("json.decode('[1,null,3]')[2] == json.null") == "true");
  CHECK(s.eval("#json.decode('[1,null,3]')") == "3");
  CHECK(s.eval("json.encode({a = json.null})") == R"({"a":null})");
  CHECK(s.eval("json.encode(nil)") == "null");
  CHECK(s.eval(R"(json.decode([["\u00e9\ud83d\ude00"]]))") == "\xC3\xA9\xF0\x9F\x98\x80");
  CHECK(s.eval(R"(json.encode("caf\xC3\xA9\t"))") == "\"caf\xC3\xA9\\t\"");
}

TEST_CASE("json: tables become arrays or objects by their keys", "[scenarios]") {
  json_state s;
  CHECK(s.eval("json.encode({1, 2, 3})") == "[1,2,3]");
  CHECK(s.eval("json.encode({})") == "{}");
  CHECK(s.eval("json.encode(json.array())") == "[]");
  CHECK(s.eval("json.encode(json.array({}))") == "[]");
  CHECK(s.eval("json.encode(json.array({'x'}))") == R"(["x"])");
  // Keys sorted: the same table always gives the same text.
  CHECK(s.eval("json.encode({zeta = 1, alpha = 2, mid = {b = 1, a = 2}})") ==
        R"({"alpha":2,"mid":{"a":2,"b":1},"zeta":1})");
  // Integer keys that are not 1..n are written as strings.
  CHECK(s.eval("json.encode({[1] = 'a', [3] = 'c'})") == R"({"1":"a","3":"c"})");
  CHECK(s.eval("json.encode({[0] = 'z', [1] = 'a'})") == R"({"0":"z","1":"a"})");
  CHECK(s.eval("json.encode({1, 2, x = 3})") == R"({"1":1,"2":2,"x":3})");
  // A table reached twice without a cycle is fine.
  CHECK(s.eval("(function() local t = {1} return json.encode({a = t, b = t}) end)()") ==
        R"({"a":[1],"b":[1]})");
  CHECK(s.eval("json.encode({a = {1, 2}}, {indent = true})") ==
        "{\n  \"a\": [\n    1,\n    2\n  ]\n}");
  CHECK(s.eval("json.encode({a = 1, b = {}}, {indent = 4})") ==
        "{\n    \"a\": 1,\n    \"b\": {}\n}");
  // Decoded arrays carry the marker: an empty one stays an array.
  CHECK(s.eval("json.encode(json.decode('{\"list\":[]}'))") == R"({"list":[]})");
}

TEST_CASE("json: encode errors name the place and the problem", "[scenarios]") {
  json_state s;
  CHECK(s.error_of("json.encode({user = {tags = {'a', 'b', print}}})") ==
        "json.encode: value at .user.tags[3] is a function");
  CHECK(s.error_of("json.encode(print)") == "json.encode: value is a function");
  CHECK(s.error_of("local t = {} t.self = t json.encode({root = t})") ==
        "json.encode: value at .root.self is a table that contains itself (a cycle)");
  CHECK(s.error_of("json.encode({[true] = 1})") ==
        "json.encode: value has a boolean key (JSON keys must be strings or integers)");
  CHECK(s.error_of("json.encode({a = {[1.5] = 1}})") ==
        "json.encode: value at .a has a non-integer number key (JSON keys must be strings or "
        "integers)");
  CHECK(s.error_of("json.encode({x = 0/0})") ==
        "json.encode: value at .x is NaN (not a number), which JSON cannot represent");
  CHECK(s.error_of("json.encode({['my key'] = {-math.huge}})") ==
        "json.encode: value at [\"my key\"][1] is infinite, which JSON cannot represent");
  CHECK(s.error_of("json.encode(coroutine.create(print))") == "json.encode: value is a thread");
  CHECK(s.error_of("json.encode({s = '\\xff'})") ==
        "json.encode: value at .s is a string that is not valid UTF-8");
  CHECK(s.error_of("json.encode({[1] = 'a', ['1'] = 'b'})") ==
        "json.encode: value has both 1 and \"1\" as keys, which are the same JSON key");
  CHECK(s.error_of("json.encode(json.array({a = 1}))") ==
        "json.encode: value is marked as a JSON array (json.array) but its keys are not exactly "
        "1..n");
  CHECK_THAT(s.error_of("json.encode(1, {pretty = true})"),
             Catch::Matchers::Contains("unknown option pretty (expected indent)"));

  const std::string nest = "local t = 1 for i = 1, %d do t = {t} end return json.encode(t)";
  char code[128];
  std::snprintf(code, sizeof code, nest.c_str(), 100);
  CHECK(s.error_of(code) == "(no error)");
  std::snprintf(code, sizeof code, nest.c_str(), 101);
  CHECK_THAT(s.error_of(code), Catch::Matchers::EndsWith("is nested more than 100 levels deep"));
  // The error comes with the script position.
  CHECK_THAT(s.eval("json.encode(print)"), Catch::Matchers::StartsWith("error: [string"));
}

TEST_CASE("json: decode errors give boost's message and the offset", "[scenarios]") {
  json_state s;
  CHECK(s.error_of(R"(json.decode('{"a":1,}'))") == "json.decode: syntax error at offset 7");
  CHECK(s.error_of("json.decode('[1,2')") == "json.decode: incomplete JSON at offset 4");
  CHECK(s.error_of("json.decode('[1] 2')") == "json.decode: extra data at offset 4");
  CHECK(s.error_of("json.decode('')") == "json.decode: incomplete JSON at offset 0");
  CHECK_THAT(
      s.error_of("json.decode(string.rep('[', 101) .. string.rep(']', 101))"),
      Catch::Matchers::StartsWith("json.decode: ") && Catch::Matchers::Contains("at offset 100"));
  CHECK(s.error_of("json.decode(string.rep('[', 100) .. string.rep(']', 100))") == "(no error)");
  CHECK_THAT(s.error_of("json.decode({})"), Catch::Matchers::Contains("bad argument #1"));
}

TEST_CASE("json: the C++ entry points", "[scenarios]") {
  json_state s;
  const boost::json::value v = boost::json::parse(R"({"n":[1,2.5,null,"x"],"o":{"k":true}})");
  push_json(s.L, v);
  CHECK(convert_to_json(s.L, -1) == v);
  lua_pop(s.L, 1);
  CHECK(lua_gettop(s.L) == 0);

  lua_getglobal(s.L, "print");
  CHECK_THROWS_AS(convert_to_json(s.L, -1), json_encode_error);
  CHECK(lua_gettop(s.L) == 1);  // the stack is left as it was
  lua_pop(s.L, 1);

  push_json_null(s.L);
  CHECK(is_json_null(s.L, -1));
  lua_pop(s.L, 1);
  CHECK(serialize_json(boost::json::value(2.0)) == "2.0");
  CHECK(serialize_json(boost::json::value(-0.0)) == "-0.0");
  CHECK(serialize_json(boost::json::value(1e21)) == "1e+21");
  CHECK(serialize_json(boost::json::parse(R"({"a":[]})"), 2) == "{\n  \"a\": []\n}");
}
