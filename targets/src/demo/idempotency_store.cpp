#include "idempotency_store.hpp"

namespace ordeal::targets::demo {

idempotency_store::idempotency_store(sqlite_db& db) : db_(db) {
  std::lock_guard lock(db_.mutex());
  db_.exec(
      "CREATE TABLE IF NOT EXISTS idempotency(key TEXT PRIMARY KEY, status INTEGER NOT NULL, "
      "body TEXT NOT NULL)");
}

idempotency_store::claim_state idempotency_store::claim(const std::string& key,
                                                        stored_response& stored) {
  std::lock_guard lock(mutex_);
  if (in_flight_.count(key)) return claim_state::in_flight;
  {
    std::lock_guard db_lock(db_.mutex());
    statement s(db_.handle(), "SELECT status, body FROM idempotency WHERE key = ?");
    s.bind(1, key);
    if (s.step()) {
      stored.status = static_cast<unsigned>(s.int_column(0));
      stored.body = s.text_column(1);
      return claim_state::replay;
    }
  }
  in_flight_.insert(key);
  return claim_state::claimed;
}

void idempotency_store::finish(const std::string& key, unsigned status, const std::string& body) {
  std::lock_guard lock(mutex_);
  try {
    std::lock_guard db_lock(db_.mutex());
    statement s(db_.handle(),
                "INSERT OR REPLACE INTO idempotency(key, status, body) VALUES (?, ?, ?)");
    s.bind(1, key).bind(2, static_cast<std::int64_t>(status)).bind(3, body);
    s.step();
  } catch (...) {
    in_flight_.erase(key);  // never leave a key stuck in flight
    throw;
  }
  in_flight_.erase(key);
}

void idempotency_store::release(const std::string& key) {
  std::lock_guard lock(mutex_);
  in_flight_.erase(key);
}

std::optional<response> claim_or_answer(idempotency_store& store, const std::string& key) {
  stored_response stored;
  switch (store.claim(key, stored)) {
    case idempotency_store::claim_state::replay:
      return replayed_response(stored.status, std::move(stored.body));
    case idempotency_store::claim_state::in_flight:
      return error_response(409, "a request with this Idempotency-Key is in progress");
    case idempotency_store::claim_state::claimed:
      break;
  }
  return std::nullopt;
}

}  // namespace ordeal::targets::demo
