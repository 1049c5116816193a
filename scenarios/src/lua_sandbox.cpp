#include "lua_sandbox.hpp"

#include <algorithm>
#include <cstring>
#include <lua.hpp>
#include <new>
#include <string>

namespace ordeal::scenarios {
namespace {

// Registry key of the instruction budget (its address is the key: unique per process, and the
// value lives in each state's own registry).
constexpr char budget_key = 0;

// How often the count hook runs: rare enough to cost nothing measurable, often enough that a
// runaway loop is caught within a few milliseconds of crossing its limit.
constexpr std::uint64_t hook_every_instructions = 10'000;

struct instruction_budget {
  std::uint64_t limit = 0;  // instructions per resume / pcall
  std::uint64_t used = 0;   // since the last reset_instruction_budget
  int step = 0;             // instructions between hook calls
};

instruction_budget* find_budget(lua_State* L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &budget_key);
  auto* budget = static_cast<instruction_budget*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  return budget;
}

void count_hook(lua_State* L, lua_Debug*) {
  instruction_budget* budget = find_budget(L);
  if (budget == nullptr || budget->limit == 0) return;
  budget->used += static_cast<std::uint64_t>(lua_gethookcount(L));
  if (budget->used <= budget->limit) {
    // This thread tripped in an earlier resume (see below): back to the normal pace.
    if (lua_gethookcount(L) != budget->step)
      lua_sethook(L, count_hook, LUA_MASKCOUNT, budget->step);
    return;
  }
  // Over budget: from now on check every instruction of this thread, so a script that catches
  // the error with pcall in a loop is stopped at its next instruction outside the pcall.
  if (lua_gethookcount(L) != 1) lua_sethook(L, count_hook, LUA_MASKCOUNT, 1);
  // Level 0 is the Lua function that was running: point the message at the loop itself.
  luaL_where(L, 0);
  lua_pushfstring(L, "script ran more than %I instructions without yielding (an endless loop?)",
                  static_cast<lua_Integer>(std::min<std::uint64_t>(budget->limit, LUA_MAXINTEGER)));
  lua_concat(L, 2);
  lua_error(L);
}

int disabled_function(lua_State* L) {
  return luaL_error(L, "%s is disabled in drill files (use --allow-exec)",
                    lua_tostring(L, lua_upvalueindex(1)));
}

// Replaces field `name` of the table at the top with a function raising a clear error: a nil
// would only say "attempt to call a nil value".
void disable(lua_State* L, const char* library, const char* name) {
  lua_pushfstring(L, "%s.%s", library, name);
  lua_pushcclosure(L, disabled_function, 1);
  lua_setfield(L, -2, name);
}

// io.open for reading only; upvalue 1 is the real io.open.
int read_only_open(lua_State* L) {
  luaL_checkstring(L, 1);
  const char* mode = luaL_optstring(L, 2, "r");
  if (std::strcmp(mode, "r") != 0 && std::strcmp(mode, "rb") != 0) {
    return luaL_error(L,
                      "io.open(..., \"%s\"): file writes are disabled in drill files (use "
                      "--allow-exec)",
                      mode);
  }
  lua_settop(L, 2);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, 2, LUA_MULTRET);
  return lua_gettop(L);
}

void open_library(lua_State* L, const char* name, lua_CFunction open) {
  luaL_requiref(L, name, open, 1);
  lua_pop(L, 1);
}

void restrict_os_and_io(lua_State* L) {
  lua_getglobal(L, LUA_OSLIBNAME);
  for (const char* name : {"execute", "exit", "remove", "rename", "tmpname", "setlocale"}) {
    disable(L, LUA_OSLIBNAME, name);
  }
  lua_pop(L, 1);

  lua_getglobal(L, LUA_IOLIBNAME);
  // io.output would redirect io.write to a file; io.tmpfile creates one.
  for (const char* name : {"popen", "output", "tmpfile"})
    disable(L, LUA_IOLIBNAME, name);
  lua_getfield(L, -1, "open");
  lua_pushcclosure(L, read_only_open, 1);
  lua_setfield(L, -2, "open");
  lua_pop(L, 1);
}

