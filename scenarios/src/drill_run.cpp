#include "ordeal/scenarios/drill_run.hpp"

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

#include <algorithm>
#include <exception>
#include <fstream>
#include <random>
#include <thread>

#include "host_guard.hpp"
#include "integrity_monitor.hpp"
#include "live_metrics.hpp"
#include "ordeal/engine/config.hpp"
#include "ordeal/engine/config_error.hpp"
#include "vu_worker.hpp"

namespace ordeal::scenarios {

namespace {

// The line of the drill that names exec function `name` ("exec = "browse""), so a missing
// function is reported where the user wrote it; 0 when it cannot be found.
unsigned line_naming(const std::filesystem::path& file, const std::string& name) {
  std::ifstream in(file);
  std::string line;
  unsigned number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.find("exec") == std::string::npos) continue;
    if (line.find('"' + name + '"') != std::string::npos ||
        line.find('\'' + name + '\'') != std::string::npos)
      return number;
  }
  return 0;
}

// Every scenario's exec function exists, checked before anything runs (a script error: 107).
void check_exec_functions(lua_State* L, const std::filesystem::path& file) {
  std::vector<std::string> missing;
  lua_getglobal(L, "options");
  if (lua_type(L, -1) == LUA_TTABLE && lua_getfield(L, -1, "scenarios") == LUA_TTABLE) {
    lua_pushnil(L);
    while (lua_next(L, -2) != 0) {
      std::string exec = "default";
      if (lua_type(L, -1) == LUA_TTABLE && lua_getfield(L, -1, "exec") == LUA_TSTRING)
        exec = lua_tostring(L, -1);
      if (lua_type(L, -2) == LUA_TTABLE) lua_pop(L, 1);
      lua_getglobal(L, exec.c_str());
      if (!lua_isfunction(L, -1)) missing.push_back(exec);
      lua_pop(L, 2);
    }
    lua_pop(L, 1);
  } else {
    if (lua_type(L, -1) == LUA_TTABLE) lua_pop(L, 1);
    lua_getglobal(L, "default");
    if (!lua_isfunction(L, -1)) missing.emplace_back("default");
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  if (missing.empty()) return;
  const auto& name = missing.front();
  const unsigned line = line_naming(file, name);
  // Without a line naming it (a scenario that relies on the default "default"), the file alone.
  const std::string at = file.string() + (line ? ":" + std::to_string(line) : std::string()) + ": ";
  throw script_error(at + "the exec function \"" + name + "\" is not defined (define `function " +
                     name + "(data) ... end` in the drill)");
}

// "the steady state does not hold before the drill ...", one line per failing probe.
std::string steady_state_message(const std::vector<engine::probe_result>& probes) {
  std::string m =
      "the steady state does not hold, so the drill did not start (nothing was run "
      "or injected):";
  for (const auto& p : probes) {
    if (p.passed) continue;
    m += "\n  probe \"" + p.name + "\": ";
    if (!p.error.empty())
      m += p.error;
    else
      m += "returned " + p.value + ", tolerance " + p.tolerance;
  }
  return m;
}

void merge(engine::run_results& into, const engine::run_results& from) {
  for (std::size_t i = 0; i < engine::outcome_count; ++i)
    into.outcomes[i] += from.outcomes[i];
  into.in_flight += from.in_flight;
  for (const auto& [k, v] : from.status_codes)
    into.status_codes[k] += v;
  for (const auto& [k, v] : from.error_reasons)
    into.error_reasons[k] += v;
  into.latency.merge(from.latency);
  into.latency_uncorrected.merge(from.latency_uncorrected);
  into.connect_time.merge(from.connect_time);
  into.tls_handshake.merge(from.tls_handshake);
  into.ttfb.merge(from.ttfb);
  if (into.series.size() < from.series.size()) into.series.resize(from.series.size());
  for (std::size_t s = 0; s < from.series.size(); ++s)
    for (std::size_t i = 0; i < engine::outcome_count; ++i)
      into.series[s].outcomes[i] += from.series[s].outcomes[i];
  into.connections_opened += from.connections_opened;
  into.bytes_sent += from.bytes_sent;
  into.bytes_received += from.bytes_received;
}

void merge_worker(drill_results& r, vu_worker& w) {
  merge(r.http, w.http());
  engine::merge_into(r.metrics, w.metrics());
  for (const auto& [k, v] : w.checks()) {
    r.checks[k].first += v.first;
    r.checks[k].second += v.second;
  }
  for (const auto& [k, v] : w.script_errors())
    r.script_errors[k] += v;
  r.operations += w.operations();
  r.attempts += w.attempts();
  r.duplicates += w.duplicates();
  r.retries += w.runner().budget().retries();
  r.retries_refused += w.runner().budget().refused();
  r.integrity.merge(std::move(w.integrity()));
  auto& h = w.history();
  r.history.insert(r.history.end(), std::make_move_iterator(h.begin()),
                   std::make_move_iterator(h.end()));
}

}  // namespace

