#include <catch2/catch.hpp>
#include <lua.hpp>
#include <string>

#include "../../../scenarios/src/lua_sandbox.hpp"
#include "ordeal/engine/config_error.hpp"
#include "ordeal/scenarios/drill.hpp"

using namespace ordeal::scenarios;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using ordeal::engine::config_error;

namespace {

// A drill's state after its chunk ran; defines the functions the scenarios name.
struct drill {
  lua_state state = make_sandboxed_state({});
  lua_State* L = state.get();
  explicit drill(const std::string& code) {
    const std::string all = "function default() end function browse() end\n" + code;
    REQUIRE(luaL_dostring(L, all.c_str()) == LUA_OK);
  }
  drill_options read() { return read_drill_options(L, "drill.lua"); }
};

drill_options read(const std::string& code) {
  return drill(code).read();
}

std::string error_of(const std::string& code) {
  drill d(code);
  try {
    d.read();
  } catch (const config_error& e) {
    CHECK(lua_gettop(d.L) == 0);  // the stack is restored on errors too
    return e.what();
  }
  return "(no error)";
}

std::string scenario(const std::string& fields) {
  return "options = { scenarios = { browse = { " + fields + " } } }";
}

}  // namespace

TEST_CASE("drill options: absent options run default once, as k6", "[scenarios]") {
  const drill_options o = read("");
  REQUIRE(o.scenarios.size() == 1);
  const scenario_spec& s = o.scenarios[0];
  CHECK(s.name == "default");
  CHECK(s.executor == executor_kind::per_vu_iterations);
  CHECK(s.exec == "default");
  CHECK(s.vus == 1);
  CHECK(s.iterations == 1);
  CHECK_FALSE(o.target);
  CHECK_FALSE(o.seed);
  CHECK(o.timeout == 10s);
  CHECK(o.connect_timeout == 2s);
  CHECK_FALSE(o.history);
  CHECK(o.behaviour.retry.attempts == 1);

  lua_state bare = make_sandboxed_state({});
  CHECK_THROWS_WITH(read_drill_options(bare.get(), "drill.lua"),
                    Contains("drill.lua: no global function \"default\""));
}

TEST_CASE("drill options: every executor", "[scenarios]") {
  const drill_options o = read(R"(
    function api() end
    options = { scenarios = {
      a_constant = { executor = "constant-vus", vus = 10, duration = "30s", exec = "api",
                     startTime = "5s", gracefulStop = "3s" },
      b_ramping = { executor = "ramping-vus", startVUs = 2,
                    stages = { { "10s", 50 }, { duration = "30s", target = 400 }, { 5, 0 } } },
      c_rate = { executor = "constant-arrival-rate", rate = 100, timeUnit = "1m", duration = "1m",
                 preAllocatedVUs = 20, maxVUs = 100 },
      d_ramping_rate = { executor = "ramping-arrival-rate", start_rate = 10, time_unit = "1s",
                         stages = { { "1m", 2.5 } }, pre_allocated_vus = 5, max_vus = 50 },
      e_per_vu = { executor = "per-vu-iterations", vus = 5, iterations = 20,
                   maxDuration = "1m" },
      f_shared = { executor = "shared-iterations", vus = 3, iterations = 100, max_duration = 90,
                   start_time = 1.5, graceful_stop = 0 },
    } }
  )");
  REQUIRE(o.scenarios.size() == 6);
  const auto& a = o.scenarios[0];
  CHECK(a.name == "a_constant");
  CHECK(a.executor == executor_kind::constant_vus);
  CHECK(a.exec == "api");
  CHECK(a.vus == 10);
  CHECK(a.duration == 30s);
  CHECK(a.start_time == 5s);
  CHECK(a.graceful_stop == 3s);

  const auto& b = o.scenarios[1];
  CHECK(b.executor == executor_kind::ramping_vus);
  CHECK(b.start_vus == 2);
  REQUIRE(b.stages.size() == 3);
  CHECK(b.stages[0].duration == 10s);
  CHECK(b.stages[0].target == 50);
  CHECK(b.stages[1].duration == 30s);
  CHECK(b.stages[1].target == 400);
  CHECK(b.stages[2].duration == 5s);
  CHECK(b.duration == 45s);  // the stages' sum
  CHECK(b.graceful_stop == 30s);

  const auto& c = o.scenarios[2];
  CHECK(c.executor == executor_kind::constant_arrival_rate);
  CHECK(c.rate == 100);
  CHECK(c.time_unit == 1min);
  CHECK(c.duration == 1min);
  CHECK(c.vus == 20);
  CHECK(c.max_vus == 100);

  const auto& d = o.scenarios[3];
  CHECK(d.executor == executor_kind::ramping_arrival_rate);
  CHECK(d.start_rate == 10);
  CHECK(d.time_unit == 1s);
  REQUIRE(d.stages.size() == 1);
  CHECK(d.stages[0].target == 2.5);
  CHECK(d.vus == 5);
  CHECK(d.max_vus == 50);

  const auto& e = o.scenarios[4];
  CHECK(e.executor == executor_kind::per_vu_iterations);
  CHECK(e.vus == 5);
  CHECK(e.iterations == 20);
  CHECK(e.max_duration == 1min);

  const auto& f = o.scenarios[5];
  CHECK(f.executor == executor_kind::shared_iterations);
  CHECK(f.vus == 3);
  CHECK(f.iterations == 100);
  CHECK(f.max_duration == 90s);
  CHECK(f.start_time == 1500ms);
  CHECK(f.graceful_stop == 0s);
  CHECK(to_string(f.executor) == "shared-iterations");
}

