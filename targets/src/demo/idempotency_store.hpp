#pragma once

#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "json_io.hpp"
#include "sqlite_db.hpp"

// Idempotency keys: the first request with a key runs and its response is stored (in the
// database, so a restarted process replays it too); the same key again gets the stored
// response; the same key while the first is still running gets 409.
namespace ordeal::targets::demo {

struct stored_response {
  unsigned status = 0;
  std::string body;
};

class idempotency_store {
 public:
  // Creates the table if needed.
  explicit idempotency_store(sqlite_db& db);

  enum class claim_state { claimed, in_flight, replay };
  // On `replay`, `stored` holds the response to send again.
  claim_state claim(const std::string& key, stored_response& stored);
  // Stores the response of a claimed key and releases it.
  void finish(const std::string& key, unsigned status, const std::string& body);
  // Releases a claimed key without storing anything (a 5xx: the client may try again).
  void release(const std::string& key);

 private:
  sqlite_db& db_;
  std::mutex mutex_;  // guards in_flight_; taken before the database's
  std::set<std::string> in_flight_;
};

// Claims `key` for the request about to run. A key already answered gets its stored response
// again, a key still running gets 409: that response is returned, to send as it is. nullopt: the
// key is now claimed; run the request, holding a claim_guard.
std::optional<response> claim_or_answer(idempotency_store& store, const std::string& key);

// Releases a claimed key unless finished (a handler that throws).
class claim_guard {
 public:
  claim_guard(idempotency_store& store, std::string key) : store_(store), key_(std::move(key)) {}
  ~claim_guard() {
    if (!done_) store_.release(key_);
  }
  claim_guard(const claim_guard&) = delete;
  claim_guard& operator=(const claim_guard&) = delete;
  void finish(unsigned status, const std::string& body) {
    store_.finish(key_, status, body);
    done_ = true;
  }

 private:
  idempotency_store& store_;
  std::string key_;
  bool done_ = false;
};

}  // namespace ordeal::targets::demo
