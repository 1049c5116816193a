// Carts: where orders come from.
#include "shop_service.hpp"

namespace ordeal::targets::demo {

json::object shop_service::cart_json(std::int64_t cart_id) {
  {
    statement s(db_.handle(), "SELECT id FROM carts WHERE id = ?");
    s.bind(1, cart_id);
    if (!s.step()) throw http_error(404, "cart " + std::to_string(cart_id) + " not found");
  }
  json::array items;
  std::int64_t total = 0;
  statement s(db_.handle(),
              "SELECT sku, qty, price_cents FROM cart_items WHERE cart_id = ? ORDER BY rowid");
  s.bind(1, cart_id);
  while (s.step()) {
    total += s.int_column(1) * s.int_column(2);
    items.push_back(json::object{
        {"sku", s.text_column(0)}, {"qty", s.int_column(1)}, {"price_cents", s.int_column(2)}});
  }
  return json::object{{"id", cart_id}, {"items", std::move(items)}, {"total_cents", total}};
}

response shop_service::create_cart() {
  std::lock_guard lock(db_.mutex());
  db_.exec("INSERT INTO carts DEFAULT VALUES");
  return json_response(201, json::object{{"id", db_.last_insert_id()}});
}

response shop_service::add_cart_item(std::int64_t cart_id, const request& req) {
  const auto body = parse_object(req);
  const auto sku = string_field(body, "sku");
  const auto qty = int_field(body, "qty");
  const auto price = int_field(body, "price_cents");
  if (sku.empty()) throw http_error(400, "sku must not be empty");
  if (qty <= 0 || qty > 1'000'000) throw http_error(400, "qty must be between 1 and 1000000");
  if (price < 0 || price > 1'000'000'000) {
    throw http_error(400, "price_cents must be between 0 and 1000000000");
  }
  std::lock_guard lock(db_.mutex());
  transaction tx(db_);
  cart_json(cart_id);  // 404 before inserting anything
  statement s(db_.handle(),
              "INSERT INTO cart_items(cart_id, sku, qty, price_cents) VALUES (?, ?, ?, ?)");
  s.bind(1, cart_id).bind(2, sku).bind(3, qty).bind(4, price);
  s.step();
  auto cart = cart_json(cart_id);
  tx.commit();
  return json_response(200, cart);
}

response shop_service::get_cart(std::int64_t cart_id) {
  std::lock_guard lock(db_.mutex());
  return json_response(200, cart_json(cart_id));
}

}  // namespace ordeal::targets::demo
