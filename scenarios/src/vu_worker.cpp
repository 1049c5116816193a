#include "vu_worker.hpp"

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/json/parse.hpp>
#include <cctype>
#include <cmath>

#include "data_files.hpp"
#include "lua_api.hpp"
#include "lua_integrity.hpp"
#include "lua_json.hpp"
#include "lua_response.hpp"

namespace ordeal::scenarios {

namespace asio = boost::asio;
using engine::outcome;

namespace {

constexpr auto tick_interval = std::chrono::milliseconds(10);
constexpr const char* worker_key = "ordeal.worker";
// After a stop request (a signal), running iterations get this long to finish.
constexpr auto stop_grace = std::chrono::seconds(1);

std::uint64_t micros(std::chrono::nanoseconds d) noexcept {
  return d.count() <= 0 ? 0 : static_cast<std::uint64_t>(d.count() / 1000);
}

const std::string* idempotency_header(const engine::header_list& headers) noexcept {
  for (const auto& [name, value] : headers)
    if (name.size() == 15 && std::equal(name.begin(), name.end(), "idempotency-key",
                                        [](char a, char b) { return std::tolower(a) == b; }))
      return &value;
  return nullptr;
}

double millis(std::chrono::nanoseconds d) noexcept {
  return static_cast<double>(d.count()) / 1e6;
}

// "status 503", "timeout: ..."
std::string describe_failure(const engine::operation_result& r) {
  const auto& resp = r.response;
  if (resp.result == outcome::status || resp.result == outcome::ok)
    return "status " + std::to_string(resp.status);
  return std::string(engine::to_string(resp.result)) + ": " + resp.error;
}

// This worker's part of `n` things dealt round-robin over `workers`.
std::uint64_t share(std::uint64_t n, unsigned workers, unsigned index) noexcept {
  return n / workers + (index < n % workers ? 1 : 0);
}

}  // namespace

vu_worker::vu_worker(const run_plan& plan, unsigned index)
    : plan_(plan), index_(index), tick_timer_(ioc_), next_vu_id_(index + 1) {}

vu_worker::~vu_worker() {
  // Coroutines and their timers go before the state and the io_context.
  if (client_) client_->shutdown();
  for (auto& s : scenarios_)
    s.vus.clear();
}

vu_worker& vu_worker::of(lua_State* L) {
  lua_getfield(L, LUA_REGISTRYINDEX, worker_key);
  auto* w = static_cast<vu_worker*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  return *w;
}

vu* vu_worker::current(lua_State* L) {
  return *static_cast<vu**>(lua_getextraspace(L));
}

void vu_worker::load() {
  const auto& file = plan_.options.file;
  state_ = make_sandboxed_state({plan_.options.allow_exec, file.parent_path()});
  L_ = state_.get();
  *static_cast<vu**>(lua_getextraspace(L_)) = nullptr;
  lua_pushlightuserdata(L_, this);
  lua_setfield(L_, LUA_REGISTRYINDEX, worker_key);
  open_json_library(L_);
  open_random_library(L_);
  open_data_library(L_, file.parent_path());
  open_drill_api(L_, plan_.options.env);
  open_integrity_api(L_);
  set_instruction_limit(L_, plan_.options.max_instructions);
  // Generational collection: responses die young, every iteration. Lua cannot see the C++ heap
  // a response holds (headers, body), so incremental pacing would keep too many of them alive.
  lua_gc(L_, LUA_GCGEN, 10, 50);

  const std::string name = file.string();
  if (luaL_loadfilex(L_, name.c_str(), "t") != LUA_OK) throw script_error(lua_tostring(L_, -1));
  reset_instruction_budget(L_);
  if (lua_pcall(L_, 0, 0, 0) != LUA_OK) {
    const char* msg = lua_tostring(L_, -1);
    throw script_error(msg ? msg : name + ": error object is not a string");
  }
}

void vu_worker::prepare() {
  const std::string target = plan_.options.target.value_or(plan_.drill.target.value_or(""));
  if (!target.empty()) base_ = engine::parse_url(target);
  // Called again on the setup worker once setup() has run, for teardown(data).
  if (data_ref_ != 0) luaL_unref(L_, LUA_REGISTRYINDEX, data_ref_);
  if (plan_.has_setup_data) {
    push_json(L_, boost::json::parse(plan_.setup_data));
  } else {
    lua_pushnil(L_);
  }
  data_ref_ = luaL_ref(L_, LUA_REGISTRYINDEX);

  if (plan_.drill.idempotency && !fingerprint_) fingerprint_.emplace(*plan_.drill.idempotency);
  if (client_) return;
  // Counters a threshold may name even when nothing happened: they read 0, not "no such metric"
  // (an untagged series that stays empty; the samples go to tagged series).
  for (const char* c : {"http_reqs", "retries", "duplicates", "iterations", "dropped_iterations"})
    engine::metric_at(metrics_, c, engine::metric_kind::counter);
  engine::client_options co;
  co.connect_timeout = plan_.drill.connect_timeout;
  co.max_connections_per_host = plan_.drill.max_connections;
  co.tls = plan_.drill.tls;
  co.h2 = plan_.drill.h2;
  client_ = std::make_unique<engine::http_client>(ioc_, co);
  runner_ = std::make_unique<engine::operation_runner>(
      ioc_, *client_,
      [this](const engine::attempt_record& rec, const engine::http_response& r) {
        on_attempt(rec, r);
      },
      (static_cast<std::uint64_t>(index_) << 40) + 1);
}

std::string vu_worker::call_once(const char* name, bool pass_data) {
  lua_getglobal(L_, name);
  if (!lua_isfunction(L_, -1)) {
    lua_pop(L_, 1);
    return "null";
  }
  lua_pop(L_, 1);
  try {
    return call_hook(name, [&](lua_State* T) {
      lua_getglobal(T, name);
      if (!pass_data) return 0;
      lua_rawgeti(T, LUA_REGISTRYINDEX, data_ref_);
      return 1;
    });
  } catch (const script_error& e) {
    throw script_error(std::string(name) + "() failed: " + e.what());
  }
}

std::string vu_worker::call_hook(std::string_view label,
                                 const std::function<int(lua_State*)>& push) {
  auto v = std::make_unique<vu>(plan_.seed, label, 0);
  v->worker = this;
  v->thread = lua_newthread(L_);
  v->thread_ref = luaL_ref(L_, LUA_REGISTRYINDEX);
  *static_cast<vu**>(lua_getextraspace(v->thread)) = v.get();
  const int nargs = push(v->thread);
  once_failed_request_.reset();
  v->running = true;
  v->iteration_start = clock::now();
  once_result_.reset();
  once_error_.reset();
  resume(*v, nargs);
  ioc_.restart();
  while (v->running && !ioc_.stopped())
    ioc_.run_one();
  luaL_unref(L_, LUA_REGISTRYINDEX, v->thread_ref);
  if (once_error_) throw script_error(*once_error_);
  return once_result_.value_or("null");
}

vu& vu_worker::make_vu(scenario_state& s) {
  const std::uint64_t index = s.vus.size();
  // Ids are global: worker w of W numbers its users w+1, w+1+W, ... across its scenarios.
  const std::uint64_t id = next_vu_id_;
  next_vu_id_ += plan_.workers;
  vu_scenario_.push_back(&s.spec->name);  // at (id - index_ - 1) / workers
  // The stream depends on the scenario and the user's place in it, not on the thread count.
  const std::uint64_t stream = index * plan_.workers + index_;
  auto v = std::make_unique<vu>(plan_.seed, s.spec->name, stream);
  v->id = id;
  v->index = stream;
  v->worker = this;
  v->scenario = &s;
  v->thread = lua_newthread(L_);
  v->thread_ref = luaL_ref(L_, LUA_REGISTRYINDEX);
  *static_cast<vu**>(lua_getextraspace(v->thread)) = v.get();
  s.vus.push_back(std::move(v));
  return *s.vus.back();
}

void vu_worker::run() {
  const auto& specs = plan_.drill.scenarios;
  scenarios_.resize(specs.size());
  for (std::size_t i = 0; i < specs.size(); ++i) {
    auto& s = scenarios_[i];
    s.spec = &specs[i];
    s.index = i;
    s.summary.name = specs[i].name;
    s.summary.executor = std::string(to_string(specs[i].executor));
    const std::string tag = "{scenario:" + specs[i].name + "}";
    s.iterations = &engine::metric_at(metrics_, "iterations" + tag, engine::metric_kind::counter);
    s.iteration_duration =
        &engine::metric_at(metrics_, "iteration_duration" + tag, engine::metric_kind::trend, true);
    s.dropped =
        &engine::metric_at(metrics_, "dropped_iterations" + tag, engine::metric_kind::counter);
    lua_getglobal(L_, specs[i].exec.c_str());
    s.exec_ref = luaL_ref(L_, LUA_REGISTRYINDEX);
    arrival_timers_.push_back(std::make_unique<asio::steady_timer>(ioc_));
  }
  next_second_ = plan_.start + std::chrono::seconds(1);
  rolling_ = true;
  tick_timer_.expires_at(plan_.start);
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    begin_scenarios();
    schedule_tick();
  });
  ioc_.run();
  roll_second(clock::now());
  // The last, partial second goes too: the main thread's totals are the run's.
  hand_off_second(second_sparse_.size(), false);
  http_.in_flight += client_->shutdown();
  http_.connections_opened = client_->connections_opened();
  finished_flag_.store(true, std::memory_order_release);
}

