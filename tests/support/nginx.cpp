#include "nginx.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <utility>

#include "scratch.hpp"

namespace ordeal::test {

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// nginx starts in milliseconds; the bound only turns a broken start into a failure.
constexpr auto start_timeout = 5s;
// Each nginx is SIGKILLed if still alive this long after it started: no test runs longer.
constexpr auto lifetime_deadline = 120s;
constexpr auto stop_grace = 3s;
// The bind-0-then-close port can be taken by someone else before nginx binds it.
constexpr int start_attempts = 3;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct listen_ports {
  std::uint16_t plain = 0;
  std::uint16_t tls = 0;  // 0: no such listener
  std::uint16_t h2c = 0;
};

std::string config_text(const fs::path& dir, const nginx_options& o, const listen_ports& ports) {
  const std::string d = dir.string();
  std::ostringstream c;
  c << "daemon off;\n"
       "master_process off;\n"
       "worker_processes 1;\n"
    << "error_log " << d << "/error.log info;\n"
    << "pid " << d << "/nginx.pid;\n"
    << "events { worker_connections 1024; }\n"
       "http {\n"
       "  default_type application/octet-stream;\n"
    << "  client_body_temp_path " << d << "/client_body;\n"
    << "  proxy_temp_path " << d << "/proxy;\n"
    << "  fastcgi_temp_path " << d << "/fastcgi;\n"
    << "  uwsgi_temp_path " << d << "/uwsgi;\n"
    << "  scgi_temp_path " << d << "/scgi;\n"
    << "  access_log " << d << "/access.log;\n"
    << "  keepalive_requests " << o.keepalive_requests << ";\n"
    << "  keepalive_timeout 60s;\n";
  if (o.http2_max_concurrent_streams)
    c << "  http2_max_concurrent_streams " << *o.http2_max_concurrent_streams << ";\n";
  c << "  server {\n"
    << "    listen 127.0.0.1:" << ports.plain << ";\n";
  if (o.tls) {
    // nginx 1.22 syntax: `http2` is a listen parameter (`http2 on;` is 1.25.1+).
    c << "    listen 127.0.0.1:" << ports.tls << " ssl" << (o.tls->http2 ? " http2" : "") << ";\n"
      << "    ssl_certificate " << fs::absolute(o.tls->cert).string() << ";\n"
      << "    ssl_certificate_key " << fs::absolute(o.tls->key).string() << ";\n"
      << "    ssl_protocols TLSv1.2 TLSv1.3;\n"
         "    ssl_session_cache shared:ordeal_tls:1m;\n"
         "    ssl_session_timeout 10m;\n"
         "    ssl_session_tickets on;\n";
    if (!o.tls->client_ca.empty()) {
      c << "    ssl_verify_client on;\n"
        << "    ssl_client_certificate " << fs::absolute(o.tls->client_ca).string() << ";\n"
        << "    ssl_verify_depth 2;\n";
    }
  }
  if (o.h2c) c << "    listen 127.0.0.1:" << ports.h2c << " http2;\n";
  c << "    root " << d << "/html;\n"
    << "    location / { try_files /static.bin =404; }\n"
       "    location /status503 { return 503; }\n";
  if (o.big_file_bytes > 0) c << "    location = /big { try_files /big.bin =404; }\n";
  c << "  }\n"
       "}\n";
  return c.str();
}

std::uint64_t count_lines(const fs::path& p) {
  const std::string s = read_file(p);
  return static_cast<std::uint64_t>(std::count(s.begin(), s.end(), '\n'));
}

}  // namespace

bool nginx_server::installed() {
  return ::access(binary, X_OK) == 0;
}

nginx_server::nginx_server(nginx_options options) : options_(std::move(options)) {
  if (!installed())
    throw std::runtime_error(std::string(binary) +
                             " not found: install nginx-light (scripts/bootstrap does)");
  dir_ = make_temp_dir("nginx");
  try {
    fs::create_directories(dir_ / "html");
    fs::create_directories(dir_ / "conf");
    // 64 bytes, newline-terminated so that a human reading a response sees where it ends.
    write_file(dir_ / "html" / "static.bin", std::string(static_file_bytes - 1, 'x') + "\n");
    if (options_.big_file_bytes > 0)
      write_file(dir_ / "html" / "big.bin", std::string(options_.big_file_bytes, 'b'));
    for (int attempt = 0; attempt < start_attempts; ++attempt) {
      if (try_start()) return;
    }
    throw std::runtime_error("nginx did not start after " + std::to_string(start_attempts) +
                             " attempts:\n" + failures_);
  } catch (...) {
    stop();
    throw;
  }
}

nginx_server::~nginx_server() {
  stop();
}

bool nginx_server::try_start() {
  // Distinct ports: each is bound and released on its own, so the kernel may repeat one.
  listen_ports ports;
  ports.plain = free_local_port();
  const auto another_port = [&] {
    for (;;) {
      const std::uint16_t p = free_local_port();
      if (p != ports.plain && p != ports.tls && p != ports.h2c) return p;
    }
  };
  if (options_.tls) ports.tls = another_port();
  if (options_.h2c) ports.h2c = another_port();
  port_ = ports.plain;
  tls_port_ = ports.tls;
  h2c_port_ = ports.h2c;
  const fs::path conf = dir_ / "conf" / "nginx.conf";
  write_file(conf, config_text(dir_, options_, ports));
  std::vector<std::uint16_t> listening{port_};
  if (tls_port_ != 0) listening.push_back(tls_port_);
  if (h2c_port_ != 0) listening.push_back(h2c_port_);
  // -e: the compiled-in error log is opened before the config is read.
  process_ = start_listening(
      {binary, "-p", dir_.string(), "-c", conf.string(), "-e", (dir_ / "error.log").string()},
      listening, start_timeout,
      std::chrono::duration_cast<std::chrono::milliseconds>(lifetime_deadline), failures_);
  if (!process_) failures_ += "error.log:\n" + error_log() + "\n";
  return process_ != nullptr;
}

std::string nginx_server::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::string nginx_server::tls_url(const std::string& path) const {
  return "https://127.0.0.1:" + std::to_string(tls_port_) + path;
}

std::string nginx_server::h2c_url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(h2c_port_) + path;
}

std::uint64_t nginx_server::access_log_lines() const {
  return count_lines(dir_ / "access.log");
}

std::uint64_t nginx_server::access_log_lines_reaching(std::uint64_t expected,
                                                      std::chrono::milliseconds timeout) const {
  const auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto n = access_log_lines();
    if (n >= expected || std::chrono::steady_clock::now() >= until) return n;
    std::this_thread::sleep_for(10ms);
  }
}

std::string nginx_server::error_log() const {
  return read_file(dir_ / "error.log");
}

void nginx_server::stop() {
  if (process_) {
    process_->stop(SIGQUIT, stop_grace);
    process_.reset();
  }
  if (!dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    dir_.clear();
  }
}

}  // namespace ordeal::test