TEST_CASE("drill options: k6 shortcuts without scenarios", "[scenarios]") {
  auto o = read("options = { vus = 10, duration = '30s' }");
  CHECK(o.scenarios.at(0).executor == executor_kind::constant_vus);
  CHECK(o.scenarios[0].vus == 10);
  CHECK(o.scenarios[0].duration == 30s);

  o = read("options = { vus = 4, iterations = 40 }");
  CHECK(o.scenarios.at(0).executor == executor_kind::shared_iterations);
  CHECK(o.scenarios[0].iterations == 40);

  o = read("options = { stages = { { '10s', 5 } } }");
  CHECK(o.scenarios.at(0).executor == executor_kind::ramping_vus);
  CHECK(o.scenarios[0].stages.size() == 1);

  o = read("options = { vus = 3 }");
  CHECK(o.scenarios.at(0).executor == executor_kind::per_vu_iterations);
  CHECK(o.scenarios[0].vus == 3);

  CHECK(error_of("options = { vus = 2, scenarios = { browse = { executor = 'constant-vus', "
                 "vus = 1, duration = '1s' } } }") ==
        "drill.lua: options.vus: cannot be combined with options.scenarios (set it inside each "
        "scenario)");
}

TEST_CASE("drill options: top-level fields", "[scenarios]") {
  const drill_options o = read(R"(
    options = {
      target = "http://127.0.0.1:8080/api",
      seed = 12345,
      timeout = "3s",
      connectTimeout = 0.5,
      history = true,
      thresholds = { http_req_failed = "rate < 0.01",
                     http_req_duration = { "p(95) < 500", "p(99) < 1500" } },
    }
  )");
  CHECK(o.target == "http://127.0.0.1:8080/api");
  CHECK(o.seed == 12345u);
  CHECK(o.timeout == 3s);
  CHECK(o.connect_timeout == 500ms);
  CHECK(o.history);
  REQUIRE(o.thresholds.size() == 3);
  CHECK(o.thresholds[0].metric == "http_req_duration");  // sorted by metric
  CHECK(o.thresholds[0].expression == "p(95) < 500");
  CHECK(o.thresholds[0].path == "drill.lua: options.thresholds.http_req_duration[1]");
  CHECK(o.thresholds[1].expression == "p(99) < 1500");
  CHECK(o.thresholds[2].metric == "http_req_failed");
  CHECK(o.thresholds[2].expression == "rate < 0.01");
  CHECK(o.thresholds[2].path == "drill.lua: options.thresholds.http_req_failed");
  CHECK_FALSE(o.thresholds[2].abort_on_fail);

  CHECK(read("options = { seed = '18446744073709551615' }").seed == 18446744073709551615u);
  CHECK(read("options = { seed = 0 }").seed == 0u);
}

