// POST /orders/{id}/pay: charge the order through payments.
#include "shop_service.hpp"

namespace ordeal::targets::demo {

namespace {

// Releases an order's "being paid" mark.
struct paying_mark {
  std::mutex& mutex_;
  std::set<std::int64_t>& set_;
  std::int64_t id_;
  ~paying_mark() {
    std::lock_guard lock(mutex_);
    set_.erase(id_);
  }
};

json::object paid_json(std::int64_t order_id, std::int64_t charge_id) {
  return json::object{{"order_id", order_id}, {"status", "paid"}, {"charge_id", charge_id}};
}

}  // namespace

response shop_service::pay_order(std::int64_t id, const request& req) {
  const std::string key = header(req, "Idempotency-Key");
  if (key.empty()) throw http_error(400, "the Idempotency-Key header is required");

  const std::string scoped = "pay:" + key;
  if (auto answer = claim_or_answer(keys_, scoped)) return std::move(*answer);
  claim_guard claim(keys_, scoped);

  std::int64_t total = 0;
  bool paid = false;
  std::int64_t paid_charge = 0;
  std::string paid_key;
  {
    std::lock_guard lock(db_.mutex());
    statement s(db_.handle(),
                "SELECT total_cents, status, charge_id, paid_key FROM orders WHERE id = ?");
    s.bind(1, id);
    if (!s.step()) throw http_error(404, "order " + std::to_string(id) + " not found");
    total = s.int_column(0);
    paid = s.text_column(1) == "paid";
    paid_charge = s.int_column(2);
    paid_key = s.text_column(3);
  }
  // (The key store takes the db lock itself: answer outside it.)
  if (paid && paid_key == key) return json_response(200, paid_json(id, paid_charge));
  if (paid) {
    response res = error_response(409, "already paid");
    claim.finish(409, res.body());
    return res;
  }
  {
    std::lock_guard lock(paying_mutex_);
    if (!paying_.insert(id).second) {
      return error_response(409, "a payment for this order is in progress");
    }
  }
  paying_mark mark{paying_mutex_, paying_, id};

  // Payments needs a positive amount; an empty cart costs nothing and is paid at once.
  charge_outcome charged;
  if (total > 0) {
    charged = payments_.charge(id, total, key);
  } else {
    charged.ok = true;
  }
  if (!charged.ok) return error_response(502, charged.error);  // not stored: may be paid later

  {
    std::lock_guard lock(db_.mutex());
    statement s(db_.handle(),
                "UPDATE orders SET status = 'paid', charge_id = ?, paid_key = ? WHERE id = ?");
    s.bind(1, charged.charge_id).bind(2, key).bind(3, id);
    s.step();
  }
  response res = json_response(200, paid_json(id, charged.charge_id));
  claim.finish(200, res.body());
  return res;
}

}  // namespace ordeal::targets::demo
