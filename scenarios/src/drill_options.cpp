#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <lua.hpp>
#include <map>
#include <span>

#include "drill_structure_options.hpp"
#include "idempotency_options.hpp"
#include "integrity_options.hpp"
#include "lua_json.hpp"
#include "options_reading.hpp"
#include "ordeal/engine/config_error.hpp"
#include "ordeal/engine/duration.hpp"
#include "ordeal/engine/metric_filter.hpp"
#include "ordeal/engine/url.hpp"
#include "ordeal/scenarios/drill.hpp"
#include "protocol_options.hpp"

namespace ordeal::scenarios {
namespace {

using namespace options_reading;

// --- Scenarios ------------------------------------------------------------------------------

constexpr choice<executor_kind> executors[] = {
    {"constant-vus", executor_kind::constant_vus},
    {"ramping-vus", executor_kind::ramping_vus},
    {"constant-arrival-rate", executor_kind::constant_arrival_rate},
    {"ramping-arrival-rate", executor_kind::ramping_arrival_rate},
    {"per-vu-iterations", executor_kind::per_vu_iterations},
    {"shared-iterations", executor_kind::shared_iterations}};

constexpr field f_executor{"executor"};
constexpr field f_exec{"exec"};
constexpr field f_start_time{"start_time", "startTime"};
constexpr field f_graceful_stop{"graceful_stop", "gracefulStop"};
constexpr field f_vus{"vus"};
constexpr field f_start_vus{"start_vus", "startVUs"};
constexpr field f_duration{"duration"};
constexpr field f_stages{"stages"};
constexpr field f_rate{"rate"};
constexpr field f_start_rate{"start_rate", "startRate"};
constexpr field f_time_unit{"time_unit", "timeUnit"};
constexpr field f_pre_allocated_vus{"pre_allocated_vus", "preAllocatedVUs", "preallocated_vus"};
constexpr field f_max_vus{"max_vus", "maxVUs"};
constexpr field f_iterations{"iterations"};
constexpr field f_max_duration{"max_duration", "maxDuration"};

constexpr field constant_vus_fields[] = {f_executor,      f_exec, f_start_time,
                                         f_graceful_stop, f_vus,  f_duration};
constexpr field ramping_vus_fields[] = {f_executor,      f_exec,      f_start_time,
                                        f_graceful_stop, f_start_vus, f_stages};
constexpr field constant_rate_fields[] = {
    f_executor,  f_exec,     f_start_time,        f_graceful_stop, f_rate,
    f_time_unit, f_duration, f_pre_allocated_vus, f_max_vus};
constexpr field ramping_rate_fields[] = {
    f_executor,  f_exec,   f_start_time,        f_graceful_stop, f_start_rate,
    f_time_unit, f_stages, f_pre_allocated_vus, f_max_vus};
constexpr field iterations_fields[] = {f_executor, f_exec,       f_start_time,  f_graceful_stop,
                                       f_vus,      f_iterations, f_max_duration};

std::span<const field> fields_of(executor_kind kind) {
  switch (kind) {
    case executor_kind::constant_vus:
      return constant_vus_fields;
    case executor_kind::ramping_vus:
      return ramping_vus_fields;
    case executor_kind::constant_arrival_rate:
      return constant_rate_fields;
    case executor_kind::ramping_arrival_rate:
      return ramping_rate_fields;
    case executor_kind::per_vu_iterations:
    case executor_kind::shared_iterations:
      return iterations_fields;
  }
  return {};
}

// {"30s", 400} or {duration = "30s", target = 400}; `whole` targets are VU counts.
engine::stage read_stage(lua_State* L, const std::string& path, bool whole) {
  require_table(L, path);
  const int table = lua_gettop(L);
  engine::stage s;
  const auto read_target = [&](const std::string& p) {
    s.target = whole ? static_cast<double>(read_whole(L, p, 0)) : read_number(L, p, false);
  };
  lua_rawgeti(L, table, 1);
  const bool positional = !lua_isnil(L, -1);
  lua_pop(L, 1);
  if (positional) {
    lua_Integer keys = 0;
    lua_pushnil(L);
    while (lua_next(L, table) != 0)
      lua_pop(L, 1), ++keys;
    if (keys != 2 || lua_rawlen(L, table) != 2) {
      fail(path,
           "expected {duration, target} such as {\"30s\", 50}, or {duration = \"30s\", "
           "target = 50}");
    }
    lua_rawgeti(L, table, 1);
    s.duration = read_duration(L, index_path(path, 1), false);
    lua_pop(L, 1);
    lua_rawgeti(L, table, 2);
    read_target(index_path(path, 2));
    lua_pop(L, 1);
    return s;
  }
  static constexpr field stage_fields[] = {{"duration"}, {"target"}};
  table_reader t(L, table, path, stage_fields);
  if (!t.push("duration")) fail(t.path("duration"), "missing (each stage needs a duration)");
  s.duration = read_duration(L, t.path("duration"), false);
  lua_pop(L, 1);
  if (!t.push("target")) fail(t.path("target"), "missing (each stage needs a target)");
  read_target(t.path("target"));
  lua_pop(L, 1);
  return s;
}

std::vector<engine::stage> read_stages(lua_State* L, const std::string& path, bool whole) {
  std::vector<engine::stage> stages;
  for_each_element(L, path, "stages",
                   [&](const std::string& p) { stages.push_back(read_stage(L, p, whole)); });
  std::chrono::nanoseconds total{};
  for (const auto& s : stages)
    total += s.duration;
  if (total.count() == 0) fail(path, "the stages last 0s in total (expected some duration)");
  return stages;
}

std::chrono::nanoseconds total_of(const std::vector<engine::stage>& stages) {
  std::chrono::nanoseconds total{};
  for (const auto& s : stages)
    total += s.duration;
  return total;
}

std::string executor_list() {
  std::string list;
  for (const auto& c : executors)
    list += (list.empty() ? "" : ", ") + std::string(c.name);
  return list;
}

// A field of another executor gets a clearer message than "unknown field".
void reject_fields_of_other_executors(lua_State* L, int table, const std::string& path,
                                      executor_kind kind) {
  const std::span<const field> own = fields_of(kind);
  const auto spelled = [](const field& f, std::string_view key) {
    return key == f.name || key == f.alias || key == f.alias2;
  };
  lua_pushnil(L);
  while (lua_next(L, table) != 0) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING) continue;  // table_reader reports it
    const std::string_view key = lua_tostring(L, -1);
    if (std::any_of(own.begin(), own.end(), [&](const field& f) { return spelled(f, key); })) {
      continue;
    }
    for (const auto& other : executors) {
      const std::span<const field> theirs = fields_of(other.value);
      if (std::any_of(theirs.begin(), theirs.end(),
                      [&](const field& f) { return spelled(f, key); })) {
        std::string list;
        for (const field& f : own)
          list += (list.empty() ? "" : ", ") + std::string(f.name);
        fail(member_path(path, key),
             "not used by " + std::string(to_string(kind)) + " (it takes " + list + ")");
      }
    }
  }
}

