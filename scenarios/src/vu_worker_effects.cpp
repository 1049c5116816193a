// The effects phase of options.idempotency: after the load and the faults have ended, the
// drill's hook counts the side effects of every idempotency key the load used.
#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <lua.hpp>
#include <unordered_map>

#include "lua_json.hpp"
#include "vu_worker.hpp"

namespace ordeal::scenarios {

namespace json = boost::json;

namespace {

// Every attempt that carried one key, as one logical action (a script may reuse a key across
// requests on purpose: they are meant to be the same action).
struct keyed_action {
  std::string key;
  std::string name;  // of the first attempt
  std::string method;
  std::string target;
  engine::attempt_verdict outcome = engine::attempt_verdict::fail;
  unsigned attempts = 0;
  std::int64_t first_us = 0;
};

std::vector<keyed_action> keyed_actions(
    const std::vector<const std::vector<engine::history_entry>*>& histories) {
  std::vector<keyed_action> actions;
  std::unordered_map<std::string, std::size_t> index;
  for (const auto* history : histories) {
    for (const auto& h : *history) {
      if (h.key.empty()) continue;
      auto [it, inserted] = index.try_emplace(h.key, actions.size());
      if (inserted) {
        keyed_action a;
        a.key = h.key;
        a.name = h.name;
        a.method = h.method;
        a.target = h.target;
        a.first_us = h.invoke_us;
        actions.push_back(std::move(a));
      }
      auto& a = actions[it->second];
      a.outcome = engine::combine_outcome(a.outcome, h.verdict);
      ++a.attempts;
      if (h.invoke_us < a.first_us) {
        a.first_us = h.invoke_us;
        a.name = h.name;
        a.method = h.method;
        a.target = h.target;
      }
    }
  }
  // The order the load first used them in: the hook's calls are the same from run to run.
  std::stable_sort(actions.begin(), actions.end(), [](const auto& a, const auto& b) {
    return a.first_us < b.first_us || (a.first_us == b.first_us && a.key < b.key);
  });
  return actions;
}

// The hook's answer as a count, or why it is not one.
engine::effect_count read_count(const std::string& result_text) {
  engine::effect_count c;
  boost::system::error_code ec;
  const json::value v = json::parse(result_text, ec);
  const char* got = "nothing";
  if (!ec) {
    double n = -1;
    if (v.is_int64()) n = static_cast<double>(v.get_int64());
    if (v.is_uint64()) n = static_cast<double>(v.get_uint64());
    if (v.is_double()) n = v.get_double();
    if ((v.is_int64() || v.is_uint64() || v.is_double()) && n >= 0 && n == std::floor(n) &&
        n < 9e18) {
      c.count = static_cast<std::uint64_t>(n);
      return c;
    }
    got = v.is_number()   ? nullptr
          : v.is_string() ? "a string"
          : v.is_bool()   ? "a boolean"
          : v.is_null()   ? "nil"
                          : "a table";
  }
  c.error = got ? std::string("returned ") + got : "returned " + result_text;
  c.error += " (expected the number of side effects, a whole number >= 0)";
  return c;
}

std::string seconds_text(std::chrono::nanoseconds d) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

}  // namespace

engine::idempotency_effects vu_worker::run_effects(
    const std::vector<const std::vector<engine::history_entry>*>& histories) {
  engine::idempotency_effects out;
  if (!plan_.drill.idempotency) return out;
  out.configured = true;
  const auto& options = *plan_.drill.idempotency;
  if (!options.effects) return out;
  out.hook = true;

  // The hook, as the drill defined it: options.idempotency.effects (read raw: a drill may guard
  // its globals with a metatable).
  lua_pushglobaltable(L_);
  lua_pushliteral(L_, "options");
  lua_rawget(L_, -2);
  int ref = LUA_NOREF;
  if (lua_type(L_, -1) == LUA_TTABLE) {
    lua_pushliteral(L_, "idempotency");
    lua_rawget(L_, -2);
    if (lua_type(L_, -1) == LUA_TTABLE) {
      lua_pushliteral(L_, "effects");
      lua_rawget(L_, -2);
      if (lua_isfunction(L_, -1))
        ref = luaL_ref(L_, LUA_REGISTRYINDEX);
      else
        lua_pop(L_, 1);
    }
    lua_pop(L_, 1);
  }
  lua_pop(L_, 2);

  const auto actions = keyed_actions(histories);
  const auto started = clock::now();
  const auto deadline = started + options.effects_timeout;
  set_post_run(true);
  std::size_t done = 0;
  for (const auto& a : actions) {
    if (ref == LUA_NOREF) {
      out.by_key[a.key].error = "options.idempotency.effects is no longer a function";
      ++done;
      continue;
    }
    if (plan_.control && plan_.control->interrupted()) {
      out.stopped = "stopped by a signal";
      break;
    }
    if (clock::now() >= deadline) {
      out.stopped = "the effects phase ran out of its " + seconds_text(options.effects_timeout) +
                    " (options.idempotency.effects_timeout) after " + std::to_string(done) +
                    " of " + std::to_string(actions.size()) + " keys";
      break;
    }
    json::object op;
    op["key"] = a.key;
    op["name"] = a.name;
    op["method"] = a.method;
    op["target"] = a.target;
    op["outcome"] = engine::to_string(a.outcome);
    op["attempts"] = a.attempts;
    auto& c = out.by_key[a.key];
    try {
      const auto result = call_with(ref, op, deadline);
      if (!result) {
        c.error = "no answer within the effects phase's " + seconds_text(options.effects_timeout) +
                  " (options.idempotency.effects_timeout)";
        ++done;
        out.stopped = "the effects phase ran out of its " + seconds_text(options.effects_timeout) +
                      " (options.idempotency.effects_timeout) after " + std::to_string(done) +
                      " of " + std::to_string(actions.size()) + " keys";
        break;
      }
      c = read_count(*result);
    } catch (const script_error& e) {
      c.error = e.what();
    }
    ++done;
  }
  set_post_run(false);
  if (ref != LUA_NOREF) luaL_unref(L_, LUA_REGISTRYINDEX, ref);
  out.unchecked = actions.size() - done;
  out.took = std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - started);
  return out;
}

std::optional<std::string> vu_worker::call_with(int ref, const boost::json::value& arg,
                                                clock::time_point deadline) {
  auto v = std::make_unique<vu>(plan_.seed, "effects", 0);
  v->worker = this;
  v->thread = lua_newthread(L_);
  v->thread_ref = luaL_ref(L_, LUA_REGISTRYINDEX);
  *static_cast<vu**>(lua_getextraspace(v->thread)) = v.get();
  lua_rawgeti(v->thread, LUA_REGISTRYINDEX, ref);
  push_json(v->thread, arg);
  v->running = true;
  v->iteration_start = clock::now();
  once_result_.reset();
  once_error_.reset();
  resume(*v, 1);
  ioc_.restart();
  while (v->running && !ioc_.stopped() && clock::now() < deadline)
    ioc_.run_one_until(deadline);
  luaL_unref(L_, LUA_REGISTRYINDEX, v->thread_ref);
  if (v->running) {
    // Past the deadline with a request or a sleep out: whatever answers later is ignored.
    ++v->generation;
    v->running = false;
    if (v->timer) v->timer->cancel();
    abandoned_once_.push_back(std::move(v));
    return std::nullopt;
  }
  if (once_error_) throw script_error(*once_error_);
  return once_result_.value_or("null");
}

}  // namespace ordeal::scenarios
