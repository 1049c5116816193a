#include "nghttpd.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "scratch.hpp"

namespace ordeal::test {

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr auto start_timeout = 5s;
// SIGKILLed if still alive this long after it started: no test runs longer.
constexpr auto lifetime_deadline = 120s;
constexpr auto stop_grace = 2s;
// The bind-0-then-close port can be taken by someone else before nghttpd binds it.
constexpr int start_attempts = 3;

}  // namespace

bool nghttpd_server::installed() {
  return ::access(binary, X_OK) == 0;
}

nghttpd_server::nghttpd_server(nghttpd_options options) : options_(std::move(options)) {
  if (!installed())
    throw std::runtime_error(std::string(binary) +
                             " not found: install nghttp2-server (scripts/bootstrap does)");
  dir_ = make_temp_dir("nghttpd");
  docroot_ = dir_ / "htdocs";
  try {
    fs::create_directories(docroot_);
    write_file(docroot_ / "index.html", std::string(index_file_bytes - 1, 'x') + "\n");
    write_file(docroot_ / "big", std::string(big_file_bytes, 'b'));
    for (int attempt = 0; attempt < start_attempts; ++attempt) {
      if (try_start()) return;
    }
    throw std::runtime_error("nghttpd did not start after " + std::to_string(start_attempts) +
                             " attempts:\n" + failures_);
  } catch (...) {
    stop();
    throw;
  }
}

nghttpd_server::~nghttpd_server() {
  stop();
}

bool nghttpd_server::try_start() {
  port_ = free_local_port();
  std::vector<std::string> argv{binary, "--address=127.0.0.1", "--htdocs=" + docroot_.string(),
                                "--workers=" + std::to_string(options_.workers)};
  if (options_.max_concurrent_streams)
    argv.push_back("--max-concurrent-streams=" + std::to_string(*options_.max_concurrent_streams));
  if (options_.window_bits)
    argv.push_back("--window-bits=" + std::to_string(*options_.window_bits));
  if (options_.connection_window_bits)
    argv.push_back("--connection-window-bits=" + std::to_string(*options_.connection_window_bits));
  if (options_.echo_upload) argv.emplace_back("--echo-upload");
  if (!options_.tls) argv.emplace_back("--no-tls");
  argv.insert(argv.end(), options_.extra_args.begin(), options_.extra_args.end());
  argv.push_back(std::to_string(port_));
  if (options_.tls) {
    argv.push_back(fs::absolute(options_.tls->key).string());
    argv.push_back(fs::absolute(options_.tls->cert).string());
  }
  process_ = start_listening(
      std::move(argv), {port_}, start_timeout,
      std::chrono::duration_cast<std::chrono::milliseconds>(lifetime_deadline), failures_);
  return process_ != nullptr;
}

std::string nghttpd_server::url(const std::string& path) const {
  return (tls() ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(port_) + path;
}

void nghttpd_server::stop() {
  if (process_) {
    process_->stop(SIGTERM, stop_grace);
    process_.reset();
  }
  if (!dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    dir_.clear();
  }
}

}  // namespace ordeal::test