void require_field(const table_reader& t, std::string_view name, executor_kind kind,
                   std::string_view why) {
  if (!t.has(name)) {
    fail(t.path(name),
         "missing (" + std::string(to_string(kind)) + " needs " + std::string(why) + ")");
  }
}

// A global, read raw: a drill may guard _G with a metatable that raises on unknown names, and
// nothing here runs in protected mode.
int push_global(lua_State* L, const char* name) {
  lua_pushglobaltable(L);
  lua_pushstring(L, name);
  const int type = lua_rawget(L, -2);
  lua_remove(L, -2);
  return type;
}

void check_exec(lua_State* L, const std::string& path, const std::string& exec) {
  const int type = push_global(L, exec.c_str());
  lua_pop(L, 1);
  if (type != LUA_TFUNCTION) {
    fail(path, "no global function \"" + exec +
                   "\" in the drill (exec names the function each "
                   "iteration runs)");
  }
}

scenario_spec read_scenario(lua_State* L, const std::string& path, std::string name) {
  require_table(L, path);
  const int table = lua_gettop(L);
  scenario_spec s;
  s.name = std::move(name);

  lua_pushliteral(L, "executor");  // first: it decides which fields are accepted
  if (lua_rawget(L, table) == LUA_TNIL) {
    fail(member_path(path, "executor"), "missing (expected one of " + executor_list() + ")");
  }
  s.executor = read_choice(L, member_path(path, "executor"), "executor", executors);
  lua_pop(L, 1);
  reject_fields_of_other_executors(L, table, path, s.executor);

  table_reader t(L, table, path, fields_of(s.executor));
  if (t.push("exec")) {
    s.exec = read_string(L, t.path("exec"), "the name of a global function");
    lua_pop(L, 1);
  }
  check_exec(L, t.path("exec"), s.exec);
  if (t.push("start_time")) {
    s.start_time = read_duration(L, t.path("start_time"), false);
    lua_pop(L, 1);
  }
  if (t.push("graceful_stop")) {
    s.graceful_stop = read_duration(L, t.path("graceful_stop"), false);
    lua_pop(L, 1);
  }
  if (t.push("vus")) s.vus = read_count(L, t.path("vus"), 1), lua_pop(L, 1);
  if (t.push("pre_allocated_vus")) {
    s.vus = read_count(L, t.path("pre_allocated_vus"), 1);
    lua_pop(L, 1);
  }
  if (t.push("start_vus")) s.start_vus = read_count(L, t.path("start_vus"), 0), lua_pop(L, 1);
  if (t.push("max_vus")) s.max_vus = read_count(L, t.path("max_vus"), 1), lua_pop(L, 1);
  if (t.push("duration")) s.duration = read_duration(L, t.path("duration"), true), lua_pop(L, 1);
  if (t.push("rate")) s.rate = read_number(L, t.path("rate"), true), lua_pop(L, 1);
  if (t.push("start_rate")) {
    s.start_rate = read_number(L, t.path("start_rate"), false);
    lua_pop(L, 1);
  }
  if (t.push("time_unit")) {
    s.time_unit = read_duration(L, t.path("time_unit"), true);
    lua_pop(L, 1);
  }
  if (t.push("iterations")) {
    s.iterations = read_whole(L, t.path("iterations"), 1, std::numeric_limits<lua_Integer>::max());
    lua_pop(L, 1);
  }
  if (t.push("max_duration")) {
    s.max_duration = read_duration(L, t.path("max_duration"), true);
    lua_pop(L, 1);
  }
  if (t.push("stages")) {
    s.stages = read_stages(L, t.path("stages"), s.executor == executor_kind::ramping_vus);
    s.duration = total_of(s.stages);
    lua_pop(L, 1);
  }

  switch (s.executor) {
    case executor_kind::constant_vus:
      require_field(t, "vus", s.executor, "vus, the number of virtual users");
      require_field(t, "duration", s.executor, "a duration");
      break;
    case executor_kind::ramping_vus:
      require_field(t, "stages", s.executor, "stages such as {{\"30s\", 50}, {\"1m\", 0}}");
      break;
    case executor_kind::constant_arrival_rate:
      require_field(t, "rate", s.executor, "a rate: iterations per time_unit");
      require_field(t, "duration", s.executor, "a duration");
      break;
    case executor_kind::ramping_arrival_rate:
      require_field(t, "stages", s.executor, "stages such as {{\"30s\", 50}, {\"1m\", 0}}");
      break;
    case executor_kind::per_vu_iterations:
    case executor_kind::shared_iterations:
      break;
  }
  if (s.max_vus != 0 && s.max_vus < s.vus) {
    fail(t.path("max_vus"), std::to_string(s.max_vus) + " is less than the pre-allocated VUs (" +
                                std::to_string(s.vus) + ")");
  }
  return s;
}

