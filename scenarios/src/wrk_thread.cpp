#include "wrk_thread.hpp"

#include <boost/asio/post.hpp>
#include <exception>
#include <utility>

#include "ordeal/engine/url.hpp"

namespace ordeal::scenarios {

namespace net = boost::asio;
using engine::clock;

namespace {

// Req/Sec samples, as wrk's RECORD_INTERVAL_MS.
constexpr std::chrono::milliseconds rate_interval{100};
// After request() failed, before asking again: a hook failing every time must not spin a core.
constexpr std::chrono::milliseconds request_error_pause{10};

std::uint64_t to_us(clock::duration d) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return us > 0 ? static_cast<std::uint64_t>(us) : 0;
}

}  // namespace

struct wrk_thread::loop {
  explicit loop(net::io_context& ioc) : timer(ioc) {}

  net::steady_timer timer;                  // delay() and open-model waits
  std::vector<engine::http_request> batch;  // dynamic requests, moved out as they are sent
  std::size_t batch_size = 0;
  std::size_t next = 0;  // index in the batch of the request in flight
  clock::time_point batch_start;
  clock::time_point next_due;  // open model: when the next batch is due
};

wrk_thread::wrk_thread(wrk_script& script, wrk_thread_link& link, wrk_thread_plan plan,
                       const engine::run_control& control)
    : script_(script),
      link_(link),
      plan_(std::move(plan)),
      control_(control),
      host_(link.addr.host()),
      port_(link.addr.port()),
      client_(ioc_, client_options(plan_)),
      deadline_(ioc_),
      tick_(ioc_) {
  for (const auto& r : plan_.static_batch)
    static_requests_.push_back(to_http(r));
  for (unsigned i = 0; i < plan_.connections; ++i) {
    loops_.push_back(std::make_unique<loop>(ioc_));
    if (plan_.interval)
      loops_.back()->next_due =
          plan_.start + (i < plan_.first_due.size() ? plan_.first_due[i] : clock::duration{});
  }
}

engine::client_options wrk_thread::client_options(const wrk_thread_plan& plan) {
  engine::client_options o;
  o.connect_timeout = plan.timeout;
  o.max_idle_per_host = std::max<std::size_t>(plan.connections, 1);
  // wrk does not verify certificates; scripts written for it expect the same.
  o.tls.insecure = true;
  o.tls.server_name = plan.server_name;
  return o;
}

wrk_thread::~wrk_thread() {
  link_.on_stop = nullptr;
}

engine::http_request wrk_thread::to_http(const raw_request& r) const {
  engine::http_request q;
  q.method = r.method;
  // Every request goes to this thread's address (thread.addr), as in wrk.
  q.target.scheme = plan_.scheme;
  q.target.host = host_;
  q.target.port = port_;
  q.target.authority = plan_.authority;
  q.target.target = r.target;
  if (r.target.front() != '/' && r.target != "*") {
    // Absolute form: the engine writes origin form, so keep the path and query.
    try {
      q.target.target = engine::parse_url(r.target).target;
    } catch (const std::exception&) {
      // Left as given: the server answers what it makes of it.
    }
  }
  q.headers = r.headers;
  q.body = r.body;
  q.timeout = plan_.timeout;
  return q;
}

void wrk_thread::run() {
  // thread:stop() runs on this thread, inside a hook the client called: the loop ends from a
  // fresh handler, never under the client's feet.
  link_.on_stop = [this] { net::post(ioc_, [this] { finish(); }); };
  if (link_.stop_requested.load(std::memory_order_relaxed)) return;  // stopped in setup()

  rate_since_ = clock::now();
  deadline_.expires_at(plan_.end);
  deadline_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) finish();
  });
  schedule_tick();
  for (auto& l : loops_)
    start_cycle(*l);
  ioc_.run();
  link_.on_stop = nullptr;
}

void wrk_thread::schedule_tick() {
  tick_.expires_after(rate_interval);
  tick_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) on_tick();
  });
}

void wrk_thread::on_tick() {
  if (stopping_) return;
  if (control_.stop_requested()) {
    interrupted_ = true;
    finish();
    return;
  }
  // As wrk: a sample only when there was traffic, over the time since the last sample.
  if (requests_since_rate_ > 0) {
    const auto now = clock::now();
    const double elapsed_ms = std::chrono::duration<double, std::milli>(now - rate_since_).count();
    if (elapsed_ms > 0)
      stats_.rates.record(static_cast<std::uint64_t>(static_cast<double>(requests_since_rate_) /
                                                     elapsed_ms * 1000.0));
    requests_since_rate_ = 0;
    rate_since_ = now;
  }
  schedule_tick();
}

