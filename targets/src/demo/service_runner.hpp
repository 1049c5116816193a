#pragma once

#include <signal.h>

#include <functional>
#include <string>
#include <vector>

#include "http_server.hpp"

// The life of a demo service process: announce, wait for signals, restart gracefully on
// SIGHUP (or POST /admin/restart), exit 0 on SIGTERM / SIGINT.
namespace ordeal::targets::demo {

// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread; call it before any thread starts
// so that they all inherit the mask and only run_service() sees the signals.
sigset_t block_service_signals();

struct service_run_options {
  std::string address;  // as printed in the listening line
  std::string pidfile;
  bool restartable = false;
  bool drain = true;                      // on restart: drain, or cut every connection at once
  std::vector<std::string> argv;          // re-executed on restart
  std::function<void()> before_handover;  // stop background work before the successor starts
  std::function<void()> handover_failed;  // and resume it if the successor did not start
};

// Starts the server and runs until a stop signal or a completed restart. Returns the exit
// code (0), or ends the process itself when it must not wait for stuck threads.
int run_service(http_server& server, const sigset_t& signals, const service_run_options& o);

// Asks the running service for a graceful restart a moment from now (after the current
// response went out).
void request_restart();

}  // namespace ordeal::targets::demo
