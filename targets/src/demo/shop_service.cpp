#include "shop_service.hpp"

#include "service_runner.hpp"

namespace ordeal::targets::demo {

namespace {

sqlite_db& with_schema(sqlite_db& db) {
  db.exec(
      "CREATE TABLE IF NOT EXISTS accounts(id INTEGER PRIMARY KEY AUTOINCREMENT, "
      "name TEXT NOT NULL, balance_cents INTEGER NOT NULL)");
  db.exec(
      "CREATE TABLE IF NOT EXISTS transfers(id INTEGER PRIMARY KEY AUTOINCREMENT, "
      "from_id INTEGER NOT NULL, to_id INTEGER NOT NULL, amount_cents INTEGER NOT NULL, "
      "idem_key TEXT)");
  db.exec("CREATE TABLE IF NOT EXISTS carts(id INTEGER PRIMARY KEY AUTOINCREMENT)");
  db.exec(
      "CREATE TABLE IF NOT EXISTS cart_items(cart_id INTEGER NOT NULL, sku TEXT NOT NULL, "
      "qty INTEGER NOT NULL, price_cents INTEGER NOT NULL)");
  // Order ids come from their own sequence, committed at once even when the order row is not
  // (ack-before-commit): ids stay unique across a restart.
  db.exec("CREATE TABLE IF NOT EXISTS order_ids(id INTEGER PRIMARY KEY AUTOINCREMENT)");
  db.exec(
      "CREATE TABLE IF NOT EXISTS orders(id INTEGER PRIMARY KEY, cart_id INTEGER NOT NULL, "
      "total_cents INTEGER NOT NULL, status TEXT NOT NULL, charge_id INTEGER, paid_key TEXT, "
      "idem_key TEXT)");
  return db;
}

}  // namespace

shop_service::shop_service(const shop_config& c)
    : config_(c),
      db_(c.db_path),
      keys_(with_schema(db_)),
      payments_(c.payments, c.payments_timeout, c.payments_retries, c.bugs.non_idempotent_retry),
      flusher_(db_) {
  if (config_.bugs.ack_before_commit) flusher_.start();
}

void shop_service::stop_background_work() {
  flusher_.stop();
}

void shop_service::resume_background_work() {
  if (config_.bugs.ack_before_commit) flusher_.start();
}

response shop_service::handle(const request& req, const peer_info& peer) {
  const auto path = path_segments(req.target());
  const auto method = req.method();
  const auto get = http::verb::get;
  const auto post = http::verb::post;
  const std::string first = path.empty() ? std::string() : path[0];

  if (path.size() == 1 && first == "health" && method == get) return health();

  if (first == "accounts") {
    if (path.size() == 1 && method == post) return create_account(req);
    if (path.size() == 1 && method == get) return list_accounts();
    if (path.size() == 2 && method == get) return get_account(parse_id(path[1], "account"));
  }
  if (path.size() == 1 && first == "transfers" && method == post) return create_transfer(req);
  if (path.size() == 1 && first == "transfers" && method == get) return list_transfers(req);

  if (first == "carts") {
    if (path.size() == 1 && method == post) return create_cart();
    if (path.size() == 2 && method == get) return get_cart(parse_id(path[1], "cart"));
    if (path.size() == 3 && path[2] == "items" && method == post) {
      return add_cart_item(parse_id(path[1], "cart"), req);
    }
  }

  if (first == "orders") {
    if (path.size() == 1 && method == post) return create_order(req);
    if (path.size() == 1 && method == get) return list_orders(req);
    if (path.size() == 2 && method == get) return get_order(parse_id(path[1], "order"));
    if (path.size() == 3 && path[2] == "pay" && method == post) {
      return pay_order(parse_id(path[1], "order"), req);
    }
  }

  if (path.size() == 2 && first == "admin" && path[1] == "restart" && method == post) {
    if (!peer.loopback) throw http_error(403, "restart is allowed from loopback only");
    request_restart();
    return json_response(202, json::object{{"restarting", true}});
  }

  throw http_error(404, "no such endpoint: " + std::string(req.method_string()) + " " +
                            std::string(req.target()));
}

}  // namespace ordeal::targets::demo
