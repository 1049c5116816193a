#include "lua_integrity.hpp"

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

#include <chrono>
#include <limits>
#include <string>

#include "lua_json.hpp"
#include "lua_response.hpp"
#include "options_reading.hpp"
#include "vu_worker.hpp"

namespace ordeal::scenarios {

namespace {

using engine::integrity_type;

std::int64_t micros_since(const vu_worker& w, clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(w.elapsed(t)).count();
}

// The checker named `name`, or nullptr. A drill declares a handful: a scan is cheapest.
const integrity_spec* find_spec(const drill_options& d, std::string_view name) {
  for (const auto& s : d.integrity)
    if (s.name == name) return &s;
  return nullptr;
}

// " (did you mean items?)", " (options.integrity has items, hits)", or " (options.integrity
// declares no checker)".
std::string unknown_hint(const drill_options& d, std::string_view name) {
  if (d.integrity.empty()) return " (options.integrity declares no checker)";
  const integrity_spec* best = nullptr;
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  std::string list;
  for (const auto& s : d.integrity) {
    list += (list.empty() ? "" : ", ") + s.name;
    const auto distance = options_reading::edit_distance(name, s.name);
    if (distance < best_distance) best_distance = distance, best = &s;
  }
  if (best && best_distance <= std::max<std::size_t>(2, name.size() / 3))
    return " (did you mean " + best->name + "?)";
  return " (options.integrity has " + list + ")";
}

// Builds the record of one call; the message of what is wrong otherwise. No Lua error is
// raised here: C++ objects are alive.
std::string record_add(lua_State* L) {
  auto& w = vu_worker::of(L);
  vu* v = vu_worker::current(L);
  if (v == nullptr)
    return "integrity.add is only available inside a virtual user (a scenario function, setup or "
           "teardown), not in the drill's top level";
  if (lua_type(L, 1) != LUA_TSTRING)
    return "integrity.add(checker, value, response): the checker's name must be a string";
  const std::string_view name = lua_tostring(L, 1);
  const integrity_spec* spec = find_spec(w.plan().drill, name);
  if (spec == nullptr)
    return "integrity.add: no checker \"" + std::string(name) + "\" in options.integrity" +
           unknown_hint(w.plan().drill, name);
  if (spec->type == integrity_type::invariant)
    return "integrity.add: \"" + spec->name +
           "\" is an invariant checker: it is judged by its check(), not by added values";
  if (lua_isnoneornil(L, 2)) return "integrity.add: the value for \"" + spec->name + "\" is nil";
  if (spec->type == integrity_type::counter && lua_type(L, 2) != LUA_TNUMBER)
    return "integrity.add: \"" + spec->name + "\" is a counter: the value must be a number (the " +
           "increment), got a " + luaL_typename(L, 2);
  const engine::operation_result* op = to_operation_result(L, 3);
  if (op == nullptr)
    return "integrity.add(checker, value, response): the third argument must be the response of "
           "the request that did it, got " +
           (lua_isnoneornil(L, 3) ? std::string("nothing")
                                  : "a " + std::string(luaL_typename(L, 3)));
  engine::integrity_op rec;
  try {
    rec.value = serialize_json(convert_to_json(L, 2));
  } catch (const json_encode_error& e) {
    return std::string("integrity.add: the value cannot be recorded: ") + e.what();
  }
  rec.kind = op->outcome;
  rec.operation = op->id;
  rec.vu = v->id;
  rec.invoke_us = micros_since(w, op->invoked);
  rec.complete_us = micros_since(w, op->completed);
  w.integrity().at(spec->name, spec->type).ops.push_back(std::move(rec));
  return {};
}

int l_add(lua_State* L) {
  bool failed = false;
  {
    std::string message = record_add(L);
    if (!message.empty()) {
      luaL_where(L, 1);
      lua_pushlstring(L, message.data(), message.size());
      lua_concat(L, 2);
      failed = true;
    }
  }
  if (failed) return lua_error(L);
  return 0;
}

}  // namespace

void open_integrity_api(lua_State* L) {
  static const luaL_Reg functions[] = {{"add", l_add}, {nullptr, nullptr}};
  luaL_newlib(L, functions);
  lua_setglobal(L, "integrity");
}

}  // namespace ordeal::scenarios