TEST_CASE("drill options: behaviour", "[scenarios]") {
  using namespace ordeal::engine;
  const drill_options o = read(R"(
    options = { behaviour = {
      retry     = { attempts = 3, backoff = "linear", base = "20ms", max = "1s", jitter = "equal",
                    on = { "timeout", "reset", "connect", "protocol", "5xx", "429", 408 },
                    respect_retry_after = false, budget = 0.5 },
      duplicate = { probability = 0.05, mode = "concurrent" },
      abandon   = { probability = 0.01, after = "first_byte" },
      reorder   = { probability = 0.1, delay = "20ms" },
      trickle   = { bytes = 16, every = "100ms" },
    } }
  )");
  const behaviour& b = o.behaviour;
  CHECK(b.retry.attempts == 3);
  CHECK(b.retry.backoff == backoff_kind::linear);
  CHECK(b.retry.base == 20ms);
  CHECK(b.retry.max == 1s);
  CHECK(b.retry.jitter == jitter_kind::equal);
  CHECK(b.retry.on_outcomes ==
        std::set<outcome>{outcome::timeout, outcome::reset, outcome::connect, outcome::protocol});
  CHECK(b.retry.on_statuses.size() == 102);  // 500..599, 429, 408
  CHECK(b.retry.on_statuses.contains(500));
  CHECK(b.retry.on_statuses.contains(599));
  CHECK(b.retry.on_statuses.contains(429));
  CHECK(b.retry.on_statuses.contains(408));
  CHECK_FALSE(b.retry.on_statuses.contains(404));
  CHECK_FALSE(b.retry.respect_retry_after);
  CHECK(b.retry.budget == 0.5);
  CHECK(b.duplicate.probability == 0.05);
  CHECK(b.duplicate.mode == duplicate_mode::concurrent);
  CHECK(b.abandon.probability == 0.01);
  CHECK(b.abandon.after == abandon_point::first_byte);
  CHECK(b.reorder.probability == 0.1);
  CHECK(b.reorder.delay == 20ms);
  CHECK(b.trickle.bytes == 16);
  CHECK(b.trickle.every == 100ms);

  // `on` replaces both default sets; 4xx is a range too.
  const behaviour only = read("options = { behaviour = { retry = { on = { '4xx' } } } }").behaviour;
  CHECK(only.retry.on_outcomes.empty());
  CHECK(only.retry.on_statuses.size() == 100);
  CHECK(only.retry.on_statuses.contains(400));
}

TEST_CASE("drill options: read_behaviour keeps the defaults it is given", "[scenarios]") {
  using namespace ordeal::engine;
  drill d("override = { retry = { attempts = 5 }, duplicate = { probability = 1 } }");
  behaviour defaults;
  defaults.retry.backoff = backoff_kind::constant;
  defaults.trickle.bytes = 8;
  lua_getglobal(d.L, "override");
  const behaviour b = read_behaviour(d.L, -1, defaults, "drill.lua:12: http.get params.behaviour");
  CHECK(lua_gettop(d.L) == 1);
  CHECK(b.retry.attempts == 5);
  CHECK(b.retry.backoff == backoff_kind::constant);
  CHECK(b.trickle.bytes == 8);
  CHECK(b.duplicate.probability == 1);

  lua_pushliteral(d.L, "nope");
  CHECK_THROWS_WITH(read_behaviour(d.L, -1, defaults, "here"),
                    Equals("here: expected a table, got \"nope\""));
}

