#include <string>

#include "options_reading.hpp"
#include "ordeal/scenarios/drill.hpp"

namespace ordeal::scenarios {
namespace {

using namespace options_reading;

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
constexpr choice<engine::outcome> retryable_outcomes[] = {
    {"timeout", engine::outcome::timeout},
    {"reset", engine::outcome::reset},
    {"connect", engine::outcome::connect},
    {"protocol", engine::outcome::protocol},
    {"tls", engine::outcome::tls},
    {"refused", engine::outcome::refused},
    {"stream_reset", engine::outcome::stream_reset}};

// One entry of retry.on, added to the sets.
void read_retry_condition(lua_State* L, const std::string& path, engine::retry_policy& retry) {
  const std::string accepted =
      "timeout, reset, connect, protocol, tls, refused, stream_reset, 4xx, 5xx or a status code "
      "100-599";
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

}  // namespace ordeal::scenarios
