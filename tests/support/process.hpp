#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ordeal::test {

// How a child process ended, with everything it wrote.
struct process_result {
  std::string command;     // argv joined by spaces, for describe()
  int exit_code = -1;      // when it exited normally, else -1
  int term_signal = 0;     // the signal that ended it, else 0
  bool timed_out = false;  // still running at the deadline: we SIGKILLed it (term_signal = 9)
  std::string out;         // everything written to stdout
  std::string err;         // everything written to stderr
  std::chrono::milliseconds elapsed{};  // from spawn to reaped

  bool exited(int code) const noexcept {
    return !timed_out && term_signal == 0 && exit_code == code;
  }
  // A multi-line summary (command, status, both streams) for INFO() when an assertion fails.
  std::string describe() const;
};

// A child process with stdout and stderr captured through separate pipes, stdin from
// /dev/null. Every wait is bounded by the deadline given at spawn: past it the child is
// SIGKILLed and reported as timed out, so a hung binary fails its test instead of hanging it.
// The destructor kills and reaps a child that is still running.
//
// Not thread-safe: one test thread drives it.
class child_process {
 public:
  using clock = std::chrono::steady_clock;

  // argv[0] is the path of the executable (no PATH search). Throws std::system_error when
  // the pipes or the spawn fail (e.g. the binary does not exist).
  child_process(std::vector<std::string> argv, std::chrono::milliseconds deadline);
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const noexcept { return pid_; }
  bool running();  // false once the child has exited (it is then reaped)

  // Output so far (pump more with wait_until / wait_for).
  const std::string& out() const noexcept { return out_; }
  const std::string& err() const noexcept { return err_; }

  // Reads the pipes until `ready(out, err)` holds (true), the child exits, `timeout` passes or
  // the deadline does (false unless ready holds).
  bool wait_until(const std::function<bool(const std::string& out, const std::string& err)>& ready,
                  std::chrono::milliseconds timeout);
  // Keeps reading the pipes for `d` (so a chatty child never blocks on a full pipe meanwhile).
  void wait_for(std::chrono::milliseconds d);

  // Sends `sig` if the child is still running (never to a reaped, possibly reused pid).
  void send_signal(int sig);

  // Waits for the child to exit (reading both pipes to their end) or the deadline, then
  // SIGKILLs it. Call once; the child is reaped afterwards.
  process_result wait();

  // Sends `sig`, waits up to `grace` for the child to exit, then SIGKILLs it.
  process_result stop(int sig, std::chrono::milliseconds grace);

 private:
  // Reads what the pipes offer and reaps the child when it exits, until `done()`, until the
  // child is reaped and both pipes are closed, or until `until`.
  void pump(clock::time_point until, const std::function<bool()>& done);
  void read_ready(int& fd, std::string& into);
  void try_reap();
  void kill_and_reap();
  void close_pipes();

  std::string command_;
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  bool reaped_ = false;
  bool killed_at_deadline_ = false;
  int status_ = 0;  // from waitpid
  clock::time_point started_;
  clock::time_point deadline_;
  clock::time_point reaped_at_;
  std::string out_;
  std::string err_;
};

// Runs argv to completion (or SIGKILL at the deadline) and returns how it ended.
process_result run_process(std::vector<std::string> argv,
                           std::chrono::milliseconds deadline = std::chrono::seconds(10));

// A TCP port on 127.0.0.1 that was free a moment ago (bind port 0, read it, close), for a
// child process to listen on or for a client to find nothing listening on. Racy by nature:
// callers that bind it retry on EADDRINUSE.
std::uint16_t free_local_port();

// Spawns a server and waits up to `start_timeout` until every one of `ports` on 127.0.0.1
// accepts connections. Returns it running; or, if it exited or did not come up, kills it,
// appends what it said to `failures` and returns nullptr (the caller may retry on other ports).
std::unique_ptr<child_process> start_listening(std::vector<std::string> argv,
                                               const std::vector<std::uint16_t>& ports,
                                               std::chrono::milliseconds start_timeout,
                                               std::chrono::milliseconds lifetime,
                                               std::string& failures);

// Splits on '\n'; a trailing newline does not make an empty last line.
std::vector<std::string> split_lines(const std::string& text);

}  // namespace ordeal::test
