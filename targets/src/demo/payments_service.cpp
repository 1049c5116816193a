#include "payments_service.hpp"

namespace ordeal::targets::demo {

namespace {

sqlite_db& with_schema(sqlite_db& db) {
  db.exec(
      "CREATE TABLE IF NOT EXISTS charges(id INTEGER PRIMARY KEY AUTOINCREMENT, "
      "order_id INTEGER NOT NULL, amount_cents INTEGER NOT NULL, reference TEXT NOT NULL, "
      "status TEXT NOT NULL)");
  db.exec("CREATE INDEX IF NOT EXISTS charges_reference ON charges(reference)");
  db.exec("CREATE INDEX IF NOT EXISTS charges_order ON charges(order_id)");
  return db;
}

json::object charge_json(const statement& s) {
  return json::object{{"id", s.int_column(0)},
                      {"order_id", s.int_column(1)},
                      {"amount_cents", s.int_column(2)},
                      {"reference", s.text_column(3)},
                      {"status", s.text_column(4)}};
}

}  // namespace

payments_service::payments_service(const std::string& db_path)
    : db_(db_path), keys_(with_schema(db_)) {}

response payments_service::handle(const request& req, const peer_info&) {
  const auto path = path_segments(req.target());
  if (path.size() == 1 && path[0] == "health") {
    if (req.method() != http::verb::get) throw http_error(405, "use GET /health");
    return json_response(200, json::object{{"status", "ok"}});
  }
  if (path.size() == 1 && path[0] == "charges") {
    if (req.method() == http::verb::post) return create_charge(req);
    if (req.method() == http::verb::get) return list_charges(req);
    throw http_error(405, "use POST or GET /charges");
  }
  throw http_error(404, "no such endpoint: " + std::string(req.method_string()) + " " +
                            std::string(req.target()));
}

response payments_service::create_charge(const request& req) {
  const std::string key = header(req, "Idempotency-Key");
  if (key.empty()) throw http_error(400, "the Idempotency-Key header is required");
  // Validation first: a malformed request is refused without using up its key.
  const auto body = parse_object(req);
  const auto order_id = int_field(body, "order_id");
  const auto amount = int_field(body, "amount_cents");
  const auto reference = string_field(body, "reference");
  if (amount <= 0) throw http_error(400, "amount_cents must be positive");

  if (auto answer = claim_or_answer(keys_, key)) return std::move(*answer);
  claim_guard claim(keys_, key);
  std::int64_t id = 0;
  {
    std::lock_guard lock(db_.mutex());
    statement s(db_.handle(),
                "INSERT INTO charges(order_id, amount_cents, reference, status) "
                "VALUES (?, ?, ?, 'captured')");
    s.bind(1, order_id).bind(2, amount).bind(3, reference);
    s.step();
    id = db_.last_insert_id();
  }
  const json::object charge{{"id", id},
                            {"order_id", order_id},
                            {"amount_cents", amount},
                            {"reference", reference},
                            {"status", "captured"}};
  response res = json_response(201, charge);
  claim.finish(201, res.body());
  return res;
}

response payments_service::list_charges(const request& req) {
  const auto reference = query_param(req.target(), "reference");
  const auto order_id = query_param(req.target(), "order_id");
  if (!reference && !order_id) throw http_error(400, "give ?reference=R or ?order_id=N");
  json::array charges;
  std::lock_guard lock(db_.mutex());
  if (reference) {
    statement s(db_.handle(),
                "SELECT id, order_id, amount_cents, reference, status FROM charges "
                "WHERE reference = ? ORDER BY id");
    s.bind(1, *reference);
    while (s.step())
      charges.push_back(charge_json(s));
  } else {
    std::int64_t id = 0;
    try {
      id = std::stoll(*order_id);
    } catch (const std::exception&) {
      throw http_error(400, "order_id must be an integer");
    }
    statement s(db_.handle(),
                "SELECT id, order_id, amount_cents, reference, status FROM charges "
                "WHERE order_id = ? ORDER BY id");
    s.bind(1, id);
    while (s.step())
      charges.push_back(charge_json(s));
  }
  const auto count = static_cast<std::int64_t>(charges.size());
  return json_response(200, json::object{{"count", count}, {"charges", std::move(charges)}});
}

}  // namespace ordeal::targets::demo
