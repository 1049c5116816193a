#include "service_runner.hpp"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include "process_control.hpp"

namespace ordeal::targets::demo {

namespace {

using namespace std::chrono_literals;

// Removes our own pidfile on a stop (a successor's pidfile is its own).
void remove_own_pidfile(const std::string& path) {
  if (path.empty()) return;
  std::ifstream in(path);
  long pid = 0;
  if (in >> pid && pid == static_cast<long>(getpid())) std::remove(path.c_str());
}

[[noreturn]] void exit_now(int code) {
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  ::_exit(code);
}

}  // namespace

sigset_t block_service_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

void request_restart() {
  std::thread([] {
    std::this_thread::sleep_for(50ms);
    ::kill(::getpid(), SIGHUP);
  }).detach();
}

int run_service(http_server& server, const sigset_t& signals, const service_run_options& o) {
  server.start();
  std::cout << "listening on http://" << o.address << ':' << server.port() << '/' << std::endl;
  write_pidfile(o.pidfile);
  notify_ready();
  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      if (!o.restartable) continue;
      if (o.before_handover) o.before_handover();
      // A hard stop answers nothing more from here on: what is in flight will be cut.
      if (!o.drain) server.freeze();
      const auto started = spawn_successor(o.argv, server.listen_fd(), 10s);
      if (!started.ready) {
        std::cerr << "restart failed: " << started.error << "; still serving" << std::endl;
        server.thaw();
        if (o.handover_failed) o.handover_failed();
        continue;
      }
      if (!o.drain) {
        std::cerr << "restart: process " << started.pid
                  << " took over; cutting every connection (--no-drain)" << std::endl;
        // Requests keep arriving on the old connections (and on connections the old process
        // still accepts) for a moment, as they would while a process is being killed; then
        // every one of them is reset.
        std::this_thread::sleep_for(500ms);
        server.abort_connections();
        exit_now(0);
      }
      std::cerr << "restart: process " << started.pid << " took over; draining" << std::endl;
      const bool drained = server.drain(std::chrono::steady_clock::now() + 9s);
      if (!drained) std::cerr << "restart: connections left open after 9 s" << std::endl;
      if (!server.stop(500ms)) exit_now(0);
      return 0;
    }
    // SIGTERM / SIGINT: stop now. Nothing is flushed on the way out (see --bug ack-before-commit).
    remove_own_pidfile(o.pidfile);
    if (!server.stop(3s)) exit_now(0);
    return 0;
  }
}

}  // namespace ordeal::targets::demo
