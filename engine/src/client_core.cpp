#include "client_core.hpp"

#include <sys/epoll.h>

#include <array>
#include <system_error>
#include <utility>

#include "client_connection.hpp"
#include "client_h2_connection.hpp"

namespace ordeal::engine {

namespace asio = boost::asio;

namespace {
constexpr auto tick_interval = std::chrono::milliseconds(10);
// Set in an epoll key's id half for an HTTP/2 connection (its own id space).
constexpr std::uint32_t h2_key_bit = 0x80000000u;

std::uint64_t event_key(const client_connection& c) noexcept {
  return (static_cast<std::uint64_t>(c.id) << 32) | c.generation;
}

std::uint64_t event_key(const client_h2_connection& c) noexcept {
  return (static_cast<std::uint64_t>(c.id | h2_key_bit) << 32) | c.generation;
}

// The script client speaks HTTP/2 only when asked; automatic is HTTP/1.1.
http_version effective(http_version v) noexcept {
  return v == http_version::h2 ? http_version::h2 : http_version::http1;
}
}  // namespace

client_core::client_core(asio::io_context& ioc, client_options options)
    : ioc_(ioc),
      options_(options),
      poller_(ioc),
      tick_timer_(ioc),
      defer_timer_(ioc),
      drain_timer_(ioc),
      tls_(std::make_unique<tls_client_context>(options_.tls,
                                                std::vector<std::string_view>{alpn_http1})),
      read_buffer_(new char[read_buffer_size]) {
  const int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::system_category(), "cannot create an epoll set");
  poller_.assign(fd);
}

client_core::~client_core() {
  stopped_ = true;
  connections_.clear();  // closes every socket
  h2_connections_.clear();
  boost::system::error_code ignored;
  poller_.close(ignored);
}

client_target& client_core::target_for(const url& u, http_version protocol) {
  for (auto& t : targets_)
    if (t->port == u.port && t->host == u.host && t->secure == u.secure() &&
        t->protocol == protocol)
      return *t;
  auto t = std::make_unique<client_target>();
  t->secure = u.secure();
  t->protocol = protocol;
  t->host = u.host;
  t->port = u.port;
  // Resolved once per host: a run talks to a handful of hosts, and a lookup per request
  // would measure the resolver, not the server.
  boost::system::error_code ec;
  asio::ip::tcp::resolver resolver(ioc_);
  const auto results = resolver.resolve(u.host, std::to_string(u.port), ec);
  if (ec || results.empty())
    t->resolve_error = "cannot resolve " + u.host + ": " + ec.message();
  else
    t->endpoint = results.begin()->endpoint();
  t->resolved = true;
  targets_.push_back(std::move(t));
  return *targets_.back();
}

bool client_core::has_room(client_target& t) {
  if (t.protocol == http_version::h2) {
    for (auto* c : t.h2)
      if (c->has_room()) return true;
    return options_.max_connections_per_host == 0 ||
           t.connections < options_.max_connections_per_host;
  }
  while (!t.idle.empty() && !t.idle.back()->is_open()) {
    free_.push_back(t.idle.back()->id);
    t.idle.pop_back();
    --t.connections;
  }
  return !t.idle.empty() || options_.max_connections_per_host == 0 ||
         t.connections < options_.max_connections_per_host;
}

std::size_t client_core::in_flight() const noexcept {
  std::size_t n = busy_.size();
  for (const auto& c : h2_connections_)
    n += c->requests();
  return n;
}

tls_client_context* client_core::tls_h2(std::string& why) {
  if (!tls_h2_) {
    try {
      tls_h2_ = std::make_unique<tls_client_context>(options_.tls,
                                                     std::vector<std::string_view>{alpn_h2});
    } catch (const std::exception& e) {  // the first context loaded the same files: unlikely
      why = e.what();
      return nullptr;
    }
  }
  return tls_h2_.get();
}

client_h2_connection* client_core::h2_connection_for(client_target& t) {
  for (auto* c : t.h2)
    if (c->has_room()) return c;
  if (options_.max_connections_per_host != 0 && t.connections >= options_.max_connections_per_host)
    return nullptr;
  client_h2_connection* c;
  if (!h2_free_.empty()) {
    c = h2_connections_[h2_free_.back()].get();
    h2_free_.pop_back();
  } else {
    h2_connections_.push_back(std::make_unique<client_h2_connection>(
        *this, static_cast<std::uint32_t>(h2_connections_.size())));
    c = h2_connections_.back().get();
  }
  c->target = &t;
  t.h2.push_back(c);
  ++t.connections;
  return c;
}

