#pragma once

#include <memory>
#include <string>

namespace ordeal::cli {

// `--metrics ADDRESS`: serves GET /metrics (Prometheus' text format) on a thread of its own,
// answering every scrape with the latest snapshot published; 404 for another path, 405 for
// another method. The load never waits for a scraper: publishing swaps a string under a mutex.
class metrics_server {
 public:
  // Binds `address` ("127.0.0.1:9464", "[::1]:9464", "localhost:0"; port 0 picks one) and
  // serves `initial` until the first publish. Throws engine::config_error naming the flag
  // for a malformed address or one that cannot be bound.
  metrics_server(const std::string& address, std::string initial);
  ~metrics_server();  // closes the listener and every connection, joins the thread
  metrics_server(const metrics_server&) = delete;
  metrics_server& operator=(const metrics_server&) = delete;

  // "127.0.0.1:40123": the address bound.
  const std::string& address() const noexcept;
  // Replaces what the next scrapes get. Any thread.
  void publish(std::string body);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace ordeal::cli
