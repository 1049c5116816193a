#include "drill_command.hpp"

#include <unistd.h>

#include <iostream>
#include <optional>

#include "baseline_gate.hpp"
#include "drill_faults.hpp"
#include "exit_codes.hpp"
#include "live_outputs.hpp"
#include "ordeal/engine/config_error.hpp"
#include "ordeal/reporters/capacity_knee.hpp"
#include "ordeal/reporters/console_report.hpp"
#include "ordeal/reporters/drill_verdict.hpp"
#include "ordeal/reporters/history_export.hpp"
#include "ordeal/reporters/html_report.hpp"
#include "ordeal/reporters/idempotency_verdict.hpp"
#include "ordeal/reporters/integrity.hpp"
#include "ordeal/reporters/junit_report.hpp"
#include "ordeal/reporters/metric_threshold.hpp"
#include "ordeal/reporters/result_merge.hpp"
#include "ordeal/reporters/script_report.hpp"
#include "ordeal/reporters/verdict.hpp"
#include "ordeal/scenarios/drill_actions.hpp"
#include "ordeal/scenarios/drill_run.hpp"
#include "ordeal/scenarios/shard.hpp"
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
  // --shard i/N: this process runs shard i's share of every scenario, with a seed mixed from
  // the master seed (--seed, else options.seed) and i (docs/distributed.md).
  std::optional<scenarios::shard> shard;
  if (!args.shard.empty()) shard = scenarios::parse_shard(args.shard);
  std::uint64_t master_seed = 0;
  if (args.seed_given && !shard) o.seed = args.seed;
  if (!args.target.empty()) o.target = args.target;
  o.allow_exec = args.allow_exec;
  o.adjust = [&](scenarios::drill_options& d) {
    apply_protocol_options(args.protocol, d);
    if (!shard) return;
    if (!args.seed_given && !d.seed)
      throw config_error("--shard " + args.shard +
                         ": the shards need one master seed: pass --seed or set options.seed");
    master_seed = args.seed_given ? args.seed : *d.seed;
    scenarios::apply_shard(d, *shard);
    d.seed = scenarios::shard_seed(master_seed, *shard);
  };
  for (const auto& e : args.env) {
    const auto eq = e.find('=');
    if (eq == std::string::npos || eq == 0)
      throw config_error("invalid --env \"" + e + "\": expected NAME=VALUE");
    o.env[e.substr(0, eq)] = e.substr(eq + 1);
  }
  auto outputs = open_outputs(args.outputs, {"json", "history", "html", "junit"});
  const baseline_gate gate(args.baseline, args.max_regressions);
  for (const auto& out : outputs)
    if (out.format == "history") o.history = true;
  auto extra = reporters::parse_thresholds(args.thresholds);
  std::vector<reporters::metric_threshold> metric_thresholds;
  // Declared before the run and destroyed after it: whatever ends the run (its end, a signal,
  // an exception), the faults are rolled back and the proxies closed, then the drill's
  // rollbacks run (declared first, so destroyed last).
  scenarios::drill_actions actions;
  drill_faults faults;
  const std::string drill_name = o.file.filename().string();
  o.on_loaded = [&](const scenarios::drill_options& d) {
    metric_thresholds = reporters::parse_metric_thresholds(d.thresholds, &d.declared_metrics);
    actions.load(d, drill_name, args.allow_exec);
    faults.load(d, drill_name);  // the proxies listen before the target is probed
  };
  // The load's time zero on the wall clock: `ordeal merge` aligns shards' seconds on it.
  std::int64_t load_started_ms = 0;
  o.on_start = [&](std::chrono::steady_clock::time_point start) {
    load_started_ms = reporters::epoch_ms_of(start);
    faults.start(start);
    actions.start(start);
  };
  o.on_load_end = [&] {
    faults.rollback();
    actions.stop_and_roll_back();
  };

  progress_line progress(args.quiet);
  const engine::progress_callback on_progress = progress.callback();

  reporters::run_info info;
  info.command_line = argv;
  info.version = ORDEAL_VERSION;
  info.target = args.url;
  info.started_at = utc_now_iso8601();

  // Live outputs (--metrics, the progress line's p99 and active faults), chained after what
  // other features hook on the same callbacks.
  live_outputs live(args.metrics, progress, {info.version, info.target, 0});
  o.on_loaded = [&live, next = std::move(o.on_loaded)](const scenarios::drill_options& d) {
    if (next) next(d);
    live.set_seed(d.seed.value_or(0));
  };
  o.on_second = [&live, next = std::move(o.on_second)](const scenarios::live_view& v) {
    if (next) next(v);
    live.on_second(v);
  };
  progress.show_faults([&faults] { return faults.active(); });

  engine::run_control control;
  install_stop_signals(control);
  // abort_on_fail thresholds, judged on the live totals every second: the first that fails stops
  // the load; the faults still roll back and every output is written (exit 108).
  std::optional<reporters::threshold_result> aborted;
  o.on_second = [&, next = std::move(o.on_second)](const scenarios::live_view& v) {
    if (!aborted) {
      aborted = reporters::abort_check(metric_thresholds, v.totals, v.elapsed);
      if (aborted) {
        control.request_stop();
        progress.clear();
        std::cerr << "ordeal: threshold " << aborted->expression << " failed at "
                  << std::chrono::duration_cast<std::chrono::seconds>(v.elapsed).count()
                  << "s (measured " << aborted->measured << "): stopping the run (abort_on_fail)\n";
      }
    }
    if (next) next(v);
  };
  scenarios::drill_results results;
  try {
    results = scenarios::run_drill(o, control, on_progress);
    faults.finish(results);
    actions.finish(results);
  } catch (const scenarios::script_error& e) {
    restore_signals();
    std::cerr << "ordeal: " << e.what() << '\n';
    return exit_code::script_error;
  } catch (const scenarios::steady_state_error& e) {
    restore_signals();
    progress.clear();
    std::cerr << "ordeal: " << drill_name << ": " << e.what() << '\n';
    return exit_code::aborted_by_threshold;
  }
  restore_signals();
  progress.clear();
  live.finish(results.metrics, results.http.duration);
  info.seed = results.seed;
  if (shard)
    info.replay_flags = "--seed " + std::to_string(master_seed) + " --shard " +
                        std::to_string(shard->index) + "/" + std::to_string(shard->count);
  if (results.options.target) info.target = *results.options.target;

  if (aborted) results.aborted_by = aborted->expression;

  // Every judgement of the run, gathered here and only here (thresholds, idempotency,
  // integrity, baseline regressions): every output renders this list, and the exit code comes
  // from the most serious failure among them.
  std::vector<reporters::verdict> judgements =
      reporters::to_verdicts(reporters::evaluate(extra, results.http));
  for (auto& v : reporters::threshold_verdicts(metric_thresholds, results))
    judgements.push_back(std::move(v));
  if (results.effects.configured) judgements.push_back(reporters::idempotency_verdict(results));
  for (auto& v : reporters::integrity_verdicts(results.integrity))
    judgements.push_back(std::move(v));
  for (auto& v : reporters::drill_verdicts(results.drill))
    judgements.push_back(std::move(v));
  if (results.drill.capacity)
    judgements.push_back(reporters::capacity_verdict(results, *results.drill.capacity));
  // The baseline's regressions (--baseline): threshold verdicts like "regression p99 <= +10%".
  std::optional<reporters::comparison> comparison;
  if (gate.enabled()) {
    comparison = gate.compare(reporters::script_to_json(results, {}, info));
    for (auto& v : reporters::to_verdicts(*comparison))
      judgements.push_back(std::move(v));
  }

  reporters::write_script_report(std::cout, results, judgements, info,
                                 comparison ? &*comparison : nullptr);
  for (const auto& v : judgements)
    if (v.kind == reporters::verdict_kind::idempotency)
      reporters::write_idempotency_section(std::cout, v);
  std::cout.flush();
  bool written = static_cast<bool>(std::cout);
  for (auto& out : outputs) {
    out.stream.open(out.path, std::ios::trunc);
    if (out.format == "json")
      reporters::write_shard_json(
          out.stream, results, judgements, info,
          {shard ? shard->index : 0, shard ? shard->count : 0, master_seed, load_started_ms});
    else if (out.format == "junit")
      reporters::write_junit(
          out.stream, judgements, results.checks,
          {drill_name, std::chrono::duration<double>(results.http.wall_time).count(),
           info.started_at});
    else if (out.format == "html")
      reporters::write_html_report(out.stream, results, judgements, info);
    else
      reporters::write_history(out.stream, results);
    out.stream.close();
    if (!out.stream) {
      std::cerr << "ordeal: could not write \"" << out.path << "\"\n";
      written = false;
    }
  }
  if (!written) return exit_code::internal_error;
  if (!results.aborted_by.empty()) return exit_code::aborted_by_threshold;
  if (results.http.interrupted) return exit_code::aborted_by_signal;
  return reporters::exit_code_for(judgements);
}

}  // namespace ordeal::cli