void set_module_paths(lua_State* L, const sandbox_options& options) {
  const std::string base =
      options.base_dir.empty() ? std::string(".") : options.base_dir.generic_string();
  lua_getglobal(L, LUA_LOADLIBNAME);
  const std::string path = base + "/?.lua;" + base + "/?/init.lua";
  lua_pushlstring(L, path.data(), path.size());
  lua_setfield(L, -2, "path");
  if (options.allow_exec) {
    lua_getfield(L, -1, "cpath");
    lua_pushfstring(L, "%s/?.so;%s", base.c_str(), lua_tostring(L, -1));
    lua_setfield(L, -3, "cpath");
    lua_pop(L, 1);
  } else {
    lua_pushliteral(L, "");
    lua_setfield(L, -2, "cpath");
    disable(L, LUA_LOADLIBNAME, "loadlib");
    // Searchers 3 and 4 load C libraries (and the all-in-one C loader); 1 (preload) and
    // 2 (Lua files on package.path) stay.
    lua_getfield(L, -1, "searchers");
    lua_pushnil(L);
    lua_rawseti(L, -2, 4);
    lua_pushnil(L);
    lua_rawseti(L, -2, 3);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

}  // namespace

void lua_state_closer::operator()(lua_State* L) const noexcept {
  lua_close(L);
}

// Lua does not verify precompiled bytecode: a crafted binary chunk can crash the process. Every
// way a drill loads code (load, loadfile, dofile, require) takes source text only.
constexpr const char* text_only = R"lua(
local load_, loadfile_, searchpath = load, loadfile, package.searchpath
function load(chunk, name, mode, ...)
  if select("#", ...) > 0 then return load_(chunk, name, "t", ...) end
  return load_(chunk, name, "t")
end
function loadfile(file, mode, ...)
  if select("#", ...) > 0 then return loadfile_(file, "t", ...) end
  return loadfile_(file, "t")
end
function dofile(file)
  local f, err = loadfile_(file, "t")
  if not f then error(err, 2) end
  return f()
end
package.searchers[2] = function(name)
  local path, err = searchpath(name, package.path)
  if not path then return "\n\t" .. err end
  local f, load_err = loadfile_(path, "t")
  if not f then
    error(string.format("error loading module '%s' from file '%s':\n\t%s", name, path, load_err), 2)
  end
  return f, path
end
)lua";

static void text_chunks_only(lua_State* L) {
  if (luaL_loadbuffer(L, text_only, std::strlen(text_only), "=sandbox") != LUA_OK ||
      lua_pcall(L, 0, 0, 0) != LUA_OK)
    throw std::runtime_error(std::string("sandbox setup failed: ") + lua_tostring(L, -1));
}

lua_state make_sandboxed_state(const sandbox_options& options) {
  lua_state state(luaL_newstate());
  if (!state) throw std::bad_alloc();
  lua_State* L = state.get();
  open_library(L, LUA_GNAME, luaopen_base);
  open_library(L, LUA_COLIBNAME, luaopen_coroutine);
  open_library(L, LUA_TABLIBNAME, luaopen_table);
  open_library(L, LUA_STRLIBNAME, luaopen_string);
  open_library(L, LUA_MATHLIBNAME, luaopen_math);
  open_library(L, LUA_UTF8LIBNAME, luaopen_utf8);
  open_library(L, LUA_OSLIBNAME, luaopen_os);
  open_library(L, LUA_IOLIBNAME, luaopen_io);
  open_library(L, LUA_LOADLIBNAME, luaopen_package);
  if (!options.allow_exec) restrict_os_and_io(L);
  set_module_paths(L, options);
  text_chunks_only(L);
  return state;
}

void set_instruction_limit(lua_State* main, std::uint64_t max_instructions_per_resume) {
  if (max_instructions_per_resume == 0) {
    lua_sethook(main, nullptr, 0, 0);
    lua_pushnil(main);
    lua_rawsetp(main, LUA_REGISTRYINDEX, &budget_key);
    return;
  }
  instruction_budget* budget = find_budget(main);
  if (budget == nullptr) {
    // A full userdata in the registry: freed with the state, no global anywhere.
    budget =
        static_cast<instruction_budget*>(lua_newuserdatauv(main, sizeof(instruction_budget), 0));
    new (budget) instruction_budget{};
    lua_rawsetp(main, LUA_REGISTRYINDEX, &budget_key);
  }
  budget->limit = max_instructions_per_resume;
  budget->used = 0;
  budget->step = static_cast<int>(std::min(hook_every_instructions, max_instructions_per_resume));
  lua_sethook(main, count_hook, LUA_MASKCOUNT, budget->step);
}

void reset_instruction_budget(lua_State* L) {
  if (instruction_budget* budget = find_budget(L)) budget->used = 0;
}

}  // namespace ordeal::scenarios
