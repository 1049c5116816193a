#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <lua.hpp>
#include <map>
#include <span>

#include "ordeal/engine/config_error.hpp"
#include "ordeal/engine/duration.hpp"
#include "ordeal/engine/url.hpp"
#include "ordeal/scenarios/drill.hpp"

namespace ordeal::scenarios {
namespace {

using engine::config_error;

// Restores the Lua stack however the reading ends (config errors are C++ exceptions).
class stack_guard {
 public:
  explicit stack_guard(lua_State* L) : L_(L), top_(lua_gettop(L)) {}
  ~stack_guard() { lua_settop(L_, top_); }
  stack_guard(const stack_guard&) = delete;
  stack_guard& operator=(const stack_guard&) = delete;

 private:
  lua_State* L_;
  int top_;
};

[[noreturn]] void fail(const std::string& path, const std::string& message) {
  throw config_error(path + ": " + message);
}

bool is_identifier(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// path + ".name", or path + "[\"my name\"]" when the name is not an identifier.
std::string member_path(const std::string& path, std::string_view name) {
  if (is_identifier(name)) return path + "." + std::string(name);
  return path + "[\"" + std::string(name) + "\"]";
}

std::string index_path(const std::string& path, lua_Integer i) {
  return path + "[" + std::to_string(i) + "]";
}

// A value as the user wrote it, for "got ..." in messages.
std::string describe(lua_State* L, int index) {
  switch (lua_type(L, index)) {
    case LUA_TNIL:
      return "nothing";
    case LUA_TBOOLEAN:
      return lua_toboolean(L, index) ? "true" : "false";
    case LUA_TNUMBER: {
      if (lua_isinteger(L, index)) return std::to_string(lua_tointeger(L, index));
      char buffer[32];
      const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, lua_tonumber(L, index));
      return std::string(buffer, end);
    }
    case LUA_TSTRING: {
      std::size_t size = 0;
      const char* data = lua_tolstring(L, index, &size);
      std::string text(data, std::min<std::size_t>(size, 40));
      return "\"" + text + (size > 40 ? "...\"" : "\"");
    }
    case LUA_TTABLE:
      return "a table";
    default:
      return std::string("a ") + lua_typename(L, lua_type(L, index));
  }
}

[[noreturn]] void expected(lua_State* L, int index, const std::string& path,
                           const std::string& what) {
  fail(path, "expected " + what + ", got " + describe(L, index));
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// One accepted field of a table: its snake_case name and up to two other spellings (k6's).
struct field {
  std::string_view name;
  std::string_view alias = {};
  std::string_view alias2 = {};
};

// Checks a table's keys against the accepted fields once, then hands out values by name.
class table_reader {
 public:
  table_reader(lua_State* L, int index, std::string path, std::span<const field> fields)
      : L_(L), index_(lua_absindex(L, index)), path_(std::move(path)), fields_(fields) {
    lua_pushnil(L_);
    while (lua_next(L_, index_) != 0) {
      lua_pop(L_, 1);
      if (lua_type(L_, -1) != LUA_TSTRING) {
        fail(path_, "expected field names as keys, got the key " + describe(L_, -1));
      }
      std::size_t size = 0;
      const char* data = lua_tolstring(L_, -1, &size);
      const std::string key(data, size);
      const field* match = find(key);
      if (match == nullptr) fail(member_path(path_, key), unknown_field_hint(key));
      const auto [it, inserted] = spelling_.emplace(std::string(match->name), key);
      if (!inserted) {
        // snake_case first, whatever order the table iterates in.
        const bool key_first = key == match->name;
        fail(path_, "both " + (key_first ? key : it->second) + " and " +
                        (key_first ? it->second : key) + " are given; they are the same field");
      }
    }
  }

  bool has(std::string_view name) const { return spelling_.contains(std::string(name)); }

  // Pushes the field's value and returns true, or pushes nothing and returns false.
  bool push(std::string_view name) {
    const auto it = spelling_.find(std::string(name));
    if (it == spelling_.end()) return false;
    lua_pushlstring(L_, it->second.data(), it->second.size());
    lua_rawget(L_, index_);
    return true;
  }

  // The field's path as the user spelled it (the snake_case name when absent).
  std::string path(std::string_view name) const {
    const auto it = spelling_.find(std::string(name));
    return member_path(path_, it == spelling_.end() ? name : std::string_view(it->second));
  }
  const std::string& table_path() const { return path_; }

 private:
  const field* find(std::string_view key) const {
    for (const field& f : fields_) {
      if (key == f.name || (!f.alias.empty() && key == f.alias) ||
          (!f.alias2.empty() && key == f.alias2)) {
        return &f;
      }
    }
    return nullptr;
  }

  std::string unknown_field_hint(std::string_view key) const {
    std::string_view best;
    std::size_t best_distance = std::numeric_limits<std::size_t>::max();
    for (const field& f : fields_) {
      for (const std::string_view spelling : {f.name, f.alias, f.alias2}) {
        if (spelling.empty()) continue;
        const std::size_t d = edit_distance(key, spelling);
        if (d < best_distance) best_distance = d, best = spelling;
      }
    }
    const auto shared_prefix = [&](std::string_view spelling) {
      std::size_t n = 0;
      while (n < key.size() && n < spelling.size() &&
             std::tolower(static_cast<unsigned char>(key[n])) ==
                 std::tolower(static_cast<unsigned char>(spelling[n]))) {
        ++n;
      }
      return n;
    };
    // Close by edits ("vu" for vus), or the same start ("retries" for retry).
    if ((best_distance <= std::max<std::size_t>(2, key.size() / 3) && best_distance < key.size()) ||
        (shared_prefix(best) >= 4 && best_distance <= key.size() / 2)) {
      return "unknown field (did you mean " + std::string(best) + "?)";
    }
    std::string list;
    for (const field& f : fields_)
      list += (list.empty() ? "" : ", ") + std::string(f.name);
    return "unknown field (expected one of " + list + ")";
  }

  lua_State* L_;
  int index_;
  std::string path_;
  std::span<const field> fields_;
  std::map<std::string, std::string> spelling_;  // field name -> key as written
};

// --- Values (at the top of the stack) -----------------------------------------------------

std::uint64_t read_whole(lua_State* L, const std::string& path, std::uint64_t min,
                         std::uint64_t max = std::numeric_limits<unsigned>::max()) {
  const std::string what = "a whole number >= " + std::to_string(min);
  if (lua_type(L, -1) != LUA_TNUMBER) expected(L, -1, path, what);
  lua_Integer value = 0;
  if (lua_isinteger(L, -1)) {
    value = lua_tointeger(L, -1);
  } else {
    const double d = lua_tonumber(L, -1);
    if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 9e18) {
      expected(L, -1, path, what);
    }
    value = static_cast<lua_Integer>(d);
  }
  if (value < 0 || static_cast<std::uint64_t>(value) < min) expected(L, -1, path, what);
  if (static_cast<std::uint64_t>(value) > max) {
    expected(L, -1, path,
             "a whole number between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return static_cast<std::uint64_t>(value);
}

unsigned read_count(lua_State* L, const std::string& path, unsigned min) {
  return static_cast<unsigned>(read_whole(L, path, min));
}

// A finite number; `positive` refuses 0 as well as negatives.
double read_number(lua_State* L, const std::string& path, bool positive) {
  const std::string what = positive ? "a number > 0" : "a number >= 0";
  if (lua_type(L, -1) != LUA_TNUMBER) expected(L, -1, path, what);
  const double d = lua_tonumber(L, -1);
  if (!std::isfinite(d) || d < 0 || (positive && d == 0)) expected(L, -1, path, what);
  return d;
}

double read_probability(lua_State* L, const std::string& path) {
  const std::string what = "a probability between 0 and 1";
  if (lua_type(L, -1) != LUA_TNUMBER) expected(L, -1, path, what);
  const double p = lua_tonumber(L, -1);
  if (!(p >= 0 && p <= 1)) expected(L, -1, path, what);
  return p;
}

std::chrono::nanoseconds read_duration(lua_State* L, const std::string& path, bool positive) {
  std::chrono::nanoseconds d{};
  if (lua_type(L, -1) == LUA_TSTRING) {
    try {
      d = engine::parse_duration(lua_tostring(L, -1));
    } catch (const config_error& e) {
      fail(path, e.what());
    }
  } else if (lua_type(L, -1) == LUA_TNUMBER) {
    const double seconds = lua_tonumber(L, -1);
    if (!std::isfinite(seconds) || seconds < 0 || seconds > 1e9) {
      expected(L, -1, path, "a duration such as \"30s\" or a number of seconds >= 0");
    }
    d = std::chrono::nanoseconds(std::llround(seconds * 1e9));
  } else {
    expected(L, -1, path, "a duration such as \"30s\" or a number of seconds");
  }
  if (positive && d.count() == 0) expected(L, -1, path, "a duration > 0");
  return d;
}

std::string read_string(lua_State* L, const std::string& path, const std::string& what) {
  if (lua_type(L, -1) != LUA_TSTRING) expected(L, -1, path, what);
  std::size_t size = 0;
  const char* data = lua_tolstring(L, -1, &size);
  if (size == 0) expected(L, -1, path, what);
  return std::string(data, size);
}

bool read_boolean(lua_State* L, const std::string& path) {
  if (lua_type(L, -1) != LUA_TBOOLEAN) expected(L, -1, path, "true or false");
  return lua_toboolean(L, -1);
}

void require_table(lua_State* L, const std::string& path) {
  if (lua_type(L, -1) != LUA_TTABLE) expected(L, -1, path, "a table");
}

template <typename E>
struct choice {
  std::string_view name;
  E value;
};

// One of a fixed set of words: `unknown <noun> "x" (expected a, b, c)`.
template <typename E, std::size_t N>
E read_choice(lua_State* L, const std::string& path, std::string_view noun,
              const choice<E> (&choices)[N]) {
  std::string list;
  for (const auto& c : choices)
    list += (list.empty() ? "" : ", ") + std::string(c.name);
  if (lua_type(L, -1) != LUA_TSTRING) expected(L, -1, path, "one of " + list);
  const std::string_view word = lua_tostring(L, -1);
  for (const auto& c : choices) {
    if (c.name == word) return c.value;
  }
  fail(path, "unknown " + std::string(noun) + " " + describe(L, -1) + " (expected " + list + ")");
}

// Calls `each(path)` with every element of the array at the top pushed, after checking that
// the table is a non-empty array.
template <typename F>
void for_each_element(lua_State* L, const std::string& path, std::string_view what, F each) {
  require_table(L, path);
  const int table = lua_gettop(L);
  const auto n = static_cast<lua_Integer>(lua_rawlen(L, table));
  lua_Integer keys = 0;
  lua_pushnil(L);
  while (lua_next(L, table) != 0) {
    lua_pop(L, 1);
    ++keys;
  }
  if (keys != n) fail(path, "expected an array of " + std::string(what) + " (keys 1..n)");
  if (n == 0) fail(path, "expected at least one of " + std::string(what) + ", got an empty table");
  for (lua_Integer i = 1; i <= n; ++i) {
    lua_rawgeti(L, table, i);
    each(index_path(path, i));
    lua_pop(L, 1);
  }
}

// --- Behaviour ------------------------------------------------------------------------------

constexpr field behaviour_fields[] = {
    {"retry"}, {"duplicate"}, {"abandon"}, {"reorder"}, {"trickle"}};
constexpr field retry_fields[] = {{"attempts"},
                                  {"backoff"},
                                  {"base"},
                                  {"max"},
                                  {"jitter"},
                                  {"on"},
                                  {"respect_retry_after", "respectRetryAfter"},
                                  {"budget"}};
constexpr field duplicate_fields[] = {{"probability"}, {"mode"}};
constexpr field abandon_fields[] = {{"probability"}, {"after"}};
constexpr field reorder_fields[] = {{"probability"}, {"delay"}};
constexpr field trickle_fields[] = {{"bytes"}, {"every"}};

constexpr choice<engine::backoff_kind> backoffs[] = {
    {"constant", engine::backoff_kind::constant},
    {"linear", engine::backoff_kind::linear},
    {"exponential", engine::backoff_kind::exponential}};
constexpr choice<engine::jitter_kind> jitters[] = {{"none", engine::jitter_kind::none},
                                                   {"full", engine::jitter_kind::full},
                                                   {"equal", engine::jitter_kind::equal}};
constexpr choice<engine::duplicate_mode> duplicate_modes[] = {
    {"sequential", engine::duplicate_mode::sequential},
    {"concurrent", engine::duplicate_mode::concurrent}};
constexpr choice<engine::abandon_point> abandon_points[] = {
    {"request_sent", engine::abandon_point::request_sent},
    {"first_byte", engine::abandon_point::first_byte}};
constexpr choice<engine::outcome> retryable_outcomes[] = {{"timeout", engine::outcome::timeout},
                                                          {"reset", engine::outcome::reset},
                                                          {"connect", engine::outcome::connect},
                                                          {"protocol", engine::outcome::protocol}};

// One entry of retry.on, added to the sets.
void read_retry_condition(lua_State* L, const std::string& path, engine::retry_policy& retry) {
  const std::string accepted =
      "timeout, reset, connect, protocol, 4xx, 5xx or a status code 100-599";
  int status = 0;
  if (lua_type(L, -1) == LUA_TNUMBER) {
    if (!lua_isinteger(L, -1)) expected(L, -1, path, accepted);
    status = static_cast<int>(std::clamp<lua_Integer>(lua_tointeger(L, -1), -1, 1000));
  } else if (lua_type(L, -1) == LUA_TSTRING) {
    const std::string_view word = lua_tostring(L, -1);
    for (const auto& c : retryable_outcomes) {
      if (c.name == word) {
        retry.on_outcomes.insert(c.value);
        return;
      }
    }
    if (word == "4xx" || word == "5xx") {
      const int first = word[0] == '4' ? 400 : 500;
      for (int s = first; s < first + 100; ++s)
        retry.on_statuses.insert(s);
      return;
    }
    const auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), status);
    if (ec != std::errc{} || end != word.data() + word.size()) {
      fail(path, "unknown condition " + describe(L, -1) + " (expected " + accepted + ")");
    }
  } else {
    expected(L, -1, path, accepted);
  }
  if (status < 100 || status > 599) {
    fail(path, "status " + describe(L, -1) + " is not an HTTP status (expected 100-599)");
  }
  retry.on_statuses.insert(status);
}

void read_retry(lua_State* L, const std::string& path, engine::retry_policy& retry) {
  require_table(L, path);
  table_reader t(L, -1, path, retry_fields);
  if (t.push("attempts")) retry.attempts = read_count(L, t.path("attempts"), 1), lua_pop(L, 1);
  if (t.push("backoff")) {
    retry.backoff = read_choice(L, t.path("backoff"), "backoff", backoffs);
    lua_pop(L, 1);
  }
  if (t.push("base")) retry.base = read_duration(L, t.path("base"), false), lua_pop(L, 1);
  if (t.push("max")) retry.max = read_duration(L, t.path("max"), false), lua_pop(L, 1);
  if (retry.max < retry.base) {
    fail(t.path(t.has("max") ? "max" : "base"),
         "the longest wait (max " + engine::format_duration(retry.max) +
             ") is shorter than the first one (base " + engine::format_duration(retry.base) + ")");
  }
  if (t.push("jitter")) {
    if (lua_type(L, -1) == LUA_TBOOLEAN) {  // jitter = false reads naturally
      retry.jitter = lua_toboolean(L, -1) ? engine::jitter_kind::full : engine::jitter_kind::none;
    } else {
      retry.jitter = read_choice(L, t.path("jitter"), "jitter", jitters);
    }
    lua_pop(L, 1);
  }
  if (t.push("on")) {
    // Given, it replaces both default sets: the drill says exactly what is retried.
    retry.on_outcomes.clear();
    retry.on_statuses.clear();
    const std::string on_path = t.path("on");
    if (lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER) {
      read_retry_condition(L, on_path, retry);
    } else {
      for_each_element(L, on_path, "conditions",
                       [&](const std::string& p) { read_retry_condition(L, p, retry); });
    }
    lua_pop(L, 1);
  }
  if (t.push("respect_retry_after")) {
    retry.respect_retry_after = read_boolean(L, t.path("respect_retry_after"));
    lua_pop(L, 1);
  }
  if (t.push("budget")) retry.budget = read_number(L, t.path("budget"), false), lua_pop(L, 1);
}

}  // namespace

engine::behaviour read_behaviour(lua_State* L, int index, const engine::behaviour& defaults,
                                 std::string_view where) {
  stack_guard guard(L);
  engine::behaviour b = defaults;
  const std::string path(where);
  lua_pushvalue(L, index);
  require_table(L, path);
  table_reader t(L, -1, path, behaviour_fields);
  if (t.push("retry")) read_retry(L, t.path("retry"), b.retry), lua_pop(L, 1);
  if (t.push("duplicate")) {
    const std::string p = t.path("duplicate");
    require_table(L, p);
    table_reader d(L, -1, p, duplicate_fields);
    if (d.push("probability")) {
      b.duplicate.probability = read_probability(L, d.path("probability"));
      lua_pop(L, 1);
    }
    if (d.push("mode")) {
      b.duplicate.mode = read_choice(L, d.path("mode"), "mode", duplicate_modes);
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  if (t.push("abandon")) {
    const std::string p = t.path("abandon");
    require_table(L, p);
    table_reader a(L, -1, p, abandon_fields);
    if (a.push("probability")) {
      b.abandon.probability = read_probability(L, a.path("probability"));
      lua_pop(L, 1);
    }
    if (a.push("after")) {
      b.abandon.after = read_choice(L, a.path("after"), "point", abandon_points);
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  if (t.push("reorder")) {
    const std::string p = t.path("reorder");
    require_table(L, p);
    table_reader r(L, -1, p, reorder_fields);
    if (r.push("probability")) {
      b.reorder.probability = read_probability(L, r.path("probability"));
      lua_pop(L, 1);
    }
    if (r.push("delay")) b.reorder.delay = read_duration(L, r.path("delay"), false), lua_pop(L, 1);
    lua_pop(L, 1);
  }
  if (t.push("trickle")) {
    const std::string p = t.path("trickle");
    require_table(L, p);
    table_reader tr(L, -1, p, trickle_fields);
    if (tr.push("bytes")) {
      b.trickle.bytes = static_cast<std::size_t>(read_whole(L, tr.path("bytes"), 0));
      lua_pop(L, 1);
    }
    if (tr.push("every")) {
      b.trickle.every = read_duration(L, tr.path("every"), true);
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  return b;
}

namespace {

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
                                   {"vus"},
                                   {"duration"},
                                   {"iterations"},
                                   {"stages"}};

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

void read_thresholds(lua_State* L, const std::string& path, drill_options& out) {
  require_table(L, path);
  const int table = lua_gettop(L);
  std::map<std::string, std::vector<std::string>> thresholds;
  const std::string what = "a threshold such as \"p(95) < 500\" or an array of them";
  lua_pushnil(L);
  while (lua_next(L, table) != 0) {
    if (lua_type(L, -2) != LUA_TSTRING) {
      fail(path, "expected metric names as keys, got the key " + describe(L, -2));
    }
    const std::string metric = lua_tostring(L, -2);
    const std::string metric_path = member_path(path, metric);
    std::vector<std::string>& expressions = thresholds[metric];
    if (lua_type(L, -1) == LUA_TSTRING) {
      expressions.push_back(read_string(L, metric_path, what));
    } else if (lua_type(L, -1) == LUA_TTABLE) {
      for_each_element(L, metric_path, "thresholds", [&](const std::string& p) {
        expressions.push_back(read_string(L, p, what));
      });
    } else {
      expected(L, -1, metric_path, what);
    }
    lua_pop(L, 1);
  }
  out.thresholds.assign(thresholds.begin(), thresholds.end());
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