void client_core::h2_closed(client_h2_connection& c) {
  client_target* t = c.target;
  if (t == nullptr) return;
  c.target = nullptr;
  for (auto it = t->h2.begin(); it != t->h2.end(); ++it)
    if (*it == &c) {
      t->h2.erase(it);
      break;
    }
  --t->connections;
  h2_free_.push_back(c.id);
  if (!t->queue.empty()) schedule_drain(*t);
}

void client_core::h2_room(client_target& t) {
  if (!t.queue.empty() && !stopped_) schedule_drain(t);
}

void client_core::requeue(client_target& t, std::vector<queued_request>& requests) {
  if (requests.empty()) return;
  if (stopped_) {
    requests.clear();
    return;
  }
  for (auto it = requests.rbegin(); it != requests.rend(); ++it)
    t.queue.push_front(std::move(*it));
  requests.clear();
  schedule_drain(t);
}

std::size_t client_core::queued() const noexcept {
  std::size_t n = 0;
  for (const auto& t : targets_)
    n += t->queue.size();
  return n;
}

client_connection& client_core::take_connection(client_target& t) {
  while (!t.idle.empty()) {
    client_connection* c = t.idle.back();
    t.idle.pop_back();
    if (c->is_open()) return *c;
    free_.push_back(c->id);
    --t.connections;
  }
  ++t.connections;
  client_connection* c;
  if (!free_.empty()) {
    c = connections_[free_.back()].get();
    free_.pop_back();
  } else {
    connections_.push_back(std::make_unique<client_connection>(
        *this, static_cast<std::uint32_t>(connections_.size())));
    c = connections_.back().get();
  }
  c->target = &t;
  return *c;
}

void client_core::send(http_request request, response_handler done) {
  if (stopped_) return;
  if (!polling_) arm_poller();
  if (!ticking_) schedule_tick();
  auto& t = target_for(request.target, effective(request.protocol));
  // The wait for a connection is part of the request's latency: stamp it now.
  if (request.intended == clock::time_point{}) request.intended = clock::now();
  if (!t.queue.empty() || !has_room(t)) {
    t.queue.push_back({std::move(request), std::move(done)});
    return;
  }
  in_send_ = true;
  start(t, std::move(request), std::move(done));
  in_send_ = false;
}

void client_core::start(client_target& t, http_request&& request, response_handler&& done,
                        bool resent) {
  if (t.protocol == http_version::h2) {
    // has_room() said yes, so there is one.
    if (auto* c = h2_connection_for(t))
      c->begin(std::move(request), std::move(done), clock::now(), resent);
    return;
  }
  auto& c = take_connection(t);
  c.busy_index = busy_.size();
  busy_.push_back(&c);
  c.begin(std::move(request), std::move(done), clock::now());
}

void client_core::schedule_drain(client_target& t) {
  t.drain_scheduled = true;
  if (draining_) return;
  draining_ = true;
  drain_timer_.expires_at(clock::time_point::min());
  drain_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled: shut down or destroyed, and `this` may be gone
    draining_ = false;
    drain();
  });
}

void client_core::drain() {
  // By index: a handler that runs from start() (a request that ends at once) may send to a new
  // host and so grow targets_.
  for (std::size_t i = 0; i < targets_.size(); ++i) {
    client_target& t = *targets_[i];
    if (!t.drain_scheduled) continue;
    t.drain_scheduled = false;
    while (!stopped_ && !t.queue.empty() && has_room(t)) {
      queued_request q = std::move(t.queue.front());
      t.queue.pop_front();
      start(t, std::move(q.request), std::move(q.done), q.resent);
    }
  }
  // Requests sent back to the queue may have outlived the tick (it stops when nothing is in
  // flight): their deadlines need it again.
  if (!stopped_ && !ticking_ && in_flight() > 0) schedule_tick();
}

void client_core::release(client_connection& c, bool keep) {
  // Swap-remove from the busy list.
  client_connection* last = busy_.back();
  busy_[c.busy_index] = last;
  last->busy_index = c.busy_index;
  busy_.pop_back();
  client_target& t = *c.target;
  if (!t.queue.empty()) schedule_drain(t);
  if (keep && c.is_open() && t.idle.size() < options_.max_idle_per_host) {
    t.idle.push_back(&c);
    return;
  }
  c.close();
  free_.push_back(c.id);
  --t.connections;
}

void client_core::forget_idle(client_connection& c) {
  auto& idle = c.target->idle;
  for (auto it = idle.begin(); it != idle.end(); ++it)
    if (*it == &c) {
      idle.erase(it);
      free_.push_back(c.id);
      --c.target->connections;
      return;
    }
}

void client_core::complete(response_handler& done, http_response&& r) {
  if (!done) return;
  if (!in_send_) {
    done(std::move(r));
    return;
  }
  deferred_.emplace_back(std::move(done), std::move(r));
  if (deferring_) return;
  deferring_ = true;
  defer_timer_.expires_at(clock::time_point::min());
  defer_timer_.async_wait([this](const boost::system::error_code& ec) {
    // Cancelled: shut down or destroyed, and `this` may be gone.
    if (ec) return;
    run_deferred();
  });
}

