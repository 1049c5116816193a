// Accounts and transfers: the bank whose total must never change.
#include <thread>

#include "shop_service.hpp"

namespace ordeal::targets::demo {

namespace {

json::object account_json(const statement& s) {
  return json::object{
      {"id", s.int_column(0)}, {"name", s.text_column(1)}, {"balance_cents", s.int_column(2)}};
}

// The balance of an account; 404 when it does not exist. The db lock is held.
std::int64_t balance_of(sqlite_db& db, std::int64_t id) {
  statement s(db.handle(), "SELECT balance_cents FROM accounts WHERE id = ?");
  s.bind(1, id);
  if (!s.step()) throw http_error(404, "account " + std::to_string(id) + " not found");
  return s.int_column(0);
}

void set_balance(sqlite_db& db, std::int64_t id, std::int64_t balance) {
  statement s(db.handle(), "UPDATE accounts SET balance_cents = ? WHERE id = ?");
  s.bind(1, balance).bind(2, id);
  s.step();
}

std::int64_t record_transfer(sqlite_db& db, std::int64_t from, std::int64_t to, std::int64_t amount,
                             const std::string& key) {
  statement s(db.handle(),
              "INSERT INTO transfers(from_id, to_id, amount_cents, idem_key) VALUES (?, ?, ?, ?)");
  s.bind(1, from).bind(2, to).bind(3, amount).bind(4, key);
  s.step();
  return db.last_insert_id();
}

response transfer_created(std::int64_t id, std::int64_t from, std::int64_t to,
                          std::int64_t amount) {
  return json_response(
      201, json::object{{"id", id}, {"from", from}, {"to", to}, {"amount_cents", amount}});
}

}  // namespace

response shop_service::create_account(const request& req) {
  const auto body = parse_object(req);
  const auto name = string_field(body, "name");
  const auto balance = int_field(body, "balance_cents");
  if (balance < 0) throw http_error(400, "balance_cents must not be negative");
  std::lock_guard lock(db_.mutex());
  statement s(db_.handle(), "INSERT INTO accounts(name, balance_cents) VALUES (?, ?)");
  s.bind(1, name).bind(2, balance);
  s.step();
  return json_response(
      201, json::object{{"id", db_.last_insert_id()}, {"name", name}, {"balance_cents", balance}});
}

response shop_service::get_account(std::int64_t id) {
  std::lock_guard lock(db_.mutex());
  statement s(db_.handle(), "SELECT id, name, balance_cents FROM accounts WHERE id = ?");
  s.bind(1, id);
  if (!s.step()) throw http_error(404, "account " + std::to_string(id) + " not found");
  return json_response(200, account_json(s));
}

response shop_service::list_accounts() {
  json::array accounts;
  std::int64_t total = 0;
  {
    std::lock_guard lock(db_.mutex());
    statement s(db_.handle(), "SELECT id, name, balance_cents FROM accounts ORDER BY id");
    while (s.step()) {
      total += s.int_column(2);
      accounts.push_back(account_json(s));
    }
  }
  return json_response(200,
                       json::object{{"accounts", std::move(accounts)}, {"total_cents", total}});
}

response shop_service::create_transfer(const request& req) {
  const auto body = parse_object(req);
  const auto from = int_field(body, "from");
  const auto to = int_field(body, "to");
  const auto amount = int_field(body, "amount_cents");
  if (amount <= 0) throw http_error(400, "amount_cents must be positive");
  if (from == to) throw http_error(400, "from and to must be different accounts");

  const std::string key = header(req, "Idempotency-Key");
  if (key.empty()) return transfer(from, to, amount, key);
  const std::string scoped = "transfers:" + key;
  if (auto answer = claim_or_answer(keys_, scoped)) return std::move(*answer);
  claim_guard claim(keys_, scoped);
  response res = transfer(from, to, amount, key);
  // Definite outcomes are kept (done, or refused for funds); a 404 leaves the key unused.
  if (res.result_int() == 201 || res.result_int() == 409)
    claim.finish(res.result_int(), res.body());
  return res;
}

response shop_service::transfer(std::int64_t from, std::int64_t to, std::int64_t amount,
                                const std::string& key) {
  if (config_.bugs.lost_update) return transfer_unlocked(from, to, amount, key);
  std::lock_guard lock(db_.mutex());
  transaction tx(db_);  // BEGIN IMMEDIATE: the write lock before the reads
  const auto from_balance = balance_of(db_, from);
  const auto to_balance = balance_of(db_, to);
  if (from_balance < amount) return error_response(409, "insufficient funds");
  set_balance(db_, from, from_balance - amount);
  set_balance(db_, to, to_balance + amount);
  const auto id = record_transfer(db_, from, to, amount, key);
  tx.commit();
  return transfer_created(id, from, to, amount);
}

// The lost-update bug: read, think, write back, with nothing held in between; two
// transfers touching one account overwrite each other and money appears or vanishes.
response shop_service::transfer_unlocked(std::int64_t from, std::int64_t to, std::int64_t amount,
                                         const std::string& key) {
  std::int64_t from_balance = 0;
  std::int64_t to_balance = 0;
  {
    std::lock_guard lock(db_.mutex());
    from_balance = balance_of(db_, from);
    to_balance = balance_of(db_, to);
  }
  if (from_balance < amount) return error_response(409, "insufficient funds");
  std::this_thread::sleep_for(std::chrono::milliseconds{2});
  std::lock_guard lock(db_.mutex());
  set_balance(db_, from, from_balance - amount);
  set_balance(db_, to, to_balance + amount);
  return transfer_created(record_transfer(db_, from, to, amount, key), from, to, amount);
}

response shop_service::list_transfers(const request& req) {
  const auto key = query_param(req.target(), "key");
  json::array transfers;
  {
    std::lock_guard lock(db_.mutex());
    statement s(db_.handle(),
                key ? "SELECT id, from_id, to_id, amount_cents FROM transfers WHERE idem_key = ? "
                      "ORDER BY id"
                    : "SELECT id, from_id, to_id, amount_cents FROM transfers ORDER BY id");
    if (key) s.bind(1, *key);
    while (s.step()) {
      transfers.push_back(json::object{{"id", s.int_column(0)},
                                       {"from", s.int_column(1)},
                                       {"to", s.int_column(2)},
                                       {"amount_cents", s.int_column(3)}});
    }
  }
  const auto count = static_cast<std::int64_t>(transfers.size());
  return json_response(200, json::object{{"transfers", std::move(transfers)}, {"count", count}});
}

}  // namespace ordeal::targets::demo
