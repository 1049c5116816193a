#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace ordeal::planted {

// The planted target's state: bank accounts, idempotency records, a counter, a set of items
// and order ids. Every member function is thread-safe (one mutex: the target is small and its
// correctness, not its speed, is what the tests look at). The bugs live in the endpoints; the
// store only offers the pieces a correct and a buggy endpoint are made of.
class store {
 public:
  static constexpr int account_count = 10;
  static constexpr std::int64_t initial_balance = 100;  // so the total is 1000

  store();

  // --- idempotency records ---
  // A response stored for a key, to be handed out again to its repeats.
  struct stored_response {
    unsigned status = 0;
    std::string body;
  };
  enum class claim_state { claimed, in_flight, finished };
  struct claim_result {
    claim_state state = claim_state::claimed;
    stored_response response;  // when finished
  };
  // Claims `key` for execution: `claimed` the first time (the caller executes, then calls
  // finish), `in_flight` while that execution runs, `finished` (with its response) after.
  claim_result claim(const std::string& key);
  void finish(const std::string& key, stored_response response);

  // --- bank ---
  struct account {
    int id = 0;
    std::int64_t balance = 0;
  };
  enum class transfer_outcome { done, unknown_account, insufficient_funds };
  // Moves `amount` from one account to the other atomically, and counts one effect for `key`
  // when it did.
  transfer_outcome transfer(const std::string& key, int from, int to, std::int64_t amount);
  std::uint64_t effects(const std::string& key) const;  // transfers executed for `key`
  std::vector<account> accounts() const;
  std::uint64_t next_transfer_id();

  // --- counter ---
  std::int64_t increment();  // atomic read-modify-write; returns the new value
  std::int64_t counter() const;
  void set_counter(std::int64_t value);  // the write half of a racy read-modify-write

  // --- items (a set of JSON numbers or strings) ---
  void add_item(const boost::json::value& id);
  std::uint64_t next_item_write();  // 1, 2, ...: numbers every POST /items in arrival order
  boost::json::array items() const;

  // --- orders ---
  std::uint64_t next_order_id();

  // --- search ---
  std::uint64_t next_search();  // 1, 2, ...

 private:
  mutable std::mutex mutex_;
  std::map<int, std::int64_t> balances_;
  std::unordered_map<std::string, std::optional<stored_response>> records_;  // empty: in flight
  std::unordered_map<std::string, std::uint64_t> effects_;
  std::uint64_t transfers_ = 0;
  std::int64_t counter_ = 0;
  std::set<std::string> item_keys_;  // serialized ids, for uniqueness
  boost::json::array items_;         // in insertion order
  std::uint64_t item_writes_ = 0;
  std::uint64_t orders_ = 0;
  std::uint64_t searches_ = 0;
};

}  // namespace ordeal::planted