TEST_CASE("drill options: errors say where and what is accepted", "[scenarios]") {
  CHECK(error_of(scenario("executor = 'constant-vu', vus = 1")) ==
        "drill.lua: options.scenarios.browse.executor: unknown executor \"constant-vu\" (expected "
        "constant-vus, ramping-vus, constant-arrival-rate, ramping-arrival-rate, "
        "per-vu-iterations, shared-iterations)");
  CHECK(error_of("options = { behaviour = { retry = { attempts = 'three' } } }") ==
        "drill.lua: options.behaviour.retry.attempts: expected a whole number >= 1, got \"three\"");
  CHECK(error_of(scenario("executor = 'constant-vus', vu = 5, duration = '1s'")) ==
        "drill.lua: options.scenarios.browse.vu: unknown field (did you mean vus?)");
  CHECK(error_of(scenario("executor = 'constant-arrival-rate', rate = 5, duration = '1s', "
                          "maxVU = 5")) ==
        "drill.lua: options.scenarios.browse.maxVU: unknown field (did you mean maxVUs?)");
  CHECK(error_of(scenario("executor = 'per-vu-iterations', zzzzzzzz = 1")) ==
        "drill.lua: options.scenarios.browse.zzzzzzzz: unknown field (expected one of executor, "
        "exec, start_time, graceful_stop, vus, iterations, max_duration)");
  CHECK(error_of("options = { tresholds = {} }") ==
        "drill.lua: options.tresholds: unknown field (did you mean thresholds?)");
  CHECK(error_of(scenario("vus = 1")) ==
        "drill.lua: options.scenarios.browse.executor: missing (expected one of constant-vus, "
        "ramping-vus, constant-arrival-rate, ramping-arrival-rate, per-vu-iterations, "
        "shared-iterations)");
  CHECK(error_of(scenario("executor = 'constant-vus', vus = 5")) ==
        "drill.lua: options.scenarios.browse.duration: missing (constant-vus needs a duration)");
  CHECK(error_of(scenario("executor = 'constant-vus', duration = '1m'")) ==
        "drill.lua: options.scenarios.browse.vus: missing (constant-vus needs vus, the number of "
        "virtual users)");
  CHECK_THAT(error_of(scenario("executor = 'constant-arrival-rate', duration = '1m'")),
             Equals("drill.lua: options.scenarios.browse.rate: missing (constant-arrival-rate "
                    "needs a rate: iterations per time_unit)"));
  CHECK_THAT(error_of(scenario("executor = 'ramping-arrival-rate'")),
             Contains("options.scenarios.browse.stages: missing (ramping-arrival-rate needs "
                      "stages"));
  CHECK(error_of(scenario("executor = 'constant-arrival-rate', rate = 5, duration = '1s', "
                          "preAllocatedVUs = 10, maxVUs = 5")) ==
        "drill.lua: options.scenarios.browse.maxVUs: 5 is less than the pre-allocated VUs (10)");
  CHECK(error_of(scenario("executor = 'ramping-vus', duration = '1s', stages = {{'1s', 1}}")) ==
        "drill.lua: options.scenarios.browse.duration: not used by ramping-vus (it takes "
        "executor, exec, start_time, graceful_stop, start_vus, stages)");
  CHECK(error_of(scenario("executor = 'constant-vus', vus = 1, duration = '1s', exec = 'nope'")) ==
        "drill.lua: options.scenarios.browse.exec: no global function \"nope\" in the drill (exec "
        "names the function each iteration runs)");
  CHECK(error_of(scenario("executor = 'constant-vus', vus = 0, duration = '1s'")) ==
        "drill.lua: options.scenarios.browse.vus: expected a whole number >= 1, got 0");
  CHECK(error_of(scenario("executor = 'constant-vus', vus = 2.5, duration = '1s'")) ==
        "drill.lua: options.scenarios.browse.vus: expected a whole number >= 1, got 2.5");
  CHECK(error_of(scenario("executor = 'constant-vus', vus = 1, duration = '10 seconds'")) ==
        "drill.lua: options.scenarios.browse.duration: invalid duration \"10 seconds\": unknown "
        "unit \" seconds\" (use e.g. 500ms, 30s, 2m, 1m30s)");
  CHECK(error_of(scenario("executor = 'constant-vus', vus = 1, duration = 0")) ==
        "drill.lua: options.scenarios.browse.duration: expected a duration > 0, got 0");
  CHECK(error_of(scenario("executor = 'constant-vus', vus = 1, duration = true")) ==
        "drill.lua: options.scenarios.browse.duration: expected a duration such as \"30s\" or a "
        "number of seconds, got true");
  CHECK(error_of(scenario("executor = 'ramping-vus', stages = {{'1s'}}")) ==
        "drill.lua: options.scenarios.browse.stages[1]: expected {duration, target} such as "
        "{\"30s\", 50}, or {duration = \"30s\", target = 50}");
  CHECK(error_of(scenario("executor = 'ramping-vus', stages = {{duration = '1s'}}")) ==
        "drill.lua: options.scenarios.browse.stages[1].target: missing (each stage needs a "
        "target)");
  CHECK(error_of(scenario("executor = 'ramping-vus', stages = {{'1s', 1.5}}")) ==
        "drill.lua: options.scenarios.browse.stages[1][2]: expected a whole number >= 0, got 1.5");
  CHECK(error_of(scenario("executor = 'ramping-vus', stages = {}")) ==
        "drill.lua: options.scenarios.browse.stages: expected at least one of stages, got an "
        "empty table");
  CHECK(error_of(scenario("executor = 'ramping-vus', stages = {{'0s', 5}}")) ==
        "drill.lua: options.scenarios.browse.stages: the stages last 0s in total (expected some "
        "duration)");
  CHECK(error_of(scenario("executor = 'per-vu-iterations', max_duration = '1m', "
                          "maxDuration = '2m'")) ==
        "drill.lua: options.scenarios.browse: both max_duration and maxDuration are given; they "
        "are the same field");
  CHECK(error_of("options = { scenarios = {} }") ==
        "drill.lua: options.scenarios: expected at least one scenario, got an empty table");
  CHECK(error_of("options = { scenarios = { 'x' } }") ==
        "drill.lua: options.scenarios: expected scenario names as keys, got the key 1");
  CHECK(error_of("options = 5") == "drill.lua: options: expected a table, got 5");
  CHECK_THAT(error_of("options = { target = 'ftp://x' }"),
             Catch::Matchers::StartsWith("drill.lua: options.target: "));
  CHECK(error_of("options = { seed = -1 }") ==
        "drill.lua: options.seed: expected a whole number >= 0, got -1");
  CHECK(error_of("options = { history = 'yes' }") ==
        "drill.lua: options.history: expected true or false, got \"yes\"");
  CHECK(error_of("options = { thresholds = { http_req_duration = { 5 } } }") ==
        "drill.lua: options.thresholds.http_req_duration[1]: expected a threshold such as "
        "\"p(95) < 500\" or { threshold = \"p(95)<500\", abort_on_fail = true }, got 5");
  CHECK(error_of("options = { thresholds = { http_req_duration = 5 } }") ==
        "drill.lua: options.thresholds.http_req_duration: expected a threshold such as "
        "\"p(95) < 500\" or an array of them, got 5");

  // Behaviour.
  CHECK(error_of("options = { behaviour = { duplicate = { probability = 1.5 } } }") ==
        "drill.lua: options.behaviour.duplicate.probability: expected a probability between 0 "
        "and 1, got 1.5");
  CHECK(error_of("options = { behaviour = { duplicate = { mode = 'parallel' } } }") ==
        "drill.lua: options.behaviour.duplicate.mode: unknown mode \"parallel\" (expected "
        "sequential, concurrent)");
  CHECK(error_of("options = { behaviour = { retry = { backoff = 'fibonacci' } } }") ==
        "drill.lua: options.behaviour.retry.backoff: unknown backoff \"fibonacci\" (expected "
        "constant, linear, exponential)");
  CHECK(error_of("options = { behaviour = { retry = { on = { 'timeout', 'slow' } } } }") ==
        "drill.lua: options.behaviour.retry.on[2]: unknown condition \"slow\" (expected timeout, "
        "reset, connect, protocol, tls, refused, stream_reset, 4xx, 5xx or a status code 100-599)");
  CHECK(error_of("options = { behaviour = { retry = { on = { 700 } } } }") ==
        "drill.lua: options.behaviour.retry.on[1]: status 700 is not an HTTP status (expected "
        "100-599)");
  CHECK(error_of("options = { behaviour = { retry = { base = '1s', max = '10ms' } } }") ==
        "drill.lua: options.behaviour.retry.max: the longest wait (max 10ms) is shorter than the "
        "first one (base 1s)");
  CHECK(error_of("options = { behaviour = { abandon = { after = 'never' } } }") ==
        "drill.lua: options.behaviour.abandon.after: unknown point \"never\" (expected "
        "request_sent, first_byte)");
  CHECK(error_of("options = { behaviour = { trickle = { every = '0s' } } }") ==
        "drill.lua: options.behaviour.trickle.every: expected a duration > 0, got \"0s\"");
  CHECK(error_of("options = { behaviour = { retries = {} } }") ==
        "drill.lua: options.behaviour.retries: unknown field (did you mean retry?)");
  CHECK(error_of("options = { behaviour = { retry = { budget = -0.1 } } }") ==
        "drill.lua: options.behaviour.retry.budget: expected a number >= 0, got -0.1");
}

