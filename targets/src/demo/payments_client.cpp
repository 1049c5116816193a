#include "payments_client.hpp"

#include <atomic>
#include <random>
#include <thread>

namespace ordeal::targets::demo {

namespace {

std::string fresh_key(const std::string& client_key) {
  static std::atomic<std::uint64_t> counter{0};
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return client_key + "#attempt-" + std::to_string(++counter) + "-" + std::to_string(rng());
}

}  // namespace

payments_client::payments_client(http_endpoint to, std::chrono::milliseconds timeout,
                                 unsigned retries, bool fresh_key_per_attempt)
    : to_(std::move(to)),
      timeout_(timeout),
      retries_(retries),
      fresh_key_per_attempt_(fresh_key_per_attempt) {}

charge_outcome payments_client::charge(std::int64_t order_id, std::int64_t amount_cents,
                                       const std::string& client_key) {
  const std::string body = json::serialize(json::object{
      {"order_id", order_id}, {"amount_cents", amount_cents}, {"reference", client_key}});
  charge_outcome out;
  std::chrono::milliseconds backoff{50};
  for (unsigned attempt = 0; attempt <= retries_; ++attempt) {
    if (attempt > 0) {
      std::this_thread::sleep_for(backoff);
      backoff *= 2;
    }
    const std::string key = fresh_key_per_attempt_ ? fresh_key(client_key) : client_key;
    const auto r =
        http_call(to_, http::verb::post, "/charges", body, {{"Idempotency-Key", key}}, timeout_);
    if (!r.ec && (r.status == 200 || r.status == 201)) {
      boost::system::error_code ec;
      const auto v = json::parse(r.body, ec);
      const auto* id = (!ec && v.is_object()) ? v.as_object().if_contains("id") : nullptr;
      if (id && id->is_int64()) {
        out.ok = true;
        out.charge_id = id->as_int64();
        return out;
      }
      out.error = "payments answered " + std::to_string(r.status) + " without a charge id";
      return out;
    }
    const bool retryable = r.ec || r.status >= 500 || r.status == 409;
    out.error = "payments: " + r.describe() +
                (r.ec || r.body.empty() ? std::string() : " " + r.body) + " after " +
                std::to_string(attempt + 1) + (attempt == 0 ? " attempt" : " attempts");
    if (!retryable) return out;
  }
  return out;
}

std::string payments_client::health(std::chrono::milliseconds timeout) {
  const auto r = http_call(to_, http::verb::get, "/health", "", {}, timeout);
  if (!r.ec && r.status == 200) return "ok";
  return r.describe();
}

}  // namespace ordeal::targets::demo