// options.vus / duration / iterations / stages without options.scenarios, as k6 reads them.
scenario_spec shortcut_scenario(lua_State* L, table_reader& t) {
  scenario_spec s;
  s.name = "default";
  if (t.push("vus")) s.vus = read_count(L, t.path("vus"), 1), lua_pop(L, 1);
  if (t.push("iterations")) {
    s.executor = executor_kind::shared_iterations;
    s.iterations = read_whole(L, t.path("iterations"), 1, std::numeric_limits<lua_Integer>::max());
    lua_pop(L, 1);
    if (t.has("stages")) fail(t.path("stages"), "cannot be combined with options.iterations");
    if (t.push("duration")) {
      s.max_duration = read_duration(L, t.path("duration"), true);
      lua_pop(L, 1);
    }
  } else if (t.push("stages")) {
    s.executor = executor_kind::ramping_vus;
    s.start_vus = t.has("vus") ? s.vus : 1;
    s.stages = read_stages(L, t.path("stages"), true);
    s.duration = total_of(s.stages);
    lua_pop(L, 1);
    if (t.has("duration")) fail(t.path("duration"), "cannot be combined with options.stages");
  } else if (t.push("duration")) {
    s.executor = executor_kind::constant_vus;
    s.duration = read_duration(L, t.path("duration"), true);
    lua_pop(L, 1);
  } else {
    s.executor = executor_kind::per_vu_iterations;
  }
  check_exec(L, t.table_path(), s.exec);
  return s;
}

