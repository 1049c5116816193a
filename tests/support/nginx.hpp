#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "process.hpp"

namespace ordeal::test {

// A real nginx (Debian's nginx-light, installed by scripts/bootstrap) as a peer that ordeal's
// counts can be checked against: its access log has one line per request it answered.
//
// Runs in the foreground as one process (daemon off, master_process off) in a fresh temporary
// prefix with its own config, logs and temp paths, listening on 127.0.0.1 on a free port:
//   location /           the same 64-byte static file for any path
//   location /status503  return 503
// Stopped (SIGQUIT, then SIGKILL) and its directory removed on destruction.
class nginx_server {
 public:
  static constexpr const char* binary = "/usr/sbin/nginx";
  static constexpr std::size_t static_file_bytes = 64;

  static bool installed();

  // Starts nginx and waits (bounded) until it accepts connections. Throws std::runtime_error
  // with nginx's own error output when it is missing or does not come up.
  nginx_server();
  ~nginx_server();
  nginx_server(const nginx_server&) = delete;
  nginx_server& operator=(const nginx_server&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  std::string url(const std::string& path = "/") const;
  const std::filesystem::path& prefix() const noexcept { return dir_; }

  // Requests nginx has finished (logged), so far.
  std::uint64_t access_log_lines() const;
  // Waits up to `timeout` for the access log to reach `expected` lines (nginx logs a request
  // just after it sends the response, so a client can see the response first), then returns
  // the count, whatever it is.
  std::uint64_t access_log_lines_reaching(std::uint64_t expected,
                                          std::chrono::milliseconds timeout) const;
  std::string error_log() const;

  // Graceful stop (SIGQUIT), SIGKILL past a deadline. Idempotent.
  void stop();

 private:
  bool try_start();  // false when nginx exited at once (e.g. the port was taken meanwhile)

  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  std::unique_ptr<child_process> process_;
  std::string failures_;  // what nginx said on failed attempts, for the exception
};

}  // namespace ordeal::test