void vu_worker::begin_scenarios() {
  for (auto& s : scenarios_) {
    const auto& spec = *s.spec;
    s.begin = plan_.start + spec.start_time;
    std::chrono::nanoseconds length = spec.duration;
    if (spec.executor == executor_kind::ramping_vus ||
        spec.executor == executor_kind::ramping_arrival_rate) {
      length = {};
      for (const auto& st : spec.stages)
        length += st.duration;
    }
    if (spec.executor == executor_kind::per_vu_iterations ||
        spec.executor == executor_kind::shared_iterations)
      length = spec.max_duration;
    s.end = s.begin + length;
    s.hard_end = s.end + spec.graceful_stop;
  }
  tick();
}

void vu_worker::schedule_tick() {
  tick_timer_.expires_after(tick_interval);
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || finished_) return;
    tick();
    if (!finished_) schedule_tick();
  });
}

void vu_worker::tick() {
  const auto now = clock::now();
  if (!stopping_ && plan_.control && plan_.control->stop_requested()) {
    stopping_ = true;
    for (auto& s : scenarios_) {
      s.end = std::min(s.end, now);
      s.hard_end = std::min(s.hard_end, now + stop_grace);
      arrival_timers_[s.index]->cancel();
    }
  }
  for (auto& s : scenarios_) {
    if (s.finished) continue;
    if (!s.started && now >= s.begin && now < s.end) {
      s.started = true;
      const auto& spec = *s.spec;
      switch (spec.executor) {
        case executor_kind::constant_vus:
        case executor_kind::per_vu_iterations:
        case executor_kind::shared_iterations: {
          const auto n = share(spec.vus, plan_.workers, index_);
          for (std::uint64_t i = 0; i < n; ++i) {
            vu& v = make_vu(s);
            v.parked = false;
            next_for(v);
          }
          break;
        }
        case executor_kind::ramping_vus:
          s.vu_ramp.emplace(spec.start_vus, spec.stages);
          break;
        case executor_kind::constant_arrival_rate:
        case executor_kind::ramping_arrival_rate: {
          const double per_s = std::chrono::duration<double>(spec.time_unit).count();
          engine::ramp r = engine::ramp::constant(spec.rate / per_s, spec.duration);
          if (spec.executor == executor_kind::ramping_arrival_rate) {
            auto stages = spec.stages;
            for (auto& st : stages)
              st.target /= per_s;
            r = engine::ramp(spec.start_rate / per_s, std::move(stages));
          }
          // Arrivals are dealt only to workers with a share of the users: with fewer users than
          // workers, the others would drop every arrival dealt to them.
          const unsigned cap = std::max(spec.max_vus, spec.vus);
          const unsigned dealt = std::max(1u, std::min(plan_.workers, cap));
          s.arrivals.emplace(std::move(r), engine::arrival_process::constant, dealt,
                             std::min(index_, dealt - 1),
                             plan_.seed ^ (s.index * 0x9e3779b97f4a7c15ull));
          s.vu_limit = static_cast<unsigned>(share(cap, plan_.workers, index_));
          const auto pre =
              std::min<std::uint64_t>(share(spec.vus, plan_.workers, index_), s.vu_limit);
          for (std::uint64_t i = 0; i < pre; ++i)
            s.idle.push_back(&make_vu(s));
          if (index_ < dealt) schedule_arrival(s);
          break;
        }
      }
    }
    if (!s.started && now >= s.end) {
      s.started = true;  // its window passed before it could start (a stop request)
    }
    if (s.vu_ramp && now < s.end) apply_vu_ramp(s, now);
    if (s.running > 0 && now >= s.hard_end) cut_off(s);
  }
  if (now >= next_second_) roll_second(now);
  live_completed_.store(http_.total(), std::memory_order_relaxed);
  live_errors_.store(http_.errors(), std::memory_order_relaxed);
  check_done();
}

