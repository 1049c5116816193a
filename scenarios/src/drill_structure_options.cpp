#include "drill_structure_options.hpp"

#include <algorithm>
#include <cctype>

#include "host_guard.hpp"
#include "lua_json.hpp"

namespace ordeal::scenarios::options_reading {

namespace {

constexpr field steady_state_fields[] = {{"probes"}, {"within"}, {"interval"}, {"timeout"}};
constexpr field probe_fields[] = {{"name"}, {"probe"}, {"tolerance"}};
constexpr field action_fields[] = {{"name"}, {"at"}, {"exec"}, {"http"}, {"timeout"}};
constexpr field capacity_fields[] = {{"p99"}, {"error_rate", "errorRate"}, {"sustain"}};
constexpr field http_fields[] = {{"method"}, {"url"}, {"headers"}, {"body"}, {"expect"}};

probe_spec read_probe(lua_State* L, const std::string& path, lua_Integer index) {
  require_table(L, path);
  table_reader t(L, -1, path, probe_fields);
  probe_spec p;
  if (t.push("name")) {
    p.name = read_string(L, t.path("name"), "a name for the probe");
    lua_pop(L, 1);
  } else {
    p.name = "probe " + std::to_string(index);
  }
  if (!t.push("probe"))
    fail(t.path("probe"), "missing (expected probe = function() return <a value> end)");
  if (lua_type(L, -1) != LUA_TFUNCTION) expected(L, -1, t.path("probe"), "a function");
  lua_pop(L, 1);
  if (!t.push("tolerance"))
    fail(t.path("tolerance"),
         "missing (expected the value the probe must return, a range { min, max }, or a "
         "function(value) returning true)");
  const std::string tp = t.path("tolerance");
  switch (lua_type(L, -1)) {
    case LUA_TFUNCTION:
      p.kind = probe_spec::tolerance_kind::function;
      p.tolerance_text = "a function";
      break;
    case LUA_TTABLE:
      if (lua_rawlen(L, -1) == 2) {
        lua_rawgeti(L, -1, 1);
        lua_rawgeti(L, -2, 2);
        const bool numbers = lua_type(L, -2) == LUA_TNUMBER && lua_type(L, -1) == LUA_TNUMBER;
        if (numbers) {
          p.kind = probe_spec::tolerance_kind::range;
          p.min = lua_tonumber(L, -2);
          p.max = lua_tonumber(L, -1);
        }
        lua_pop(L, 2);
        if (numbers) {
          if (p.min > p.max) fail(tp, "a range { min, max } whose minimum is above its maximum");
          lua_rawgeti(L, -1, 1);
          p.tolerance_text = "[" + describe(L, -1);
          lua_rawgeti(L, -2, 2);
          p.tolerance_text += ", " + describe(L, -1) + "]";
          lua_pop(L, 2);
          break;
        }
      }
      [[fallthrough]];
    case LUA_TNUMBER:
    case LUA_TSTRING:
    case LUA_TBOOLEAN:
      try {
        p.expected = convert_to_json(L, lua_gettop(L));
      } catch (const json_encode_error& e) {
        fail(tp, e.what());
      }
      p.kind = probe_spec::tolerance_kind::equal;
      p.tolerance_text = serialize_json(p.expected);
      break;
    default:
      expected(L, -1, tp, "a value, a range { min, max } or a function(value) returning true");
  }
  lua_pop(L, 1);
  return p;
}

std::vector<std::string> read_argv(lua_State* L, const std::string& path) {
  if (lua_type(L, -1) == LUA_TSTRING)
    return {"/bin/sh", "-c", read_string(L, path, "a shell command or an array of arguments")};
  std::vector<std::string> argv;
  if (lua_type(L, -1) != LUA_TTABLE)
    expected(L, -1, path, "a shell command (a string) or an array of arguments");
  for_each_element(L, path, "arguments", [&](const std::string& p) {
    if (lua_type(L, -1) == LUA_TNUMBER) {
      argv.emplace_back(lua_tostring(L, -1));
      return;
    }
    if (lua_type(L, -1) != LUA_TSTRING) expected(L, -1, p, "a string");
    argv.emplace_back(lua_tostring(L, -1));
  });
  if (argv.front().empty()) fail(index_path(path, 1), "expected the program, got \"\"");
  return argv;
}

void read_http(lua_State* L, const std::string& path, action_spec& a) {
  require_table(L, path);
  table_reader t(L, -1, path, http_fields);
  if (t.push("method")) {
    a.method = read_string(L, t.path("method"), "an HTTP method such as \"POST\"");
    if (!std::all_of(a.method.begin(), a.method.end(),
                     [](unsigned char c) { return std::isalpha(c) != 0; }))
      fail(t.path("method"), "\"" + a.method + "\" is not an HTTP method");
    std::transform(a.method.begin(), a.method.end(), a.method.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    lua_pop(L, 1);
  }
  if (!t.push("url")) fail(t.path("url"), "missing (an absolute http:// URL or a /path)");
  a.url = read_string(L, t.path("url"), "an absolute http:// URL or a /path");
  if (a.url.rfind("http://", 0) != 0 && a.url.rfind("https://", 0) != 0 && a.url.front() != '/')
    fail(t.path("url"), "\"" + a.url + "\" is neither an http:// URL nor a path starting with /");
  lua_pop(L, 1);
  if (t.push("headers")) {
    const std::string hp = t.path("headers");
    require_table(L, hp);
    lua_pushnil(L);
    while (lua_next(L, -2) != 0) {
      if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
        fail(hp, "expected name = \"value\" pairs of strings");
      a.headers.emplace_back(lua_tostring(L, -2), lua_tostring(L, -1));
      lua_pop(L, 1);
    }
    std::sort(a.headers.begin(), a.headers.end());
    lua_pop(L, 1);
  }
  if (t.push("body")) {
    if (lua_type(L, -1) == LUA_TSTRING) {
      a.body = lua_tostring(L, -1);
    } else {
      try {
        a.body = serialize_json(convert_to_json(L, lua_gettop(L)));
      } catch (const json_encode_error& e) {
        fail(t.path("body"), e.what());
      }
      const bool typed = std::any_of(a.headers.begin(), a.headers.end(), [](const auto& h) {
        return h.first.size() == 12 &&
               std::equal(h.first.begin(), h.first.end(), "content-type", [](char x, char y) {
                 return std::tolower(static_cast<unsigned char>(x)) == y;
               });
      });
      if (!typed) a.headers.emplace_back("Content-Type", "application/json");
    }
    lua_pop(L, 1);
  }
  if (t.push("expect")) {
    a.expect = static_cast<int>(read_whole(L, t.path("expect"), 100, 599));
    lua_pop(L, 1);
  }
}

action_spec read_action(lua_State* L, const std::string& path, lua_Integer index, bool timed) {
  require_table(L, path);
  table_reader t(L, -1, path, action_fields);
  action_spec a;
  if (t.push("name")) {
    a.name = read_string(L, t.path("name"), "a name for the action");
    lua_pop(L, 1);
  } else {
    a.name = (timed ? "action " : "rollback ") + std::to_string(index);
  }
  if (t.push("at")) {
    if (!timed) fail(t.path("at"), "rollbacks have no time: they run once the load has ended");
    a.at = read_duration(L, t.path("at"), false);
    lua_pop(L, 1);
  } else if (timed) {
    fail(t.path("at"), "missing (when the action runs, since the load started: \"20s\")");
  }
  const bool exec = t.has("exec");
  const bool http = t.has("http");
  if (exec == http)
    fail(path, exec ? "both exec and http are given: an action does one thing"
                    : "expected exec = \"command\" (or { argv... }) or http = { url = ... }");
  if (t.push("exec")) a.exec = read_argv(L, t.path("exec")), lua_pop(L, 1);
  if (t.push("http")) read_http(L, t.path("http"), a), lua_pop(L, 1);
  if (t.push("timeout")) a.timeout = read_duration(L, t.path("timeout"), true), lua_pop(L, 1);
  return a;
}

}  // namespace

steady_state_options read_steady_state(lua_State* L, const std::string& path) {
  require_table(L, path);
  table_reader t(L, -1, path, steady_state_fields);
  steady_state_options o;
  if (!t.push("probes"))
    fail(t.path("probes"), "missing (expected an array of { name, probe = function, tolerance })");
  lua_Integer index = 0;
  for_each_element(L, t.path("probes"), "probes",
                   [&](const std::string& p) { o.probes.push_back(read_probe(L, p, ++index)); });
  lua_pop(L, 1);
  if (t.push("within")) o.within = read_duration(L, t.path("within"), false), lua_pop(L, 1);
  if (t.push("interval")) o.interval = read_duration(L, t.path("interval"), true), lua_pop(L, 1);
  if (t.push("timeout")) o.timeout = read_duration(L, t.path("timeout"), true), lua_pop(L, 1);
  return o;
}

std::vector<action_spec> read_actions(lua_State* L, const std::string& path, bool timed) {
  std::vector<action_spec> out;
  lua_Integer index = 0;
  for_each_element(L, path, timed ? "actions" : "rollbacks",
                   [&](const std::string& p) { out.push_back(read_action(L, p, ++index, timed)); });
  if (timed)
    std::stable_sort(out.begin(), out.end(),
                     [](const action_spec& a, const action_spec& b) { return a.at < b.at; });
  return out;
}

engine::capacity_spec read_capacity(lua_State* L, const std::string& path) {
  require_table(L, path);
  table_reader t(L, -1, path, capacity_fields);
  engine::capacity_spec c;
  if (!t.push("p99")) fail(t.path("p99"), "missing (the latency budget per second: \"300ms\")");
  c.p99_ms =
      std::chrono::duration<double, std::milli>(read_duration(L, t.path("p99"), true)).count();
  lua_pop(L, 1);
  if (t.push("error_rate")) {
    c.error_rate = read_probability(L, t.path("error_rate"));
    lua_pop(L, 1);
  }
  if (t.push("sustain")) {
    c.sustain_seconds = static_cast<unsigned>(read_whole(L, t.path("sustain"), 1, 3600));
    lua_pop(L, 1);
  }
  return c;
}

std::vector<std::string> read_allow_hosts(lua_State* L, const std::string& path) {
  std::vector<std::string> out;
  if (lua_type(L, -1) == LUA_TSTRING) {
    out.push_back(lua_tostring(L, -1));
    check_host_pattern(out.back(), path);
    return out;
  }
  for_each_element(L, path, "host patterns", [&](const std::string& p) {
    out.push_back(read_string(L, p,
                              "a host pattern (\"localhost\", \"*.example.com\", "
                              "\"10.0.0.0/8\")"));
    check_host_pattern(out.back(), p);
  });
  return out;
}

}  // namespace ordeal::scenarios::options_reading
