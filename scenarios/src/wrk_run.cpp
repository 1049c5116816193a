// run_wrk: wrk's phases in wrk's order. The main Lua state loads the script, each thread gets
// its own state and setup(thread) then init(args) run for it, the threads run the load, the
// report is printed and done() runs in the main state, which can still read every thread's
// globals (thread:get) because nothing is closed before it returns.
#include <cstdio>
#include <exception>
#include <memory>
#include <ostream>
#include <thread>

#include "ordeal/engine/config_error.hpp"
#include "ordeal/engine/url.hpp"
#include "ordeal/scenarios/wrk.hpp"
#include "wrk_report.hpp"
#include "wrk_request_parse.hpp"
#include "wrk_script.hpp"
#include "wrk_stats.hpp"
#include "wrk_thread.hpp"

namespace ordeal::scenarios {

using engine::clock;
using engine::config_error;

namespace {

constexpr std::chrono::milliseconds reachability_timeout{2000};

void validate(const wrk_options& o) {
  if (o.threads == 0) throw config_error("invalid -t 0: at least one thread");
  if (o.connections < o.threads)
    throw config_error("number of connections must be >= threads (-c " +
                       std::to_string(o.connections) + ", -t " + std::to_string(o.threads) + ")");
  if (o.duration <= std::chrono::nanoseconds::zero())
    throw config_error("invalid -d: the duration must be positive");
  if (o.timeout <= std::chrono::nanoseconds::zero())
    throw config_error("invalid --timeout: must be positive");
  if (o.rate && !(*o.rate > 0))
    throw config_error("invalid -R " + std::to_string(*o.rate) + ": requests/s must be positive");
}

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

wrk_target make_target(const wrk_options& o, const engine::url& u) {
  wrk_target t;
  t.url = o.url;
  t.scheme = u.scheme;
  t.host = u.host;
  // wrk.port is the port as written in the URL, nil when there is none.
  const auto colon = u.authority.rfind(':');
  const auto bracket = u.authority.rfind(']');
  if (colon != std::string::npos && (bracket == std::string::npos || colon > bracket))
    t.port = u.authority.substr(colon + 1);
  t.path = u.target;
  for (const auto& h : o.headers) {
    const auto c = h.find(':');
    if (c == std::string::npos || c == 0)
      throw config_error("invalid header \"" + h + "\": expected 'Name: value'");
    t.headers.emplace_back(trim(h.substr(0, c)), trim(h.substr(c + 1)));
  }
  return t;
}

// wrk's resolve: every address of the host, those that take a connection, else an error.
std::vector<wrk_addr> reachable_addrs(const wrk_target& t) {
  std::string error;
  const std::string service = t.port.value_or(t.scheme);
  auto addrs = lookup_addrs(t.host, service, error);
  if (addrs.empty())
    throw config_error("unable to resolve " + t.host + ":" + service + ": " + error);
  std::vector<wrk_addr> up;
  for (const auto& a : addrs)
    if (can_connect(a, reachability_timeout)) up.push_back(a);
  if (up.empty())
    throw config_error("unable to connect to " + t.host + ":" + service + " (" +
                       addrs.front().to_string() + " refused or timed out)");
  return up;
}

std::vector<raw_request> parse_or_throw(const std::string& bytes, const char* what) {
  std::vector<raw_request> batch;
  const std::string why = parse_raw_requests(bytes, batch);
  if (!why.empty()) throw wrk_script_error(std::string(what) + " is not an HTTP request: " + why);
  return batch;
}

}  // namespace

wrk_results run_wrk(const wrk_options& o, std::ostream& report,
                    const engine::run_control& control) {
  validate(o);
  const engine::url url = engine::parse_url(o.url);
  const wrk_target target = make_target(o, url);

  // Declared in this order so they are destroyed in the reverse one: the main state (which
  // may hold thread objects) before the threads' states, those before the links they use.
  std::vector<std::unique_ptr<wrk_thread_link>> links;
  std::vector<std::unique_ptr<wrk_script>> scripts;
  std::unique_ptr<wrk_script> main_script = std::make_unique<wrk_script>(target, o.script);
  std::vector<std::unique_ptr<wrk_thread>> threads;

  const auto addrs = reachable_addrs(target);

  std::vector<wrk_thread_plan> plans(o.threads);
  for (unsigned i = 0; i < o.threads; ++i) {
    links.push_back(std::make_unique<wrk_thread_link>());
    scripts.push_back(std::make_unique<wrk_script>(target, o.script));
    auto& link = *links.back();
    auto& script = *scripts.back();
    link.script = &script;
    link.addr = addrs.front();
    main_script->setup(link);
    script.init(link, o.url, o.script_args);
    if (!script.dynamic()) {
      plans[i].static_batch = parse_or_throw(script.static_request(), "wrk.format()'s request");
    } else if (i == 0) {
      // As wrk, one request() call up front, so a script whose requests cannot be sent fails
      // now with a message instead of counting an error for every request of the run.
      std::string bytes;
      if (script.request(bytes)) parse_or_throw(bytes, "the request from request()");
    }
  }

  write_wrk_header(report, o);
  report.flush();

  const unsigned per_thread = o.connections / o.threads;
  const unsigned extra = o.connections % o.threads;  // wrk drops these; ordeal opens them
  const auto start = clock::now();
  unsigned first_connection = 0;
  for (unsigned i = 0; i < o.threads; ++i) {
    auto& p = plans[i];
    p.connections = per_thread + (i < extra ? 1 : 0);
    p.timeout = o.timeout;
    p.start = start;
    p.end = start + o.duration;
    p.authority = url.authority;
    p.scheme = url.scheme;
    p.server_name = url.host;
    if (o.rate) {
      // Each connection sends rate / connections requests/s; their first requests are spread
      // over one interval of the whole run so the connections do not fire together.
      const std::chrono::duration<double> between(static_cast<double>(o.connections) / *o.rate);
      p.interval = std::chrono::duration_cast<std::chrono::nanoseconds>(between);
      for (unsigned k = 0; k < p.connections; ++k)
        p.first_due.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(
            between * static_cast<double>(first_connection + k) /
            static_cast<double>(o.connections)));
    }
    first_connection += p.connections;
    threads.push_back(std::make_unique<wrk_thread>(*scripts[i], *links[i], std::move(p), control));
  }

