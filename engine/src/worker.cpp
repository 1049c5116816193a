#include "worker.hpp"

#include <sys/epoll.h>
#include <sys/prctl.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <system_error>

#include "h2_connection.hpp"
#include "http1_connection.hpp"
#include "request_render.hpp"

namespace ordeal::engine {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {
constexpr auto tick_interval = 10ms;
constexpr const char* queue_full = "no free connection and the queue was full";
constexpr const char* unsent_at_end = "still waiting for a connection when the run ended";

std::uint64_t to_us(clock::duration d) noexcept {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return us < 0 ? 0 : static_cast<std::uint64_t>(us);
}
}  // namespace

worker::worker(const config& c, worker_plan plan, asio::ip::tcp::endpoint endpoint,
               const run_control& control, clock::time_point start)
    : config_(c),
      plan_(std::move(plan)),
      endpoint_(endpoint),
      control_(control),
      // One thread runs this io_context and nothing is posted to it from outside, so the
      // scheduler and reactor may skip their locks.
      ioc_(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE),
      request_(render_request(c, c.pipeline)),
      request_size_(request_.size() / c.pipeline),
      head_requests_(c.method == "HEAD"),
      poller_(ioc_),
      tick_timer_(ioc_),
      arrival_timer_(ioc_),
      start_(start),
      end_(start + c.load_duration()),
      next_second_(start + 1s) {
  const int poll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (poll_fd < 0)
    throw std::system_error(errno, std::system_category(), "cannot create an epoll set");
  poller_.assign(poll_fd);
  if (c.target.secure()) {
    tls_ = std::make_unique<tls_client_context>(
        c.tls, std::vector<std::string_view>{plan_.h2 ? alpn_h2 : alpn_http1});
  }
  if (plan_.h2) h2_request_ = make_h2_request(c);
  connections_.reserve(plan_.connections);
  for (unsigned i = 0; i < plan_.connections; ++i) {
    if (plan_.h2)
      connections_.push_back(std::make_unique<h2_connection>(*this, ioc_, c.h2.max_streams));
    else
      connections_.push_back(std::make_unique<http1_connection>(*this, ioc_, c.pipeline));
  }
  if (plan_.arrivals) {
    queue_.resize(std::max<std::size_t>(plan_.queue_limit, 1));
    free_.reserve(connections_.size());
    next_arrival_ = plan_.arrivals->next();
  }
  // Enough for an hour up front; longer runs grow it once a second, off the hot path.
  stats_.series.reserve(static_cast<std::size_t>(std::min<std::int64_t>(
      3600,
      std::chrono::duration_cast<std::chrono::seconds>(c.load_duration() + c.grace).count() + 2)));
}

worker::~worker() = default;

void worker::run() {
  // Arrival timers fire at the intended send times; the kernel's default 50 µs timer slack
  // would add that much to every corrected latency.
  prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
  // Open model: warm the pool before the first arrival. Closed model: connect at the start,
  // as a user would.
  if (plan_.arrivals) {
    for (auto& c : connections_) {
      c->open();
      c->listed = true;
      free_.push_back(c.get());
    }
  }
  arm_poller();
  tick_timer_.expires_at(start_);
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) begin();
  });
  ioc_.run();
  done_.store(true, std::memory_order_release);
}

bool worker::watch(connection& c, int fd) noexcept {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
  ev.data.ptr = &c;
  return ::epoll_ctl(poller_.native_handle(), EPOLL_CTL_ADD, fd, &ev) == 0;
}

void worker::want_writable(connection& c, int fd, bool on) noexcept {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET | (on ? EPOLLOUT : 0u);
  ev.data.ptr = &c;
  ::epoll_ctl(poller_.native_handle(), EPOLL_CTL_MOD, fd, &ev);
}

void worker::arm_poller() {
  poller_.async_wait(asio::posix::descriptor_base::wait_read,
                     [this](const boost::system::error_code& ec) {
                       if (!ec && !finished_) on_poll();
                     });
}

void worker::on_poll() {
  // Each ready socket appears once per call; a connection closed while handling another's
  // event has left the set with its fd, so no event outlives its socket.
  std::array<epoll_event, 256> events;
  const int n =
      ::epoll_wait(poller_.native_handle(), events.data(), static_cast<int>(events.size()), 0);
  for (int i = 0; i < n; ++i)
    static_cast<connection*>(events[static_cast<std::size_t>(i)].data.ptr)
        ->on_events(events[static_cast<std::size_t>(i)].events);
  if (!finished_) arm_poller();
}

