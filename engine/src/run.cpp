#include "ordeal/engine/run.hpp"

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cmath>
#include <memory>
#include <string>
#include <thread>

#include "ordeal/engine/config_error.hpp"
#include "tls_probe.hpp"
#include "worker.hpp"

namespace ordeal::engine {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

// Connects to `ep` within `timeout`; the error, or none.
boost::system::error_code try_connect(const asio::ip::tcp::endpoint& ep,
                                      std::chrono::nanoseconds timeout) {
  asio::io_context ioc;
  asio::ip::tcp::socket socket(ioc);
  asio::steady_timer timer(ioc);
  boost::system::error_code result = asio::error::timed_out;
  socket.async_connect(ep, [&](const boost::system::error_code& ec) {
    result = ec;
    timer.cancel();
  });
  timer.expires_after(timeout);
  timer.async_wait([&](const boost::system::error_code& ec) {
    if (!ec) socket.close();
  });
  ioc.run();
  return result == asio::error::operation_aborted ? asio::error::timed_out : result;
}

// The first of the host's addresses that accepts a connection ("localhost" may resolve to
// ::1 before 127.0.0.1). If none does: config_error when `require`, else the first address
// (the run then counts the connect errors).
asio::ip::tcp::endpoint pick_endpoint(const config& c, bool require) {
  asio::io_context ioc;
  asio::ip::tcp::resolver resolver(ioc);
  boost::system::error_code ec;
  const auto results = resolver.resolve(c.target.host, std::to_string(c.target.port), ec);
  if (ec || results.empty())
    throw config_error("cannot resolve host \"" + c.target.host +
                       "\": " + (ec ? ec.message() : std::string("no addresses")));
  boost::system::error_code first_error;
  for (const auto& entry : results) {
    const auto error = try_connect(entry.endpoint(), c.connect_timeout);
    if (!error) return entry.endpoint();
    if (!first_error) first_error = error;
  }
  if (require)
    throw config_error("cannot connect to " + c.target.authority + ": " +
                       (first_error == asio::error::timed_out ? std::string("connect timeout")
                                                              : first_error.message()));
  return results.begin()->endpoint();
}

std::string reason_text(outcome o, const failure_reason& r, const config& c) {
  std::string text(to_string(o));
  text += ": ";
  if (r.text != nullptr) {
    text += r.text;
  } else if (r.code) {
    text += r.code.message();
  } else {
    text += describe(r.protocol);
    if (r.protocol == protocol_error::header_too_large)
      text += " (" + std::to_string(c.max_header_bytes) + " bytes)";
  }
  return text;
}

run_results merge(const config& c, std::vector<std::unique_ptr<worker>>& workers,
                  clock::time_point start, unsigned connections) {
  run_results r;
  r.open_model = c.open_model();
  r.target_rate_per_s = c.rate.value_or(0);
  r.threads = static_cast<unsigned>(workers.size());
  r.connections = connections;
  clock::time_point stop = start;
  std::size_t seconds = 0;
  for (auto& w : workers) {
    auto& s = w->stats();
    stop = std::max(stop, w->stop_time());
    for (std::size_t i = 0; i < outcome_count; ++i)
      r.outcomes[i] += s.outcomes[i];
    for (std::size_t code = 0; code < s.status_codes.size(); ++code)
      if (s.status_codes[code] != 0) r.status_codes[static_cast<int>(code)] += s.status_codes[code];
    for (const auto& rc : s.reasons)
      r.error_reasons[reason_text(rc.o, rc.reason, c)] += rc.count;
    r.in_flight += s.in_flight;
    r.unsolicited_responses += s.unsolicited;
    r.connections_opened += s.connections_opened;
    r.bytes_sent += s.bytes_sent;
    r.bytes_received += s.bytes_received;
    r.latency.merge(s.latency);
    r.latency_uncorrected.merge(s.latency_uncorrected);
    r.connect_time.merge(s.connect_time);
    r.tls_handshake.merge(s.tls_handshake);
    r.tls_full_handshakes += s.tls_full;
    r.tls_resumed_handshakes += s.tls_resumed;
    r.ttfb.merge(s.ttfb);
    seconds = std::max(seconds, s.series.size());
  }
  r.duration = stop - start;
  r.wall_time = clock::now() - start;
  r.series.resize(seconds);
  histogram second;
  for (std::size_t i = 0; i < seconds; ++i) {
    second.reset();
    for (auto& w : workers) {
      const auto& series = w->stats().series;
      if (i >= series.size()) continue;
      for (std::size_t k = 0; k < outcome_count; ++k)
        r.series[i].outcomes[k] += series[i].outcomes[k];
      second.add_sparse(series[i].latency);
    }
    r.series[i].p50_us = second.percentile(50);
    r.series[i].p99_us = second.percentile(99);
  }
  // Past the load window, drop trailing seconds in which nothing ended (a grace period that
  // waited for nothing); inside it an empty second is a finding and stays.
  const auto load_seconds =
      static_cast<std::size_t>(std::chrono::ceil<std::chrono::seconds>(r.duration).count());
  while (r.series.size() > load_seconds && r.series.back().total() == 0)
    r.series.pop_back();
  return r;
}

}  // namespace