void vu_worker::apply_vu_ramp(scenario_state& s, clock::time_point now) {
  const double target = s.vu_ramp->value_at(now - s.begin);
  const auto n =
      share(static_cast<std::uint64_t>(std::llround(std::max(0.0, target))), plan_.workers, index_);
  while (s.vus.size() < n)
    make_vu(s);
  for (std::size_t i = 0; i < s.vus.size(); ++i) {
    vu& v = *s.vus[i];
    const bool wanted = i < n;
    if (wanted && v.parked) {
      v.parked = false;
      if (!v.running) {
        // The step its last iteration posted may still be queued: it would start a second
        // iteration on the same coroutine. Superseded here.
        ++v.generation;
        next_for(v);
      }
    } else if (!wanted) {
      v.parked = true;  // finishes its iteration, then waits
    }
  }
  s.summary.max_vus = std::max<unsigned>(s.summary.max_vus, static_cast<unsigned>(n));
}

void vu_worker::schedule_arrival(scenario_state& s) {
  const auto next = s.arrivals->next();
  if (!next || stopping_) return;
  const auto intended = s.begin + *next;
  auto& timer = *arrival_timers_[s.index];
  timer.expires_at(intended);
  timer.async_wait([this, &s, intended](const boost::system::error_code& ec) {
    if (ec || finished_) return;
    vu* v = nullptr;
    if (!s.idle.empty()) {
      v = s.idle.back();
      s.idle.pop_back();
    } else if (s.vus.size() < s.vu_limit) {
      v = &make_vu(s);
    }
    if (v == nullptr) {
      ++s.summary.dropped;
      s.dropped->add(1);
    } else {
      start_iteration(*v, intended);
    }
    schedule_arrival(s);
  });
}

