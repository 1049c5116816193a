#include "planted_endpoints.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace ordeal::planted {
namespace {

namespace net = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

response make_response(const request& req, http::status status, const json::value& body) {
  response res{status, req.version()};
  res.set(http::field::content_type, "application/json");
  res.body() = json::serialize(body);
  return res;
}

response error(const request& req, http::status status, std::string message) {
  return make_response(req, status, json::object{{"error", std::move(message)}});
}

net::awaitable<void> wait(std::chrono::microseconds d) {
  net::steady_timer timer(co_await net::this_coro::executor, d);
  co_await timer.async_wait(net::as_tuple(net::use_awaitable));
}

// A few milliseconds of "processing", so that concurrent requests really overlap.
std::chrono::microseconds processing_delay() {
  thread_local std::mt19937 random{std::random_device{}()};
  return std::chrono::microseconds{std::uniform_int_distribution<int>(1000, 5000)(random)};
}

// ISO 8601 UTC with microseconds: differs from one response to the next (a volatile field).
std::string now_iso8601() {
  const auto now = std::chrono::system_clock::now();
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(us / 1'000'000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[96];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<long long>(us % 1'000'000));
  return text;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_digit(s[i + 1]) >= 0 && hex_digit(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]));
      i += 2;
    } else {
      out += s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

// The value of `name` in the query string, decoded; nullopt when absent.
std::optional<std::string> query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) != name) continue;
    return eq == std::string_view::npos ? std::string{} : percent_decode(pair.substr(eq + 1));
  }
  return std::nullopt;
}

// A whole number (JSON integer, or a float with no fraction as some encoders write them).
std::optional<std::int64_t> whole_number(const json::value* v) {
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(v->as_uint64());
  if (v->is_double() && std::trunc(v->as_double()) == v->as_double() &&
      std::abs(v->as_double()) < 9e15)
    return static_cast<std::int64_t>(v->as_double());
  return std::nullopt;
}

// The request body as a JSON object, or the message of a 400 in `problem`.
std::optional<json::object> json_object_body(const request& req, std::string& problem) {
  boost::system::error_code ec;
  json::value v = json::parse(req.body(), ec);
  if (ec) {
    problem = "malformed JSON body: " + ec.message();
    return std::nullopt;
  }
  if (!v.is_object()) {
    problem = "expected a JSON object as the body";
    return std::nullopt;
  }
  return std::move(v.as_object());
}

// --- POST /transfers ---------------------------------------------------------------------

net::awaitable<response> post_transfer(const request& req, app& a) {
  const auto key_field = req.find("Idempotency-Key");
  if (key_field == req.end() || key_field->value().empty())
    co_return error(req, http::status::bad_request, "missing Idempotency-Key header");
  const std::string key(key_field->value());
  std::string problem;
  const auto body = json_object_body(req, problem);
  if (!body) co_return error(req, http::status::bad_request, problem);
  const auto from = whole_number(body->if_contains("from"));
  const auto to = whole_number(body->if_contains("to"));
  const auto amount = whole_number(body->if_contains("amount"));
  if (!from || !to || !amount)
    co_return error(req, http::status::bad_request,
                    "expected whole numbers \"from\", \"to\" and \"amount\"");
  if (*amount <= 0) co_return error(req, http::status::bad_request, "amount must be positive");
  if (*from == *to) co_return error(req, http::status::bad_request, "from and to must differ");

  if (!a.bugs.ignore_idempotency_key) {
    const auto claim = a.state.claim(key);
    if (claim.state == store::claim_state::in_flight)
      co_return error(req, http::status::conflict,
                      "a request with this Idempotency-Key is still being processed");
    if (claim.state == store::claim_state::finished) {
      // The stored answer again; only created_at is made anew (volatile on purpose).
      response res{static_cast<http::status>(claim.response.status), req.version()};
      res.set(http::field::content_type, "application/json");
      json::value stored = json::parse(claim.response.body);
      if (stored.is_object() && stored.as_object().contains("created_at"))
        stored.as_object()["created_at"] = now_iso8601();
      res.body() = json::serialize(stored);
      co_return res;
    }
  }

  co_await wait(processing_delay());
  const auto outcome =
      a.state.transfer(key, static_cast<int>(*from), static_cast<int>(*to), *amount);
  response res;
  if (outcome == store::transfer_outcome::done) {
    res = make_response(req, http::status::created,
                        json::object{{"id", "t-" + std::to_string(a.state.next_transfer_id())},
                                     {"key", key},
                                     {"amount", *amount},
                                     {"created_at", now_iso8601()}});
  } else {
    res = error(req, http::status::unprocessable_entity,
                outcome == store::transfer_outcome::unknown_account ? "unknown account"
                                                                    : "insufficient funds");
  }
  if (!a.bugs.ignore_idempotency_key)
    a.state.finish(key, {static_cast<unsigned>(res.result_int()), res.body()});
  co_return res;
}