void client_core::run_deferred() {
  // By index: a handler may send again and so defer more, which then run in this same pass.
  for (std::size_t i = 0; i < deferred_.size() && !stopped_; ++i) {
    auto [done, r] = std::move(deferred_[i]);
    done(std::move(r));
  }
  deferred_.clear();
  deferring_ = false;
}

bool client_core::watch(client_connection& c, int fd) noexcept {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
  ev.data.u64 = event_key(c);
  return ::epoll_ctl(poller_.native_handle(), EPOLL_CTL_ADD, fd, &ev) == 0;
}

void client_core::want_writable(client_connection& c, int fd, bool on) noexcept {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET | (on ? EPOLLOUT : 0u);
  ev.data.u64 = event_key(c);
  ::epoll_ctl(poller_.native_handle(), EPOLL_CTL_MOD, fd, &ev);
}

bool client_core::watch(client_h2_connection& c, int fd) noexcept {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
  ev.data.u64 = event_key(c);
  return ::epoll_ctl(poller_.native_handle(), EPOLL_CTL_ADD, fd, &ev) == 0;
}

void client_core::want_writable(client_h2_connection& c, int fd, bool on) noexcept {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET | (on ? EPOLLOUT : 0u);
  ev.data.u64 = event_key(c);
  ::epoll_ctl(poller_.native_handle(), EPOLL_CTL_MOD, fd, &ev);
}

void client_core::arm_poller() {
  polling_ = true;
  poller_.async_wait(asio::posix::descriptor_base::wait_read,
                     [this](const boost::system::error_code& ec) {
                       // Aborted: shut down or destroyed, and `this` may be gone.
                       if (ec == asio::error::operation_aborted) return;
                       polling_ = false;
                       if (!ec && !stopped_) on_poll();
                     });
}

void client_core::on_poll() {
  std::array<epoll_event, 256> events;
  const int n =
      ::epoll_wait(poller_.native_handle(), events.data(), static_cast<int>(events.size()), 0);
  for (int i = 0; i < n; ++i) {
    const auto key = events[static_cast<std::size_t>(i)].data.u64;
    const auto id = static_cast<std::uint32_t>(key >> 32);
    // A connection closed (and maybe reopened) while handling an earlier event of this batch
    // has a new generation: the old socket's event is stale.
    if ((id & h2_key_bit) != 0) {
      const std::uint32_t h2_id = id & ~h2_key_bit;
      if (h2_id >= h2_connections_.size()) continue;
      auto& c = *h2_connections_[h2_id];
      if (c.generation != static_cast<std::uint32_t>(key)) continue;
      c.on_events(events[static_cast<std::size_t>(i)].events);
      if (stopped_) return;  // a handler shut the client down
      continue;
    }
    if (id >= connections_.size()) continue;
    auto& c = *connections_[id];
    if (c.generation != static_cast<std::uint32_t>(key)) continue;
    c.on_events(events[static_cast<std::size_t>(i)].events);
  }
  if (!stopped_) arm_poller();
}

void client_core::schedule_tick() {
  ticking_ = true;
  tick_timer_.expires_after(tick_interval);
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec == asio::error::operation_aborted) return;  // as for the poller
    ticking_ = false;
    if (ec || stopped_) return;
    const auto now = clock::now();
    // check_deadline may end a request and so reorder busy_: walk it backwards by index.
    for (std::size_t i = busy_.size(); i-- > 0;)
      if (i < busy_.size()) busy_[i]->check_deadline(now);
    // By index: a handler run from check_deadline may open a new connection.
    for (std::size_t i = 0; i < h2_connections_.size() && !stopped_; ++i)
      h2_connections_[i]->check_deadline(now);
    // Idle clients leave no timer behind, so an io_context with nothing else to do returns.
    if (!stopped_ && in_flight() > 0) schedule_tick();
  });
}

std::size_t client_core::shutdown() noexcept {
  stopped_ = true;
  std::size_t written = 0;
  for (auto* c : busy_)
    if (c->abort_silently()) ++written;
  busy_.clear();
  for (auto& c : h2_connections_)
    written += c->abort_silently();
  for (auto& t : targets_) {
    t->h2.clear();
    for (auto* c : t->idle)
      c->close();
    t->idle.clear();
  }
  tick_timer_.cancel();
  defer_timer_.cancel();
  drain_timer_.cancel();
  for (auto& t : targets_)
    t->queue.clear();
  deferred_.clear();
  boost::system::error_code ignored;
  poller_.cancel(ignored);
  return written;
}

}  // namespace ordeal::engine