void vu_worker::start_iteration(vu& v, clock::time_point intended) {
  auto& s = *v.scenario;
  v.running = true;
  v.iteration = v.iterations_started++;
  v.iteration_start = clock::now();
  v.intended = intended;
  v.use_intended = intended < v.iteration_start;
  ++s.running;
  s.summary.max_vus = std::max<unsigned>(s.summary.max_vus, s.running);
  lua_rawgeti(v.thread, LUA_REGISTRYINDEX, s.exec_ref);
  lua_rawgeti(v.thread, LUA_REGISTRYINDEX, data_ref_);
  resume(v, 1);
}

void vu_worker::resume(vu& v, int nargs) {
  set_current_random(L_, &v.random);
  reset_instruction_budget(v.thread);
  v.waiting = false;
  int nres = 0;
  const int status = lua_resume(v.thread, L_, nargs, &nres);
  set_current_random(L_, nullptr);
  if (status == LUA_YIELD && v.waiting) {
    lua_pop(v.thread, nres);
    return;
  }
  bool failed = false;
  if (status == LUA_OK) {
    if (v.scenario == nullptr && nres > 0) {
      try {
        once_result_ = serialize_json(convert_to_json(v.thread, -nres));
      } catch (const json_encode_error& e) {
        once_error_ = std::string("its result cannot be shared with the workers: ") + e.what();
      }
    }
    lua_settop(v.thread, 0);
  } else {
    failed = true;
    std::string message;
    if (status == LUA_YIELD) {
      message = "coroutine.yield() called outside a coroutine of the script's own";
    } else {
      const char* text = lua_tostring(v.thread, -1);
      message = text ? text : "(an error object that is not a string)";
    }
    lua_resetthread(v.thread);
    if (v.scenario == nullptr)
      once_error_ = message;
    else
      ++script_errors_[message];
  }
  iteration_ended(v, failed);
}

