#include "order_flusher.hpp"

#include <iostream>

namespace ordeal::targets::demo {

order_flusher::order_flusher(sqlite_db& db, std::chrono::milliseconds every)
    : db_(db), every_(every) {}

order_flusher::~order_flusher() {
  stop();
}

void order_flusher::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void order_flusher::push(const pending_order& o) {
  std::lock_guard lock(mutex_);
  queue_.push_back(o);
}

void order_flusher::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    queue_.clear();
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void order_flusher::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait_for(lock, every_, [this] { return stopping_; });
    if (stopping_) return;
    std::vector<pending_order> batch;
    batch.swap(queue_);
    lock.unlock();
    flush(batch);
    lock.lock();
  }
}

void order_flusher::flush(std::vector<pending_order>& batch) {
  if (batch.empty()) return;
  try {
    std::lock_guard lock(db_.mutex());
    transaction tx(db_);
    for (const auto& o : batch) {
      statement s(db_.handle(),
                  "INSERT OR IGNORE INTO orders(id, cart_id, total_cents, status, idem_key) "
                  "VALUES (?, ?, ?, 'pending', ?)");
      s.bind(1, o.id).bind(2, o.cart_id).bind(3, o.total_cents).bind(4, o.key);
      s.step();
    }
    tx.commit();
  } catch (const std::exception& e) {
    std::cerr << "order flusher: " << e.what() << std::endl;
  }
}

}  // namespace ordeal::targets::demo