TEST_CASE("drill options: protocol, tls and h2", "[scenarios]") {
  const drill_options defaults = read("options = {}");
  CHECK(defaults.protocol == ordeal::engine::http_version::http1);
  CHECK(defaults.h2.max_streams == 100u);
  CHECK_FALSE(defaults.tls.insecure);

  const drill_options o = read(R"(
    options = {
      protocol = "h2",
      tls = { ca = "ca.pem", cert = "c.pem", key = "k.pem", resume = true,
              serverName = "shop.test", handshake_timeout = "2s" },
      h2 = { maxStreams = 8, ping = "10s" },
    }
  )");
  CHECK(o.protocol == ordeal::engine::http_version::h2);
  CHECK(o.tls.ca_file == "ca.pem");
  CHECK(o.tls.cert_file == "c.pem");
  CHECK(o.tls.key_file == "k.pem");
  CHECK(o.tls.resume);
  CHECK(o.tls.server_name == "shop.test");
  CHECK(o.tls.handshake_timeout == 2s);
  CHECK(o.h2.max_streams == 8u);
  CHECK(o.h2.ping_interval == 10s);
  CHECK(read("options = { protocol = 'http/1.1', tls = { insecure = true } }").tls.insecure);

  CHECK(error_of("options = { protocol = 'h3' }") ==
        "drill.lua: options.protocol: unknown protocol \"h3\" (expected http/1.1, http1, h2)");
  CHECK(error_of("options = { tls = { insecur = true } }") ==
        "drill.lua: options.tls.insecur: unknown field (did you mean insecure?)");
  CHECK_THAT(error_of("options = { tls = { cafile = 'x' } }"),
             Catch::Contains("unknown field (expected one of ca, insecure, cert, key"));
  CHECK(error_of("options = { tls = { cert = 'c.pem' } }") ==
        "drill.lua: options.tls: a client certificate needs both cert and key");
  CHECK_THAT(error_of("options = { tls = { insecure = 'yes' } }"),
             Catch::StartsWith("drill.lua: options.tls.insecure: expected"));
  CHECK_THAT(error_of("options = { h2 = { max_streams = 0 } }"),
             Catch::StartsWith("drill.lua: options.h2.max_streams: expected"));
  CHECK_THAT(error_of("options = { tls = 'ca.pem' }"),
             Catch::StartsWith("drill.lua: options.tls: expected a table"));
}

