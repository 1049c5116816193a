#include "action_run.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <cerrno>
#include <cstring>

#include "ordeal/engine/duration.hpp"
#include "ordeal/engine/http_client.hpp"

extern char** environ;

namespace ordeal::scenarios {

namespace {

using clock = std::chrono::steady_clock;

// The last non-empty line of a command's output, at most 200 bytes: enough to say why it failed.
std::string last_line(const std::string& out) {
  std::size_t end = out.find_last_not_of("\r\n \t");
  if (end == std::string::npos) return {};
  const std::size_t start = out.find_last_of('\n', end);
  std::string line = out.substr(start == std::string::npos ? 0 : start + 1,
                                end + 1 - (start == std::string::npos ? 0 : start + 1));
  if (line.size() > 200) line = "..." + line.substr(line.size() - 200);
  return line;
}

}  // namespace

std::string describe_action(const action_spec& a) {
  if (a.is_exec()) {
    const bool shell = a.exec.size() == 3 && a.exec[0] == "/bin/sh" && a.exec[1] == "-c";
    if (shell) return "exec: " + a.exec[2];
    std::string s = "exec:";
    for (const auto& arg : a.exec)
      s += " " + arg;
    return s;
  }
  return "http: " + a.method + " " + a.url;
}

action_outcome run_command(const std::vector<std::string>& argv, std::chrono::nanoseconds timeout) {
  action_outcome out;
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    out.detail = std::string("could not create a pipe: ") + std::strerror(errno);
    return out;
  }
  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  posix_spawn_file_actions_addopen(&files, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&files, pipe_fds[1], 1);
  posix_spawn_file_actions_adddup2(&files, pipe_fds[1], 2);
  // Nothing else of ordeal's (sockets, proxies' listeners) leaks into the command.
  posix_spawn_file_actions_addclosefrom_np(&files, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own process group, so that a timeout ends whatever it started too.
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, argv.front().c_str(), &files, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&files);
  posix_spawnattr_destroy(&attr);
  close(pipe_fds[1]);
  if (spawned != 0) {
    close(pipe_fds[0]);
    out.detail = "could not run " + argv.front() + ": " + std::strerror(spawned);
    return out;
  }

  std::string output;
  const auto deadline = clock::now() + timeout;
  bool timed_out = false;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{pipe_fds[0], POLLIN, 0};
    const int ready = poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000)));
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    char buffer[4096];
    const ssize_t n = read(pipe_fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // end of output: the command (and its children) closed it
    output.append(buffer, static_cast<std::size_t>(n));
    if (output.size() > 64 * 1024) output.erase(0, output.size() - 16 * 1024);
  }
  close(pipe_fds[0]);
  int status = 0;
  if (timed_out) {
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);  // in case it left its group
    waitpid(pid, &status, 0);
    out.detail = "timed out after " + engine::format_duration(timeout) + " (killed)";
    return out;
  }
  // Output closed: the command ends now, or keeps running without it (a daemon it started
  // holds no pipe). Wait for it within what is left of the timeout.
  for (;;) {
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) {
      out.detail = std::string("could not wait for the command: ") + std::strerror(errno);
      return out;
    }
    if (clock::now() >= deadline) {
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      kill(pid, SIGKILL);  // in case it left its group
      waitpid(pid, &status, 0);
      out.detail = "timed out after " + engine::format_duration(timeout) + " (killed)";
      return out;
    }
    usleep(10'000);
  }
  const std::string tail = last_line(output);
  if (WIFEXITED(status)) {
    out.passed = WEXITSTATUS(status) == 0;
    out.detail = "exit " + std::to_string(WEXITSTATUS(status));
  } else if (WIFSIGNALED(status)) {
    out.detail = "killed by signal " + std::to_string(WTERMSIG(status));
  }
  if (!tail.empty()) out.detail += ": " + tail;
  return out;
}

action_outcome run_http(const action_spec& a, const std::optional<engine::url>& base,
                        const engine::tls_options& tls) {
  action_outcome out;
  engine::http_request request;
  request.method = a.method;
  try {
    if (a.url.front() == '/') {
      if (!base) {
        out.detail = "the path " + a.url + " needs options.target as its base";
        return out;
      }
      request.target = *base;
      std::string prefix = base->target == "/" ? "" : base->target;
      if (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
      request.target.target = prefix + a.url;
    } else {
      request.target = engine::parse_url(a.url);
    }
  } catch (const std::exception& e) {
    out.detail = e.what();
    return out;
  }
  request.headers = a.headers;
  request.body = a.body;
  request.timeout = a.timeout;
  boost::asio::io_context ioc;
  engine::client_options options;
  options.tls = tls;
  options.connect_timeout = std::min<std::chrono::nanoseconds>(a.timeout, std::chrono::seconds(5));
  std::optional<engine::http_response> response;
  {
    engine::http_client client(ioc, options);
    client.send(std::move(request), [&](engine::http_response&& r) {
      response = std::move(r);
      ioc.stop();  // the kept-alive connection would keep the loop busy until the deadline
    });
    ioc.run_for(a.timeout + std::chrono::seconds(1));
    client.shutdown();
  }
  if (!response) {
    out.detail = "no answer within " + engine::format_duration(a.timeout);
    return out;
  }
  if (response->status == 0) {
    out.detail = std::string(engine::to_string(response->result)) +
                 (response->error.empty() ? "" : ": " + response->error);
    return out;
  }
  out.passed =
      a.expect ? response->status == a.expect : response->status >= 200 && response->status < 300;
  out.detail = std::to_string(response->status);
  if (!out.passed)
    out.detail += a.expect ? " (expected " + std::to_string(a.expect) + ")" : " (expected a 2xx)";
  return out;
}

}  // namespace ordeal::scenarios