  std::vector<std::exception_ptr> failures(o.threads);
  std::vector<std::thread> running;
  for (unsigned i = 0; i < o.threads; ++i) {
    running.emplace_back([&, i] {
      try {
        threads[i]->run();
      } catch (...) {
        failures[i] = std::current_exception();
      }
    });
  }
  for (auto& t : running)
    t.join();
  const auto runtime = clock::now() - start;
  for (const auto& f : failures)
    if (f) std::rethrow_exception(f);

  wrk_results results;
  results.duration = std::chrono::duration_cast<std::chrono::microseconds>(runtime);
  for (const auto& t : threads) {
    const auto& s = t->stats();
    results.requests += s.requests;
    results.bytes += s.bytes;
    results.errors.connect += s.errors.connect;
    results.errors.read += s.errors.read;
    results.errors.write += s.errors.write;
    results.errors.status += s.errors.status;
    results.errors.timeout += s.errors.timeout;
    results.latency.merge(s.latency);
    results.rates.merge(s.rates);
    results.interrupted = results.interrupted || t->interrupted();
  }

  const wrk_stats_view latency(results.latency);
  const wrk_stats_view rates(results.rates);
  write_wrk_report(report, o, results, latency, rates);
  // done() writes with C stdio (print, io.write): it must come after the report.
  report.flush();
  std::fflush(stdout);
  main_script->done(results, latency, rates);
  std::fflush(stdout);

  for (const auto* s : {main_script.get()})
    for (const auto& [message, n] : s->errors())
      results.script_errors[message] += n;
  for (const auto& s : scripts)
    for (const auto& [message, n] : s->errors())
      results.script_errors[message] += n;
  return results;
}

}  // namespace ordeal::scenarios