constexpr field option_fields[] = {{"target"},
                                   {"seed"},
                                   {"scenarios"},
                                   {"behaviour", "behavior"},
                                   {"thresholds"},
                                   {"timeout"},
                                   {"connect_timeout", "connectTimeout"},
                                   {"history"},
                                   {"max_connections", "maxConnections"},
                                   {"protocol"},
                                   {"tls"},
                                   {"h2"},
                                   {"proxies"},
                                   {"faults"},
                                   {"integrity"},
                                   {"idempotency"},
                                   {"steady_state", "steadyState"},
                                   {"actions"},
                                   {"rollbacks"},
                                   {"allow_hosts", "allowHosts"},
                                   {"capacity"},
                                   {"vus"},
                                   {"duration"},
                                   {"iterations"},
                                   {"stages"}};

// options.proxies or options.faults (at the top of the stack) as JSON, for the fault layer to
// read: only "a table" (and for faults "an array") is checked here.
boost::json::value read_fault_table(lua_State* L, const std::string& path, bool array) {
  require_table(L, path);
  boost::json::value v;
  try {
    v = convert_to_json(L, -1);
  } catch (const json_encode_error& e) {
    fail(path, e.what());
  }
  if (!array) return v;
  // An empty table converts to {}; a timeline without faults is still an array.
  if (v.is_object() && v.get_object().empty()) return boost::json::array();
  if (!v.is_array()) {
    fail(path,
         "expected an array of faults (keys 1..n) such as { { at = \"10s\", duration = "
         "\"20s\", proxy = \"db\", toxic = { type = \"latency\", latency = \"300ms\" } } }");
  }
  return v;
}

std::uint64_t read_seed(lua_State* L, const std::string& path) {
  const std::string what = "a whole number >= 0";
  if (lua_type(L, -1) == LUA_TSTRING) {  // room for seeds past 2^63 - 1
    const std::string_view text = lua_tostring(L, -1);
    std::uint64_t seed = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seed);
    if (ec != std::errc{} || end != text.data() + text.size()) expected(L, -1, path, what);
    return seed;
  }
  return read_whole(L, path, 0, std::numeric_limits<lua_Integer>::max());
}

constexpr field threshold_fields[] = {{"threshold"},
                                      {"abort_on_fail", "abortOnFail"},
                                      {"delay_abort_eval", "delayAbortEval"},
                                      {"over"}};

