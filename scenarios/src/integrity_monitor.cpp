#include "integrity_monitor.hpp"

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

#include <algorithm>
#include <boost/json/parse.hpp>
#include <cstring>

#include "lua_json.hpp"

namespace ordeal::scenarios {

namespace {

// Calls read() and check() in protected mode (a hook that raises is a failed read, recorded, not
// a failed run) and packs what they returned: { value, checked, passed, message, error }.
// Written in Lua: the hooks make requests, and so yield, which pcall allows in Lua 5.4.
constexpr const char* runner = R"lua(
return function(read, check)
  local out = {}
  local value
  if read ~= nil then
    local ok, v = pcall(read)
    if not ok then out.error = "read() raised: " .. tostring(v); return out end
    if v == nil then out.error = "read() returned nothing"; return out end
    out.value = v
    value = v
  end
  if check ~= nil then
    local ok, passed, message
    if read ~= nil then ok, passed, message = pcall(check, value) else ok, passed, message = pcall(check) end
    if not ok then out.error = "check() raised: " .. tostring(passed); return out end
    out.checked = true
    out.passed = passed and true or false
    if message ~= nil then out.message = tostring(message) end
  end
  return out
end
)lua";

std::int64_t micros_since(clock::time_point start, clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t - start).count();
}

// A reference to options.integrity[name][field] when it is a function (read raw: the drill's
// metatables do not run here), LUA_NOREF otherwise.
int hook_ref(lua_State* L, const std::string& name, const char* field) {
  const int top = lua_gettop(L);
  int ref = LUA_NOREF;
  lua_pushglobaltable(L);
  lua_pushliteral(L, "options");
  if (lua_rawget(L, -2) == LUA_TTABLE) {
    lua_pushliteral(L, "integrity");
    if (lua_rawget(L, -2) == LUA_TTABLE) {
      lua_pushlstring(L, name.data(), name.size());
      if (lua_rawget(L, -2) == LUA_TTABLE) {
        lua_pushstring(L, field);
        if (lua_rawget(L, -2) == LUA_TFUNCTION) ref = luaL_ref(L, LUA_REGISTRYINDEX);
      }
    }
  }
  lua_settop(L, top);
  return ref;
}

}  // namespace

integrity_monitor::integrity_monitor(vu_worker& host, const run_plan& plan)
    : host_(host), plan_(plan) {
  for (const auto& spec : plan.drill.integrity)
    record_.at(spec.name, spec.type);
  lua_State* L = host.lua();
  for (const auto& spec : plan.drill.integrity) {
    if (!spec.has_read && !spec.has_check) continue;
    hooks h;
    h.spec = &spec;
    h.read_ref = spec.has_read ? hook_ref(L, spec.name, "read") : LUA_NOREF;
    h.check_ref = spec.has_check ? hook_ref(L, spec.name, "check") : LUA_NOREF;
    hooks_.push_back(h);
  }
  if (hooks_.empty()) return;
  if (luaL_loadbuffer(L, runner, std::strlen(runner), "=ordeal.integrity") != LUA_OK ||
      lua_pcall(L, 0, 1, 0) != LUA_OK) {
    const std::string message = lua_tostring(L, -1);
    lua_pop(L, 1);
    throw script_error("integrity: " + message);
  }
  runner_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);
}

integrity_monitor::~integrity_monitor() {
  stop();
}

void integrity_monitor::start() {
  const bool periodic = std::any_of(hooks_.begin(), hooks_.end(),
                                    [](const hooks& h) { return h.spec->every.count() > 0; });
  if (periodic) thread_ = std::thread([this] { loop(); });
}

void integrity_monitor::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void integrity_monitor::run_final() {
  for (const auto& h : hooks_)
    run(h, engine::integrity_phase::final);
}

void integrity_monitor::loop() {
  std::vector<clock::time_point> due;
  for (const auto& h : hooks_)
    due.push_back(h.spec->every.count() > 0 ? plan_.start + h.spec->every
                                            : clock::time_point::max());
  for (;;) {
    const auto next = *std::min_element(due.begin(), due.end());
    {
      std::unique_lock lock(mutex_);
      if (wake_.wait_until(lock, next, [this] { return stopping_; })) return;
    }
    const auto now = clock::now();
    for (std::size_t i = 0; i < hooks_.size(); ++i) {
      if (due[i] > now) continue;
      {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
      }
      run(hooks_[i], engine::integrity_phase::during);
      // A run longer than the interval skips the slots it overran rather than bunching up.
      const auto every = hooks_[i].spec->every;
      const auto after = clock::now();
      while (due[i] <= after)
        due[i] += every;
    }
  }
}

void integrity_monitor::run(const hooks& h, engine::integrity_phase phase) {
  engine::integrity_read rd;
  rd.phase = phase;
  rd.invoke_us = micros_since(plan_.start, clock::now());
  host_.set_post_run(true);  // the monitor's requests are not load: kept out of the statistics
  try {
    const std::string text = host_.call_hook("integrity." + h.spec->name, [&](lua_State* T) {
      lua_rawgeti(T, LUA_REGISTRYINDEX, runner_ref_);
      for (const int ref : {h.read_ref, h.check_ref}) {
        if (ref == LUA_NOREF)
          lua_pushnil(T);
        else
          lua_rawgeti(T, LUA_REGISTRYINDEX, ref);
      }
      return 2;
    });
    boost::system::error_code ec;
    const auto v = boost::json::parse(text, ec);
    if (ec || !v.is_object()) {
      rd.error = "the hooks' result could not be read back";
    } else {
      const auto& o = v.get_object();
      if (const auto* value = o.if_contains("value")) rd.value = serialize_json(*value);
      if (const auto* e = o.if_contains("error"); e && e->is_string())
        rd.error = std::string(e->get_string());
      if (const auto* c = o.if_contains("checked"); c && c->is_bool()) rd.checked = c->get_bool();
      if (const auto* p = o.if_contains("passed"); p && p->is_bool()) rd.passed = p->get_bool();
      if (const auto* m = o.if_contains("message"); m && m->is_string())
        rd.message = std::string(m->get_string());
    }
  } catch (const script_error& e) {
    // Not a raise inside the hooks (those are caught in Lua): their result is no JSON, or the
    // runner itself failed.
    rd.error = std::string("the hooks' result cannot be recorded: ") + e.what();
  }
  host_.set_post_run(false);
  if (auto failed = host_.take_failed_request(); failed && rd.error.empty())
    rd.error = "a request in the hooks did not succeed (" + *failed + ")";
  rd.complete_us = micros_since(plan_.start, clock::now());
  record_.at(h.spec->name, h.spec->type).reads.push_back(std::move(rd));
}

}  // namespace ordeal::scenarios
