#include "compare_command.hpp"

#include <iostream>

#include "exit_codes.hpp"
#include "ordeal/reporters/compare.hpp"
#include "ordeal/reporters/junit_report.hpp"
#include "ordeal/reporters/verdict.hpp"
#include "outputs.hpp"

namespace ordeal::cli {

void add_compare_command(CLI::App& app, compare_args& a) {
  auto* c = app.add_subcommand(
      "compare",
      "Compare a result with a baseline (both --out json files); exit 99 on a regression");
  c->add_option("baseline", a.baseline, "The baseline result, e.g. baseline.json")->required();
  c->add_option("result", a.result, "The result to judge, e.g. result.json")->required();
  c->add_option("--max-regression", a.max_regressions,
                "METRIC=TOLERANCE (repeatable): p50|p90|p95|p99|p99.9|mean|min|max = 10% or 5ms, "
                "rps = 5%, error_rate = 10% or 0.5pp; per drill request: p99{name:pay}=15%. "
                "Default: p99=10%, rps=5%, error_rate=0.5pp");
  c->add_option("--out", a.outputs, "Write the verdicts: junit=FILE (repeatable)");
}

int compare_command(const compare_args& args) {
  // Everything that can be wrong is checked before a line is printed.
  const auto limits = args.max_regressions.empty()
                          ? reporters::default_regression_limits()
                          : reporters::parse_max_regressions(args.max_regressions);
  auto outputs = open_outputs(args.outputs, {"junit"});
  const auto baseline = reporters::load_result(args.baseline);
  const auto result = reporters::load_result(args.result);
  const auto c = reporters::compare_results(baseline, result, limits, args.baseline, args.result);

  reporters::write_comparison(std::cout, c);
  const auto verdicts = reporters::to_verdicts(c);
  std::cout.flush();
  bool written = static_cast<bool>(std::cout);
  for (auto& out : outputs) {
    out.stream.open(out.path, std::ios::trunc);
    reporters::write_junit(out.stream, verdicts, {}, {.name = "ordeal compare " + args.result});
    out.stream.close();
    if (!out.stream) {
      std::cerr << "ordeal: could not write \"" << out.path << "\"\n";
      written = false;
    }
  }
  if (!written) return exit_code::internal_error;
  return reporters::exit_code_for(verdicts);
}

}  // namespace ordeal::cli
