#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "lua_sandbox.hpp"
#include "ordeal/engine/http_client.hpp"
#include "ordeal/engine/integrity_record.hpp"
#include "ordeal/engine/metric_timeline.hpp"
#include "ordeal/engine/operation.hpp"
#include "ordeal/engine/ramp.hpp"
#include "ordeal/scenarios/drill_run.hpp"
#include "response_fingerprint.hpp"
#include "vu_random.hpp"

namespace ordeal::scenarios {

using engine::clock;
class vu_worker;
struct scenario_state;

// What every worker shares, read-only once the run starts (bar the atomics).
struct run_plan {
  drill_run_options options;
  drill_options drill;
  std::uint64_t seed = 0;
  unsigned workers = 1;
  clock::time_point start{};
  std::string setup_data;  // setup()'s result as JSON text ("null" when none)
  std::vector<std::unique_ptr<std::atomic<std::uint64_t>>> shared_iterations;  // per scenario
  const engine::run_control* control = nullptr;
  bool has_setup_data = false;
};

// A virtual user: a Lua coroutine that runs one iteration of its scenario's exec function at
// a time and yields to the worker on every request and sleep.
struct vu {
  vu_worker* worker = nullptr;
  scenario_state* scenario = nullptr;
  std::uint64_t id = 0;         // 1-based, unique in the run (k6's __VU)
  std::uint64_t index = 0;      // 0-based within its scenario
  std::uint64_t iteration = 0;  // iterations this user started, 0-based during an iteration
  lua_State* thread = nullptr;  // the coroutine (kept alive by a registry reference)
  int thread_ref = 0;
  vu_random random;
  bool running = false;       // in an iteration
  bool waiting = false;       // yielded to the worker (a request or a sleep is out)
  bool use_intended = false;  // the next request starts at `intended`
  bool retired = false;       // will start no more iterations
  std::uint64_t iterations_started = 0;
  bool parked = true;            // ramping-vus: above the current target
  std::uint32_t generation = 0;  // bumped when an iteration is cut off or a posted step is
                                 // superseded: late callbacks ignore
  clock::time_point iteration_start{};
  clock::time_point intended{};  // arrival-rate: the first request's intended start
  std::unique_ptr<boost::asio::steady_timer> timer;  // sleep and reorder waits
  std::vector<std::string> groups;
  // http.batch in progress: its results so far and how many are still out.
  std::vector<std::optional<engine::operation_result>> batch;
  std::vector<engine::operation_spec> batch_held;  // reorder: sent after a later one ends
  std::size_t batch_held_index = 0;
  std::size_t batch_pending = 0;

  vu(std::uint64_t seed, std::string_view scenario_name, std::uint64_t user_id)
      : id(user_id), random(seed, scenario_name, user_id) {}
};

// One series' samples over one second of the load, from one worker to the main thread.
struct second_delta {
  std::size_t second = 0;  // since the load started
  std::string key;         // the series' canonical key
  engine::metric_kind kind = engine::metric_kind::counter;
  bool is_time = false;
  engine::metric_sample sample;
};

// One worker's share of one scenario.
struct scenario_state {
  const scenario_spec* spec = nullptr;
  std::size_t index = 0;
  int exec_ref = 0;  // registry reference to the exec function
  std::vector<std::unique_ptr<vu>> vus;
  std::vector<vu*> idle;  // arrival-rate executors: users waiting for an iteration
  unsigned vu_limit = 0;  // this worker's share of max_vus (arrival rate)
  std::optional<engine::arrival_schedule> arrivals;
  std::optional<engine::ramp> vu_ramp;  // ramping-vus: the global user count
  clock::time_point begin{};            // start + start_time
  clock::time_point end{};              // no iteration starts after this
  clock::time_point hard_end{};         // running iterations are cut off here
  bool started = false;
  bool finished = false;
  unsigned running = 0;
  engine::scenario_summary summary;
  // iterations, iteration_duration and dropped_iterations tagged with the scenario.
  engine::metric* iterations = nullptr;
  engine::metric* iteration_duration = nullptr;
  engine::metric* dropped = nullptr;
};

// One thread: its own Lua state, io_context, client and statistics; virtual users of every
// scenario run here as coroutines. Merged after join.
class vu_worker {
 public:
  vu_worker(const run_plan& plan, unsigned index);
  vu_worker(const vu_worker&) = delete;
  vu_worker& operator=(const vu_worker&) = delete;
  ~vu_worker();

