#include "signals.hpp"

#include <unistd.h>

#include <atomic>
#include <csignal>

#include "exit_codes.hpp"

namespace ordeal::cli {
namespace {

std::atomic<engine::run_control*> g_control{nullptr};
std::atomic<int> g_signals{0};
static_assert(std::atomic<engine::run_control*>::is_always_lock_free);
static_assert(std::atomic<int>::is_always_lock_free);

extern "C" void on_stop_signal(int) {
  if (g_signals.fetch_add(1) > 0) _exit(exit_code::aborted_by_signal);
  if (auto* c = g_control.load()) c->interrupt();
}

}  // namespace

void install_stop_signals(engine::run_control& control) {
  g_control.store(&control);
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sa.sa_flags = SA_RESTART;  // a progress write must not fail with EINTR
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

void restore_signals() {
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  g_control.store(nullptr);
}

}  // namespace ordeal::cli
