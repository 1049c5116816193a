#include "ordeal/faults/fault_server.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <future>
#include <optional>
#include <thread>

#include "api_server.hpp"
#include "event_log.hpp"
#include "registry.hpp"

namespace ordeal::faults {

namespace asio = boost::asio;

struct fault_server::impl {
  // Destroyed in reverse order: the registry and the API go (closing their sockets) while
  // the io_context still exists; the event log outlives every coroutine frame.
  event_log events;
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::optional<registry> reg;
  std::unique_ptr<api_server> api;
  fault_plan plan;
  std::vector<std::unique_ptr<asio::steady_timer>> timers;  // the timeline's
  std::thread thread;

  // Runs `f` on the fault thread and waits; its exception is rethrown here.
  template <class F>
  auto call(F f) -> decltype(f()) {
    if (io.get_executor().running_in_this_thread()) return f();
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    asio::post(io, [&task] { task(); });
    return result.get();
  }

  // Bumped by rollback: a timeline handler already queued when it ran does nothing.
  std::uint64_t generation = 0;

  void schedule(std::chrono::steady_clock::time_point when, std::function<void()> action) {
    auto t = std::make_unique<asio::steady_timer>(io, when);
    t->async_wait([this, g = generation, action = std::move(action)](boost::system::error_code ec) {
      if (!ec && g == generation) action();
    });
    timers.push_back(std::move(t));
  }

  // A timeline fault that cannot be applied (its proxy was deleted through the API) is
  // recorded, not thrown: the run goes on.
  void apply(const timed_fault& f) {
    try {
      reg->add_toxic(f.proxy, f.toxic);
    } catch (const spec_error& e) {
      engine::fault_event ev;
      ev.what = engine::fault_event::kind::start;
      ev.proxy = f.proxy;
      ev.fault = f.toxic.name;
      ev.type = f.toxic.type;
      ev.detail = std::string("not applied: ") + e.what();
      events.record(std::move(ev));
    }
  }
  void lift(const timed_fault& f) {
    try {
      reg->remove_toxic(f.proxy, f.toxic.name);
    } catch (const spec_error&) {
      // Already gone (removed through the API or by a reset): nothing to undo.
    }
  }
};

fault_server::fault_server(std::uint64_t seed) : impl_(std::make_unique<impl>()) {
  impl_->reg.emplace(impl_->io.get_executor(), seed, impl_->events);
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

fault_server::~fault_server() {
  try {
    rollback();
    impl_->call([this] {
      impl_->api.reset();
      impl_->reg.reset();
    });
  } catch (...) {
    // Nothing useful to do with a failure while tearing down.
  }
  impl_->work.reset();
  impl_->io.stop();
  impl_->thread.join();
}

void fault_server::load(const fault_plan& plan) {
  impl_->call([&] {
    for (const auto& p : plan.proxies)
      impl_->reg->create_proxy(p);
    impl_->plan = plan;
  });
}

std::string fault_server::add_proxy(const proxy_spec& spec) {
  return impl_->call(
      [&] { return std::string(impl_->reg->create_proxy(spec).at("listen").as_string()); });
}

void fault_server::add_toxic(const std::string& proxy, const toxic_spec& toxic) {
  impl_->call([&] { impl_->reg->add_toxic(proxy, toxic); });
}

void fault_server::remove_toxic(const std::string& proxy, const std::string& toxic) {
  impl_->call([&] { impl_->reg->remove_toxic(proxy, toxic); });
}

std::string fault_server::serve_api(const std::string& address) {
  return impl_->call([&] {
    if (!impl_->api)
      impl_->api = std::make_unique<api_server>(impl_->io.get_executor(), *impl_->reg);
    return impl_->api->listen(address);
  });
}

void fault_server::set_origin(std::chrono::steady_clock::time_point origin) {
  impl_->call([&] { impl_->events.set_origin(origin); });
}

void fault_server::start_timeline(std::chrono::steady_clock::time_point origin) {
  impl_->call([&] {
    impl_->events.set_origin(origin);
    for (const auto& f : impl_->plan.timeline) {
      impl_->schedule(origin + f.at, [this, &f] { impl_->apply(f); });
      if (f.duration) impl_->schedule(origin + f.at + *f.duration, [this, &f] { impl_->lift(f); });
    }
  });
}

void fault_server::rollback() {
  impl_->call([&] {
    impl_->timers.clear();  // what has not started will not
    ++impl_->generation;
    if (impl_->reg) impl_->reg->reset();
  });
}

std::vector<std::string> fault_server::active_faults() const {
  return impl_->call([&] {
    std::vector<std::string> active;
    if (!impl_->reg) return active;
    for (const auto& [name, p] : impl_->reg->proxies_json()) {
      const auto& proxy = p.as_object();
      if (const auto* enabled = proxy.if_contains("enabled");
          enabled && enabled->is_bool() && !enabled->get_bool())
        active.push_back(std::string(name) + " (disabled)");
      if (const auto* toxics = proxy.if_contains("toxics"); toxics && toxics->is_array())
        for (const auto& t : toxics->get_array())
          if (const auto* n = t.as_object().if_contains("name"); n && n->is_string())
            active.push_back(std::string(name) + '/' + std::string(n->get_string()));
    }
    return active;
  });
}

std::vector<engine::fault_event> fault_server::events() const {
  return impl_->call([&] { return impl_->events.all(); });
}

std::uint64_t fault_server::events_dropped() const {
  return impl_->call([&] { return impl_->events.dropped(); });
}

}  // namespace ordeal::faults
