#include "../../../scenarios/src/lua_sandbox.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <lua.hpp>
#include <string>

namespace fs = std::filesystem;
using namespace ordeal::scenarios;

namespace {

// A fresh folder under the system temp dir, removed at the end of the test.
struct temp_dir {
  fs::path path;
  temp_dir() {
    std::string pattern = (fs::temp_directory_path() / "ordeal-sandbox-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~temp_dir() { fs::remove_all(path); }
};

void write_file(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

// Runs `code` in protected mode: "" on success, else the error message.
std::string run(lua_State* L, const std::string& code) {
  if (luaL_dostring(L, code.c_str()) == LUA_OK) return "";
  std::string message = lua_tostring(L, -1);
  lua_pop(L, 1);
  return message;
}

// Resumes a new coroutine running the global function `name` until it errors or finishes.
int resume_function(lua_State* L, const char* name, std::string& error) {
  lua_State* co = lua_newthread(L);
  lua_getglobal(co, name);
  reset_instruction_budget(co);
  int results = 0;
  const int status = lua_resume(co, L, 0, &results);
  if (status != LUA_OK && status != LUA_YIELD) error = lua_tostring(co, -1);
  lua_pop(L, 1);
  return status;
}

}  // namespace

TEST_CASE("sandbox: disabled functions raise a message naming them", "[scenarios]") {
  lua_state state = make_sandboxed_state({});
  lua_State* L = state.get();
  CHECK_THAT(run(L, "os.execute('true')"),
             Catch::Matchers::EndsWith("os.execute is disabled in drill files (use --allow-exec)"));
  for (const char* name : {"os.exit", "os.remove", "os.rename", "os.tmpname", "os.setlocale",
                           "io.popen", "io.output", "io.tmpfile", "package.loadlib"}) {
    INFO(name);
    CHECK_THAT(run(L, std::string(name) + "('x')"),
               Catch::Matchers::Contains(std::string(name) + " is disabled in drill files"));
  }
  // The error points at the script line that called it.
  CHECK_THAT(run(L, "\n\nos.remove('x')"), Catch::Matchers::StartsWith("[string \"...\"]:3:"));
  CHECK(run(L, "assert(debug == nil)") == "");
  CHECK(run(L, "assert(#package.searchers == 2 and package.cpath == '')") == "");
}

TEST_CASE("sandbox: io.open reads but refuses to write", "[scenarios]") {
  temp_dir dir;
  write_file(dir.path / "in.txt", "hello");
  lua_state state = make_sandboxed_state({.allow_exec = false, .base_dir = dir.path});
  lua_State* L = state.get();
  const std::string in = (dir.path / "in.txt").string();
  const std::string out = (dir.path / "out.txt").string();
  CHECK(run(L, "local f = assert(io.open('" + in +
                   "')) assert(f:read('a') == 'hello') f:close()") == "");
  CHECK(run(L, "local f = assert(io.open('" + in + "', 'rb')) assert(f:read(2) == 'he')") == "");
  CHECK_THAT(run(L, "io.open('" + out + "', 'w')"),
             Catch::Matchers::EndsWith("io.open(..., \"w\"): file writes are disabled in drill "
                                       "files (use --allow-exec)"));
  CHECK_THAT(run(L, "io.open('" + out + "', 'a')"), Catch::Matchers::Contains("\"a\""));
  CHECK_THAT(run(L, "io.open('" + in + "', 'r+')"), Catch::Matchers::Contains("file writes"));
  CHECK_FALSE(fs::exists(out));
  // A missing file still gives Lua's usual nil, message.
  CHECK(run(L, "local f, err = io.open('" + out + "') assert(f == nil and err:find('No such'))") ==
        "");
}

TEST_CASE("sandbox: allow_exec lifts the restrictions", "[scenarios]") {
  temp_dir dir;
  lua_state state = make_sandboxed_state({.allow_exec = true, .base_dir = dir.path});
  lua_State* L = state.get();
  const std::string out = (dir.path / "out.txt").string();
  CHECK(run(L, "local f = assert(io.open('" + out + "', 'w')) f:write('x') f:close()") == "");
  CHECK(fs::exists(out));
  CHECK(run(L, "assert(os.remove('" + out + "'))") == "");
  CHECK_FALSE(fs::exists(out));
  CHECK(run(L, "assert(os.execute() == true)") == "");  // a shell is available
  CHECK(run(L, "assert(#package.searchers == 4 and type(package.loadlib) == 'function')") == "");
}

TEST_CASE("sandbox: require finds pure Lua modules in the drill's folder only", "[scenarios]") {
  temp_dir dir;
  write_file(dir.path / "helpers.lua", "return { value = 42 }");
  write_file(dir.path / "lib" / "init.lua", "return { name = 'lib' }");
  lua_state state = make_sandboxed_state({.allow_exec = false, .base_dir = dir.path});
  lua_State* L = state.get();
  CHECK(run(L, "assert(require('helpers').value == 42)") == "");
  CHECK(run(L, "assert(require('lib').name == 'lib')") == "");
  CHECK(run(L, "assert(package.path == '" + dir.path.string() + "/?.lua;" + dir.path.string() +
                   "/?/init.lua')") == "");
  CHECK_THAT(run(L, "require('nonexistent_module')"),
             Catch::Matchers::Contains("module 'nonexistent_module' not found"));
}

TEST_CASE("sandbox: the instruction limit stops endless loops, not long ones", "[scenarios]") {
  lua_state state = make_sandboxed_state({});
  lua_State* L = state.get();
  set_instruction_limit(L, 10'000'000);
  REQUIRE(run(L, R"(
    function endless() while true do end end
    function long() local x = 0 for i = 1, 1e6 do x = x + i end coroutine.yield(x) end
    function swallowing() while true do pcall(function() while true do end end) end end
    function nested()
      local co = coroutine.create(function() while true do end end)
      return coroutine.resume(co)
    end
  )") == "");

  // Coroutines made by lua_newthread carry the main state's hook (Lua 5.4 copies it).
  lua_State* co = lua_newthread(L);
  CHECK(lua_gethook(co) == lua_gethook(L));
  CHECK(lua_gethookmask(co) == LUA_MASKCOUNT);
  lua_pop(L, 1);

  std::string error;
  CHECK(resume_function(L, "endless", error) == LUA_ERRRUN);
  CHECK_THAT(error, Catch::Matchers::EndsWith("script ran more than 10000000 instructions without "
                                              "yielding (an endless loop?)"));
  CHECK_THAT(error, Catch::Matchers::StartsWith("[string \"...\"]:2:"));  // the loop's line

  error.clear();
  CHECK(resume_function(L, "long", error) == LUA_YIELD);
  CHECK(error.empty());

  // pcall cannot keep a runaway loop alive: once over budget every instruction checks.
  error.clear();
  CHECK(resume_function(L, "swallowing", error) == LUA_ERRRUN);
  CHECK_THAT(error, Catch::Matchers::Contains("without yielding"));

  // A coroutine created by the script itself is guarded too.
  reset_instruction_budget(L);
  REQUIRE(run(L, "local ok, err = nested() assert(not ok) assert(err:find('endless loop'))") == "");
}

TEST_CASE("sandbox: the budget is per resume and per state", "[scenarios]") {
  lua_state guarded = make_sandboxed_state({});
  lua_State* L = guarded.get();
  set_instruction_limit(L, 1'000'000);
  REQUIRE(run(L,
              "function step() for round = 1, 3 do local x = 0 for i = 1, 300000 do x = x + "
              "i end coroutine.yield() end end") == "");

  const auto rounds_completed = [&](bool reset_each_time) {
    lua_State* co = lua_newthread(L);
    lua_getglobal(co, "step");
    reset_instruction_budget(co);
    int rounds = 0;
    for (int i = 0; i < 3; ++i) {
      if (reset_each_time) reset_instruction_budget(co);
      int results = 0;
      if (lua_resume(co, L, 0, &results) != LUA_YIELD) break;
      lua_pop(co, results);
      ++rounds;
    }
    lua_pop(L, 1);
    return rounds;
  };
  // Each round runs about 600k instructions (2 per iteration): under the limit alone, over it
  // when two are summed.
  CHECK(rounds_completed(true) == 3);
  CHECK(rounds_completed(false) == 1);

  // Another state, unguarded, runs the same work at once without interference.
  lua_state free_state = make_sandboxed_state({});
  CHECK(run(free_state.get(), "local x = 0 for i = 1, 3e6 do x = x + i end") == "");

  // 0 removes the guard.
  set_instruction_limit(L, 0);
  CHECK(run(L, "local x = 0 for i = 1, 3e6 do x = x + i end") == "");
}

TEST_CASE("sandbox: precompiled bytecode is refused everywhere code is loaded", "[scenarios]") {
  temp_dir tmp;
  const fs::path dir = tmp.path;
  lua_state state = make_sandboxed_state({.allow_exec = false, .base_dir = dir});
  lua_State* L = state.get();
  // Lua does not verify bytecode: a crafted chunk could crash the process.
  CHECK_THAT(run(L, "assert(load(string.dump(function() return 1 end), 'x', 'b'))"),
             Catch::Matchers::Contains("attempt to load a binary chunk"));
  CHECK(run(L, "assert(load('return 1')() == 1)") == "");
  CHECK(run(L,
            "local env = {} assert(load('x = 1', 'c', 't', env)) () ; "
            "f = load('x = 2', 'c', 'bt', env) f() assert(env.x == 2 and x == nil)") == "");
  {
    std::string binary;
    luaL_dostring(L, "return string.dump(function() return 7 end)");
    std::size_t size = 0;
    const char* bytes = lua_tolstring(L, -1, &size);  // bytecode holds NUL bytes
    binary.assign(bytes, size);
    lua_pop(L, 1);
    std::ofstream((dir / "compiled.lua").string(), std::ios::binary) << binary;
  }
  const std::string path = (dir / "compiled.lua").string();
  CHECK_THAT(run(L, "assert(loadfile('" + path + "'))"), Catch::Matchers::Contains("binary chunk"));
  CHECK_THAT(run(L, "dofile('" + path + "')"), Catch::Matchers::Contains("binary chunk"));
  CHECK_THAT(run(L, "require('compiled')"), Catch::Matchers::Contains("binary chunk"));
}
