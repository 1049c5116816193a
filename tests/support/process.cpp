#include "process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <sstream>
#include <system_error>
#include <thread>

#include "scratch.hpp"

extern char** environ;

namespace ordeal::test {

namespace {

using namespace std::chrono_literals;

// After the child exits, a grandchild may still hold its pipes open; stop reading after this.
constexpr auto drain_after_exit = 1s;
// How often the child's state is checked while its pipes are quiet.
constexpr auto reap_poll = 5ms;

[[noreturn]] void throw_errno(int err, const std::string& what) {
  throw std::system_error(err, std::generic_category(), what);
}

// Owns the spawn attributes and file actions for the duration of one posix_spawn call.
class spawn_setup {
 public:
  spawn_setup() {
    posix_spawn_file_actions_init(&actions_);
    posix_spawnattr_init(&attr_);
  }
  ~spawn_setup() {
    posix_spawn_file_actions_destroy(&actions_);
    posix_spawnattr_destroy(&attr_);
  }
  spawn_setup(const spawn_setup&) = delete;
  spawn_setup& operator=(const spawn_setup&) = delete;

  posix_spawn_file_actions_t actions_;
  posix_spawnattr_t attr_;
};

}  // namespace

std::string process_result::describe() const {
  std::ostringstream s;
  s << "command: " << command << '\n';
  if (timed_out)
    s << "status: TIMED OUT (killed at the deadline)";
  else if (term_signal != 0)
    s << "status: killed by signal " << term_signal;
  else
    s << "status: exit " << exit_code;
  s << " after " << elapsed.count() << " ms\n";
  s << "--- stdout (" << out.size() << " bytes) ---\n" << out;
  if (!out.empty() && out.back() != '\n') s << '\n';
  s << "--- stderr (" << err.size() << " bytes) ---\n" << err;
  return s.str();
}

child_process::child_process(std::vector<std::string> argv, std::chrono::milliseconds deadline) {
  if (argv.empty()) throw std::invalid_argument("child_process: empty argv");
  for (const auto& a : argv)
    command_ += (command_.empty() ? "" : " ") + a;

  // O_CLOEXEC: a child spawned concurrently by another test thread must not inherit our
  // pipe ends, or our reads would never see EOF.
  int out_pipe[2];
  int err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) throw_errno(errno, "pipe2");
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    const int e = errno;
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    throw_errno(e, "pipe2");
  }

  int rc = 0;
  {
    spawn_setup s;
    posix_spawn_file_actions_addopen(&s.actions_, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&s.actions_, out_pipe[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&s.actions_, err_pipe[1], STDERR_FILENO);
    // The test process may block or ignore signals (a server under test, Catch2); the child
    // must start with the defaults, or SIGINT/SIGTERM tests would test nothing.
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&s.attr_, &none);
    sigset_t defaults;
    sigemptyset(&defaults);
    for (const int sig : {SIGINT, SIGTERM, SIGQUIT, SIGPIPE, SIGHUP, SIGCHLD})
      sigaddset(&defaults, sig);
    posix_spawnattr_setsigdefault(&s.attr_, &defaults);
    posix_spawnattr_setflags(&s.attr_, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    std::vector<char*> args;
    for (auto& a : argv)
      args.push_back(a.data());
    args.push_back(nullptr);
    started_ = clock::now();
    rc = posix_spawn(&pid_, args[0], &s.actions_, &s.attr_, args.data(), environ);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    pid_ = -1;
    throw_errno(rc, "cannot start " + argv[0]);
  }
  out_fd_ = out_pipe[0];
  err_fd_ = err_pipe[0];
  fcntl(out_fd_, F_SETFL, fcntl(out_fd_, F_GETFL) | O_NONBLOCK);
  fcntl(err_fd_, F_SETFL, fcntl(err_fd_, F_GETFL) | O_NONBLOCK);
  deadline_ = started_ + deadline;
}

child_process::~child_process() {
  if (pid_ > 0 && !reaped_) kill_and_reap();
  close_pipes();
}

bool child_process::running() {
  try_reap();
  return !reaped_;
}

void child_process::close_pipes() {
  for (int* fd : {&out_fd_, &err_fd_}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
}

void child_process::read_ready(int& fd, std::string& into) {
  char buf[16 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      into.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    ::close(fd);  // EOF or a real error: either way nothing more will come
    fd = -1;
    return;
  }
}

void child_process::try_reap() {
  if (reaped_ || pid_ <= 0) return;
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_ || (r < 0 && errno == ECHILD)) {
    reaped_ = true;
    status_ = status;
    reaped_at_ = clock::now();
  }
}

