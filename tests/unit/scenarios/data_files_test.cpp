#include "../../../scenarios/src/data_files.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <lua.hpp>
#include <string>
#include <vector>

#include "../../../scenarios/src/lua_json.hpp"
#include "../../../scenarios/src/lua_sandbox.hpp"

namespace fs = std::filesystem;
using namespace ordeal::scenarios;
using rows = std::vector<std::vector<std::string>>;

namespace {

struct temp_dir {
  fs::path path;
  temp_dir() {
    std::string pattern = (fs::temp_directory_path() / "ordeal-data-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~temp_dir() { fs::remove_all(path); }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name, std::ios::binary) << text;
  }
};

struct data_state {
  temp_dir dir;
  lua_state state = make_sandboxed_state({});
  lua_State* L = state.get();
  data_state() {
    open_json_library(L);
    open_data_library(L, dir.path);
  }
  std::string run(const std::string& code) {
    if (luaL_dostring(L, code.c_str()) == LUA_OK) return "";
    std::string message = lua_tostring(L, -1);
    lua_pop(L, 1);
    const auto at = message.find("]:1: ");
    return at == std::string::npos ? message : message.substr(at + 5);
  }
};

std::size_t csv_error_line(std::string_view text) {
  try {
    parse_csv(text);
  } catch (const data_parse_error& e) {
    return e.line();
  }
  return 0;
}

}  // namespace

TEST_CASE("csv: RFC 4180 fields and records", "[scenarios]") {
  CHECK(parse_csv("a,b,c\n1,2,3\n") == rows{{"a", "b", "c"}, {"1", "2", "3"}});
  CHECK(parse_csv("a,b\r\n1,2\r\n") == rows{{"a", "b"}, {"1", "2"}});
  CHECK(parse_csv("a,b\n1,2") == rows{{"a", "b"}, {"1", "2"}});  // no final line break
  CHECK(parse_csv(R"("x, y","say ""hi""",plain)") == rows{{"x, y", "say \"hi\"", "plain"}});
  CHECK(parse_csv("\"line one\nline two\",b\r\nc,d\n") ==
        rows{{"line one\nline two", "b"}, {"c", "d"}});
  CHECK(parse_csv("\"crlf\r\ninside\"\n") == rows{{"crlf\r\ninside"}});
  CHECK(parse_csv("a,,c\nd,\n,\n") == rows{{"a", "", "c"}, {"d", ""}, {"", ""}});
  CHECK(parse_csv("\"\",\"\"\n") == rows{{"", ""}});
  CHECK(parse_csv("a\n\n\r\nb\n") == rows{{"a"}, {"b"}});          // empty lines skipped
  CHECK(parse_csv("\xEF\xBB\xBFid\n1\n") == rows{{"id"}, {"1"}});  // BOM dropped
  CHECK(parse_csv("a;b,c\n", ';') == rows{{"a", "b,c"}});
  CHECK(parse_csv("a\tb\n", '\t') == rows{{"a", "b"}});
  CHECK(parse_csv("").empty());
  CHECK(parse_csv("lone\rcr\n") == rows{{"lone\rcr"}});  // only CRLF and LF end records
}

TEST_CASE("csv: errors carry the line where they are", "[scenarios]") {
  CHECK(csv_error_line("a,b\nc,d\n\"open,e\n") == 3);
  // Lines inside a quoted field count: the bad record starts on line 4.
  CHECK(csv_error_line("h\n\"multi\nline\"\n\"never closed\n") == 4);
  CHECK(csv_error_line("h\n\"ab\"c\n") == 2);
  try {
    parse_csv("a\nb\n\"x\n");
    FAIL("expected an error");
  } catch (const data_parse_error& e) {
    CHECK(std::string(e.what()) == "line 3: unterminated quoted field");
    CHECK(e.reason() == "unterminated quoted field");
  }
  CHECK_THROWS_WITH(parse_csv("\"ab\"x"),
                    Catch::Matchers::StartsWith("line 1: unexpected character 'x' after a "
                                                "closing quote"));
}

TEST_CASE("json files: read_json_file", "[scenarios]") {
  temp_dir dir;
  dir.write("ok.json", R"({"users": [{"name": "ann"}, {"name": "bob"}]})");
  dir.write("bad.json", "{\n  \"a\": 1,\n  \"b\": ]\n}");
  CHECK(read_json_file(dir.path / "ok.json").at("users").as_array().size() == 2);
  try {
    read_json_file(dir.path / "bad.json");
    FAIL("expected an error");
  } catch (const data_parse_error& e) {
    CHECK(e.line() == 3);
    CHECK(e.column() == 8);
    CHECK(e.reason() == "syntax error");
  }
  CHECK_THROWS_WITH(
      read_json_file(dir.path / "missing.json"),
      "cannot open " + (dir.path / "missing.json").string() + ": No such file or directory");
  CHECK_THROWS_WITH(read_json_file(dir.path), Catch::Matchers::EndsWith("Is a directory"));
}

TEST_CASE("open_json and open_csv read files next to the drill", "[scenarios]") {
  data_state s;
  s.dir.write("users.json", R"({"users": [{"name": "ann", "age": 31}], "empty": []})");
  s.dir.write("users.csv", "name,city\r\nann,\"Paris, FR\"\r\nbob,\"New\nYork\"\r\n");
  s.dir.write("semi.csv", "a;b\n1;2\n");
  CHECK(s.run(R"(
    local data = open_json("users.json")
    assert(data.users[1].name == "ann" and math.type(data.users[1].age) == "integer")
    assert(json.encode(data.empty) == "[]")
    local users = open_csv("users.csv")
    assert(#users == 2)
    assert(users[1].name == "ann" and users[1].city == "Paris, FR")
    assert(users[2].city == "New\nYork")
    local raw = open_csv("users.csv", {header = false})
    assert(#raw == 3 and raw[1][1] == "name" and raw[3][2] == "New\nYork")
    local semi = open_csv("semi.csv", {separator = ";"})
    assert(semi[1].a == "1" and semi[1].b == "2")
  )") == "");
}

TEST_CASE("open_json and open_csv errors name the file and the line", "[scenarios]") {
  data_state s;
  s.dir.write("ragged.csv", "id,name,city\n1,ann,paris\n2,bob\n");
  s.dir.write("open.csv", "id\n1\n\"2\n");
  s.dir.write("dup.csv", "id,id\n1,2\n");
  s.dir.write("bad.json", "[1,\n2,,]");
  const std::string full = (s.dir.path / "nope.csv").lexically_normal().string();
  CHECK(s.run("open_csv('nope.csv')") ==
        "open_csv(\"nope.csv\"): cannot open " + full + ": No such file or directory");
  CHECK(s.run("open_csv('open.csv')") == "open_csv(\"open.csv\"):3: unterminated quoted field");
  CHECK(s.run("open_csv('ragged.csv')") ==
        "open_csv(\"ragged.csv\"):3: the record has 2 fields but the header has 3 columns");
  CHECK(s.run("open_csv('ragged.csv', {header = false})") == "");  // no header: ragged is fine
  CHECK(s.run("open_csv('dup.csv')") == "open_csv(\"dup.csv\"):1: duplicate column name \"id\"");
  CHECK(s.run("open_json('bad.json')") == "open_json(\"bad.json\"):2:3: syntax error");
  CHECK_THAT(s.run("open_json('nope.json')"),
             Catch::Matchers::StartsWith("open_json(\"nope.json\"): cannot open /"));
  CHECK_THAT(s.run("open_csv('ragged.csv', {separator = ';;'})"),
             Catch::Matchers::Contains("separator must be one character"));
  CHECK_THAT(s.run("open_csv('ragged.csv', {headers = true})"),
             Catch::Matchers::Contains("unknown option headers (expected header, separator)"));
  // The message carries the script position for the traceback.
  lua_settop(s.L, 0);
  REQUIRE(luaL_dostring(s.L, "\nopen_csv('open.csv')") != LUA_OK);
  CHECK_THAT(lua_tostring(s.L, -1), Catch::Matchers::StartsWith("[string \"...\"]:2: open_csv"));
}
