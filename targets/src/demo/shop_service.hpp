#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "http_client.hpp"
#include "http_server.hpp"
#include "idempotency_store.hpp"
#include "order_flusher.hpp"
#include "payments_client.hpp"
#include "sqlite_db.hpp"

// `ordeal shop`: accounts and transfers, carts, orders paid through payments, a health check
// (docs/demo.md). One file per group of endpoints.
namespace ordeal::targets::demo {

struct shop_bugs {
  bool non_idempotent_retry = false;
  bool lost_update = false;
  bool ack_before_commit = false;
  bool slow_health = false;
  bool blind_health = false;
};

struct shop_config {
  std::string db_path;
  http_endpoint payments;
  std::chrono::milliseconds payments_timeout{800};
  unsigned payments_retries = 2;
  shop_bugs bugs;
};

class shop_service {
 public:
  explicit shop_service(const shop_config& c);
  response handle(const request& req, const peer_info& peer);

  // Graceful restart hand-over: the queued orders of ack-before-commit are not flushed.
  void stop_background_work();
  void resume_background_work();

 private:
  // shop_health.cpp
  response health();
  // shop_accounts.cpp
  response create_account(const request& req);
  response get_account(std::int64_t id);
  response list_accounts();
  response create_transfer(const request& req);
  response list_transfers(const request& req);  // ?key=K: those made with that key
  // key: the Idempotency-Key, recorded with the transfer (may be empty).
  response transfer(std::int64_t from, std::int64_t to, std::int64_t amount,
                    const std::string& key);
  response transfer_unlocked(std::int64_t from, std::int64_t to, std::int64_t amount,
                             const std::string& key);
  // shop_carts.cpp
  response create_cart();
  response add_cart_item(std::int64_t cart_id, const request& req);
  response get_cart(std::int64_t cart_id);
  json::object cart_json(std::int64_t cart_id);  // with the db lock held; 404 if missing
  // shop_orders.cpp
  response create_order(const request& req);
  response get_order(std::int64_t id);
  response list_orders(const request& req);  // ?key=K: those made with that key
  // shop_pay.cpp
  response pay_order(std::int64_t id, const request& req);

  shop_config config_;
  sqlite_db db_;
  idempotency_store keys_;
  payments_client payments_;
  order_flusher flusher_;

  // The health of payments, cached for at most 200 ms.
  std::mutex health_mutex_;
  std::chrono::steady_clock::time_point health_checked_{};
  std::string health_why_;  // "ok" or why not

  // Orders being paid right now (one payment per order at a time, whatever the key).
  std::mutex paying_mutex_;
  std::set<std::int64_t> paying_;
};

}  // namespace ordeal::targets::demo
