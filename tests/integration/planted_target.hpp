#pragma once

// The planted-bug target (tests/targets/) as a child process: started with some bugs on,
// port 0, its bound address read from its first stdout line; stopped with SIGTERM.
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "process.hpp"

namespace ordeal::test {

class planted_target {
 public:
  // `bugs`: "" (none) or a comma-separated list. The process is killed after `lifetime`
  // whatever happens, so a hung test cannot leave it behind.
  explicit planted_target(const std::string& bugs = "",
                          std::chrono::milliseconds lifetime = std::chrono::seconds(120)) {
    std::vector<std::string> argv{ORDEAL_PLANTED_TARGET, "--listen", "127.0.0.1:0"};
    if (!bugs.empty()) {
      argv.push_back("--bugs");
      argv.push_back(bugs);
    }
    process_ = std::make_unique<child_process>(std::move(argv), lifetime);
    const bool listening =
        process_->wait_until([](const std::string& out,
                                const std::string&) { return out.find('\n') != std::string::npos; },
                             std::chrono::seconds(10));
    if (!listening) {
      throw std::runtime_error("the planted target did not start: " +
                               process_->stop(SIGKILL, std::chrono::seconds(1)).describe());
    }
    address_ = process_->out().substr(0, process_->out().find('\n'));
    const auto colon = address_.rfind(':');
    port_ = static_cast<std::uint16_t>(std::stoi(address_.substr(colon + 1)));
  }

  std::uint16_t port() const noexcept { return port_; }
  const std::string& address() const noexcept { return address_; }  // "127.0.0.1:PORT"
  std::string url() const { return "http://" + address_; }
  bool running() { return process_->running(); }

  // SIGTERM, and how it ended (it should exit 0 at once).
  process_result stop() { return process_->stop(SIGTERM, std::chrono::seconds(5)); }

 private:
  std::unique_ptr<child_process> process_;
  std::string address_;
  std::uint16_t port_ = 0;
};

}  // namespace ordeal::test