  // Creates the state and runs the drill's top level (script_error on failure).
  void load();
  lua_State* lua() noexcept { return L_; }
  // After the plan is complete: base URL, setup data, client.
  void prepare();
  // Runs this worker's share of every scenario; returns when all have ended.
  void run();
  // Calls the global function `name` (setup or teardown) as a one-off user with requests
  // allowed, passing the setup data (if any); returns its result as JSON text. script_error
  // on failure.
  std::string call_once(const char* name, bool pass_data);
  // Runs a function as a one-off user with requests allowed: `push` pushes the function and its
  // arguments on the coroutine and returns how many arguments it pushed. Returns the function's
  // first result as JSON text ("null" for none); script_error with the Lua error on failure.
  // `label` seeds the user's random stream.
  std::string call_hook(std::string_view label, const std::function<int(lua_State*)>& push);
  // The first request of the last one-off call that did not end ok ("status 503"),
  // if any: a read that rests on a failed request proves nothing.
  std::optional<std::string> take_failed_request() {
    return std::exchange(once_failed_request_, {});
  }
  // After the load (and the faults) ended: runs options.idempotency.effects once per
  // idempotency key found in `histories`, on this worker's state, within the options'
  // effects_timeout (vu_worker_effects.cpp).
  engine::idempotency_effects run_effects(
      const std::vector<const std::vector<engine::history_entry>*>& histories);
  // options.steady_state's probes, on this worker's state (vu_worker_probes.cpp): each called
  // once ("before"), or retried every interval until it holds for at most `within` ("after").
  // Their requests are not part of the run.
  std::vector<engine::probe_result> run_probes(std::string_view phase,
                                               std::chrono::nanoseconds within);
  // While on, requests are not part of the run's statistics or history: post-run hooks that
  // count or read what the load did are not load.
  void set_post_run(bool on) noexcept { post_run_ = on; }
  bool post_run() const noexcept { return post_run_; }

  // For the Lua API.
  static vu_worker& of(lua_State* L);
  static vu* current(lua_State* L);  // the user running on this coroutine, or nullptr
  const run_plan& plan() const noexcept { return plan_; }
  const engine::url* base_url() const noexcept { return base_ ? &*base_ : nullptr; }
  // The last URL a script named and its parsed form: most scripts name a handful of URLs over
  // and over, and parsing one per request would be work done for nothing.
  std::string last_url_text;
  engine::url last_url;
  std::chrono::nanoseconds elapsed(clock::time_point t) const noexcept { return t - plan_.start; }
  // Starts `spec` for `v` and resumes it with the response when the operation ends.
  void start_request(vu& v, engine::operation_spec spec);
  // Starts every request of a batch; resumes `v` with the responses in order.
  void start_batch(vu& v, std::vector<engine::operation_spec> specs);
  void start_sleep(vu& v, std::chrono::nanoseconds d);
  void record_check(std::string_view name, bool passed);
  engine::metric_set& metrics() noexcept { return metrics_; }
  std::uint64_t next_seed(vu& v) noexcept { return v.random.next_u64(); }

  // After run().
  engine::run_results& http() noexcept { return http_; }
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>>& checks() noexcept {
    return checks_;
  }
  std::map<std::string, std::uint64_t>& script_errors() noexcept { return script_errors_; }
  std::vector<scenario_state>& scenarios() noexcept { return scenarios_; }
  std::vector<engine::history_entry>& history() noexcept { return history_; }
  engine::integrity_record& integrity() noexcept { return integrity_; }
  const std::vector<std::vector<engine::histogram::bucket_count>>& second_latency() const noexcept {
    return second_sparse_;
  }
  const engine::operation_runner& runner() const noexcept { return *runner_; }
  std::uint64_t operations() const noexcept { return operations_; }
  std::uint64_t attempts() const noexcept { return attempts_; }
  std::uint64_t duplicates() const noexcept { return duplicates_; }
  std::uint64_t live_completed() const noexcept {
    return live_completed_.load(std::memory_order_relaxed);
  }
  std::uint64_t live_errors() const noexcept {
    return live_errors_.load(std::memory_order_relaxed);
  }
  bool done() const noexcept { return finished_flag_.load(std::memory_order_acquire); }
  // Main thread, during the run: the per-second deltas handed off since the last call (in
  // order), and how many whole seconds this worker has handed off so far.
  std::size_t take_deltas(std::vector<second_delta>& into);

