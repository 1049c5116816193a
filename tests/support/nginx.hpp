#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "process.hpp"

namespace ordeal::test {

// A `listen PORT ssl` listener: TLS 1.2 and 1.3, session cache and tickets on (so a client
// can resume), ALPN "h2" and "http/1.1" when http2 is set, else "http/1.1" only.
struct nginx_tls_options {
  std::filesystem::path cert;  // PEM certificate file (test_pki::write_to makes them)
  std::filesystem::path key;   // its PEM private key file
  bool http2 = true;
  // Non-empty: mutual TLS (`ssl_verify_client on`) against this PEM CA file. nginx still
  // completes the handshake without a client certificate, then answers every request 400.
  std::filesystem::path client_ca;
};

// Listeners on top of the cleartext HTTP/1.1 one that nginx_server always has.
struct nginx_options {
  std::optional<nginx_tls_options> tls;
  // A cleartext `listen PORT http2` listener: HTTP/2 with prior knowledge only. nginx 1.22
  // has no Upgrade: h2c and no preface detection, so HTTP/1.1 on this port gets nonsense.
  bool h2c = false;
  // SETTINGS_MAX_CONCURRENT_STREAMS nginx sends (its default: 128).
  std::optional<std::uint32_t> http2_max_concurrent_streams;
  // Connections live as long as the load: counts must not depend on reconnects. Since 1.19.7
  // this also bounds the streams of one HTTP/2 connection (nginx then sends GOAWAY).
  std::uint64_t keepalive_requests = 1000000;
  // Non-zero: `location = /big` serves a file of this many bytes (larger than HTTP/2's
  // initial 65,535-byte window, for flow-control tests). Zero: /big is the static file too.
  std::size_t big_file_bytes = 0;
};

// A real nginx (Debian's nginx-light, installed by scripts/bootstrap) as a peer that ordeal's
// counts can be checked against: its access log has one line per request it answered.
//
// Runs in the foreground as one process (daemon off, master_process off) in a fresh temporary
// prefix with its own config, logs and temp paths, listening on 127.0.0.1 on free ports: the
// cleartext HTTP/1.1 listener (port()) and those options ask for (tls_port(), h2c_port()),
// all serving the same locations:
//   location /           the same 64-byte static file for any path
//   location /status503  return 503
//   location = /big      big_file_bytes bytes, when the option is set
// Stopped (SIGQUIT, then SIGKILL) and its directory removed on destruction.
class nginx_server {
 public:
  static constexpr const char* binary = "/usr/sbin/nginx";
  static constexpr std::size_t static_file_bytes = 64;

  static bool installed();

  // Starts nginx and waits (bounded) until every listener accepts connections. Throws
  // std::runtime_error with nginx's own error output when it is missing or does not come up.
  nginx_server() : nginx_server(nginx_options{}) {}
  explicit nginx_server(nginx_options options);
  ~nginx_server();
  nginx_server(const nginx_server&) = delete;
  nginx_server& operator=(const nginx_server&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  std::string url(const std::string& path = "/") const;
  // 0 when that listener was not asked for.
  std::uint16_t tls_port() const noexcept { return tls_port_; }
  std::uint16_t h2c_port() const noexcept { return h2c_port_; }
  std::string tls_url(const std::string& path = "/") const;  // https://127.0.0.1:tls_port
  std::string h2c_url(const std::string& path = "/") const;  // http://127.0.0.1:h2c_port
  const nginx_options& options() const noexcept { return options_; }
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
  bool try_start();  // false when nginx exited at once (e.g. a port was taken meanwhile)

  nginx_options options_;
  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  std::uint16_t tls_port_ = 0;
  std::uint16_t h2c_port_ = 0;
  std::unique_ptr<child_process> process_;
  std::string failures_;  // what nginx said on failed attempts, for the exception
};

}  // namespace ordeal::test