drill_results run_drill(const drill_run_options& options, engine::run_control& control,
                        const engine::progress_callback& on_progress) {
  if (!std::filesystem::exists(options.file))
    throw engine::config_error("cannot open the drill " + options.file.string() + ": no such file");
  run_plan plan;
  plan.options = options;
  plan.workers = std::max(1u, options.threads);
  plan.control = &control;

  // The setup worker loads the drill first: its options shape everything else.
  auto setup = std::make_unique<vu_worker>(plan, plan.workers);
  setup->load();
  check_exec_functions(setup->lua(), options.file);
  plan.drill = read_drill_options(setup->lua(), options.file.filename().string());
  // The custom metrics the top level declared: thresholds on them are checked against their kind.
  for (const auto& [key, m] : setup->metrics())
    plan.drill.declared_metrics.emplace(std::string(engine::split_series_key(key).name), m.kind);
  if (options.target) plan.drill.target = options.target;
  if (options.adjust) options.adjust(plan.drill);
  if (options.seed)
    plan.seed = *options.seed;
  else if (plan.drill.seed)
    plan.seed = *plan.drill.seed;
  else
    plan.seed = std::random_device{}() | (static_cast<std::uint64_t>(std::random_device{}()) << 32);
  plan.drill.seed = plan.seed;
  // The blast-radius guard, on the options as they will run (--target included), before the
  // proxies open or anything is sent.
  check_blast_radius(plan.drill, options.file.filename().string());
  if (options.on_loaded) options.on_loaded(plan.drill);
  // As `ordeal run URL` does: a wrong host or port fails at once with one clear line (104)
  // instead of a run-long flood of connect errors.
  if (plan.drill.target) {
    engine::config probe;
    probe.target = engine::parse_url(*plan.drill.target);
    probe.connect_timeout = plan.drill.connect_timeout;
    probe.tls = plan.drill.tls;
    probe.protocol = plan.drill.protocol;
    engine::check_reachable(probe);
  }
  for (std::size_t i = 0; i < plan.drill.scenarios.size(); ++i)
    plan.shared_iterations.push_back(std::make_unique<std::atomic<std::uint64_t>>(0));

  plan.start = engine::clock::now();
  setup->prepare();
  // The steady-state hypothesis holds before anything is done to the system, or nothing is.
  std::vector<engine::probe_result> probes = setup->run_probes("before", {});
  if (std::any_of(probes.begin(), probes.end(), [](const auto& p) { return !p.passed; }))
    throw steady_state_error(steady_state_message(probes));
  plan.setup_data = setup->call_once("setup", false);
  plan.has_setup_data = true;
  setup->prepare();

  std::vector<std::unique_ptr<vu_worker>> workers;
  for (unsigned i = 0; i < plan.workers; ++i) {
    workers.push_back(std::make_unique<vu_worker>(plan, i));
    workers.back()->load();
    workers.back()->prepare();
  }
  // options.integrity's hooks run on the setup worker, idle during the load: no user waits.
  integrity_monitor monitor(*setup, plan);
  // Everyone starts together, a moment from now (thread start-up is not load).
  plan.start = engine::clock::now() + std::chrono::milliseconds(20);
  if (options.on_start) options.on_start(plan.start);
  std::vector<std::thread> threads;
  for (auto& w : workers)
    threads.emplace_back([&w] { w->run(); });
  monitor.start();

  engine::progress last;
  auto next_report = plan.start + std::chrono::seconds(1);
  live_metrics live(plan.start);
  // A callback that throws stops the run; the exception is rethrown once the workers joined.
  std::exception_ptr live_error;
  const std::function<void(const live_view&)> on_second = [&](const live_view& v) {
    if (!options.on_second || live_error) return;
    try {
      options.on_second(v);
    } catch (...) {
      live_error = std::current_exception();
      control.request_stop();
    }
  };
  for (;;) {
    const bool all_done =
        std::all_of(workers.begin(), workers.end(), [](const auto& w) { return w->done(); });
    if (all_done) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const auto now = engine::clock::now();
    live.poll(workers, now, on_second);
    if (on_progress && now >= next_report) {
      engine::progress p;
      p.elapsed = now - plan.start;
      for (const auto& w : workers) {
        p.completed += w->live_completed();
        p.errors += w->live_errors();
      }
      on_progress(p);
      next_report += std::chrono::seconds(1);
    }
  }
  for (auto& t : threads)
    t.join();
  const auto load_end = engine::clock::now();
  live.finish(workers);
  monitor.stop();
  if (live_error) std::rethrow_exception(live_error);
  if (options.on_load_end) options.on_load_end();
  // The hypothesis again, once the faults and actions are rolled back: is the system back?
  if (plan.drill.steady_state) {
    auto after = setup->run_probes("after", plan.drill.steady_state->within);
    probes.insert(probes.end(), std::make_move_iterator(after.begin()),
                  std::make_move_iterator(after.end()));
  }
  // The final reads and checks, once the faults are rolled back and before teardown.
  monitor.run_final();
  // options.idempotency.effects: once the faults are rolled back, before teardown changes
  // anything, on the setup worker's state (the hook is a function of the drill's).
  std::vector<const std::vector<engine::history_entry>*> histories{&setup->history()};
  for (auto& w : workers)
    histories.push_back(&w->history());
  engine::idempotency_effects effects = setup->run_effects(histories);

  drill_results r;
  r.seed = plan.seed;
  // Every worker's samples went through the live totals; merge_worker adds what came after the
  // last hand-off (and the setup worker's: setup(), teardown(), the post-run hooks).
  r.metrics = std::move(live.totals());
  r.timeline = std::move(live.timeline());
  r.effects = std::move(effects);
  r.drill.probes = std::move(probes);
  r.drill.capacity = plan.drill.capacity;
  // teardown(data) runs even after failures, as k6 does; its errors are counted, not thrown.
  try {
    setup->call_once("teardown", true);
  } catch (const script_error& e) {
    ++r.script_errors[e.what()];
  }

  r.options = plan.drill;
  r.thresholds = plan.drill.thresholds;
  r.http.threads = plan.workers;
  r.http.interrupted = control.stop_requested();
  r.http.duration = load_end - plan.start;
  r.http.wall_time = load_end - plan.start;
  for (const auto& spec : plan.drill.scenarios)
    if (spec.executor == executor_kind::constant_arrival_rate ||
        spec.executor == executor_kind::ramping_arrival_rate)
      r.http.open_model = true;
  std::vector<const vu_worker*> all;
  for (auto& w : workers) {
    merge_worker(r, *w);
    all.push_back(w.get());
  }
  merge_worker(r, *setup);
  r.integrity.merge(std::move(monitor.record()));
  r.http.tls = r.http.tls_handshake.count() > 0;
  r.http.protocol = plan.drill.protocol == engine::http_version::h2 ? "h2" : "http/1.1";
  // Per-second latency percentiles across workers.
  for (std::size_t s = 0; s < r.http.series.size(); ++s) {
    engine::histogram h;
    for (const auto* w : all)
      if (s < w->second_latency().size()) h.add_sparse(w->second_latency()[s]);
    if (h.count() > 0) {
      r.http.series[s].p50_us = h.percentile(50);
      r.http.series[s].p99_us = h.percentile(99);
    }
  }
  for (std::size_t i = 0; i < plan.drill.scenarios.size(); ++i) {
    engine::scenario_summary sum;
    sum.name = plan.drill.scenarios[i].name;
    sum.executor = std::string(to_string(plan.drill.scenarios[i].executor));
    for (auto& w : workers) {
      const auto& s = w->scenarios()[i].summary;
      sum.iterations += s.iterations;
      sum.interrupted += s.interrupted;
      sum.dropped += s.dropped;
      sum.failed += s.failed;
      sum.max_vus += s.max_vus;
    }
    r.scenarios.push_back(sum);
  }
  for (const auto& s : r.scenarios)
    r.http.connections = std::max(r.http.connections, s.max_vus);
  std::stable_sort(r.history.begin(), r.history.end(),
                   [](const auto& a, const auto& b) { return a.invoke_us < b.invoke_us; });
  return r;
}

}  // namespace ordeal::scenarios
