#include "planted_store.hpp"

#include <boost/json/serialize.hpp>
#include <utility>

namespace ordeal::planted {

store::store() {
  for (int id = 1; id <= account_count; ++id)
    balances_[id] = initial_balance;
}

store::claim_result store::claim(const std::string& key) {
  std::lock_guard lock(mutex_);
  const auto [it, inserted] = records_.try_emplace(key);
  if (inserted) return {claim_state::claimed, {}};
  if (!it->second) return {claim_state::in_flight, {}};
  return {claim_state::finished, *it->second};
}

void store::finish(const std::string& key, stored_response response) {
  std::lock_guard lock(mutex_);
  records_[key] = std::move(response);
}

store::transfer_outcome store::transfer(const std::string& key, int from, int to,
                                        std::int64_t amount) {
  std::lock_guard lock(mutex_);
  const auto source = balances_.find(from);
  const auto destination = balances_.find(to);
  if (source == balances_.end() || destination == balances_.end())
    return transfer_outcome::unknown_account;
  if (source->second < amount) return transfer_outcome::insufficient_funds;
  source->second -= amount;
  destination->second += amount;
  ++effects_[key];
  return transfer_outcome::done;
}

std::uint64_t store::effects(const std::string& key) const {
  std::lock_guard lock(mutex_);
  const auto it = effects_.find(key);
  return it == effects_.end() ? 0 : it->second;
}

std::vector<store::account> store::accounts() const {
  std::lock_guard lock(mutex_);
  std::vector<account> all;
  for (const auto& [id, balance] : balances_)
    all.push_back({id, balance});
  return all;
}

std::uint64_t store::next_transfer_id() {
  std::lock_guard lock(mutex_);
  return ++transfers_;
}

std::int64_t store::increment() {
  std::lock_guard lock(mutex_);
  return ++counter_;
}

std::int64_t store::counter() const {
  std::lock_guard lock(mutex_);
  return counter_;
}

void store::set_counter(std::int64_t value) {
  std::lock_guard lock(mutex_);
  counter_ = value;
}

void store::add_item(const boost::json::value& id) {
  std::lock_guard lock(mutex_);
  if (item_keys_.insert(boost::json::serialize(id)).second) items_.push_back(id);
}

std::uint64_t store::next_item_write() {
  std::lock_guard lock(mutex_);
  return ++item_writes_;
}

boost::json::array store::items() const {
  std::lock_guard lock(mutex_);
  return items_;
}

std::uint64_t store::next_order_id() {
  std::lock_guard lock(mutex_);
  return ++orders_;
}

std::uint64_t store::next_search() {
  std::lock_guard lock(mutex_);
  return ++searches_;
}

}  // namespace ordeal::planted