TEST_CASE("drill options: threshold objects and tag filters", "[scenarios][thresholds]") {
  const drill_options o = read(R"(
    options = { thresholds = {
      ["http_req_duration{name:pay,status:201}"] = {
        "p(99)<300ms",
        { threshold = "p(95)<200ms", abort_on_fail = true, delay_abort_eval = "10s" },
        { threshold = "p(99)<500ms", over = "30s" },
        { threshold = "avg<100", abortOnFail = true, delayAbortEval = 2 },
      },
      checks = { threshold = "rate>0.99", abort_on_fail = true },
    } }
  )");
  REQUIRE(o.thresholds.size() == 5);
  CHECK(o.thresholds[0].metric == "checks");
  CHECK(o.thresholds[0].abort_on_fail);  // a single object, not in an array
  const auto& pay = o.thresholds[1];
  CHECK(pay.metric == "http_req_duration{name:pay,status:201}");
  CHECK(pay.expression == "p(99)<300ms");
  CHECK_FALSE(pay.abort_on_fail);
  CHECK(pay.over == 0s);
  CHECK(o.thresholds[2].expression == "p(95)<200ms");
  CHECK(o.thresholds[2].abort_on_fail);
  CHECK(o.thresholds[2].delay_abort_eval == 10s);
  CHECK(o.thresholds[2].path ==
        "drill.lua: options.thresholds[\"http_req_duration{name:pay,status:201}\"][2]");
  CHECK(o.thresholds[3].over == 30s);
  CHECK_FALSE(o.thresholds[3].abort_on_fail);
  CHECK(o.thresholds[4].abort_on_fail);  // k6's camelCase
  CHECK(o.thresholds[4].delay_abort_eval == 2s);
}