// One threshold (at the top of the stack): "p(95)<200ms" or { threshold = "p(95)<200ms",
// abort_on_fail = true, delay_abort_eval = "10s", over = "30s" }.
engine::threshold_spec read_threshold(lua_State* L, const std::string& path,
                                      const std::string& metric) {
  const std::string what =
      "a threshold such as \"p(95) < 500\" or { threshold = \"p(95)<500\", abort_on_fail = true }";
  engine::threshold_spec t;
  t.metric = metric;
  t.path = path;
  if (lua_type(L, -1) != LUA_TTABLE) {
    t.expression = read_string(L, path, what);
    return t;
  }
  table_reader r(L, -1, path, threshold_fields);
  if (!r.push("threshold"))
    fail(path, "missing threshold = \"STAT OP VALUE\" (e.g. \"p(95)<200ms\")");
  t.expression = read_string(L, r.path("threshold"), "a threshold such as \"p(95) < 500\"");
  lua_pop(L, 1);
  if (r.push("abort_on_fail"))
    t.abort_on_fail = read_boolean(L, r.path("abort_on_fail")), lua_pop(L, 1);
  if (r.push("delay_abort_eval")) {
    t.delay_abort_eval = read_duration(L, r.path("delay_abort_eval"), false);
    lua_pop(L, 1);
  }
  if (r.push("over")) {
    t.over = read_duration(L, r.path("over"), true);
    if (t.over % std::chrono::seconds(1) != std::chrono::nanoseconds(0))
      fail(r.path("over"), "expected whole seconds such as \"30s\" (windows slide by one second)");
    lua_pop(L, 1);
  }
  return t;
}

void read_thresholds(lua_State* L, const std::string& path, drill_options& out) {
  require_table(L, path);
  const int table = lua_gettop(L);
  std::map<std::string, std::vector<engine::threshold_spec>> thresholds;
  lua_pushnil(L);
  while (lua_next(L, table) != 0) {
    if (lua_type(L, -2) != LUA_TSTRING) {
      fail(path, "expected metric names as keys, got the key " + describe(L, -2));
    }
    const std::string metric = lua_tostring(L, -2);
    const std::string metric_path = member_path(path, metric);
    try {
      engine::parse_metric_filter(metric);
    } catch (const config_error& e) {
      fail(metric_path, e.what());
    }
    auto& specs = thresholds[metric];
    if (lua_type(L, -1) == LUA_TSTRING) {
      specs.push_back(read_threshold(L, metric_path, metric));
    } else if (lua_type(L, -1) == LUA_TTABLE) {
      lua_getfield(L, -1, "threshold");
      const bool single = !lua_isnil(L, -1);
      lua_pop(L, 1);
      if (single) {  // one object, not in an array
        specs.push_back(read_threshold(L, metric_path, metric));
      } else {
        for_each_element(L, metric_path, "thresholds", [&](const std::string& p) {
          specs.push_back(read_threshold(L, p, metric));
        });
      }
    } else {
      expected(L, -1, metric_path, "a threshold such as \"p(95) < 500\" or an array of them");
    }
    lua_pop(L, 1);
  }
  for (auto& [metric, specs] : thresholds)
    for (auto& t : specs)
      out.thresholds.push_back(std::move(t));
}

}  // namespace

std::string_view to_string(executor_kind kind) noexcept {
  for (const auto& c : executors) {
    if (c.value == kind) return c.name;
  }
  return "?";
}