 private:
  vu& make_vu(scenario_state& s);
  void begin_scenarios();
  void tick();
  void schedule_tick();
  void schedule_arrival(scenario_state& s);
  void start_iteration(vu& v, clock::time_point intended);
  void resume(vu& v, int nargs);
  void iteration_ended(vu& v, bool failed);
  void next_for(vu& v);
  void apply_vu_ramp(scenario_state& s, clock::time_point now);
  void cut_off(scenario_state& s);
  void check_done();
  void on_attempt(const engine::attempt_record& rec, const engine::http_response& r);
  void on_operation_done(vu& v, std::uint32_t generation, engine::operation_result&& r);
  void batch_done(vu& v, std::size_t i, engine::operation_result&& r);
  void roll_second(clock::time_point now);
  // Calls the function at registry reference `ref` with `arg` as a one-off user (requests
  // allowed) until it returns or `deadline` passes. Its first result as JSON text ("null" for
  // none); script_error when it raises; nullopt at the deadline (the call is abandoned).
  std::optional<std::string> call_with(int ref, const boost::json::value& arg,
                                       clock::time_point deadline);

  const run_plan& plan_;
  unsigned index_;
  lua_state state_;
  lua_State* L_ = nullptr;
  int data_ref_ = 0;  // registry reference to setup()'s data
  std::optional<engine::url> base_;
  boost::asio::io_context ioc_;
  std::unique_ptr<engine::http_client> client_;
  std::unique_ptr<engine::operation_runner> runner_;
  boost::asio::steady_timer tick_timer_;
  std::vector<scenario_state> scenarios_;
  std::vector<std::unique_ptr<boost::asio::steady_timer>> arrival_timers_;
  bool stopping_ = false;
  bool finished_ = false;
  std::uint64_t next_vu_id_;

  engine::run_results http_;
  engine::histogram second_latency_;
  clock::time_point next_second_{};
  std::vector<std::vector<engine::histogram::bucket_count>> second_sparse_;
  engine::metric_set metrics_;
  // The built-in HTTP metrics of one tag set (name, method, status, scenario): every attempt
  // lands in exactly one series per metric. Found once per combination, then by pointer: no
  // allocation per attempt.
  struct http_metrics {
    std::string method;
    int status = 0;
    const std::string* scenario = nullptr;  // the scenario's name; nullptr outside scenarios
    engine::metric* duration = nullptr;
    engine::metric* blocked = nullptr;
    engine::metric* connecting = nullptr;
    engine::metric* tls_handshaking = nullptr;
    engine::metric* sending = nullptr;
    engine::metric* waiting = nullptr;
    engine::metric* receiving = nullptr;
    engine::metric* reqs = nullptr;
    engine::metric* failed = nullptr;
    engine::metric* retries = nullptr;
    engine::metric* duplicates = nullptr;
  };
  http_metrics& http_metrics_for(const std::string& name, const std::string& method, int status,
                                 const std::string* scenario);
  // Request name -> its tag sets seen so far (a handful: methods x statuses x scenarios).
  std::unordered_map<std::string, std::vector<std::unique_ptr<http_metrics>>> by_name_;
  // The scenario of each of this worker's users, by (id - first id) / workers.
  std::vector<const std::string*> vu_scenario_;
  // Live metrics: metrics_ holds the current second's samples; once a second they go to the
  // main thread as deltas (hand_off_second) and metrics_ starts again from zero.
  void hand_off_second(std::size_t second, bool complete);
  std::mutex deltas_mutex_;
  std::vector<second_delta> deltas_;    // guarded by deltas_mutex_
  std::size_t seconds_handed_off_ = 0;  // guarded by deltas_mutex_: seconds complete so far
  bool rolling_ = false;                // run() has started: seconds roll
  struct check_entry {
    std::pair<std::uint64_t, std::uint64_t>* counts = nullptr;
    engine::metric* tagged = nullptr;
  };
  // Heterogeneous lookup: a check's name arrives as a string_view from Lua.
  struct name_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  std::unordered_map<std::string, check_entry, name_hash, std::equal_to<>> check_entries_;
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> checks_;
  std::map<std::string, std::uint64_t> script_errors_;
  std::vector<engine::history_entry> history_;
  std::uint64_t operations_ = 0;
  std::uint64_t attempts_ = 0;
  std::uint64_t duplicates_ = 0;
  std::atomic<std::uint64_t> live_completed_{0};
  std::atomic<std::uint64_t> live_errors_{0};
  std::atomic<bool> finished_flag_{false};
  // call_once: the one-off user's result.
  std::optional<std::string> once_result_;
  std::optional<std::string> once_error_;
  std::optional<std::string> once_failed_request_;
  engine::integrity_record integrity_;  // integrity.add from this worker's users
  // options.idempotency: fingerprints keyed responses for the history.
  std::optional<response_fingerprint> fingerprint_;
  bool post_run_ = false;
  // One-off users whose call passed its deadline: kept until the worker goes, so that a late
  // response or timer finds them (and ignores itself) rather than freed memory.
  std::vector<std::unique_ptr<vu>> abandoned_once_;
};

}  // namespace ordeal::scenarios
