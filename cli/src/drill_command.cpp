#include "drill_command.hpp"

#include <unistd.h>

#include <iostream>

#include "drill_faults.hpp"
#include "exit_codes.hpp"
#include "ordeal/engine/config_error.hpp"
#include "ordeal/reporters/console_report.hpp"
#include "ordeal/reporters/metric_threshold.hpp"
#include "ordeal/reporters/script_report.hpp"
#include "ordeal/reporters/verdict.hpp"
#include "ordeal/scenarios/drill_run.hpp"
#include "outputs.hpp"
#include "progress_line.hpp"
#include "signals.hpp"

namespace ordeal::cli {

using engine::config_error;

bool is_drill_file(const std::string& target) {
  return target.size() > 4 && target.compare(target.size() - 4, 4, ".lua") == 0 &&
         target.find("://") == std::string::npos;
}

int drill_command(const run_args& args, const std::vector<std::string>& argv) {
  // The load profile lives in the drill: flags that would silently not apply are refused.
  if (args.connections_given || args.rate || !args.stages.empty() || args.duration != "10s" ||
      !args.body.empty() || !args.headers.empty() || args.method != "GET")
    throw config_error(
        "-c, -d, --rate, --stages, -X, -H and --body do not apply to a drill: set them in its "
        "options.scenarios and requests");
  scenarios::drill_run_options o;
  o.file = args.url;
  o.threads = args.threads.value_or(1);
  if (args.seed_given) o.seed = args.seed;
  if (!args.target.empty()) o.target = args.target;
  o.allow_exec = args.allow_exec;
  o.adjust = [&](scenarios::drill_options& d) { apply_protocol_options(args.protocol, d); };
  for (const auto& e : args.env) {
    const auto eq = e.find('=');
    if (eq == std::string::npos || eq == 0)
      throw config_error("invalid --env \"" + e + "\": expected NAME=VALUE");
    o.env[e.substr(0, eq)] = e.substr(eq + 1);
  }
  auto outputs = open_outputs(args.outputs, {"json", "history"});
  for (const auto& out : outputs)
    if (out.format == "history") o.history = true;
  auto extra = reporters::parse_thresholds(args.thresholds);
  std::vector<reporters::metric_threshold> metric_thresholds;
  // Declared before the run and destroyed after it: whatever ends the run (its end, a signal,
  // an exception), the faults are rolled back and the proxies closed.
  drill_faults faults;
  const std::string drill_name = o.file.filename().string();
  o.on_loaded = [&](const scenarios::drill_options& d) {
    metric_thresholds = reporters::parse_metric_thresholds(d.thresholds);
    faults.load(d, drill_name);  // the proxies listen before the target is probed
  };
  o.on_start = [&](std::chrono::steady_clock::time_point start) { faults.start(start); };
  o.on_load_end = [&] { faults.rollback(); };

  progress_line progress(args.quiet);
  const engine::progress_callback on_progress = progress.callback();

  reporters::run_info info;
  info.command_line = argv;
  info.version = ORDEAL_VERSION;
  info.target = args.url;
  info.started_at = utc_now_iso8601();

  engine::run_control control;
  install_stop_signals(control);
  scenarios::drill_results results;
  try {
    results = scenarios::run_drill(o, control, on_progress);
    faults.finish(results);
  } catch (const scenarios::script_error& e) {
    restore_signals();
    std::cerr << "ordeal: " << e.what() << '\n';
    return exit_code::script_error;
  }
  restore_signals();
  progress.clear();
  info.seed = results.seed;
  if (results.options.target) info.target = *results.options.target;

  auto verdicts = reporters::evaluate(extra, results.http);
  for (auto& v : reporters::evaluate(metric_thresholds, results))
    verdicts.push_back(std::move(v));

  reporters::write_script_report(std::cout, results, verdicts, info);
  std::cout.flush();
  bool written = static_cast<bool>(std::cout);
  for (auto& out : outputs) {
    out.stream.open(out.path, std::ios::trunc);
    if (out.format == "json")
      reporters::write_script_json(out.stream, results, verdicts, info);
    else
      reporters::write_history_jsonl(out.stream, results);
    out.stream.close();
    if (!out.stream) {
      std::cerr << "ordeal: could not write \"" << out.path << "\"\n";
      written = false;
    }
  }
  if (!written) return exit_code::internal_error;
  if (results.http.interrupted) return exit_code::aborted_by_signal;
  // Every judgement of the run (thresholds, idempotency, integrity): the exit code comes from
  // the most serious failure among them.
  return reporters::exit_code_for(reporters::to_verdicts(verdicts));
}

}  // namespace ordeal::cli