void vu_worker::iteration_ended(vu& v, bool failed) {
  v.running = false;
  v.groups.clear();
  if (v.scenario == nullptr) return;  // a one-off call (setup, teardown)
  auto& s = *v.scenario;
  --s.running;
  ++s.summary.iterations;
  if (failed) ++s.summary.failed;
  s.iterations->add(1);
  s.iteration_duration->add(millis(clock::now() - v.iteration_start));
  // The next iteration goes through the event loop: an iteration that never yields must not
  // keep the worker from its timers and sockets.
  asio::post(ioc_, [this, &v, g = v.generation] {
    if (g == v.generation && !finished_) next_for(v);
  });
}

void vu_worker::next_for(vu& v) {
  auto& s = *v.scenario;
  const auto now = clock::now();
  const auto& spec = *s.spec;
  bool again = !stopping_ && now < s.end && !v.retired;
  switch (spec.executor) {
    case executor_kind::constant_vus:
      break;
    case executor_kind::ramping_vus:
      again = again && !v.parked;
      break;
    case executor_kind::per_vu_iterations:
      again = again && v.iterations_started < spec.iterations;
      break;
    case executor_kind::shared_iterations:
      again = again && plan_.shared_iterations[s.index]->fetch_add(1, std::memory_order_relaxed) <
                           spec.iterations;
      break;
    case executor_kind::constant_arrival_rate:
    case executor_kind::ramping_arrival_rate:
      s.idle.push_back(&v);
      again = false;
      break;
  }
  if (again) {
    start_iteration(v, now);
    return;
  }
  if (spec.executor != executor_kind::ramping_vus && !s.arrivals) v.retired = true;
  check_done();
}

void vu_worker::cut_off(scenario_state& s) {
  for (auto& v : s.vus) {
    if (!v->running) continue;
    ++v->generation;
    v->running = false;
    v->retired = true;
    if (v->timer) v->timer->cancel();
    lua_resetthread(v->thread);
    ++s.summary.interrupted;
  }
  s.running = 0;
}

void vu_worker::check_done() {
  if (finished_) return;
  const auto now = clock::now();
  for (auto& s : scenarios_) {
    if (s.finished) continue;
    if (!s.started || s.running > 0) return;
    const bool all_retired =
        std::all_of(s.vus.begin(), s.vus.end(), [](const auto& v) { return v->retired; });
    const bool closed = !s.arrivals && !s.vu_ramp;
    if (now >= s.end || (closed && all_retired)) {
      s.finished = true;
      arrival_timers_[s.index]->cancel();
    } else {
      return;
    }
  }
  finished_ = true;
  tick_timer_.cancel();
  for (auto& t : arrival_timers_)
    t->cancel();
  ioc_.stop();
}

