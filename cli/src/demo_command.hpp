#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "ordeal/targets/demo.hpp"

namespace ordeal::cli {

// `ordeal shop` and `ordeal payments`: the demo system under test (docs/demo.md).
struct shop_args {
  targets::shop_options options;
  std::string payments_timeout = "800ms";
};

struct payments_args {
  targets::payments_options options;
};

void add_shop_command(CLI::App& app, shop_args& args);
void add_payments_command(CLI::App& app, payments_args& args);
// argv: main's, re-executed on a graceful restart.
int shop_command(shop_args& args, std::vector<std::string> argv);
int payments_command(const payments_args& args);

}  // namespace ordeal::cli
