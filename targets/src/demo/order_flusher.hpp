#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sqlite_db.hpp"

// The ack-before-commit bug: orders acknowledged from memory and inserted by a background
// flusher every 500 ms. Stopping it (a restart, SIGTERM) drops the queue: those orders vanish.
namespace ordeal::targets::demo {

struct pending_order {
  std::int64_t id = 0;
  std::int64_t cart_id = 0;
  std::int64_t total_cents = 0;
  std::string key;  // its Idempotency-Key
};

class order_flusher {
 public:
  explicit order_flusher(sqlite_db& db,
                         std::chrono::milliseconds every = std::chrono::milliseconds{500});
  ~order_flusher();  // stop()
  order_flusher(const order_flusher&) = delete;
  order_flusher& operator=(const order_flusher&) = delete;

  void start();
  void push(const pending_order& o);
  // Stops the flusher without flushing: what is queued is lost.
  void stop();

 private:
  void run();
  void flush(std::vector<pending_order>& batch);

  sqlite_db& db_;
  std::chrono::milliseconds every_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<pending_order> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace ordeal::targets::demo
