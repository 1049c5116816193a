#include "demo_command.hpp"

#include <stdexcept>
#include <system_error>

#include "ordeal/engine/config_error.hpp"
#include "ordeal/engine/duration.hpp"

namespace ordeal::cli {

namespace {

void add_service_options(CLI::App& cmd, targets::demo_service_options& o) {
  cmd.add_option("--address", o.address, "Address to listen on")->capture_default_str();
  cmd.add_option("-p,--port", o.port, "Port to listen on (0: any free port)")
      ->capture_default_str();
  cmd.add_option("-t,--threads", o.threads, "Server threads")->capture_default_str();
  cmd.add_option("--pidfile", o.pidfile, "Write the pid here once listening");
  // Set by a process restarting itself: the listening socket it hands over.
  cmd.add_option("--listen-fd", o.listen_fd)->group("");
}

template <typename Run>
int run_service(Run&& run) {
  try {
    return run();
  } catch (const std::invalid_argument& e) {
    throw engine::config_error(e.what());
  } catch (const std::system_error& e) {
    throw engine::config_error(e.what());
  }
}

}  // namespace

void add_shop_command(CLI::App& app, shop_args& a) {
  auto* shop = app.add_subcommand(
      "shop",
      "Run the demo shop (accounts, transfers, carts, orders paid through payments) with "
      "switchable planted bugs; see docs/demo.md");
  add_service_options(*shop, a.options);
  shop->add_option("--db", a.options.db, "SQLite database file (WAL mode)")->capture_default_str();
  shop->add_option("--payments", a.options.payments_url, "Base URL of payments")
      ->capture_default_str();
  std::string bug_help = "Plant a bug (repeatable):";
  for (const auto& name : targets::shop_bug_names())
    bug_help += " " + name;
  shop->add_option("--bug", a.options.bugs, bug_help);
  shop->add_flag("!--no-drain", a.options.drain,
                 "On restart, cut every connection at once instead of draining");
  shop->add_option("--payments-timeout", a.payments_timeout,
                   "Timeout of each call to payments, e.g. 800ms")
      ->capture_default_str();
  shop->add_option("--payments-retries", a.options.payments_retries,
                   "Retries of a charge after the first attempt (backoff 50 ms, doubling)")
      ->capture_default_str();
}

void add_payments_command(CLI::App& app, payments_args& a) {
  auto* payments = app.add_subcommand(
      "payments",
      "Run the demo payments service (charges with idempotency keys); see docs/demo.md");
  add_service_options(*payments, a.options);
  payments->add_option("--db", a.options.db, "SQLite database file")->capture_default_str();
}

int shop_command(shop_args& a, std::vector<std::string> argv) {
  const auto timeout = engine::parse_duration(a.payments_timeout);
  a.options.payments_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(timeout);
  if (a.options.payments_timeout.count() <= 0) {
    throw engine::config_error("--payments-timeout must be at least 1ms");
  }
  a.options.argv = std::move(argv);
  return run_service([&] { return targets::run_shop(a.options); });
}

int payments_command(const payments_args& a) {
  return run_service([&] { return targets::run_payments(a.options); });
}

}  // namespace ordeal::cli
