#include "process_control.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

extern char** environ;

namespace ordeal::targets::demo {

namespace {

constexpr const char* ready_fd_env = "ORDEAL_DEMO_READY_FD";
constexpr int child_listen_fd = 3;
constexpr int child_ready_fd = 4;

// Drops any earlier --listen-fd (a process restarted twice) before adding the new one.
std::vector<std::string> without_listen_fd(const std::vector<std::string>& argv) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    if (argv[i] == "--listen-fd") {
      ++i;
      continue;
    }
    if (argv[i].rfind("--listen-fd=", 0) == 0) continue;
    out.push_back(argv[i]);
  }
  return out;
}

}  // namespace

void write_pidfile(const std::string& path) {
  if (path.empty()) return;
  const std::string tmp = path + ".tmp" + std::to_string(getpid());
  FILE* f = std::fopen(tmp.c_str(), "w");
  if (!f) {
    std::cerr << "cannot write pidfile " << path << ": " << std::strerror(errno) << std::endl;
    return;
  }
  std::fprintf(f, "%d\n", static_cast<int>(getpid()));
  std::fclose(f);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::cerr << "cannot write pidfile " << path << ": " << std::strerror(errno) << std::endl;
    std::remove(tmp.c_str());
  }
}

void notify_ready() {
  const char* value = std::getenv(ready_fd_env);
  if (!value) return;
  const int fd = std::atoi(value);
  unsetenv(ready_fd_env);
  if (fd <= 2) return;
  const char byte = 'R';
  (void)!::write(fd, &byte, 1);
  ::close(fd);
}

spawn_result spawn_successor(std::vector<std::string> argv, int listen_fd,
                             std::chrono::milliseconds timeout) {
  spawn_result result;
  argv = without_listen_fd(argv);
  argv.push_back("--listen-fd");
  argv.push_back(std::to_string(child_listen_fd));

  // Everything the child needs is built before fork: after it, only async-signal-safe calls.
  std::vector<char*> args;
  for (auto& a : argv)
    args.push_back(a.data());
  args.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    if (std::strncmp(*e, ready_fd_env, std::strlen(ready_fd_env)) != 0)
      env_strings.emplace_back(*e);
  }
  env_strings.push_back(std::string(ready_fd_env) + "=" + std::to_string(child_ready_fd));
  std::vector<char*> envp;
  for (auto& e : env_strings)
    envp.push_back(e.data());
  envp.push_back(nullptr);

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    result.error = std::string("pipe: ") + std::strerror(errno);
    return result;
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    result.error = std::string("fork: ") + std::strerror(errno);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return result;
  }
  if (pid == 0) {
    // Move both descriptors out of the way first: either may already be 3 or 4.
    const int l = ::fcntl(listen_fd, F_DUPFD_CLOEXEC, 10);
    const int r = ::fcntl(pipe_fds[1], F_DUPFD_CLOEXEC, 10);
    if (l < 0 || r < 0) ::_exit(127);
    if (::dup2(l, child_listen_fd) < 0 || ::dup2(r, child_ready_fd) < 0) ::_exit(127);
    // Nothing else goes over: not the database, not the old process's connections.
    if (::syscall(SYS_close_range, child_ready_fd + 1, ~0U, 0) != 0) {
      for (int fd = child_ready_fd + 1; fd < 65536; ++fd)
        ::close(fd);
    }
    ::execve("/proc/self/exe", args.data(), envp.data());
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  result.pid = pid;
  pollfd p{pipe_fds[0], POLLIN, 0};
  const int n = ::poll(&p, 1, static_cast<int>(timeout.count()));
  char byte = 0;
  if (n == 1 && ::read(pipe_fds[0], &byte, 1) == 1 && byte == 'R') {
    result.ready = true;
  } else {
    result.error = n == 0 ? "the new process did not get ready in time"
                          : "the new process exited before it got ready";
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  ::close(pipe_fds[0]);
  return result;
}

}  // namespace ordeal::targets::demo
