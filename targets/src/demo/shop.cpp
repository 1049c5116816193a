// run_shop: the shop process.
#include <algorithm>
#include <sstream>

#include "http_client.hpp"
#include "ordeal/targets/demo.hpp"
#include "service_runner.hpp"
#include "shop_service.hpp"

namespace ordeal::targets {

const std::vector<std::string>& shop_bug_names() {
  static const std::vector<std::string> names{"non-idempotent-retry", "lost-update",
                                              "ack-before-commit", "slow-health", "blind-health"};
  return names;
}

namespace {

demo::shop_bugs parse_bugs(const std::vector<std::string>& bugs) {
  demo::shop_bugs out;
  for (const auto& b : bugs) {
    if (b == "non-idempotent-retry") {
      out.non_idempotent_retry = true;
    } else if (b == "lost-update") {
      out.lost_update = true;
    } else if (b == "ack-before-commit") {
      out.ack_before_commit = true;
    } else if (b == "slow-health") {
      out.slow_health = true;
    } else if (b == "blind-health") {
      out.blind_health = true;
    } else {
      std::ostringstream known;
      for (const auto& n : shop_bug_names())
        known << (known.tellp() > 0 ? ", " : "") << n;
      throw std::invalid_argument("unknown bug '" + b + "' (known bugs: " + known.str() + ")");
    }
  }
  if (out.slow_health && out.blind_health) {
    throw std::invalid_argument("--bug slow-health and --bug blind-health exclude each other");
  }
  return out;
}

}  // namespace

int run_shop(const shop_options& o) {
  if (o.threads == 0) throw std::invalid_argument("--threads must be at least 1");
  if (o.payments_timeout.count() <= 0) {
    throw std::invalid_argument("--payments-timeout must be positive");
  }
  demo::shop_config config;
  config.db_path = o.db;
  config.payments = demo::parse_http_url(o.payments_url);
  config.payments_timeout = o.payments_timeout;
  config.payments_retries = o.payments_retries;
  config.bugs = parse_bugs(o.bugs);

  const sigset_t signals = demo::block_service_signals();
  demo::shop_service service(config);
  demo::http_server_options server_options;
  server_options.address = o.address;
  server_options.port = o.port;
  server_options.threads = o.threads;
  server_options.listen_fd = o.listen_fd;
  demo::http_server server(server_options, [&service](const auto& req, const auto& peer) {
    return service.handle(req, peer);
  });
  demo::service_run_options run;
  run.address = o.address;
  run.pidfile = o.pidfile;
  run.restartable = true;
  run.drain = o.drain;
  run.argv = o.argv;
  run.before_handover = [&service] { service.stop_background_work(); };
  run.handover_failed = [&service] { service.resume_background_work(); };
  return demo::run_service(server, signals, run);
}

}  // namespace ordeal::targets
