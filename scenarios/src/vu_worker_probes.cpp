// The steady-state hypothesis of options.steady_state: probes called before the load (the drill
// starts only if every one holds) and after it (retried until they hold, within a limit: how
// long that took is the system's time to recover).
#include <boost/json.hpp>
#include <cmath>
#include <lua.hpp>
#include <thread>

#include "lua_json.hpp"
#include "ordeal/engine/duration.hpp"
#include "vu_worker.hpp"

namespace ordeal::scenarios {

namespace json = boost::json;

namespace {

// The function at options.steady_state.probes[i].<field> as a registry reference (read raw: a
// drill may guard its globals), or LUA_NOREF.
int function_ref(lua_State* L, std::size_t i, const char* field) {
  int ref = LUA_NOREF;
  const int top = lua_gettop(L);
  lua_pushglobaltable(L);
  lua_pushliteral(L, "options");
  if (lua_rawget(L, -2) == LUA_TTABLE) {
    lua_pushliteral(L, "steady_state");
    if (lua_rawget(L, -2) != LUA_TTABLE) {
      lua_pop(L, 1);
      lua_pushliteral(L, "steadyState");
      lua_rawget(L, -2);
    }
    if (lua_type(L, -1) == LUA_TTABLE) {
      lua_pushliteral(L, "probes");
      if (lua_rawget(L, -2) == LUA_TTABLE &&
          lua_rawgeti(L, -1, static_cast<lua_Integer>(i + 1)) == LUA_TTABLE) {
        lua_pushstring(L, field);
        if (lua_rawget(L, -2) == LUA_TFUNCTION) ref = luaL_ref(L, LUA_REGISTRYINDEX);
      }
    }
  }
  lua_settop(L, top);
  return ref;
}

double as_number(const json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  return v.get_double();
}

// 200 and 200.0 are the same answer.
bool same_value(const json::value& a, const json::value& b) {
  if (a.is_number() && b.is_number()) return as_number(a) == as_number(b);
  return a == b;
}

}  // namespace

std::vector<engine::probe_result> vu_worker::run_probes(std::string_view phase,
                                                        std::chrono::nanoseconds within) {
  std::vector<engine::probe_result> out;
  if (!plan_.drill.steady_state) return out;
  const auto& o = *plan_.drill.steady_state;
  struct refs {
    int probe = LUA_NOREF;
    int tolerance = LUA_NOREF;
  };
  std::vector<refs> functions;
  for (std::size_t i = 0; i < o.probes.size(); ++i) {
    engine::probe_result r;
    r.name = o.probes[i].name;
    r.phase = std::string(phase);
    r.tolerance = o.probes[i].tolerance_text;
    out.push_back(std::move(r));
    refs f;
    f.probe = function_ref(L_, i, "probe");
    if (o.probes[i].kind == probe_spec::tolerance_kind::function)
      f.tolerance = function_ref(L_, i, "tolerance");
    functions.push_back(f);
  }

  // One call of probe i: its value, and whether the tolerance holds.
  const auto call = [&](std::size_t i) {
    const auto& spec = o.probes[i];
    auto& r = out[i];
    ++r.attempts;
    r.error.clear();
    r.passed = false;
    if (functions[i].probe == LUA_NOREF) {
      r.error = "options.steady_state.probes[" + std::to_string(i + 1) +
                "].probe is no longer a function";
      return;
    }
    try {
      const auto value = call_with(functions[i].probe, nullptr, clock::now() + o.timeout);
      if (!value) {
        r.error = "no answer within " + engine::format_duration(o.timeout) +
                  " (options.steady_state.timeout)";
        return;
      }
      r.value = *value;
      boost::system::error_code ec;
      const json::value v = json::parse(*value, ec);
      if (ec) {
        r.error = "the probe returned something that is not data";
        return;
      }
      switch (spec.kind) {
        case probe_spec::tolerance_kind::equal:
          r.passed = same_value(v, spec.expected);
          break;
        case probe_spec::tolerance_kind::range:
          r.passed = v.is_number() && as_number(v) >= spec.min && as_number(v) <= spec.max;
          break;
        case probe_spec::tolerance_kind::function: {
          if (functions[i].tolerance == LUA_NOREF) {
            r.error = "the tolerance is no longer a function";
            return;
          }
          const auto verdict = call_with(functions[i].tolerance, v, clock::now() + o.timeout);
          if (!verdict) {
            r.error = "the tolerance gave no answer within " + engine::format_duration(o.timeout);
            return;
          }
          r.passed = *verdict == "true";
          break;
        }
      }
    } catch (const script_error& e) {
      r.error = e.what();
    }
  };

  set_post_run(true);
  const auto started = clock::now();
  const auto deadline = started + within;
  for (;;) {
    bool all = true;
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (out[i].passed) continue;
      call(i);
      if (out[i].passed)
        out[i].met_after_ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - started).count();
      all = all && out[i].passed;
    }
    const auto now = clock::now();
    if (all || now >= deadline || (plan_.control && plan_.control->interrupted())) break;
    std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(o.interval, deadline - now));
  }
  set_post_run(false);
  for (const auto& f : functions) {
    if (f.probe != LUA_NOREF) luaL_unref(L_, LUA_REGISTRYINDEX, f.probe);
    if (f.tolerance != LUA_NOREF) luaL_unref(L_, LUA_REGISTRYINDEX, f.tolerance);
  }
  return out;
}

}  // namespace ordeal::scenarios
