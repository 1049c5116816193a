#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ordeal/engine/behaviour.hpp"
#include "ordeal/engine/config.hpp"
#include "ordeal/engine/drill_record.hpp"
#include "ordeal/engine/integrity_record.hpp"
#include "ordeal/engine/metrics.hpp"
#include "ordeal/engine/threshold_spec.hpp"

struct lua_State;

namespace ordeal::scenarios {

using namespace std::chrono_literals;

// k6's executors, with k6's meaning.
enum class executor_kind {
  constant_vus,
  ramping_vus,
  constant_arrival_rate,
  ramping_arrival_rate,
  per_vu_iterations,
  shared_iterations
};
std::string_view to_string(executor_kind kind) noexcept;  // "constant-vus", ...

// One entry of options.scenarios, validated for its executor.
struct scenario_spec {
  std::string name;  // key in options.scenarios
  executor_kind executor = executor_kind::per_vu_iterations;
  std::string exec = "default";  // global function run per iteration
  // constant-vus, per-vu-iterations, shared-iterations: the VUs; arrival rate: the
  // pre-allocated VUs (preAllocatedVUs)
  unsigned vus = 1;
  unsigned start_vus = 0;        // ramping-vus
  std::uint64_t iterations = 1;  // per-vu-iterations (per VU), shared-iterations (total)
  double rate = 0;               // constant-arrival-rate: iterations per time_unit
  double start_rate = 0;         // ramping-arrival-rate: iterations per time_unit
  std::chrono::nanoseconds time_unit = 1s;
  std::vector<engine::stage> stages;    // ramping-*: targets are VUs or iterations per time_unit
  unsigned max_vus = 0;                 // arrival rate: 0 = same as vus
  std::chrono::nanoseconds duration{};  // constant-*: as given; ramping-*: the stages' sum
  std::chrono::nanoseconds max_duration = 10min;  // *-iterations executors
  std::chrono::nanoseconds start_time{};          // delay before the scenario starts
  std::chrono::nanoseconds graceful_stop = 30s;   // iterations running at the end get this long
};

// One entry of options.integrity: a named data-integrity checker. Its hooks (read, check) stay
// in the Lua state that runs them; this is what the rest of the run needs to know.
struct integrity_spec {
  std::string name;  // key in options.integrity
  engine::integrity_type type = engine::integrity_type::set;
  bool has_read = false;             // read = function() ... end (set, counter, bank)
  bool has_check = false;            // check = function(...) ... end (bank, invariant)
  std::chrono::nanoseconds every{};  // bank, invariant: also during the load (0: only after)
};

// options.idempotency: how responses to one idempotency key are compared, and the hook that
// counts each key's side effects after the load (it stays in the Lua state that runs it).
struct idempotency_options {
  std::vector<std::string> ignore_headers;         // lower case, besides the default volatile ones
  std::vector<std::string> ignore_json;            // JSON paths ("$.created_at"), checked when read
  bool effects = false;                            // effects = function(op) ... end was given
  std::chrono::nanoseconds effects_timeout = 60s;  // the whole effects phase, at most
};

// One probe of options.steady_state: a function of the drill's, and what its value must be.
struct probe_spec {
  std::string name;
  enum class tolerance_kind : std::uint8_t { equal, range, function };
  tolerance_kind kind = tolerance_kind::equal;
  boost::json::value expected;  // equal: the value the probe must return
  double min = 0;               // range: min <= value <= max
  double max = 0;
  std::string tolerance_text;  // for reports: "200", "[0, 300]", "a function"
};

// options.steady_state: the hypothesis checked before the load (the drill does not start unless
// it holds) and after it (once the faults and actions are rolled back).
struct steady_state_options {
  std::vector<probe_spec> probes;
  // After: each probe is retried (every `interval`) until it holds, at most this long; how long
  // it took is the time to recover. 0: one call, as before the load.
  std::chrono::nanoseconds within{};
  std::chrono::nanoseconds interval = 500ms;
  std::chrono::nanoseconds timeout = 10s;  // one call of a probe (and of its tolerance)
};

// One entry of options.actions (run at `at` during the load) or options.rollbacks (run once the
// load has ended, however it ends): a command (exec, only with --allow-exec) or an HTTP call.
struct action_spec {
  std::string name;
  std::chrono::nanoseconds at{};  // actions: since the load started
  std::vector<std::string> exec;  // argv; a string in the drill becomes {"/bin/sh", "-c", it}
  std::string method = "POST";    // http
  std::string url;                // http: absolute, or a path under options.target
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int expect = 0;  // http: the status that means it worked (0: any 2xx)
  std::chrono::nanoseconds timeout = 30s;
  bool is_exec() const noexcept { return !exec.empty(); }
};

struct drill_options {
  std::optional<std::string> target;  // base URL for relative request URLs
  std::optional<std::uint64_t> seed;
  std::vector<scenario_spec> scenarios;  // sorted by name (deterministic)
  engine::behaviour behaviour;           // options.behaviour
  // options.thresholds: sorted by metric, each metric's in the drill's order.
  std::vector<engine::threshold_spec> thresholds;
  // The custom metrics the drill's top level declared (name -> kind), so that a threshold's
  // statistic can be checked against its metric before anything runs.
  std::map<std::string, engine::metric_kind, std::less<>> declared_metrics;
  std::chrono::nanoseconds timeout = 10s;  // options.timeout: per request default
  std::chrono::nanoseconds connect_timeout = 2s;
  bool history = false;  // options.history = true: record every attempt
  // options.max_connections: connections open to one host at once, per worker (0: no limit);
  // requests beyond wait for one, and the wait counts in their latency.
  unsigned max_connections = 0;
  // options.protocol: what requests speak unless they say otherwise (HTTP/1.1 by default, over
  // TLS too; "h2" is h2 over TLS and h2c over http).
  engine::http_version protocol = engine::http_version::http1;
  engine::tls_options tls;               // options.tls
  engine::h2_options h2 = default_h2();  // options.h2
  // options.proxies (an object: name -> proxy) and options.faults (an array of timed faults)
  // as JSON, null when absent. Their shape is the fault layer's to check
  // (faults::read_fault_plan): scenarios only carries them.
  boost::json::value proxies;
  boost::json::value faults;
  // options.idempotency (absent: no idempotency verdict). Given, it turns the history on.
  std::optional<idempotency_options> idempotency;
  std::vector<integrity_spec> integrity;             // options.integrity, sorted by name
  std::optional<steady_state_options> steady_state;  // options.steady_state
  std::vector<action_spec> actions;                  // options.actions, by time
  std::vector<action_spec> rollbacks;                // options.rollbacks, in the drill's order
  std::optional<engine::capacity_spec> capacity;     // options.capacity: find the knee
  // options.allow_hosts: the hosts a drill may send anything to (its target, its proxies'
  // upstreams, its requests and actions): names, "*.suffix" wildcards, IP addresses and CIDR
  // ranges. The default is the loopback only: a drill aimed elsewhere must say so.
  std::vector<std::string> allow_hosts = {"localhost", "127.0.0.0/8", "::1"};