std::vector<std::string_view> alpn_offer(const config& c) {
  switch (c.protocol) {
    case http_version::h2:
      return {alpn_h2};
    case http_version::http1:
      return {alpn_http1};
    case http_version::automatic:
      break;
  }
  return {alpn_h2, alpn_http1};
}

// Whether the connections speak HTTP/2: asked for (h2, h2c), or chosen by ALPN over https.
bool speaks_h2(const config& c, const asio::ip::tcp::endpoint& endpoint) {
  if (c.protocol != http_version::automatic || !c.target.secure())
    return c.protocol == http_version::h2;
  const auto probe = probe_tls(c, endpoint, alpn_offer(c));
  return probe.error.empty() && probe.alpn == alpn_h2;
}

void check_reachable(const config& c) {
  const auto endpoint = pick_endpoint(c, true);
  if (!c.target.secure()) return;
  const auto probe = probe_tls(c, endpoint, alpn_offer(c));
  std::string problem = probe.error;
  if (problem.empty() && c.protocol == http_version::h2 && probe.alpn != alpn_h2)
    problem = "the server did not select h2 by ALPN (it offers " +
              (probe.alpn.empty() ? std::string("no ALPN protocol") : probe.alpn) + ")";
  if (problem.empty()) return;
  std::string hint;
  if (problem == "unknown CA" || problem == "hostname mismatch" ||
      problem == "certificate expired" || problem == "certificate not yet valid")
    hint = " (--cacert FILE trusts another CA; --insecure skips verification)";
  throw config_error("TLS handshake with " + c.target.authority + " failed: " + problem + hint);
}

run_results run(const config& c, run_control& control, const progress_callback& on_progress) {
  validate(c);
  const auto endpoint = pick_endpoint(c, false);
  const bool h2 = speaks_h2(c, endpoint);

  std::optional<ramp> rate_ramp, connection_ramp;
  unsigned max_connections = c.connections;
  if (c.open_model()) {
    rate_ramp = c.stages.empty() ? ramp::constant(*c.rate, c.duration) : ramp(*c.rate, c.stages);
  } else {
    connection_ramp = c.stages.empty() ? ramp::constant(c.connections, c.duration)
                                       : ramp(c.connections, c.stages);
    max_connections = static_cast<unsigned>(std::ceil(connection_ramp->max_value()));
  }
  if (max_connections == 0) throw config_error("the ramp never asks for a connection");
  const unsigned threads = std::min(c.threads, max_connections);

  // All workers start together, a moment after their threads exist.
  const auto start = clock::now() + 50ms;
  std::vector<std::unique_ptr<worker>> workers;
  for (unsigned i = 0; i < threads; ++i) {
    worker_plan plan;
    plan.index = i;
    plan.count = threads;
    plan.connections = max_connections / threads + (i < max_connections % threads ? 1 : 0);
    if (rate_ramp) {
      plan.arrivals.emplace(*rate_ramp, c.arrival, threads, i, c.seed);
      plan.queue_limit = c.queue_limit / threads + (i < c.queue_limit % threads ? 1 : 0);
    } else {
      plan.connection_ramp = connection_ramp;
    }
    plan.h2 = h2;
    workers.push_back(std::make_unique<worker>(c, std::move(plan), endpoint, control, start));
  }
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (auto& w : workers)
    pool.emplace_back([&w] { w->run(); });

  auto next_report = start + 1s;
  for (;;) {
    const bool all_done =
        std::all_of(workers.begin(), workers.end(), [](const auto& w) { return w->done(); });
    if (all_done) break;
    std::this_thread::sleep_for(20ms);
    const auto now = clock::now();
    if (on_progress && now >= next_report) {
      progress p;
      p.elapsed = now - start;
      for (const auto& w : workers) {
        p.completed += w->live().completed.load(std::memory_order_relaxed);
        p.errors += w->live().errors.load(std::memory_order_relaxed);
        p.last_second_p99_us = std::max(
            p.last_second_p99_us, w->live().last_second_p99_us.load(std::memory_order_relaxed));
      }
      on_progress(p);
      next_report += 1s;
    }
  }
  for (auto& t : pool)
    t.join();
  auto results = merge(c, workers, start, max_connections);
  results.tls = c.target.secure();
  results.protocol = h2 ? (results.tls ? "h2" : "h2c") : "http/1.1";
  // A stop request that came after the load window (during the merge) interrupted nothing.
  results.interrupted =
      std::any_of(workers.begin(), workers.end(), [](const auto& w) { return w->stopped_early(); });
  return results;
}

}  // namespace ordeal::engine