void vu_worker::start_request(vu& v, engine::operation_spec spec) {
  v.waiting = true;
  if (v.use_intended) {
    spec.request.intended = v.intended;
    v.use_intended = false;
  }
  runner_->run(std::move(spec), [this, &v, g = v.generation](engine::operation_result&& r) {
    on_operation_done(v, g, std::move(r));
  });
}

void vu_worker::on_operation_done(vu& v, std::uint32_t generation, engine::operation_result&& r) {
  if (!post_run_) {
    ++operations_;
    duplicates_ += r.duplicates;
  }
  if (generation != v.generation || finished_) return;
  if (v.scenario == nullptr && r.outcome != engine::attempt_verdict::ok && !once_failed_request_)
    once_failed_request_ = describe_failure(r);
  push_response(v.thread, std::move(r));
  resume(v, 1);
}

void vu_worker::start_batch(vu& v, std::vector<engine::operation_spec> specs) {
  v.waiting = true;
  const std::size_t n = specs.size();
  v.batch.assign(n, std::nullopt);
  v.batch_pending = n;
  v.batch_held.clear();
  if (n == 0) {
    asio::post(ioc_, [this, &v, g = v.generation] {
      if (g != v.generation || finished_) return;
      push_batch_responses(v.thread, v.batch);
      resume(v, 1);
    });
    return;
  }
  // Reorder: hold one request back until a later one of the batch has been answered.
  std::optional<std::size_t> held;
  const auto& how = specs.front().how.reorder;
  if (n >= 2 && v.random.bernoulli(how.probability))
    held = static_cast<std::size_t>(v.random.integer(0, static_cast<std::int64_t>(n) - 2));
  for (std::size_t i = 0; i < n; ++i) {
    if (held && *held == i) {
      v.batch_held.push_back(std::move(specs[i]));
      v.batch_held_index = i;
      continue;
    }
    if (v.use_intended) {
      specs[i].request.intended = v.intended;
    }
    runner_->run(std::move(specs[i]),
                 [this, &v, i, g = v.generation](engine::operation_result&& r) {
                   ++operations_;
                   duplicates_ += r.duplicates;
                   if (g != v.generation || finished_) return;
                   batch_done(v, i, std::move(r));
                 });
  }
  v.use_intended = false;
}

void vu_worker::batch_done(vu& v, std::size_t i, engine::operation_result&& r) {
  if (v.scenario == nullptr && r.outcome != engine::attempt_verdict::ok && !once_failed_request_)
    once_failed_request_ = describe_failure(r);
  v.batch[i] = std::move(r);
  --v.batch_pending;
  if (!v.batch_held.empty() && i > v.batch_held_index) {
    auto spec = std::make_shared<engine::operation_spec>(std::move(v.batch_held.front()));
    v.batch_held.clear();
    const std::size_t index = v.batch_held_index;
    auto send = [this, &v, spec, index, g = v.generation] {
      if (g != v.generation || finished_) return;
      runner_->run(std::move(*spec), [this, &v, index, g](engine::operation_result&& r) {
        ++operations_;
        duplicates_ += r.duplicates;
        if (g != v.generation || finished_) return;
        batch_done(v, index, std::move(r));
      });
    };
    const auto delay = spec->how.reorder.delay;
    if (delay.count() > 0) {
      if (!v.timer) v.timer = std::make_unique<asio::steady_timer>(ioc_);
      v.timer->expires_after(delay);
      v.timer->async_wait([send](const boost::system::error_code& ec) {
        if (!ec) send();
      });
    } else {
      send();
    }
  }
  if (v.batch_pending > 0) return;
  push_batch_responses(v.thread, v.batch);
  v.batch.clear();
  resume(v, 1);
}

void vu_worker::start_sleep(vu& v, std::chrono::nanoseconds d) {
  v.waiting = true;
  if (!v.timer) v.timer = std::make_unique<asio::steady_timer>(ioc_);
  v.timer->expires_after(d);
  v.timer->async_wait([this, &v, g = v.generation](const boost::system::error_code& ec) {
    if (ec || g != v.generation || finished_) return;
    resume(v, 0);
  });
}

