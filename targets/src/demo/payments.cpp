// run_payments: the payments process.
#include "ordeal/targets/demo.hpp"
#include "payments_service.hpp"
#include "service_runner.hpp"

namespace ordeal::targets {

int run_payments(const payments_options& o) {
  if (o.threads == 0) throw std::invalid_argument("--threads must be at least 1");
  const sigset_t signals = demo::block_service_signals();
  demo::payments_service service(o.db);
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
  return demo::run_service(server, signals, run);
}

}  // namespace ordeal::targets