void child_process::kill_and_reap() {
  if (reaped_ || pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, 0);
  } while (r < 0 && errno == EINTR);
  reaped_ = true;
  status_ = status;
  reaped_at_ = clock::now();
}

void child_process::pump(clock::time_point until, const std::function<bool()>& done) {
  until = std::min(until, deadline_);
  for (;;) {
    if (done && done()) return;
    try_reap();
    const auto now = clock::now();
    if (reaped_ && now - reaped_at_ > drain_after_exit) close_pipes();
    if (reaped_ && out_fd_ < 0 && err_fd_ < 0) return;
    if (now >= until) return;

    pollfd fds[2];
    nfds_t n = 0;
    for (const int fd : {out_fd_, err_fd_}) {
      if (fd >= 0) fds[n++] = pollfd{fd, POLLIN, 0};
    }
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - now);
    const int timeout_ms =
        static_cast<int>(std::min<std::chrono::milliseconds>(left, reap_poll).count());
    if (n == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(timeout_ms));
      continue;
    }
    const int r = ::poll(fds, n, timeout_ms);
    if (r < 0 && errno != EINTR) throw_errno(errno, "poll");
    if (r <= 0) continue;
    for (nfds_t i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == out_fd_)
        read_ready(out_fd_, out_);
      else if (fds[i].fd == err_fd_)
        read_ready(err_fd_, err_);
    }
  }
}

bool child_process::wait_until(
    const std::function<bool(const std::string& out, const std::string& err)>& ready,
    std::chrono::milliseconds timeout) {
  bool held = false;
  pump(clock::now() + timeout, [&] {
    held = ready(out_, err_);
    return held;
  });
  return held;
}

void child_process::wait_for(std::chrono::milliseconds d) {
  const auto until = clock::now() + d;
  pump(until, [&] { return clock::now() >= until; });
}

void child_process::send_signal(int sig) {
  try_reap();
  if (!reaped_ && pid_ > 0) ::kill(pid_, sig);
}

process_result child_process::wait() {
  pump(deadline_, {});
  if (!reaped_) {
    kill_and_reap();
    killed_at_deadline_ = true;
    // What it wrote before it hung is the best clue why.
    pump(clock::now() + 200ms, {});
  }
  close_pipes();

  process_result r;
  r.command = command_;
  r.timed_out = killed_at_deadline_;
  if (WIFEXITED(status_)) r.exit_code = WEXITSTATUS(status_);
  if (WIFSIGNALED(status_)) r.term_signal = WTERMSIG(status_);
  r.out = out_;
  r.err = err_;
  r.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(reaped_at_ - started_);
  return r;
}

process_result child_process::stop(int sig, std::chrono::milliseconds grace) {
  send_signal(sig);
  pump(clock::now() + grace, [&] { return reaped_; });
  if (!reaped_) kill_and_reap();
  return wait();
}

process_result run_process(std::vector<std::string> argv, std::chrono::milliseconds deadline) {
  child_process p(std::move(argv), deadline);
  return p.wait();
}

std::uint16_t free_local_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw_errno(errno, "socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const int e = errno;
    ::close(fd);
    throw_errno(e, "bind 127.0.0.1:0");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t begin = 0;
  while (begin < text.size()) {
    auto end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  return lines;
}

std::unique_ptr<child_process> start_listening(std::vector<std::string> argv,
                                               const std::vector<std::uint16_t>& ports,
                                               std::chrono::milliseconds start_timeout,
                                               std::chrono::milliseconds lifetime,
                                               std::string& failures) {
  auto process = std::make_unique<child_process>(std::move(argv), lifetime);
  const auto until = child_process::clock::now() + start_timeout;
  while (child_process::clock::now() < until && process->running()) {
    if (std::all_of(ports.begin(), ports.end(), [](auto p) { return accepts_connections(p); }))
      return process;
    process->wait_for(std::chrono::milliseconds(20));
  }
  std::string port_list;
  for (const auto p : ports)
    port_list += (port_list.empty() ? "" : "/") + std::to_string(p);
  failures += "ports " + port_list + ": " +
              process->stop(SIGKILL, std::chrono::seconds(1)).describe() + "\n";
  return nullptr;
}

}  // namespace ordeal::test