response get_transfers(const request& req, std::string_view query, app& a) {
  const auto key = query_param(query, "key");
  if (!key) return error(req, http::status::bad_request, "missing query parameter key");
  return make_response(req, http::status::ok, json::object{{"count", a.state.effects(*key)}});
}

response get_accounts(const request& req, app& a) {
  json::array accounts;
  for (const auto& account : a.state.accounts())
    accounts.push_back(json::object{{"id", account.id}, {"balance", account.balance}});
  return make_response(req, http::status::ok, accounts);
}

// --- counter -----------------------------------------------------------------------------

net::awaitable<response> post_counter_incr(const request& req, app& a) {
  std::int64_t value = 0;
  if (a.bugs.lost_update) {
    // Read, think, write: concurrent increments overwrite each other.
    const auto read = a.state.counter();
    co_await wait(1ms);
    value = read + 1;
    a.state.set_counter(value);
  } else {
    value = a.state.increment();
  }
  co_return make_response(req, http::status::ok, json::object{{"value", value}});
}

// --- items -------------------------------------------------------------------------------

response post_item(const request& req, app& a) {
  std::string problem;
  const auto body = json_object_body(req, problem);
  if (!body) return error(req, http::status::bad_request, problem);
  const auto* id = body->if_contains("id");
  if (id == nullptr || !(id->is_number() || id->is_string()))
    return error(req, http::status::bad_request, "expected \"id\": a number or a string");
  const auto write = a.state.next_item_write();
  if (!(a.bugs.unstored_writes && write % 7 == 0)) a.state.add_item(*id);
  return make_response(req, http::status::created, json::object{{"id", *id}});
}

// --- orders and search ---------------------------------------------------------------------

response post_order(const request& req, app& a) {
  if (!req.body().empty()) {
    std::string problem;
    if (!json_object_body(req, problem)) return error(req, http::status::bad_request, problem);
  }
  return make_response(req, http::status::created, json::object{{"id", a.state.next_order_id()}});
}

net::awaitable<response> get_search(const request& req, app& a) {
  const auto n = a.state.next_search();
  if (a.bugs.slow_path && n % 20 == 0) co_await wait(400ms);
  co_return make_response(req, http::status::ok, json::object{{"results", json::array{}}});
}

}  // namespace

net::awaitable<response> handle(const request& req, app& a) {
  const std::string_view target = req.target();
  const auto question = target.find('?');
  const auto path = target.substr(0, question);
  const auto query =
      question == std::string_view::npos ? std::string_view{} : target.substr(question + 1);
  const auto method = req.method();

  if (method == http::verb::post && path == "/transfers") co_return co_await post_transfer(req, a);
  if (method == http::verb::get && path == "/transfers") co_return get_transfers(req, query, a);
  if (method == http::verb::get && path == "/accounts") co_return get_accounts(req, a);
  if (method == http::verb::post && path == "/counter/incr")
    co_return co_await post_counter_incr(req, a);
  if (method == http::verb::get && path == "/counter")
    co_return make_response(req, http::status::ok, json::object{{"value", a.state.counter()}});
  if (method == http::verb::post && path == "/items") co_return post_item(req, a);
  if (method == http::verb::get && path == "/items")
    co_return make_response(req, http::status::ok, json::object{{"ids", a.state.items()}});
  if (method == http::verb::post && path == "/orders") co_return post_order(req, a);
  if (method == http::verb::get && path == "/search") co_return co_await get_search(req, a);
  co_return error(
      req, http::status::not_found,
      "no such endpoint: " + std::string(req.method_string()) + " " + std::string(path));
}

}  // namespace ordeal::planted
