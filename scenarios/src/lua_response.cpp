#include "lua_response.hpp"

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

#include <boost/json/parse.hpp>
#include <new>
#include <string>

#include "lua_json.hpp"

namespace ordeal::scenarios {

namespace {

constexpr const char* response_type = "ordeal.response";

struct response_box {
  engine::operation_result r;
};

response_box& check_response(lua_State* L, int index) {
  return *static_cast<response_box*>(luaL_checkudata(L, index, response_type));
}

int l_response_gc(lua_State* L) {
  check_response(L, 1).~response_box();
  return 0;
}

void push_ms(lua_State* L, const char* field, std::chrono::nanoseconds d) {
  lua_pushnumber(L, static_cast<double>(d.count()) / 1e6);
  lua_setfield(L, -2, field);
}

int l_response_json(lua_State* L) {
  auto& b = check_response(L, 1);
  bool ok = false;
  {
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(b.r.response.body, ec);
    ok = !ec;
    if (ok) {
      push_json(L, v);
    } else {
      const std::string message = "response:json(): the body is not JSON (" + ec.message() + ")";
      lua_pushlstring(L, message.data(), message.size());
    }
  }
  if (!ok) return lua_error(L);
  return 1;
}

int l_response_header(lua_State* L) {
  auto& b = check_response(L, 1);
  const char* name = luaL_checkstring(L, 2);
  const std::string* v = b.r.response.header(name);
  if (v == nullptr)
    lua_pushnil(L);
  else
    lua_pushlstring(L, v->data(), v->size());
  return 1;
}

int l_response_index(lua_State* L) {
  auto& b = check_response(L, 1);
  const auto& r = b.r.response;
  const char* key = luaL_checkstring(L, 2);
  const std::string_view k(key);
  if (k == "status") {
    lua_pushinteger(L, r.status);
  } else if (k == "body") {
    lua_pushlstring(L, r.body.data(), r.body.size());
  } else if (k == "ok") {
    lua_pushboolean(L, r.result == engine::outcome::ok);
  } else if (k == "error") {
    if (r.result == engine::outcome::ok || r.result == engine::outcome::status)
      lua_pushnil(L);
    else
      lua_pushfstring(L, "%s: %s", std::string(engine::to_string(r.result)).c_str(),
                      r.error.c_str());
  } else if (k == "error_class") {
    if (r.result == engine::outcome::ok)
      lua_pushnil(L);
    else
      lua_pushstring(L, std::string(engine::to_string(r.result)).c_str());
  } else if (k == "headers") {
    lua_getiuservalue(L, 1, 1);
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      lua_createtable(L, 0, static_cast<int>(r.headers.size()));
      for (const auto& [name, value] : r.headers) {
        lua_pushlstring(L, value.data(), value.size());
        lua_setfield(L, -2, name.c_str());
      }
      lua_pushvalue(L, -1);
      lua_setiuservalue(L, 1, 1);
    }
  } else if (k == "timings") {
    lua_createtable(L, 0, 6);
    push_ms(L, "blocked", r.timings.blocked);
    push_ms(L, "connecting", r.timings.connect);
    push_ms(L, "tls_handshaking", r.timings.tls);
    push_ms(L, "sending", r.timings.sending);
    push_ms(L, "waiting", r.timings.waiting);
    push_ms(L, "receiving", r.timings.receiving);
    push_ms(L, "duration", r.timings.duration);
  } else if (k == "attempts") {
    lua_pushinteger(L, b.r.attempts);
  } else if (k == "retries") {
    lua_pushinteger(L, b.r.retries);
  } else if (k == "duplicates") {
    lua_pushinteger(L, b.r.duplicates);
  } else if (k == "request_sent") {
    lua_pushboolean(L, r.request_sent);
  } else if (k == "json") {
    lua_pushcfunction(L, l_response_json);
  } else if (k == "header") {
    lua_pushcfunction(L, l_response_header);
  } else {
    lua_pushnil(L);
  }
  return 1;
}

int l_response_tostring(lua_State* L) {
  auto& b = check_response(L, 1);
  lua_pushfstring(L, "response(%d, %s)", b.r.response.status,
                  std::string(engine::to_string(b.r.response.result)).c_str());
  return 1;
}

}  // namespace

void register_response_type(lua_State* L) {
  luaL_newmetatable(L, response_type);
  lua_pushcfunction(L, l_response_index);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, l_response_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, l_response_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pop(L, 1);
}

void push_response(lua_State* L, engine::operation_result&& r) {
  auto* box = static_cast<response_box*>(lua_newuserdatauv(L, sizeof(response_box), 1));
  new (box) response_box{std::move(r)};
  luaL_setmetatable(L, response_type);
}

const engine::operation_result* to_operation_result(lua_State* L, int index) {
  auto* box = static_cast<response_box*>(luaL_testudata(L, index, response_type));
  return box ? &box->r : nullptr;
}

void push_batch_responses(lua_State* L, std::vector<std::optional<engine::operation_result>>& rs) {
  lua_createtable(L, static_cast<int>(rs.size()), 0);
  for (std::size_t i = 0; i < rs.size(); ++i) {
    if (rs[i])
      push_response(L, std::move(*rs[i]));
    else
      lua_pushnil(L);
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
  }
}

}  // namespace ordeal::scenarios
