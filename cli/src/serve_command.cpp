#include "serve_command.hpp"

#include <csignal>
#include <iostream>

#include "exit_codes.hpp"
#include "ordeal/engine/config_error.hpp"
#include "ordeal/engine/duration.hpp"
#include "ordeal/targets/serve.hpp"

namespace ordeal::cli {

void add_serve_command(CLI::App& app, serve_args& a) {
  auto* serve = app.add_subcommand(
      "serve",
      "Run the bundled test target: any path answers 200; the query shapes the response, "
      "e.g. /any?status=503&delay=20ms&jitter=5ms&size=1024");
  serve->add_option("--address", a.address, "Address to listen on")->capture_default_str();
  serve->add_option("-p,--port", a.port, "Port to listen on (0: any free port)")
      ->capture_default_str();
  serve->add_option("-t,--threads", a.threads, "Server threads")->capture_default_str();
  serve->add_option("--stall-every", a.stall_every,
                    "Freeze all responses periodically (with --stall-for), e.g. 5s");
  serve->add_option("--stall-for", a.stall_for, "How long each freeze lasts, e.g. 1s");
  serve->add_option("--seed", a.seed, "Seed for jitter draws")->capture_default_str();
}

int serve_command(const serve_args& a) {
  targets::serve_options o;
  o.address = a.address;
  o.port = a.port;
  o.threads = a.threads;
  o.seed = a.seed;
  if (a.stall_every.empty() != a.stall_for.empty())
    throw engine::config_error("--stall-every and --stall-for go together");
  if (!a.stall_every.empty()) {
    o.stall_every = engine::parse_duration(a.stall_every);
    o.stall_for = engine::parse_duration(a.stall_for);
  }
  if (a.threads == 0) throw engine::config_error("--threads must be at least 1");

  // Block the stop signals before the server's threads exist so they inherit the mask, and
  // wait for one here.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::unique_ptr<targets::server> server;
  try {
    server = std::make_unique<targets::server>(o);
  } catch (const std::invalid_argument& e) {
    throw engine::config_error(e.what());
  } catch (const std::system_error& e) {
    throw engine::config_error(e.what());
  }
  server->start();
  std::cout << "ordeal serve: listening on http://" << a.address << ':' << server->port()
            << "/ (Ctrl-C to stop)" << std::endl;
  int sig = 0;
  sigwait(&stop_signals, &sig);
  server->stop();
  std::cout << "ordeal serve: stopped after " << server->requests_served() << " responses"
            << std::endl;
  return exit_code::ok;
}

}  // namespace ordeal::cli
