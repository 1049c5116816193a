#include "lua_api.hpp"

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

#include <algorithm>
#include <boost/json.hpp>
#include <cstring>

#include "host_guard.hpp"
#include "lua_json.hpp"
#include "lua_response.hpp"
#include "ordeal/engine/config_error.hpp"
#include "ordeal/engine/duration.hpp"
#include "ordeal/engine/metric_filter.hpp"
#include "ordeal/scenarios/drill.hpp"
#include "protocol_options.hpp"
#include "vu_random.hpp"
#include "vu_worker.hpp"

extern char** environ;

namespace ordeal::scenarios {

namespace {

constexpr const char* metric_type = "ordeal.metric";

// ---- Errors without longjmp over C++ objects ------------------------------------------------
// Functions that build C++ values report failure by returning a message; the lua_CFunction
// raises it once every C++ object of theirs is gone.
struct failure {
  std::string message;
};

int raise(lua_State* L, const failure& f) {
  lua_pushlstring(L, f.message.data(), f.message.size());
  return -1;  // caller does lua_error after its locals are gone
}

// ---- Small readers (never raise) ------------------------------------------------------------

std::optional<std::string> string_at(lua_State* L, int index) {
  if (lua_type(L, index) != LUA_TSTRING) return std::nullopt;
  std::size_t n = 0;
  const char* s = lua_tolstring(L, index, &n);
  return std::string(s, n);
}

// A duration: a string ("250ms") or a number of seconds.
std::chrono::nanoseconds duration_at(lua_State* L, int index, const char* what) {
  if (lua_type(L, index) == LUA_TNUMBER) {
    const double s = lua_tonumber(L, index);
    if (!(s >= 0) || s > 86400.0 * 365)
      throw engine::config_error(std::string(what) + ": expected a duration >= 0");
    return std::chrono::nanoseconds(static_cast<std::int64_t>(s * 1e9));
  }
  if (auto s = string_at(L, index)) return engine::parse_duration(*s);
  throw engine::config_error(std::string(what) +
                             ": expected a duration such as \"250ms\" or a "
                             "number of seconds");
}

// lua_getfield without metamethods: the C++ objects alive while a request is built must not be
// jumped over by an error from a script's __index.
int raw_field(lua_State* L, int index, const char* key) {
  index = lua_absindex(L, index);
  lua_pushstring(L, key);
  return lua_rawget(L, index);
}

std::string percent_encode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// A flat table of strings/numbers/booleans as sorted key=value pairs (query strings, forms).
std::vector<std::pair<std::string, std::string>> pairs_at(lua_State* L, int index,
                                                          const char* what) {
  index = lua_absindex(L, index);
  std::vector<std::pair<std::string, std::string>> out;
  lua_pushnil(L);
  while (lua_next(L, index) != 0) {
    if (lua_type(L, -2) != LUA_TSTRING) {
      lua_pop(L, 2);
      throw engine::config_error(std::string(what) + ": keys must be strings");
    }
    std::string key = lua_tostring(L, -2);
    std::string value;
    switch (lua_type(L, -1)) {
      case LUA_TSTRING:
      case LUA_TNUMBER:
        value = lua_tostring(L, -1);  // converts numbers in place: the key stays intact
        break;
      case LUA_TBOOLEAN:
        value = lua_toboolean(L, -1) ? "true" : "false";
        break;
      default:
        lua_pop(L, 2);
        throw engine::config_error(std::string(what) + "." + key +
                                   ": expected a string, number or boolean");
    }
    out.emplace_back(std::move(key), std::move(value));
    lua_pop(L, 1);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string join_encoded(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::string out;
  for (const auto& [k, v] : pairs) {
    if (!out.empty()) out += '&';
    out += percent_encode(k) + '=' + percent_encode(v);
  }
  return out;
}

bool has_header(const engine::header_list& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(), [&](const auto& h) {
    return h.first.size() == name.size() &&
           std::equal(h.first.begin(), h.first.end(), name.begin(), [](char a, char b) {
             return std::tolower(static_cast<unsigned char>(a)) ==
                    std::tolower(static_cast<unsigned char>(b));
           });
  });
}

engine::url resolve_url(const vu_worker& w, const std::string& text) {
  if (text.rfind("http://", 0) == 0 || text.rfind("https://", 0) == 0) {
    engine::url u = engine::parse_url(text);
    // The blast-radius guard: the target was checked before the run; absolute URLs are here.
    require_allowed_host(u.host, w.plan().drill.allow_hosts, "\"" + text + "\"");
    return u;
  }
  if (text.empty() || text.front() != '/')
    throw engine::config_error("\"" + text +
                               "\" is neither an absolute http:// URL nor a path "
                               "starting with /");
  const engine::url* base = w.base_url();
  if (base == nullptr)
    throw engine::config_error("the relative URL \"" + text +
                               "\" needs options.target (or --target) as its base");
  engine::url u = *base;
  // The base's own path prefixes the request's ("http://h/api" + "/pay" = "/api/pay").
  std::string prefix = u.target == "/" ? "" : u.target;
  if (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  u.target = prefix + text;
  return u;
}

constexpr const char* param_fields[] = {
    "headers", "body",      "json",    "form",    "query",   "name", "timeout", "idempotency_key",
    "retry",   "duplicate", "abandon", "reorder", "trickle", "tags", "protocol"};
constexpr const char* behaviour_fields[] = {"retry", "duplicate", "abandon", "reorder", "trickle"};

// Builds one operation from (method, url, body-or-params, params) on the stack.
engine::operation_spec build_spec(lua_State* L, vu_worker& w, vu& v, std::string method,
                                  int url_index, int body_index, int params_index) {
  engine::operation_spec spec;
  const auto& drill = w.plan().drill;
  spec.how = drill.behaviour;
  if (w.post_run()) {
    // A verdict's own requests (effects hooks, integrity reads and checks) measure the
    // system, they are not load: the drill's misbehaviours (duplicates, abandonment,
    // reordering, trickling) would only make them wrong. Retries stay; a request's own
    // params may still ask for any behaviour.
    spec.how.duplicate = {};
    spec.how.abandon = {};
    spec.how.reorder = {};
    spec.how.trickle = {};
  }
  spec.request.timeout = drill.timeout;
  spec.request.protocol = drill.protocol;
  spec.owner = v.id;
  std::transform(method.begin(), method.end(), method.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  spec.request.method = method;
  auto url_text = string_at(L, url_index);
  if (!url_text) throw engine::config_error("the URL must be a string");

  // A table as the body argument is the params table (http.post(url, {json = ...})).
  if (body_index != 0 && lua_type(L, body_index) == LUA_TTABLE &&
      lua_isnoneornil(L, params_index)) {
    params_index = body_index;
    body_index = 0;
  }
  if (body_index != 0 && !lua_isnoneornil(L, body_index)) {
    auto body = string_at(L, body_index);
    if (!body) throw engine::config_error("the body must be a string (or pass params.json)");
    spec.request.body = std::move(*body);
  }
  std::string query;
  if (!lua_isnoneornil(L, params_index)) {
    if (lua_type(L, params_index) != LUA_TTABLE)
      throw engine::config_error("params must be a table");
    const int p = lua_absindex(L, params_index);
    lua_pushnil(L);
    while (lua_next(L, p) != 0) {
      lua_pop(L, 1);
      const char* key = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : nullptr;
      const bool known =
          key && std::any_of(std::begin(param_fields), std::end(param_fields),
                             [&](const char* f) { return std::strcmp(f, key) == 0; });
      if (!known) {
        std::string name = key ? key : "(a non-string key)";
        lua_pop(L, 1);
        throw engine::config_error(
            "unknown request parameter \"" + name +
            "\" (expected headers, body, json, form, query, name, timeout, "
            "idempotency_key, retry, duplicate, abandon, reorder, trickle, tags, protocol)");
      }
    }
    if (raw_field(L, p, "headers") == LUA_TTABLE) {
      auto hs = pairs_at(L, -1, "params.headers");
      spec.request.headers.assign(hs.begin(), hs.end());
    }
    lua_pop(L, 1);
    if (raw_field(L, p, "body") != LUA_TNIL) {
      auto body = string_at(L, -1);
      lua_pop(L, 1);
      if (!body) throw engine::config_error("params.body must be a string");
      spec.request.body = std::move(*body);
    } else {
      lua_pop(L, 1);
    }
    if (raw_field(L, p, "json") != LUA_TNIL) {
      try {
        spec.request.body = serialize_json(convert_to_json(L, -1));
      } catch (const json_encode_error& e) {
        lua_pop(L, 1);
        throw engine::config_error(std::string("params.json: ") + e.what());
      }
      if (!has_header(spec.request.headers, "content-type"))
        spec.request.headers.emplace_back("Content-Type", "application/json");
    }
    lua_pop(L, 1);
    if (raw_field(L, p, "form") == LUA_TTABLE) {
      spec.request.body = join_encoded(pairs_at(L, -1, "params.form"));
      if (!has_header(spec.request.headers, "content-type"))
        spec.request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    }
    lua_pop(L, 1);
    if (raw_field(L, p, "query") == LUA_TTABLE)
      query = join_encoded(pairs_at(L, -1, "params.query"));
    lua_pop(L, 1);
    if (raw_field(L, p, "name") != LUA_TNIL) {
      auto name = string_at(L, -1);
      lua_pop(L, 1);
      if (!name) throw engine::config_error("params.name must be a string");
      spec.name = std::move(*name);
    } else {
      lua_pop(L, 1);
    }
    if (raw_field(L, p, "timeout") != LUA_TNIL)
      spec.request.timeout = duration_at(L, -1, "params.timeout");
    lua_pop(L, 1);
    // "h2" | "http/1.1" | "http1": this request's protocol over the drill's options.protocol.
    if (raw_field(L, p, "protocol") != LUA_TNIL)
      spec.request.protocol = options_reading::read_protocol(L, "params.protocol");
    lua_pop(L, 1);
    const int key_type = raw_field(L, p, "idempotency_key");
    if (key_type == LUA_TBOOLEAN && lua_toboolean(L, -1)) {
      spec.idempotency_key = v.random.uuid_v4();
    } else if (key_type == LUA_TSTRING || key_type == LUA_TNUMBER) {
      spec.idempotency_key = lua_tostring(L, -1);
    } else if (key_type != LUA_TNIL && key_type != LUA_TBOOLEAN) {
      lua_pop(L, 1);
      throw engine::config_error("params.idempotency_key must be a string (or true for a uuid)");
    }
    lua_pop(L, 1);
    // Per-request behaviour: the same shape as options.behaviour, over the drill's.
    lua_newtable(L);
    bool any = false;
    for (const char* f : behaviour_fields) {
      if (raw_field(L, p, f) != LUA_TNIL) {
        lua_setfield(L, -2, f);
        any = true;
      } else {
        lua_pop(L, 1);
      }
    }
    if (any) {
      try {
        spec.how = read_behaviour(L, -1, spec.how, "request params");
      } catch (...) {
        lua_pop(L, 1);
        throw;
      }
    }
    lua_pop(L, 1);
  }
  if (*url_text != w.last_url_text || w.last_url_text.empty()) {
    w.last_url = resolve_url(w, *url_text);
    w.last_url_text = *url_text;
  }
  spec.request.target = w.last_url;
  if (!query.empty())
    spec.request.target.target +=
        (spec.request.target.target.find('?') == std::string::npos ? '?' : '&') + query;
  if (spec.name.empty()) {
    const auto& t = spec.request.target.target;
    spec.name = t.substr(0, t.find('?'));
  }
  spec.seed = v.random.next_u64();
  return spec;
}

// "drill.lua:12: ", where the script called us: errors name the line that made the call.
std::string where(lua_State* L) {
  luaL_where(L, 1);
  std::string w = lua_tostring(L, -1);
  lua_pop(L, 1);
  return w;
}

vu* require_vu(lua_State* L, const char* fn, failure& f) {
  vu* v = vu_worker::current(L);
  if (v == nullptr || !lua_isyieldable(L)) {
    f.message = std::string(fn) +
                " is only available inside a virtual user (setup, teardown or a scenario "
                "function), not in the drill's top level or a metamethod";
    return nullptr;
  }
  return v;
}

// Starts a request; false with the message pushed on failure.
bool start_request(lua_State* L, const char* fn, std::string method, int url_index, int body_index,
                   int params_index) {
  failure f;
  {
    vu* v = require_vu(L, fn, f);
    if (v != nullptr) {
      try {
        auto& w = vu_worker::of(L);
        w.start_request(
            *v, build_spec(L, w, *v, std::move(method), url_index, body_index, params_index));
        return true;
      } catch (const std::exception& e) {
        f.message = where(L) + std::string(fn) + ": " + e.what();
      }
    }
  }
  raise(L, f);
  return false;
}

template <const char* Method, const char* Name, bool HasBody>
int l_method(lua_State* L) {
  bool ok;
  if constexpr (HasBody)
    ok = start_request(L, Name, Method, 1, 2, 3);
  else
    ok = start_request(L, Name, Method, 1, 0, 2);
  if (!ok) return lua_error(L);
  return lua_yield(L, 0);
}

constexpr char get_m[] = "GET", head_m[] = "HEAD", options_m[] = "OPTIONS", post_m[] = "POST",
               put_m[] = "PUT", patch_m[] = "PATCH", delete_m[] = "DELETE";
constexpr char get_n[] = "http.get", head_n[] = "http.head", options_n[] = "http.options",
               post_n[] = "http.post", put_n[] = "http.put", patch_n[] = "http.patch",
               delete_n[] = "http.delete";

int l_request(lua_State* L) {
  auto method = string_at(L, 1);
  if (!method) return luaL_argerror(L, 1, "expected the method as a string");
  const bool ok = start_request(L, "http.request", std::move(*method), 2, 3, 4);
  if (!ok) return lua_error(L);
  return lua_yield(L, 0);
}

// http.batch{ {"GET", url [, body] [, params]}, {method=, url=, body=, params=}, "url", ... }
bool start_batch(lua_State* L) {
  failure f;
  {
    vu* v = require_vu(L, "http.batch", f);
    if (v != nullptr) {
      try {
        if (lua_type(L, 1) != LUA_TTABLE)
          throw engine::config_error("expected an array of requests");
        auto& w = vu_worker::of(L);
        std::vector<engine::operation_spec> specs;
        const auto n = static_cast<int>(lua_rawlen(L, 1));
        for (int i = 1; i <= n; ++i) {
          const int base = lua_gettop(L);
          const int t = lua_rawgeti(L, 1, i);
          try {
            if (t == LUA_TSTRING) {
              specs.push_back(build_spec(L, w, *v, "GET", base + 1, 0, base + 2));
            } else if (t == LUA_TTABLE) {
              const int item = base + 1;
              if (lua_rawgeti(L, item, 1) ==
                  LUA_TSTRING) {  // array form: method, url, body, params
                lua_rawgeti(L, item, 2);
                lua_rawgeti(L, item, 3);
                lua_rawgeti(L, item, 4);
                auto method = *string_at(L, base + 2);
                specs.push_back(build_spec(L, w, *v, method, base + 3, base + 4, base + 5));
              } else {  // table form: method =, url =, body =, params =
                raw_field(L, item, "method");
                raw_field(L, item, "url");
                raw_field(L, item, "body");
                raw_field(L, item, "params");
                auto method = string_at(L, base + 3).value_or("GET");
                specs.push_back(build_spec(L, w, *v, method, base + 4, base + 5, base + 6));
              }
            } else {
              throw engine::config_error("expected a URL or a request table");
            }
          } catch (const std::exception& e) {
            lua_settop(L, base);
            throw engine::config_error("request " + std::to_string(i) + ": " + e.what());
          }
          lua_settop(L, base);
        }
        w.start_batch(*v, std::move(specs));
        return true;
      } catch (const std::exception& e) {
        f.message = where(L) + std::string("http.batch: ") + e.what();
      }
    }
  }
  raise(L, f);
  return false;
}

int l_batch(lua_State* L) {
  if (!start_batch(L)) return lua_error(L);
  return lua_yield(L, 0);
}

bool start_sleep(lua_State* L) {
  failure f;
  {
    vu* v = require_vu(L, "sleep", f);
    if (v != nullptr) {
      try {
        vu_worker::of(L).start_sleep(*v, duration_at(L, 1, "sleep"));
        return true;
      } catch (const std::exception& e) {
        f.message = where(L) + e.what();
      }
    }
  }
  raise(L, f);
  return false;
}

int l_sleep(lua_State* L) {
  if (!start_sleep(L)) return lua_error(L);
  return lua_yield(L, 0);
}

// ---- Checks, groups, metrics --------------------------------------------------------------------

int l_record_check(lua_State* L) {
  const char* name = luaL_checkstring(L, 1);
  vu_worker::of(L).record_check(name, lua_toboolean(L, 2) != 0);
  return 0;
}

int l_group_enter(lua_State* L) {
  vu* v = vu_worker::current(L);
  const char* name = luaL_checkstring(L, 1);
  if (v != nullptr) v->groups.emplace_back(name);
  lua_pushnumber(L, static_cast<double>(clock::now().time_since_epoch().count()) / 1e6);
  return 1;
}

int l_group_leave(lua_State* L) {
  vu* v = vu_worker::current(L);
  const double started_ms = luaL_checknumber(L, 1);
  if (v != nullptr && !v->groups.empty()) {
    const double now_ms = static_cast<double>(clock::now().time_since_epoch().count()) / 1e6;
    std::string key = "group_duration{group:" + v->groups.back() + "}";
    v->groups.pop_back();
    engine::metric_at(vu_worker::of(L).metrics(), key, engine::metric_kind::trend, true)
        .add(now_ms - started_ms);
  }
  return 0;
}

struct metric_box {
  engine::metric_kind kind;
  bool is_time;  // a trend of durations (ms)
  char name[64];
};

template <engine::metric_kind Kind>
int l_new_metric(lua_State* L) {
  std::size_t n = 0;
  const char* name = luaL_checklstring(L, 1, &n);
  bool valid = n > 0 && n < sizeof(metric_box::name) &&
               (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_');
  for (std::size_t i = 0; valid && i < n; ++i)
    valid = std::isalnum(static_cast<unsigned char>(name[i])) || name[i] == '_';
  if (!valid)
    return luaL_argerror(L, 1,
                         "a metric name is letters, digits and _ (at most 63), e.g. "
                         "\"orders_placed\"");
  auto* box = static_cast<metric_box*>(lua_newuserdatauv(L, sizeof(metric_box), 0));
  box->kind = Kind;
  std::memcpy(box->name, name, n + 1);
  const bool is_time = Kind == engine::metric_kind::trend && lua_toboolean(L, 2);
  box->is_time = is_time;
  engine::metric_at(vu_worker::of(L).metrics(), name, Kind, is_time);
  luaL_setmetatable(L, metric_type);
  return 1;
}

int l_metric_add(lua_State* L) {
  auto* box = static_cast<metric_box*>(luaL_checkudata(L, 1, metric_type));
  double value = 1;
  if (box->kind == engine::metric_kind::rate)
    // As k6: 0 is false too (Lua alone would count it true).
    value =
        lua_toboolean(L, 2) && !(lua_type(L, 2) == LUA_TNUMBER && lua_tonumber(L, 2) == 0) ? 1 : 0;
  else if (!lua_isnoneornil(L, 2))
    value = luaL_checknumber(L, 2);
  else if (box->kind != engine::metric_kind::counter)
    return luaL_argerror(L, 2, "expected a number");
  if (box->kind == engine::metric_kind::trend && value < 0)
    return luaL_argerror(L, 2, "a trend takes values >= 0");
  auto& metrics = vu_worker::of(L).metrics();
  if (lua_type(L, 3) != LUA_TTABLE) {
    engine::metric_at(metrics, box->name, box->kind, box->is_time).add(value);
    return 0;
  }
  // Tags: the sample lands in the series of its whole tag set, which thresholds select by any
  // of its tags: counter:add(1, {name = "pay", region = "eu"}) counts in "orders{name:pay}".
  engine::metric_tags tags;
  lua_pushnil(L);
  while (lua_next(L, 3) != 0) {
    if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING)
      tags.emplace_back(lua_tostring(L, -2), lua_tostring(L, -1));
    lua_pop(L, 1);
  }
  engine::metric_at(metrics, engine::series_key(box->name, std::move(tags)), box->kind,
                    box->is_time)
      .add(value);
  return 0;
}

// ---- vu, scenario
// --------------------------------------------------------------------------------

int l_vu_index(lua_State* L) {
  vu* v = vu_worker::current(L);
  const std::string_view k = luaL_checkstring(L, 2);
  if (v == nullptr) {
    lua_pushnil(L);
  } else if (k == "id") {
    lua_pushinteger(L, static_cast<lua_Integer>(v->id));
  } else if (k == "iteration") {
    lua_pushinteger(L, static_cast<lua_Integer>(v->iteration));
  } else if (k == "index") {
    lua_pushinteger(L, static_cast<lua_Integer>(v->index));
  } else {
    lua_pushnil(L);
  }
  return 1;
}

int l_scenario_index(lua_State* L) {
  vu* v = vu_worker::current(L);
  const std::string_view k = luaL_checkstring(L, 2);
  if (v == nullptr || v->scenario == nullptr) {
    lua_pushnil(L);
  } else if (k == "name") {
    lua_pushstring(L, v->scenario->spec->name.c_str());
  } else if (k == "executor") {
    lua_pushstring(L, std::string(to_string(v->scenario->spec->executor)).c_str());
  } else {
    lua_pushnil(L);
  }
  return 1;
}

void set_proxy(lua_State* L, const char* global, lua_CFunction index) {
  lua_newtable(L);
  lua_newtable(L);
  lua_pushcfunction(L, index);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, -2);
  lua_setglobal(L, global);
}

// check() and group() call script functions that may make requests (and so yield): written
// in Lua, where a yield inside pcall is fine, instead of C, where it would need continuations.
constexpr const char* prelude = R"lua(
local record_check, enter, leave = ...
function check(value, checks)
  if type(checks) ~= "table" then error("check(value, {name = function(value) ... end, ...})", 2) end
  local first, only = next(checks)
  if first ~= nil and next(checks, first) == nil and type(first) == "string" then
    -- One check, the common case: no order to settle, nothing to allocate.
    local passed
    if type(only) == "function" then passed = only(value) else passed = only end
    passed = passed and true or false
    record_check(first, passed)
    return passed
  end
  local names = {}
  for name in pairs(checks) do
    if type(name) ~= "string" then error("check: every check needs a string name", 2) end
    names[#names + 1] = name
  end
  table.sort(names)
  local all = true
  for _, name in ipairs(names) do
    local c = checks[name]
    local passed
    if type(c) == "function" then passed = c(value) else passed = c end
    passed = passed and true or false
    record_check(name, passed)
    all = all and passed
  end
  return all
end
function group(name, fn)
  if type(name) ~= "string" or type(fn) ~= "function" then
    error("group(name, function() ... end)", 2)
  end
  local started = enter(name)
  local result = table.pack(pcall(fn))
  leave(started)
  if not result[1] then error(result[2], 0) end
  return table.unpack(result, 2, result.n)
end
)lua";

}  // namespace

void open_drill_api(lua_State* L, const std::map<std::string, std::string>& env) {
  static const luaL_Reg http_functions[] = {{"get", l_method<get_m, get_n, false>},
                                            {"head", l_method<head_m, head_n, false>},
                                            {"options", l_method<options_m, options_n, false>},
                                            {"post", l_method<post_m, post_n, true>},
                                            {"put", l_method<put_m, put_n, true>},
                                            {"patch", l_method<patch_m, patch_n, true>},
                                            {"delete", l_method<delete_m, delete_n, true>},
                                            {"del", l_method<delete_m, delete_n, true>},
                                            {"request", l_request},
                                            {"batch", l_batch},
                                            {nullptr, nullptr}};
  luaL_newlib(L, http_functions);
  lua_setglobal(L, "http");
  lua_register(L, "sleep", l_sleep);

  register_response_type(L);

  luaL_newmetatable(L, metric_type);
  lua_newtable(L);
  lua_pushcfunction(L, l_metric_add);
  lua_setfield(L, -2, "add");
  lua_pushcfunction(L, l_metric_add);
  lua_setfield(L, -2, "set");
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  lua_register(L, "counter", l_new_metric<engine::metric_kind::counter>);
  lua_register(L, "trend", l_new_metric<engine::metric_kind::trend>);
  lua_register(L, "rate", l_new_metric<engine::metric_kind::rate>);
  lua_register(L, "gauge", l_new_metric<engine::metric_kind::gauge>);

  set_proxy(L, "vu", l_vu_index);
  set_proxy(L, "scenario", l_scenario_index);

  // env: the process environment, then -e NAME=VALUE over it.
  lua_newtable(L);
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (eq == nullptr) continue;
    lua_pushlstring(L, *e, static_cast<std::size_t>(eq - *e));
    lua_pushstring(L, eq + 1);
    lua_settable(L, -3);
  }
  for (const auto& [k, v] : env) {
    lua_pushlstring(L, v.data(), v.size());
    lua_setfield(L, -2, k.c_str());
  }
  lua_setglobal(L, "env");

  if (luaL_loadbuffer(L, prelude, std::strlen(prelude), "=ordeal") != LUA_OK) lua_error(L);
  lua_pushcfunction(L, l_record_check);
  lua_pushcfunction(L, l_group_enter);
  lua_pushcfunction(L, l_group_leave);
  lua_call(L, 3, 0);
}

}  // namespace ordeal::scenarios
