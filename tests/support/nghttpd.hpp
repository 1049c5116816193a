#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "process.hpp"

namespace ordeal::test {

// TLS identity for nghttpd: it offers ALPN "h2" only (no HTTP/1.1 fallback).
struct nghttpd_tls_options {
  std::filesystem::path cert;  // PEM certificate file (test_pki::write_to makes them)
  std::filesystem::path key;   // its PEM private key file
};

struct nghttpd_options {
  // Set: HTTP/2 over TLS. Unset: `--no-tls`, cleartext HTTP/2 with prior knowledge only
  // (HTTP/1.1, even with `Upgrade: h2c`, gets HTTP/2 frames back).
  std::optional<nghttpd_tls_options> tls;
  // -m: SETTINGS_MAX_CONCURRENT_STREAMS it sends (nghttpd's default: 100).
  std::optional<std::uint32_t> max_concurrent_streams;
  unsigned workers = 1;  // -n: threads
  // -w / -W: stream and connection initial windows of 2^bits - 1 bytes (its receive windows).
  std::optional<unsigned> window_bits;
  std::optional<unsigned> connection_window_bits;
  bool echo_upload = false;             // --echo-upload: POST/PUT answers echo the request body
  std::vector<std::string> extra_args;  // appended before the port, e.g. {"--no-content-length"}
};

// nghttp2's own server (Debian's nghttp2-server, installed by scripts/bootstrap) as an HTTP/2
// peer: a second, independent implementation next to nginx's. Listens on 127.0.0.1 on a free
// port, in the foreground, serving a fresh temporary document root:
//   /index.html (also "/")  64 bytes
//   /big                    100 KiB (larger than the initial 65,535-byte flow-control window)
// Any other path is 404. Stopped (SIGTERM, then SIGKILL) and its directory removed on
// destruction.
class nghttpd_server {
 public:
  static constexpr const char* binary = "/usr/sbin/nghttpd";
  static constexpr std::size_t index_file_bytes = 64;
  static constexpr std::size_t big_file_bytes = 100 * 1024;

  static bool installed();

  // Starts nghttpd and waits (bounded) until it accepts connections. Throws std::runtime_error
  // with its output when it is missing or does not come up.
  nghttpd_server() : nghttpd_server(nghttpd_options{}) {}
  explicit nghttpd_server(nghttpd_options options);
  ~nghttpd_server();
  nghttpd_server(const nghttpd_server&) = delete;
  nghttpd_server& operator=(const nghttpd_server&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  bool tls() const noexcept { return options_.tls.has_value(); }
  // https://127.0.0.1:port/path with TLS, else http://127.0.0.1:port/path.
  std::string url(const std::string& path = "/") const;
  const std::filesystem::path& docroot() const noexcept { return docroot_; }
  const nghttpd_options& options() const noexcept { return options_; }

  // Stop (SIGTERM, SIGKILL past a deadline). Idempotent.
  void stop();

 private:
  bool try_start();  // false when nghttpd exited at once (e.g. the port was taken meanwhile)

  nghttpd_options options_;
  std::filesystem::path dir_;
  std::filesystem::path docroot_;
  std::uint16_t port_ = 0;
  std::unique_ptr<child_process> process_;
  std::string failures_;  // what nghttpd said on failed attempts, for the exception
};

}  // namespace ordeal::test
