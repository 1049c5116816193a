#include "transfer_server.hpp"

#include <cctype>
#include <map>
#include <mutex>

namespace ordeal::test {

using clock_type = std::chrono::steady_clock;

struct transfer_server::state {
  transfer_server_options options;
  clock_type::time_point started = clock_type::now();
  mutable std::mutex mutex;
  struct entry {
    clock_type::time_point done_at{};
    unsigned status = 201;
    std::string body;  // a JSON object's members, without "served_at" and the braces
  };
  std::map<std::string, entry> by_key;           // the first transfer of each key
  std::map<std::string, std::uint64_t> created;  // transfers per key
  std::uint64_t transfers = 0;
  std::uint64_t replays = 0;
  std::uint64_t conflicts = 0;
  std::uint64_t lost_answers = 0;

  std::int64_t now_us() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - started)
        .count();
  }

  // {members, "served_at": now}: the members say what happened, served_at when it was said.
  canned_response answer(unsigned status, const std::string& members,
                         std::chrono::milliseconds delay) {
    canned_response c;
    c.status = status;
    const auto served = std::to_string(now_us());
    c.headers = {{"Content-Type", "application/json"}, {"X-Served-At", served}};
    c.body = "{" + members + ",\"served_at\":" + served + "}";
    c.delay = delay;
    return c;
  }

  // The digits after "amount": in a JSON request body ("0" when there are none).
  static std::string amount_of(const std::string& body) {
    auto at = body.find("\"amount\"");
    std::string digits;
    if (at == std::string::npos) return "0";
    at = body.find(':', at);
    while (at != std::string::npos && ++at < body.size() &&
           (body[at] == ' ' || std::isdigit(static_cast<unsigned char>(body[at]))))
      if (body[at] != ' ') digits += body[at];
    return digits.empty() ? "0" : digits;
  }

  canned_response handle(const recorded_request& q) {
    std::lock_guard lock(mutex);
    const auto query = q.target.find('?');
    const std::string path = q.target.substr(0, query);
    if (q.method == "GET" && path == "/transfers" && query != std::string::npos &&
        q.target.compare(query, 5, "?key=") == 0) {
      const auto it = created.find(q.target.substr(query + 5));
      canned_response c;
      c.headers = {{"Content-Type", "application/json"}};
      c.body = "{\"count\":" + std::to_string(it == created.end() ? 0 : it->second) + "}";
      return c;
    }
    if (q.method != "POST" || path != "/transfers") {
      canned_response c;
      c.status = 404;
      c.body = "no such endpoint";
      return c;
    }
    const std::string* header = q.header("idempotency-key");
    const std::string key = header ? *header : "";
    const auto known = by_key.find(key);
    if (!options.ignore_key && !key.empty() && known != by_key.end()) {
      if (clock_type::now() < known->second.done_at) {
        ++conflicts;
        return answer(409, "\"error\":\"a request with this key is in progress\"", {});
      }
      ++replays;
      auto c = answer(known->second.status, known->second.body, {});
      c.headers.emplace_back("Idempotent-Replayed", "true");
      return c;
    }
    ++transfers;
    ++created[key];
    // Keys are uuids in these tests: nothing to escape.
    const std::string body = "\"id\":\"t" + std::to_string(transfers) + "\",\"key\":\"" + key +
                             "\",\"amount\":" + amount_of(q.body) +
                             ",\"created_at\":" + std::to_string(now_us());
    entry e;
    e.done_at = clock_type::now() + options.work;
    e.body = body;
    by_key.emplace(key, e);  // a key seen again (ignore_key) keeps its first transfer
    if (options.fail_every != 0 && transfers % options.fail_every == 0) {
      // The transfer happened; the answer says it did not.
      ++lost_answers;
      return answer(503, "\"error\":\"upstream hiccup\"", options.work);
    }
    return answer(201, body, options.work);
  }
};

transfer_server::transfer_server(transfer_server_options options)
    : state_(std::make_shared<state>()) {
  state_->options = options;
  server_ = std::make_unique<recording_server>(
      [s = state_](const recorded_request& q) { return s->handle(q); });
}

transfer_server::~transfer_server() {
  server_->stop();
}

std::uint64_t transfer_server::transfers() const {
  std::lock_guard lock(state_->mutex);
  return state_->transfers;
}

std::uint64_t transfer_server::keys() const {
  std::lock_guard lock(state_->mutex);
  return state_->created.size();
}

std::uint64_t transfer_server::replays() const {
  std::lock_guard lock(state_->mutex);
  return state_->replays;
}

std::uint64_t transfer_server::conflicts() const {
  std::lock_guard lock(state_->mutex);
  return state_->conflicts;
}

std::uint64_t transfer_server::lost_answers() const {
  std::lock_guard lock(state_->mutex);
  return state_->lost_answers;
}

}  // namespace ordeal::test