void wrk_thread::finish() {
  if (stopping_) return;
  stopping_ = true;
  deadline_.cancel();
  tick_.cancel();
  for (auto& l : loops_)
    l->timer.cancel();
  // Requests still in flight are neither responses nor errors, as in wrk at the end of a run.
  client_.shutdown();
  ioc_.stop();
}

void wrk_thread::start_cycle(loop& l) {
  if (stopping_ || link_.stop_requested.load(std::memory_order_relaxed)) return;
  if (script_.has_delay()) {
    const auto wait = script_.delay();
    if (wait > clock::duration::zero()) {
      l.timer.expires_after(wait);
      l.timer.async_wait([this, &l](const boost::system::error_code& ec) {
        if (!ec) next_batch(l);
      });
      return;
    }
  }
  next_batch(l);
}

void wrk_thread::next_batch(loop& l) {
  if (stopping_ || link_.stop_requested.load(std::memory_order_relaxed)) return;
  if (script_.dynamic()) {
    bool ok = script_.request(request_bytes_);
    if (ok) {
      const std::string why = parse_raw_requests(request_bytes_, parsed_);
      if (!why.empty()) {
        script_.count_error("request(): invalid request: " + why);
        ok = false;
      }
    }
    if (!ok) {
      l.timer.expires_after(request_error_pause);
      l.timer.async_wait([this, &l](const boost::system::error_code& ec) {
        if (!ec) start_cycle(l);
      });
      return;
    }
    l.batch.clear();
    for (const auto& r : parsed_)
      l.batch.push_back(to_http(r));
    l.batch_size = l.batch.size();
  } else {
    l.batch_size = static_requests_.size();
  }

  if (!plan_.interval) {
    send_batch(l, clock::now());
    return;
  }
  // Open model: the batch is due at its scheduled time whether or not the last one was late,
  // and its latency counts from then (no coordinated omission).
  const auto due = l.next_due;
  l.next_due += *plan_.interval * static_cast<long>(l.batch_size);
  if (due <= clock::now()) {
    send_batch(l, due);
    return;
  }
  l.timer.expires_at(due);
  l.timer.async_wait([this, &l, due](const boost::system::error_code& ec) {
    if (!ec) send_batch(l, due);
  });
}

void wrk_thread::send_batch(loop& l, clock::time_point batch_start) {
  if (stopping_) return;
  l.batch_start = batch_start;
  l.next = 0;
  send_current(l);
}

void wrk_thread::send_current(loop& l) {
  engine::http_request q =
      script_.dynamic() ? std::move(l.batch[l.next]) : static_requests_[l.next];
  client_.send(std::move(q),
               [this, &l](engine::http_response&& r) { on_response(l, std::move(r)); });
}

void wrk_thread::on_response(loop& l, engine::http_response&& r) {
  if (stopping_) return;
  stats_.bytes += r.bytes_received;
  if (r.result != engine::outcome::ok && r.result != engine::outcome::status) {
    switch (r.result) {
      case engine::outcome::connect:
        ++stats_.errors.connect;
        break;
      case engine::outcome::timeout:
        ++stats_.errors.timeout;
        break;
      default:
        // Reset, protocol error: a read error once the request is out, else a write error.
        ++(r.request_sent ? stats_.errors.read : stats_.errors.write);
    }
    // As wrk after an error: the rest of the batch is dropped and a new cycle starts.
    start_cycle(l);
    return;
  }

  ++stats_.requests;
  ++requests_since_rate_;
  if (r.status > 399) ++stats_.errors.status;
  if (script_.wants_response()) script_.response(r.status, r.headers, r.body);

  if (++l.next < l.batch_size) {
    if (!link_.stop_requested.load(std::memory_order_relaxed)) send_current(l);
    return;
  }
  const auto end = r.ended != clock::time_point{} ? r.ended : clock::now();
  stats_.latency.record(to_us(end - l.batch_start));
  start_cycle(l);
}

}  // namespace ordeal::scenarios