drill_options read_drill_options(lua_State* L, std::string_view drill_name) {
  stack_guard guard(L);
  drill_options out;
  const std::string root = std::string(drill_name) + ": options";
  if (push_global(L, "options") == LUA_TNIL) {
    scenario_spec s;
    s.name = "default";
    check_exec(L, std::string(drill_name), s.exec);
    out.scenarios.push_back(std::move(s));
    return out;
  }
  require_table(L, root);
  table_reader t(L, -1, root, option_fields);

  if (t.push("target")) {
    const std::string p = t.path("target");
    out.target = read_string(L, p, "a base URL such as \"http://127.0.0.1:8080\"");
    try {
      engine::parse_url(*out.target);
    } catch (const config_error& e) {
      fail(p, e.what());
    }
    lua_pop(L, 1);
  }
  if (t.push("seed")) out.seed = read_seed(L, t.path("seed")), lua_pop(L, 1);
  if (t.push("timeout")) out.timeout = read_duration(L, t.path("timeout"), true), lua_pop(L, 1);
  if (t.push("connect_timeout")) {
    out.connect_timeout = read_duration(L, t.path("connect_timeout"), true);
    lua_pop(L, 1);
  }
  if (t.push("history")) out.history = read_boolean(L, t.path("history")), lua_pop(L, 1);
  if (t.push("max_connections")) {
    out.max_connections = read_count(L, t.path("max_connections"), 0);
    lua_pop(L, 1);
  }
  if (t.push("thresholds")) read_thresholds(L, t.path("thresholds"), out), lua_pop(L, 1);
  if (t.push("protocol")) out.protocol = read_protocol(L, t.path("protocol")), lua_pop(L, 1);
  if (t.push("tls")) out.tls = read_tls_options(L, t.path("tls"), out.tls), lua_pop(L, 1);
  if (t.push("h2")) out.h2 = read_h2_options(L, t.path("h2"), out.h2), lua_pop(L, 1);
  if (t.push("proxies")) {
    out.proxies = read_fault_table(L, t.path("proxies"), false);
    lua_pop(L, 1);
  }
  if (t.push("faults")) out.faults = read_fault_table(L, t.path("faults"), true), lua_pop(L, 1);
  if (t.push("idempotency")) {
    out.idempotency = read_idempotency_options(L, t.path("idempotency"));
    out.history = true;  // the verdict reads every attempt
    lua_pop(L, 1);
  }
  if (t.push("integrity")) {
    out.integrity = read_integrity_options(L, t.path("integrity"));
    lua_pop(L, 1);
  }
  if (t.push("steady_state")) {
    out.steady_state = read_steady_state(L, t.path("steady_state"));
    lua_pop(L, 1);
  }
  if (t.push("actions")) out.actions = read_actions(L, t.path("actions"), true), lua_pop(L, 1);
  if (t.push("rollbacks")) {
    out.rollbacks = read_actions(L, t.path("rollbacks"), false);
    lua_pop(L, 1);
  }
  if (t.push("capacity")) out.capacity = read_capacity(L, t.path("capacity")), lua_pop(L, 1);
  if (t.push("allow_hosts")) {
    out.allow_hosts = read_allow_hosts(L, t.path("allow_hosts"));
    lua_pop(L, 1);
  }
  if (t.push("behaviour")) {
    out.behaviour = read_behaviour(L, -1, out.behaviour, t.path("behaviour"));
    lua_pop(L, 1);
  }

  if (t.push("scenarios")) {
    const std::string p = t.path("scenarios");
    for (const std::string_view shortcut : {"vus", "duration", "iterations", "stages"}) {
      if (t.has(shortcut)) {
        fail(t.path(shortcut),
             "cannot be combined with options.scenarios (set it inside each "
             "scenario)");
      }
    }
    require_table(L, p);
    const int table = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, table) != 0) {
      if (lua_type(L, -2) != LUA_TSTRING || lua_rawlen(L, -2) == 0) {
        fail(p, "expected scenario names as keys, got the key " + describe(L, -2));
      }
      const std::string name = lua_tostring(L, -2);
      out.scenarios.push_back(read_scenario(L, member_path(p, name), name));
      lua_pop(L, 1);
    }
    if (out.scenarios.empty()) fail(p, "expected at least one scenario, got an empty table");
    std::sort(out.scenarios.begin(), out.scenarios.end(),
              [](const scenario_spec& a, const scenario_spec& b) { return a.name < b.name; });
    lua_pop(L, 1);
  } else {
    out.scenarios.push_back(shortcut_scenario(L, t));
  }
  return out;
}

}  // namespace ordeal::scenarios