void worker::begin() {
  const auto now = clock::now();
  if (plan_.arrivals)
    schedule_arrival();
  else
    apply_connection_ramp(now);
  schedule_tick();
}

void worker::schedule_tick() {
  tick_timer_.expires_after(tick_interval);
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) tick();
  });
}

void worker::tick() {
  const auto now = clock::now();
  if (!stopping_ && (now >= end_ || control_.stop_requested())) begin_stop(now);
  roll_seconds(now);
  if (stopping_) {
    const bool idle = std::all_of(connections_.begin(), connections_.end(),
                                  [](const auto& c) { return c->in_flight() == 0; });
    if (idle || now >= grace_deadline_) {
      finish();
      return;
    }
  }
  for (auto& c : connections_)
    c->check_deadlines(now);
  if (!stopping_ && !plan_.arrivals) apply_connection_ramp(now);
  if (!stopping_ && plan_.arrivals) drain_queue();
  publish();
  schedule_tick();
}

void worker::roll_seconds(clock::time_point now) {
  while (now >= next_second_) {
    live_.last_second_p99_us.store(stats_.second_latency.percentile(99), std::memory_order_relaxed);
    stats_.roll_second();
    next_second_ += 1s;
  }
}

void worker::publish() noexcept {
  std::uint64_t completed = 0;
  for (auto n : stats_.outcomes)
    completed += n;
  live_.completed.store(completed, std::memory_order_relaxed);
  live_.errors.store(completed - stats_.outcomes[static_cast<std::size_t>(outcome::ok)],
                     std::memory_order_relaxed);
}

// ---- open model -------------------------------------------------------------------------

void worker::schedule_arrival() {
  if (!next_arrival_ || stopping_) return;
  arrival_timer_.expires_at(start_ + *next_arrival_);
  arrival_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) on_arrivals();
  });
}

void worker::on_arrivals() {
  const auto now = clock::now();
  // Everything due by now goes out, each stamped with its own intended time.
  while (next_arrival_ && start_ + *next_arrival_ <= now && !stopping_) {
    dispatch(start_ + *next_arrival_);
    next_arrival_ = plan_.arrivals->next();
  }
  schedule_arrival();
}

void worker::drain_queue() {
  // Queued arrivals go to listed connections; iterative, whatever the connects do.
  while (queue_count_ > 0 && !free_.empty()) {
    connection* c = free_.back();
    if (!c->has_room()) {
      free_.pop_back();
      c->listed = false;
      continue;
    }
    const auto intended = queue_[queue_head_];
    queue_head_ = (queue_head_ + 1) % queue_.size();
    --queue_count_;
    c->assign(intended);
  }
}

void worker::dispatch(clock::time_point intended) {
  while (!free_.empty()) {
    connection* c = free_.back();
    if (!c->has_room()) {
      free_.pop_back();
      c->listed = false;
      continue;
    }
    c->assign(intended);
    if (!c->has_room()) {
      free_.pop_back();
      c->listed = false;
    }
    return;
  }
  if (queue_count_ < plan_.queue_limit) {
    queue_[(queue_head_ + queue_count_) % queue_.size()] = intended;
    ++queue_count_;
    return;
  }
  on_failure({intended, intended}, outcome::dropped, queue_full, clock::now());
}

// ---- closed model -----------------------------------------------------------------------

void worker::top_up(connection& c) {
  const auto now = clock::now();
  while (c.has_room() && c.active && !c.thinking && !c.backoff && !stopping_) {
    c.assign(now);
    // One request opens a connection; the rest of the pipeline follows once it is up, so
    // a failed connect counts one attempt, not one per pipeline slot.
    if (!c.connected()) break;
  }
}

void worker::apply_connection_ramp(clock::time_point now) {
  // This worker's share of the global target, spread evenly (worker i gets one of the
  // remainder when i < remainder).
  const double global = plan_.connection_ramp->value_at(now - start_);
  const auto total = static_cast<unsigned>(std::lround(std::max(0.0, global)));
  unsigned share = total / plan_.count + (plan_.index < total % plan_.count ? 1 : 0);
  share = std::min<unsigned>(share, static_cast<unsigned>(connections_.size()));
  for (unsigned i = 0; i < connections_.size(); ++i) {
    connection& c = *connections_[i];
    const bool want = i < share;
    if (want && !c.active) {
      c.active = true;
      top_up(c);
    } else if (!want && c.active) {
      c.active = false;  // finishes what it has, then closes
      c.close_if_idle();
    } else if (want && c.backoff) {
      c.backoff = false;  // retry a failed connect once per tick
      top_up(c);
    }
  }
}

// ---- accounting -------------------------------------------------------------------------

