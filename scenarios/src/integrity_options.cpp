#include "integrity_options.hpp"

#include <algorithm>

namespace ordeal::scenarios::options_reading {

namespace {

using engine::integrity_type;

constexpr choice<integrity_type> types[] = {{"set", integrity_type::set},
                                            {"counter", integrity_type::counter},
                                            {"bank", integrity_type::bank},
                                            {"unique", integrity_type::unique},
                                            {"invariant", integrity_type::invariant}};

constexpr field checker_fields[] = {{"type"}, {"read"}, {"check"}, {"every"}};

// What each type takes, and why the others would mean nothing.
struct shape {
  bool read;   // read = function() ... end, required when true
  bool check;  // check = function(...) ... end, required when true
  bool every;  // every = "1s", optional
  const char* takes;
};

// "a set checker", "an invariant checker"
std::string a_checker(integrity_type t) {
  const std::string name(to_string(t));
  return (t == integrity_type::invariant ? "an " : "a ") + name + " checker";
}

shape shape_of(integrity_type t) {
  switch (t) {
    case integrity_type::set:
      return {true, false, false, "read, judged once the load has ended"};
    case integrity_type::counter:
      return {true, false, false, "read, judged once the load has ended"};
    case integrity_type::bank:
      return {true, true, true, "read, check and every"};
    case integrity_type::unique:
      return {false, false, false, "no hooks: only the values scripts add"};
    case integrity_type::invariant:
      return {false, true, true, "check and every"};
  }
  return {};
}

void read_function(lua_State* L, table_reader& t, std::string_view name, bool wanted,
                   integrity_type type, const shape& s, bool& has) {
  if (!t.push(name)) {
    if (wanted)
      fail(t.path(name), "missing (" + a_checker(type) + " needs " + std::string(name) +
                             " = function(...) ... end)");
    return;
  }
  if (!wanted) fail(t.path(name), "not used by " + a_checker(type) + " (it takes " + s.takes + ")");
  if (lua_type(L, -1) != LUA_TFUNCTION) expected(L, -1, t.path(name), "a function");
  lua_pop(L, 1);
  has = true;
}

integrity_spec read_checker(lua_State* L, const std::string& path, std::string name) {
  require_table(L, path);
  table_reader t(L, -1, path, checker_fields);
  integrity_spec spec;
  spec.name = std::move(name);
  if (!t.push("type"))
    fail(t.path("type"), "missing (expected one of set, counter, bank, unique, invariant)");
  spec.type = read_choice(L, t.path("type"), "checker type", types);
  lua_pop(L, 1);
  const shape s = shape_of(spec.type);
  read_function(L, t, "read", s.read, spec.type, s, spec.has_read);
  read_function(L, t, "check", s.check, spec.type, s, spec.has_check);
  if (t.push("every")) {
    if (!s.every)
      fail(t.path("every"), "not used by " + a_checker(spec.type) + " (it takes " + s.takes + ")");
    spec.every = read_duration(L, t.path("every"), true);
    lua_pop(L, 1);
  }
  return spec;
}

}  // namespace

std::vector<integrity_spec> read_integrity_options(lua_State* L, const std::string& path) {
  require_table(L, path);
  const int table = lua_gettop(L);
  std::vector<integrity_spec> out;
  lua_pushnil(L);
  while (lua_next(L, table) != 0) {
    if (lua_type(L, -2) != LUA_TSTRING || lua_rawlen(L, -2) == 0)
      fail(path, "expected checker names as keys, got the key " + describe(L, -2));
    std::string name = lua_tostring(L, -2);
    const std::string p = member_path(path, name);
    out.push_back(read_checker(L, p, std::move(name)));
    lua_pop(L, 1);
  }
  std::sort(out.begin(), out.end(),
            [](const integrity_spec& a, const integrity_spec& b) { return a.name < b.name; });
  return out;
}

}  // namespace ordeal::scenarios::options_reading
