#include "merge_command.hpp"

#include <iostream>

#include "exit_codes.hpp"
#include "ordeal/reporters/html_report.hpp"
#include "ordeal/reporters/junit_report.hpp"
#include "ordeal/reporters/metric_threshold.hpp"
#include "ordeal/reporters/result_merge.hpp"
#include "ordeal/reporters/script_report.hpp"
#include "ordeal/reporters/verdict.hpp"
#include "outputs.hpp"

namespace ordeal::cli {

void add_merge_command(CLI::App& app, merge_args& a) {
  auto* c = app.add_subcommand(
      "merge",
      "Merge the results of a drill's shards (run with --shard i/N, --out json=FILE) and judge "
      "the whole: thresholds, idempotency; exit codes as ordeal run");
  c->add_option("results", a.results, "Every shard's result, e.g. shard-1.json shard-2.json")
      ->required();
  c->add_option("--out", a.outputs,
                "Write the merged result: json=FILE, junit=FILE, html=FILE (repeatable)");
  c->add_flag("--require-all", a.require_all,
              "Refuse to merge unless every shard 1..N is given (default: a warning)");
}

int merge_command(const merge_args& args) {
  // Everything that can be wrong is checked before a line is printed.
  auto outputs = open_outputs(args.outputs, {"json", "junit", "html"});
  std::vector<reporters::shard_result> shards;
  for (const auto& path : args.results)
    shards.push_back(reporters::load_shard_result(path));
  auto merged = reporters::merge_shards(std::move(shards), args.require_all);
  const auto thresholds = reporters::parse_metric_thresholds(merged.results.thresholds);
  for (const auto& w : merged.warnings)
    std::cerr << "ordeal: warning: " << w << '\n';

  merged.info.command_line = args.argv;
  auto& r = merged.results;
  std::vector<reporters::verdict> judgements = reporters::threshold_verdicts(thresholds, r);
  for (auto& v : merged.carried)
    judgements.push_back(std::move(v));

  std::cout << "Merged " << args.results.size() << " of " << merged.stamp.count
            << " shards (master seed " << merged.stamp.master_seed << ")\n\n";
  reporters::write_script_report(std::cout, r, judgements, merged.info);
  std::cout.flush();
  bool written = static_cast<bool>(std::cout);
  for (auto& out : outputs) {
    out.stream.open(out.path, std::ios::trunc);
    if (out.format == "json")
      reporters::write_shard_json(out.stream, r, judgements, merged.info, merged.stamp);
    else if (out.format == "junit")
      reporters::write_junit(
          out.stream, judgements, r.checks,
          {"ordeal merge", std::chrono::duration<double>(r.http.wall_time).count(),
           merged.info.started_at});
    else
      reporters::write_html_report(out.stream, r, judgements, merged.info);
    out.stream.close();
    if (!out.stream) {
      std::cerr << "ordeal: could not write \"" << out.path << "\"\n";
      written = false;
    }
  }
  if (!written) return exit_code::internal_error;
  if (!r.aborted_by.empty()) return exit_code::aborted_by_threshold;
  if (r.http.interrupted) return exit_code::aborted_by_signal;
  return reporters::exit_code_for(judgements);
}

}  // namespace ordeal::cli
