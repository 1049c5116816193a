#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

// Process plumbing for the demo services: the pidfile, and the hand-over of the listening
// socket to a new process on a graceful restart.
namespace ordeal::targets::demo {

// Writes the current pid to `path` (through a temporary file and a rename, so a reader never
// sees half of it). Empty path: nothing. Errors go to stderr; they do not stop the service.
void write_pidfile(const std::string& path);

// In a process started by spawn_successor(): tells the parent it is accepting. Otherwise
// nothing.
void notify_ready();

struct spawn_result {
  bool ready = false;
  std::string error;  // when !ready
  pid_t pid = -1;
};

// Starts /proc/self/exe with `argv` plus `--listen-fd 3`, the listening socket as fd 3 and
// no other descriptor beyond stdin/out/err (and the readiness pipe), and waits up to
// `timeout` until it calls notify_ready(). A successor that does not get ready is killed.
spawn_result spawn_successor(std::vector<std::string> argv, int listen_fd,
                             std::chrono::milliseconds timeout);

}  // namespace ordeal::targets::demo