void worker::on_connected(clock::duration connect_time) {
  ++stats_.connections_opened;
  stats_.connect_time.record(to_us(connect_time));
}

const char* worker::intern(std::string_view text) {
  if (auto it = interned_.find(text); it != interned_.end()) return it->c_str();
  if (interned_.size() >= 64) return "HTTP/2 protocol error (more kinds than shown)";
  return interned_.emplace(text).first->c_str();
}

void worker::on_handshake(clock::duration handshake_time, bool resumed) {
  stats_.tls_handshake.record(to_us(handshake_time));
  ++(resumed ? stats_.tls_resumed : stats_.tls_full);
}

void worker::on_first_byte(clock::duration ttfb) {
  stats_.ttfb.record(to_us(ttfb));
}

void worker::on_response(const connection::slot& s, int status, clock::time_point now) {
  roll_seconds(now);
  stats_.count(outcome_of_status(status));
  if (status >= 0 && status < static_cast<int>(stats_.status_codes.size()))
    ++stats_.status_codes[static_cast<std::size_t>(status)];
  const auto corrected = to_us(now - s.intended);
  stats_.latency.record(corrected);
  stats_.second_latency.record(corrected);
  stats_.latency_uncorrected.record(to_us(now - s.sent));
}

void worker::on_failure(const connection::slot&, outcome o, const failure_reason& why,
                        clock::time_point now) {
  roll_seconds(now);
  stats_.count(o);
  stats_.count_reason(o, why);
}

void worker::on_room(connection& c, bool after_connect_failure) {
  if (plan_.arrivals) {
    if (stopping_) return;
    if (after_connect_failure) {
      // Least preferred from now on (the free list is used from the back), and no queued
      // arrival is pushed into it here: a connect that fails at once (EMFILE) would
      // otherwise recurse through the whole queue.
      if (!c.listed) {
        c.listed = true;
        free_.insert(free_.begin(), &c);
      }
      return;
    }
    while (c.has_room() && queue_count_ > 0) {
      const auto intended = queue_[queue_head_];
      queue_head_ = (queue_head_ + 1) % queue_.size();
      --queue_count_;
      c.assign(intended);
    }
    if (c.has_room() && !c.listed) {
      c.listed = true;
      free_.push_back(&c);
    }
    return;
  }
  if (stopping_) return;
  if (!c.active) {
    c.close_if_idle();
    return;
  }
  if (after_connect_failure) {
    c.backoff = true;  // the tick retries: no busy loop against a refusing server
    return;
  }
  if (config_.think_time > clock::duration::zero() && !c.thinking) {
    c.thinking = true;
    c.think_timer.expires_after(config_.think_time);
    c.think_timer.async_wait([this, &c](const boost::system::error_code& ec) {
      c.thinking = false;
      if (!ec) top_up(c);
    });
    return;
  }
  top_up(c);
}

bool worker::keep_open(const connection& c) const noexcept {
  // Open model: connections reopen on demand, so a server that closes every connection at
  // once can't make us spin; likewise a closed-model connection waiting out think time or
  // a connect back-off reconnects when its next request comes.
  return !plan_.arrivals && c.active && !stopping_ && !c.thinking && !c.backoff;
}

// ---- the end ----------------------------------------------------------------------------

void worker::begin_stop(clock::time_point now) {
  stopping_ = true;
  stopped_early_ = now < end_;
  stop_time_ = std::min(now, end_);
  grace_deadline_ = now + config_.grace;
  arrival_timer_.cancel();
  const connection::slot none{stop_time_, stop_time_};
  // Arrivals due before the end whose timer had not fired yet never went out.
  while (next_arrival_ && start_ + *next_arrival_ < stop_time_) {
    on_failure(none, outcome::dropped, unsent_at_end, now);
    next_arrival_ = plan_.arrivals->next();
  }
  for (; queue_count_ > 0; --queue_count_)
    on_failure(none, outcome::dropped, unsent_at_end, now);
  for (auto& c : connections_) {
    const unsigned unsent = c->discard_unsent();
    // Open model: those were real arrivals that never went out. Closed model: only the
    // connection's own next request, which never existed for the target.
    if (plan_.arrivals)
      for (unsigned i = 0; i < unsent; ++i)
        on_failure(none, outcome::dropped, unsent_at_end, now);
    c->think_timer.cancel();
  }
}

void worker::finish() {
  finished_ = true;
  for (auto& c : connections_)
    c->shutdown();
  boost::system::error_code ignored;
  poller_.close(ignored);
  tick_timer_.cancel();
  arrival_timer_.cancel();
  stats_.roll_second();
  publish();
}

}  // namespace ordeal::engine
