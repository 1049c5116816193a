// ordeal: the command line. The only place that wires modules together.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "compare_command.hpp"
#include "demo_command.hpp"
#include "exit_codes.hpp"
#include "merge_command.hpp"
#include "ordeal/engine/config_error.hpp"
#include "proxy_command.hpp"
#include "run_command.hpp"
#include "serve_command.hpp"
#include "wrk_command.hpp"

namespace {

// A load generator holds a socket per connection (and a drill one per request in flight): the
// usual soft limit of 1024 descriptors would turn a large run into a flood of connect errors.
// Raise it to the hard limit, as far as the system allows.
void raise_open_file_limit() noexcept {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ordeal::cli;
  raise_open_file_limit();
  CLI::App app{"ordeal: load and chaos testing harness"};
  app.set_version_flag("--version", std::string("ordeal ") + ORDEAL_VERSION);
  app.require_subcommand(1);
  run_args run;
  serve_args serve;
  wrk_args wrk;
  proxy_args proxy;
  compare_args compare;
  merge_args merge;
  add_run_command(app, run);
  add_serve_command(app, serve);
  add_wrk_command(app, wrk);
  add_proxy_command(app, proxy);
  add_compare_command(app, compare);
  shop_args shop;
  payments_args payments;
  add_shop_command(app, shop);
  add_payments_command(app, payments);
  add_merge_command(app, merge);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line, nothing else: scripts and CI read this.
    std::cerr << "ordeal: " << e.what() << " (see ordeal --help)\n";
    return exit_code::invalid_config;
  }

  try {
    if (app.got_subcommand("run"))
      return run_command(run, std::vector<std::string>(argv, argv + argc));
    if (app.got_subcommand("serve")) return serve_command(serve);
    if (app.got_subcommand("wrk")) return wrk_command(wrk);
    if (app.got_subcommand("proxy")) return proxy_command(proxy);
    if (app.got_subcommand("compare")) return compare_command(compare);
    if (app.got_subcommand("shop"))
      return shop_command(shop, std::vector<std::string>(argv, argv + argc));
    if (app.got_subcommand("payments")) return payments_command(payments);
    if (app.got_subcommand("merge")) {
      merge.argv.assign(argv, argv + argc);
      return merge_command(merge);
    }
  } catch (const ordeal::engine::config_error& e) {
    std::cerr << "ordeal: " << e.what() << '\n';
    return exit_code::invalid_config;
  } catch (const std::exception& e) {
    std::cerr << "ordeal: internal error: " << e.what() << '\n';
    return exit_code::internal_error;
  }
  return exit_code::internal_error;
}
