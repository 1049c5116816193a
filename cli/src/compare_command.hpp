#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace ordeal::cli {

// `ordeal compare BASELINE RESULT [--max-regression METRIC=TOLERANCE ...] [--out junit=FILE]`:
// the CI regression gate over two ordeal.result/1 files.
struct compare_args {
  std::string baseline;
  std::string result;
  std::vector<std::string> max_regressions;
  std::vector<std::string> outputs;
};

void add_compare_command(CLI::App& app, compare_args& args);
// Prints the side-by-side table; 0 when every gated metric is within its tolerance, 99 on a
// regression. Throws config_error (exit 104) for a bad file, metric or tolerance.
int compare_command(const compare_args& args);

}  // namespace ordeal::cli
