#include "idempotency_options.hpp"

#include <algorithm>
#include <cctype>

#include "response_fingerprint.hpp"

namespace ordeal::scenarios::options_reading {

namespace {

constexpr field idempotency_fields[] = {{"ignore_headers", "ignoreHeaders"},
                                        {"ignore_json", "ignoreJson", "ignoreJSON"},
                                        {"effects"},
                                        {"effects_timeout", "effectsTimeout"}};

// An array of strings (keys 1..n; empty is fine: nothing to ignore), each checked by `each`.
// `what` describes one element ("a header name such as ...").
template <typename F>
void read_strings(lua_State* L, const std::string& path, const std::string& what, F each) {
  if (lua_type(L, -1) != LUA_TTABLE) expected(L, -1, path, "an array of strings, each " + what);
  const int table = lua_gettop(L);
  const auto n = static_cast<lua_Integer>(lua_rawlen(L, table));
  lua_Integer keys = 0;
  lua_pushnil(L);
  while (lua_next(L, table) != 0) {
    lua_pop(L, 1);
    ++keys;
  }
  if (keys != n) fail(path, "expected an array (keys 1..n) of strings, each " + what);
  for (lua_Integer i = 1; i <= n; ++i) {
    lua_rawgeti(L, table, i);
    const std::string p = index_path(path, i);
    each(p, read_string(L, p, what));
    lua_pop(L, 1);
  }
}

}  // namespace

idempotency_options read_idempotency_options(lua_State* L, const std::string& path) {
  require_table(L, path);
  table_reader t(L, -1, path, idempotency_fields);
  idempotency_options o;
  if (t.push("ignore_headers")) {
    read_strings(L, t.path("ignore_headers"), "a header name such as \"X-Request-Id\"",
                 [&](const std::string& p, std::string name) {
                   if (!is_header_name(name))
                     fail(p, "\"" + name +
                                 "\" is not a header name (letters, digits and !#$%&'*+-.^_`|~; "
                                 "\"*\" ignores every header)");
                   std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) {
                     return static_cast<char>(std::tolower(c));
                   });
                   o.ignore_headers.push_back(std::move(name));
                 });
    lua_pop(L, 1);
  }
  if (t.push("ignore_json")) {
    read_strings(L, t.path("ignore_json"), "a JSON path such as \"$.created_at\"",
                 [&](const std::string& p, std::string text) {
                   try {
                     parse_json_path(text);
                   } catch (const json_path_error& e) {
                     fail(p, "\"" + text + "\" is not a JSON path: " + e.what() +
                                 " (accepted: $, .name, ['name'], [3], .*, [*], ..name)");
                   }
                   o.ignore_json.push_back(std::move(text));
                 });
    lua_pop(L, 1);
  }
  if (t.push("effects")) {
    if (lua_type(L, -1) != LUA_TFUNCTION)
      expected(L, -1, t.path("effects"),
               "a function(op) returning the number of side effects of op.key");
    o.effects = true;
    lua_pop(L, 1);
  }
  if (t.push("effects_timeout")) {
    o.effects_timeout = read_duration(L, t.path("effects_timeout"), true);
    if (!o.effects) fail(t.path("effects_timeout"), "given without effects = function(op) ... end");
    lua_pop(L, 1);
  }
  return o;
}

}  // namespace ordeal::scenarios::options_reading