TEST_CASE("drill options: bad thresholds name the options path", "[scenarios][thresholds]") {
  const std::string pay = "drill.lua: options.thresholds[\"http_req_duration{name:pay}\"]";
  const auto with = [](const std::string& entry) {
    return "options = { thresholds = { ['http_req_duration{name:pay}'] = { 'p(99)<1s', " + entry +
           " } } }";
  };
  // Unknown field, with a hint.
  CHECK(error_of(with("{ threshold = 'p(95)<1s', abort_on_fails = true }")) ==
        pay + "[2].abort_on_fails: unknown field (did you mean abort_on_fail?)");
  CHECK(error_of(with("{ threshold = 'p(95)<1s', window = '30s' }")) ==
        pay +
            "[2].window: unknown field (expected one of threshold, abort_on_fail, "
            "delay_abort_eval, over)");
  // Missing or mistyped members.
  CHECK(error_of(with("{ abort_on_fail = true }")) ==
        pay + "[2]: missing threshold = \"STAT OP VALUE\" (e.g. \"p(95)<200ms\")");
  CHECK(error_of(with("{ threshold = 'p(95)<1s', abort_on_fail = 'yes' }")) ==
        pay + "[2].abort_on_fail: expected true or false, got \"yes\"");
  // Bad durations.
  CHECK_THAT(error_of(with("{ threshold = 'p(95)<1s', over = '30 parsecs' }")),
             Catch::Matchers::StartsWith(pay + "[2].over: "));
  CHECK(error_of(with("{ threshold = 'p(95)<1s', over = '1500ms' }")) ==
        pay + "[2].over: expected whole seconds such as \"30s\" (windows slide by one second)");
  CHECK(error_of(with("{ threshold = 'p(95)<1s', over = 0 }")) ==
        pay + "[2].over: expected a duration > 0, got 0");
  CHECK_THAT(error_of(with("{ threshold = 'p(95)<1s', delay_abort_eval = 'soon' }")),
             Catch::Matchers::StartsWith(pay + "[2].delay_abort_eval: "));
  // Bad tag filter syntax.
  CHECK(error_of("options = { thresholds = { ['http_req_duration{name:pay'] = 'p(95)<1s' } }") ==
        "drill.lua: options.thresholds[\"http_req_duration{name:pay\"]: invalid metric "
        "\"http_req_duration{name:pay\": a tag filter ends with \"}\" (e.g. "
        "http_req_duration{name:pay,status:201})");
  CHECK_THAT(error_of("options = { thresholds = { ['http_req_duration{name}'] = 'p(95)<1s' } }"),
             Contains("\"name\" in the tag filter is not tag:value"));
  CHECK_THAT(error_of("options = { thresholds = { ['http_req_duration{}'] = 'p(95)<1s' } }"),
             Contains("the tag filter {} is empty"));
  CHECK_THAT(error_of("options = { thresholds = { ['http_req_duration{name:}'] = 'p(95)<1s' } }"),
             Contains("the tag name has no value"));
  CHECK_THAT(error_of("options = { thresholds = { ['http req{name:a}'] = 'p(95)<1s' } }"),
             Contains("a metric name is letters, digits and _"));
  CHECK_THAT(
      error_of("options = { thresholds = { ['http_reqs{status:200,status:201}'] = 'count>1' } }"),
      Contains("the tag status is given twice"));
}