void vu_worker::record_check(std::string_view name, bool passed) {
  // Found once per check name: a check runs every iteration, its name rarely changes.
  auto it = check_entries_.find(name);
  if (it == check_entries_.end()) {
    check_entry e;
    e.counts = &checks_[std::string(name)];
    // One series per check: "checks" alone merges them all.
    e.tagged = &engine::metric_at(metrics_, "checks{check:" + std::string(name) + "}",
                                  engine::metric_kind::rate);
    it = check_entries_.emplace(std::string(name), e).first;
  }
  auto& counts = *it->second.counts;
  (passed ? counts.first : counts.second) += 1;
  it->second.tagged->add(passed ? 1 : 0);
}

void vu_worker::on_attempt(const engine::attempt_record& rec, const engine::http_response& r) {
  if (post_run_) return;
  // The second it ended in has passed: its samples go first (the tick rolls idle seconds).
  if (rolling_ && r.ended >= next_second_) roll_second(r.ended);
  ++attempts_;
  const auto o = r.result;
  ++http_.outcomes[static_cast<std::size_t>(o)];
  {
    const auto second = static_cast<std::size_t>(
        std::max<std::int64_t>(0, (r.ended - plan_.start) / std::chrono::seconds(1)));
    if (second >= http_.series.size()) http_.series.resize(second + 1);
    ++http_.series[second].outcomes[static_cast<std::size_t>(o)];
  }
  if (r.status > 0) ++http_.status_codes[r.status];
  if (o != outcome::ok && o != outcome::status)
    ++http_.error_reasons[std::string(engine::to_string(o)) + ": " + r.error];
  http_.bytes_sent += r.bytes_sent;
  http_.bytes_received += r.bytes_received;
  const bool answered = o == outcome::ok || o == outcome::status;
  const std::string& name = *rec.name;
  const std::string* scenario = nullptr;
  if (rec.owner > index_ && plan_.workers > 0) {
    const auto k = (rec.owner - index_ - 1) / plan_.workers;
    if (k < vu_scenario_.size()) scenario = vu_scenario_[k];
  }
  http_metrics& m = http_metrics_for(name, rec.request->method, r.status, scenario);
  if (answered) {
    const auto us = micros(r.timings.duration);
    http_.latency.record(us);
    http_.latency_uncorrected.record(micros(r.timings.duration - r.timings.blocked));
    http_.ttfb.record(micros(r.timings.waiting));
    second_latency_.record(us);
    m.duration->add(millis(r.timings.duration));
    m.blocked->add(millis(r.timings.blocked));
    m.sending->add(millis(r.timings.sending));
    m.waiting->add(millis(r.timings.waiting));
    m.receiving->add(millis(r.timings.receiving));
  }
  if (r.timings.connect.count() > 0) {
    http_.connect_time.record(micros(r.timings.connect));
    m.connecting->add(millis(r.timings.connect));
  }
  if (r.timings.tls.count() > 0) {
    http_.tls_handshake.record(micros(r.timings.tls));
    m.tls_handshaking->add(millis(r.timings.tls));
  }
  const bool failed = o != outcome::ok;
  m.reqs->add(1);
  m.failed->add(failed ? 1 : 0);
  if (rec.kind == engine::attempt_kind::retry) m.retries->add(1);
  if (rec.kind == engine::attempt_kind::duplicate) m.duplicates->add(1);

  if (plan_.options.history || plan_.drill.history) {
    engine::history_entry h;
    h.operation = rec.operation;
    h.attempt = rec.attempt;
    h.kind = rec.kind;
    h.verdict = rec.verdict;
    h.result = o;
    h.status = r.status;
    h.name = name;
    h.key = *rec.key;
    // A key the script set as a header counts as much as one set with idempotency_key.
    if (h.key.empty())
      if (const auto* k = idempotency_header(rec.request->headers)) h.key = *k;
    h.method = rec.request->method;
    h.target = rec.request->target.target;
    h.vu = rec.owner;
    h.client_port = r.local_port;
    h.invoke_us =
        std::chrono::duration_cast<std::chrono::microseconds>(r.started - plan_.start).count();
    h.complete_us =
        std::chrono::duration_cast<std::chrono::microseconds>(r.ended - plan_.start).count();
    if (o != outcome::ok && o != outcome::status) h.error = r.error;
    if (fingerprint_ && answered && !h.key.empty()) {
      h.response_digest = fingerprint_->digest(r.status, r.headers, r.body);
      h.response_excerpt = body_excerpt(r.body);
    }
    history_.push_back(std::move(h));
  }
}

