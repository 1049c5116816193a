// Orders: created from a cart with an Idempotency-Key.
#include "shop_service.hpp"

namespace ordeal::targets::demo {

namespace {

json::object order_json(std::int64_t id, std::int64_t cart_id, std::int64_t total,
                        const std::string& status) {
  return json::object{{"id", id}, {"cart_id", cart_id}, {"total_cents", total}, {"status", status}};
}

}  // namespace

response shop_service::create_order(const request& req) {
  const std::string key = header(req, "Idempotency-Key");
  if (key.empty()) throw http_error(400, "the Idempotency-Key header is required");
  const auto body = parse_object(req);
  const auto cart_id = int_field(body, "cart_id");
  if (cart_id <= 0) throw http_error(404, "cart " + std::to_string(cart_id) + " not found");

  const std::string scoped = "orders:" + key;
  if (auto answer = claim_or_answer(keys_, scoped)) return std::move(*answer);
  claim_guard claim(keys_, scoped);
  response res;
  {
    std::lock_guard lock(db_.mutex());
    transaction tx(db_);
    const auto total = cart_json(cart_id).at("total_cents").as_int64();
    db_.exec("INSERT INTO order_ids DEFAULT VALUES");
    const auto id = db_.last_insert_id();
    if (config_.bugs.ack_before_commit) {
      // The bug: the order row waits in memory for the flusher; the client hears 201 now.
      flusher_.push(pending_order{id, cart_id, total, key});
    } else {
      statement s(db_.handle(),
                  "INSERT INTO orders(id, cart_id, total_cents, status, idem_key) "
                  "VALUES (?, ?, ?, 'pending', ?)");
      s.bind(1, id).bind(2, cart_id).bind(3, total).bind(4, key);
      s.step();
    }
    tx.commit();
    res = json_response(201, order_json(id, cart_id, total, "pending"));
  }
  claim.finish(201, res.body());
  return res;
}

response shop_service::get_order(std::int64_t id) {
  std::lock_guard lock(db_.mutex());
  statement s(db_.handle(), "SELECT cart_id, total_cents, status FROM orders WHERE id = ?");
  s.bind(1, id);
  if (!s.step()) throw http_error(404, "order " + std::to_string(id) + " not found");
  return json_response(200, order_json(id, s.int_column(0), s.int_column(1), s.text_column(2)));
}

response shop_service::list_orders(const request& req) {
  const auto key = query_param(req.target(), "key");
  json::array ids;
  {
    std::lock_guard lock(db_.mutex());
    statement s(db_.handle(), key ? "SELECT id FROM orders WHERE idem_key = ? ORDER BY id"
                                  : "SELECT id FROM orders ORDER BY id");
    if (key) s.bind(1, *key);
    while (s.step())
      ids.push_back(s.int_column(0));
  }
  const auto count = static_cast<std::int64_t>(ids.size());
  return json_response(200, json::object{{"ids", std::move(ids)}, {"count", count}});
}

}  // namespace ordeal::targets::demo
