#include "run_command.hpp"

#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "baseline_gate.hpp"
#include "drill_command.hpp"
#include "exit_codes.hpp"
#include "live_outputs.hpp"
#include "ordeal/engine/config_error.hpp"
#include "ordeal/engine/duration.hpp"
#include "ordeal/engine/run.hpp"
#include "ordeal/reporters/compare.hpp"
#include "ordeal/reporters/console_report.hpp"
#include "ordeal/reporters/html_report.hpp"
#include "ordeal/reporters/json_report.hpp"
#include "ordeal/reporters/junit_report.hpp"
#include "ordeal/reporters/threshold.hpp"
#include "ordeal/reporters/verdict.hpp"
#include "outputs.hpp"
#include "progress_line.hpp"
#include "signals.hpp"

namespace ordeal::cli {

using engine::config_error;

namespace {

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

// "10s:100,30s:2000,10s:0"
std::vector<engine::stage> parse_stages(const std::string& text) {
  std::vector<engine::stage> stages;
  if (!text.empty() && text.back() == ',')
    throw config_error("invalid --stages \"" + text + "\": trailing comma");
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    const auto colon = item.find(':');
    if (colon == std::string::npos)
      throw config_error("invalid stage \"" + item + "\": expected DURATION:TARGET, e.g. 30s:2000");
    engine::stage s;
    s.duration = engine::parse_duration(trim(item.substr(0, colon)));
    const std::string target = trim(item.substr(colon + 1));
    try {
      std::size_t used = 0;
      s.target = std::stod(target, &used);
      if (used != target.size()) throw std::invalid_argument(target);
    } catch (const std::exception&) {
      throw config_error("invalid stage \"" + item + "\": \"" + target + "\" is not a number");
    }
    stages.push_back(s);
  }
  if (stages.empty()) throw config_error("--stages is empty: expected e.g. 10s:100,30s:2000");
  return stages;
}

std::pair<std::string, std::string> parse_header(const std::string& text) {
  const auto colon = text.find(':');
  if (colon == std::string::npos || colon == 0)
    throw config_error("invalid header \"" + text + "\": expected 'Name: value'");
  return {trim(text.substr(0, colon)), trim(text.substr(colon + 1))};
}

std::string read_body(const std::string& body) {
  if (body.empty() || body.front() != '@') return body;
  const std::string path = body.substr(1);
  std::error_code ec;
  std::ifstream in(path, std::ios::binary);
  if (!std::filesystem::is_regular_file(path, ec) || !in)
    throw config_error("cannot read body file \"" + path + "\" (not a readable file)");
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

engine::config make_config(const run_args& a) {
  engine::config c;
  c.target = engine::parse_url(a.url);
  c.method = a.method;
  for (const auto& h : a.headers)
    c.headers.push_back(parse_header(h));
  c.body = read_body(a.body);
  c.threads = a.threads.value_or(std::max(1u, std::thread::hardware_concurrency()));
  c.connections = a.connections;
  c.duration = engine::parse_duration(a.duration);
  c.rate = a.rate;
  if (a.arrival == "poisson")
    c.arrival = engine::arrival_process::poisson;
  else if (a.arrival != "constant")
    throw config_error("invalid --arrival \"" + a.arrival + "\" (use constant or poisson)");
  if (!a.stages.empty()) {
    c.stages = parse_stages(a.stages);
    // A closed-model ramp starts from -c when given, else from zero connections.
    if (!c.open_model() && !a.connections_given) c.connections = 0;
  }
  c.queue_limit = a.queue;
  c.pipeline = a.pipeline;
  c.think_time = engine::parse_duration(a.think);
  c.request_timeout = engine::parse_duration(a.timeout);
  c.connect_timeout = engine::parse_duration(a.connect_timeout);
  c.grace = engine::parse_duration(a.grace);
  c.max_header_bytes = a.max_header_bytes;
  c.seed = a.seed;
  apply_protocol_options(a.protocol, c);
  engine::validate(c);
  return c;
}

}  // namespace

void add_run_command(CLI::App& app, run_args& a) {
  auto* run = app.add_subcommand("run", "Run an HTTP load against URL and report");
  run->add_option("url", a.url, "Target, e.g. http://127.0.0.1:8080/path, or a drill file (.lua)")
      ->required();
  run->add_option(
         "-c,--connections", a.connections,
         "Connections: closed model, all kept busy; open model (--rate), at most this many; "
         "with --stages and no --rate, the ramp's start (default 0)")
      ->capture_default_str()
      ->each([&a](const std::string&) { a.connections_given = true; });
  run->add_option("-t,--threads", a.threads, "Worker threads (default: number of cores)");
  run->add_option("-d,--duration", a.duration,
                  "Load duration: 500ms, 30s, 2m (ignored with --stages)")
      ->capture_default_str();
  run->add_option("--rate", a.rate,
                  "Open model: requests/s over all threads, sent at their intended times; latency "
                  "is measured from the intended time (coordinated-omission corrected). With "
                  "--stages: the start rate");
  run->add_option("--arrival", a.arrival, "Open model arrival process: constant or poisson")
      ->capture_default_str();
  run->add_option("--stages", a.stages,
                  "Ramps DURATION:TARGET,...: requests/s with --rate, else connections; each moves "
                  "linearly from the previous target, e.g. 10s:100,30s:2000,10s:0");
  run->add_option("--queue", a.queue,
                  "Open model: arrivals that may wait for a free connection; beyond, they count as "
                  "dropped")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  run->add_option("--pipeline", a.pipeline,
                  "HTTP/1.1 requests in flight per connection (HTTP/2: -m)")
      ->capture_default_str();
  run->add_option("--think", a.think, "Closed model: pause between a response and the next request")
      ->capture_default_str();
  run->add_option("-X,--method", a.method, "HTTP method")->capture_default_str();
  run->add_option("-H,--header", a.headers, "Request header 'Name: value' (repeatable)");
  run->add_option("--body", a.body, "Request body, or @FILE to read it from a file");
  run->add_option("--timeout", a.timeout,
                  "Request timeout, send to complete response; the connection is then replaced")
      ->capture_default_str();
  run->add_option("--connect-timeout", a.connect_timeout, "TCP connect timeout")
      ->capture_default_str();
  run->add_option("--grace", a.grace,
                  "After the load (or Ctrl-C): time in-flight requests get to finish; the rest "
                  "are reported as in flight")
      ->capture_default_str();
  run->add_option(
         "--max-header-size", a.max_header_bytes,
         "Cap on a response's status line and headers, in bytes; larger is a protocol error")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  run->add_option("--threshold", a.thresholds,
                  "Pass/fail budget (repeatable): p50|p90|p95|p99|p99.9|max|mean|min < DURATION, "
                  "error_rate < PCT, rps > N (also <=, >=). Any failure: exit 99");
  run->add_option("--out", a.outputs,
                  "Write the result: json=FILE, html=FILE (a self-contained page with charts), "
                  "junit=FILE (each threshold, check and verdict a testcase); drills also "
                  "history=FILE (repeatable)");
  run->add_option("--baseline", a.baseline,
                  "CI regression gate: compare this run with a stored --out json result; a "
                  "regression beyond --max-regression is a failed threshold (exit 99)");
  run->add_option("--max-regression", a.max_regressions,
                  "With --baseline, METRIC=TOLERANCE (repeatable): p50|p90|p95|p99|p99.9|mean|"
                  "min|max = 10% or 5ms, rps = 5%, error_rate = 10% or 0.5pp; drills per request: "
                  "p99{name:pay}=15%. Default: p99=10%, rps=5%, error_rate=0.5pp");
  run->add_option("--metrics", a.metrics,
                  "Serve live metrics for Prometheus at http://HOST:PORT/metrics during the run, "
                  "e.g. 127.0.0.1:9464 (port 0 picks one; the address is printed)");
  run->add_option("--seed", a.seed,
                  "Seed for every random choice (Poisson arrivals; a drill's scripts and client "
                  "behaviours: same seed, same requests)")
      ->capture_default_str()
      ->each([&a](const std::string&) { a.seed_given = true; });
  run->add_option("-e,--env", a.env, "Drills: NAME=VALUE in the script's env table (repeatable)");
  run->add_flag("--allow-exec", a.allow_exec,
                "Drills: let the script run programs and write files (off: sandboxed)");
  run->add_option("--target", a.target, "Drills: base URL for relative URLs, over options.target");
  run->add_option("--shard", a.shard,
                  "Drills: run shard i of N (e.g. 2/3): a deterministic 1/N of every scenario, "
                  "seeded from the master seed and i; merge the shards with ordeal merge");
  run->add_flag("-q,--quiet", a.quiet, "No live progress line");
  add_protocol_options(*run, a.protocol);
}

int run_command(const run_args& args, const std::vector<std::string>& argv) {
  if (is_drill_file(args.url)) return drill_command(args, argv);
  if (!args.shard.empty())
    throw config_error("--shard " + args.shard + ": sharding applies to drills (.lua) only");
  const engine::config config = make_config(args);
  const auto thresholds = reporters::parse_thresholds(args.thresholds);
  auto outputs = open_outputs(args.outputs, {"json", "html", "junit"});
  const baseline_gate gate(args.baseline, args.max_regressions);

  reporters::run_info info;
  info.command_line = argv;
  info.version = ORDEAL_VERSION;
  info.target = args.url;
  info.method = config.method;
  info.started_at = utc_now_iso8601();
  info.seed = config.seed;

  progress_line progress(args.quiet);
  live_outputs live(args.metrics, progress, {info.version, info.target, info.seed});
  const engine::progress_callback on_progress = live.wrap(progress.callback());

  engine::run_control control;
  install_stop_signals(control);
  engine::check_reachable(config);
  const auto results = engine::run(config, control, on_progress);
  restore_signals();
  progress.clear();
  live.finish(progress_metrics({results.duration, results.total(), results.errors(), 0}),
              results.duration);

  const auto verdicts = reporters::evaluate(thresholds, results);
  reporters::write_console_report(std::cout, results, verdicts, info);
  // Every judgement of the run: the thresholds, then the baseline's regressions.
  std::vector<reporters::verdict> judgements = reporters::to_verdicts(verdicts);
  std::vector<reporters::verdict> regressions;
  if (gate.enabled()) {
    const auto comparison = gate.compare(reporters::to_json(results, verdicts, info));
    std::cout << '\n';
    reporters::write_comparison(std::cout, comparison);
    regressions = reporters::to_verdicts(comparison);
    judgements.insert(judgements.end(), regressions.begin(), regressions.end());
  }
  std::cout.flush();
  bool written = static_cast<bool>(std::cout);
  for (auto& o : outputs) {
    o.stream.open(o.path, std::ios::trunc);
    if (o.format == "html")
      reporters::write_html_report(o.stream, results, judgements, info);
    else if (o.format == "junit")
      reporters::write_junit(
          o.stream, judgements, {},
          {info.target, std::chrono::duration<double>(results.wall_time).count(), info.started_at});
    else
      reporters::write_json(o.stream, results, verdicts, info, regressions);
    o.stream.close();
    if (!o.stream) {
      std::cerr << "ordeal: could not write \"" << o.path << "\"\n";
      written = false;
    }
  }
  // Results that did not reach their file are lost results: not a pass.
  if (!written) return exit_code::internal_error;
  if (results.interrupted) return exit_code::aborted_by_signal;
  return reporters::exit_code_for(judgements);
}

}  // namespace ordeal::cli