vu_worker::http_metrics& vu_worker::http_metrics_for(const std::string& name,
                                                     const std::string& method, int status,
                                                     const std::string* scenario) {
  // Found by name, then among that name's few tag sets: no allocation once seen.
  auto it = by_name_.find(name);
  if (it == by_name_.end())
    it = by_name_.emplace(name, std::vector<std::unique_ptr<http_metrics>>{}).first;
  for (auto& t : it->second)
    if (t->status == status && t->scenario == scenario && t->method == method) return *t;
  auto t = std::make_unique<http_metrics>();
  t->method = method;
  t->status = status;
  t->scenario = scenario;
  engine::metric_tags tags{{"name", name},
                           {"method", method},
                           {"status", status > 0 ? std::to_string(status) : std::string()},
                           {"scenario", scenario ? *scenario : std::string()}};
  const auto at = [&](std::string_view metric, engine::metric_kind kind, bool is_time = false) {
    return &engine::metric_at(metrics_, engine::series_key(metric, tags), kind, is_time);
  };
  using engine::metric_kind;
  t->duration = at("http_req_duration", metric_kind::trend, true);
  t->blocked = at("http_req_blocked", metric_kind::trend, true);
  t->connecting = at("http_req_connecting", metric_kind::trend, true);
  t->tls_handshaking = at("http_req_tls_handshaking", metric_kind::trend, true);
  t->sending = at("http_req_sending", metric_kind::trend, true);
  t->waiting = at("http_req_waiting", metric_kind::trend, true);
  t->receiving = at("http_req_receiving", metric_kind::trend, true);
  t->reqs = at("http_reqs", metric_kind::counter);
  t->failed = at("http_req_failed", metric_kind::rate);
  t->retries = at("retries", metric_kind::counter);
  t->duplicates = at("duplicates", metric_kind::counter);
  it->second.push_back(std::move(t));
  return *it->second.back();
}

void vu_worker::roll_second(clock::time_point now) {
  // Each second's latency, kept sparse until the merge computes its percentiles; each second's
  // metrics to the main thread. An idle stretch rolls several empty seconds at once.
  while (now >= next_second_) {
    second_sparse_.push_back(second_latency_.sparse());
    second_latency_.reset();
    hand_off_second(second_sparse_.size() - 1, true);
    next_second_ += std::chrono::seconds(1);
  }
}

void vu_worker::hand_off_second(std::size_t second, bool complete) {
  std::vector<second_delta> out;
  for (auto& [key, m] : metrics_) {
    if (m.samples == 0) continue;
    out.push_back({second, key, m.kind, m.is_time, engine::metric_sample::of(m)});
    m.reset();
  }
  const std::lock_guard lock(deltas_mutex_);
  if (deltas_.empty()) {
    deltas_ = std::move(out);
  } else {
    deltas_.insert(deltas_.end(), std::make_move_iterator(out.begin()),
                   std::make_move_iterator(out.end()));
  }
  if (complete) seconds_handed_off_ = second + 1;
}

std::size_t vu_worker::take_deltas(std::vector<second_delta>& into) {
  const std::lock_guard lock(deltas_mutex_);
  into.insert(into.end(), std::make_move_iterator(deltas_.begin()),
              std::make_move_iterator(deltas_.end()));
  deltas_.clear();
  return seconds_handed_off_;
}

}  // namespace ordeal::scenarios
