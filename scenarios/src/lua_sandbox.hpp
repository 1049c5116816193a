#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>

struct lua_State;

namespace ordeal::scenarios {

struct sandbox_options {
  // --allow-exec: the drill may run programs and write files (os.execute, io.popen, io.open
  // for writing, C modules). Off by default so that running someone else's drill is safe.
  bool allow_exec = false;
  // The drill file's folder: `require` looks for modules here and only here.
  std::filesystem::path base_dir;
};

struct lua_state_closer {
  void operator()(lua_State* L) const noexcept;
};
using lua_state = std::unique_ptr<lua_State, lua_state_closer>;

// A fresh state with the standard libraries a drill may use (base, coroutine, table, string,
// math, utf8, os, io, package; never debug). Unless options.allow_exec, everything that runs
// programs, writes or deletes files, or loads native code is replaced by a function raising
// "<name> is disabled in drill files (use --allow-exec)", and io.open opens for reading only.
// Throws std::bad_alloc when no state can be created.
lua_state make_sandboxed_state(const sandbox_options& options);

// Runaway-script guard: from now on, one lua_resume or lua_pcall that runs more than
// `max_instructions_per_resume` Lua instructions raises "script ran more than N instructions
// without yielding (an endless loop?)". Call it on the main state before creating the
// coroutines: Lua 5.4's lua_newthread copies the creating thread's hook, so every coroutine
// created afterwards (by C or by coroutine.create) is guarded too. The counters live in the
// state's registry, so states on different threads do not interfere. 0 removes the guard.
void set_instruction_limit(lua_State* main, std::uint64_t max_instructions_per_resume);

// Starts a new budget; call before each lua_resume / lua_pcall of script code. Any thread of
// the state may be passed. A no-op when no limit is set.
void reset_instruction_budget(lua_State* L);

}  // namespace ordeal::scenarios