  static engine::h2_options default_h2() {
    engine::h2_options o;
    o.max_streams = 100;  // a drill's users share connections: many streams on each
    return o;
  }
};

// Reads the global `options` of a drill whose chunk has run. Absent: one scenario "default",
// per-vu-iterations with 1 VU and 1 iteration (as k6). k6's shortcuts are accepted when
// options.scenarios is absent: `iterations` (shared-iterations, with `vus` and `duration` as
// max_duration), else `stages` (ramping-vus starting at `vus`), else `duration`
// (constant-vus with `vus`), else `vus` alone (per-vu-iterations, 1 iteration each).
// Fields take snake_case or k6's camelCase (maxVUs / max_vus). Durations are strings
// ("1m30s") or numbers of seconds. Every `exec` must name a global function.
// Throws engine::config_error "<drill_name>: options.<path>: <what is wrong and what is
// accepted>", unknown fields included (with a "did you mean" when one is close).
drill_options read_drill_options(lua_State* L, std::string_view drill_name);

// Reads a behaviour table (options.behaviour, or a per-request override) at `index`: fields it
// does not name keep their value from `defaults`. `where` prefixes messages, e.g.
// "drill.lua: options.behaviour" gives "drill.lua: options.behaviour.retry.attempts: ...".
// Throws engine::config_error.
engine::behaviour read_behaviour(lua_State* L, int index, const engine::behaviour& defaults,
                                 std::string_view where);

}  // namespace ordeal::scenarios
