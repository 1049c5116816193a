#include "ordeal/engine/operation.hpp"

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>

namespace ordeal::engine {

namespace asio = boost::asio;

namespace {

// A server may ask for any wait; a run must still end.
constexpr auto max_retry_after = std::chrono::seconds(60);

// splitmix64: one operation's random choices from its seed.
struct op_random {
  std::uint64_t state;
  std::uint64_t next() noexcept {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double uniform01() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  bool chance(double p) noexcept { return p > 0 && uniform01() < p; }
};

// Retry-After in seconds (the HTTP-date form is not honoured: the backoff applies then).
std::optional<std::chrono::nanoseconds> retry_after(const http_response& r) {
  if (r.status != 429 && r.status != 503) return std::nullopt;
  const std::string* v = r.header("retry-after");
  if (v == nullptr) return std::nullopt;
  unsigned long long seconds = 0;
  const auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), seconds);
  if (ec != std::errc() || p != v->data() + v->size()) return std::nullopt;
  return std::min<std::chrono::nanoseconds>(std::chrono::seconds(std::min(seconds, 3600ull)),
                                            max_retry_after);
}

}  // namespace

std::string_view to_string(attempt_kind k) noexcept {
  switch (k) {
    case attempt_kind::first:
      return "first";
    case attempt_kind::retry:
      return "retry";
    case attempt_kind::duplicate:
      return "duplicate";
  }
  return "unknown";
}

std::string_view to_string(attempt_verdict v) noexcept {
  switch (v) {
    case attempt_verdict::ok:
      return "ok";
    case attempt_verdict::fail:
      return "fail";
    case attempt_verdict::info:
      return "info";
  }
  return "unknown";
}

attempt_verdict verdict_of(const http_response& r) noexcept {
  switch (r.result) {
    case outcome::ok:
      return attempt_verdict::ok;
    case outcome::status:
      // A 4xx is the server refusing the request (validation, conflict, rate limit): it did
      // not happen. A 5xx may have come after the work was done.
      return r.status < 500 ? attempt_verdict::fail : attempt_verdict::info;
    case outcome::connect:
    case outcome::dropped:
    case outcome::refused:  // the server said so: GOAWAY above last-stream-id, REFUSED_STREAM
      return attempt_verdict::fail;
    case outcome::timeout:
    case outcome::reset:
    case outcome::protocol:
    case outcome::abandoned:
    case outcome::tls:
    case outcome::stream_reset:
      return r.request_sent || r.bytes_sent > 0 ? attempt_verdict::info : attempt_verdict::fail;
  }
  return attempt_verdict::info;
}

bool retry_budget::try_spend(double ratio) noexcept {
  if (static_cast<double>(retries_ + 1) > ratio * static_cast<double>(firsts_) + allowance) {
    ++refused_;
    return false;
  }
  ++retries_;
  return true;
}

std::chrono::nanoseconds backoff_delay(const retry_policy& p, unsigned retry,
                                       double draw) noexcept {
  double d = static_cast<double>(p.base.count());
  switch (p.backoff) {
    case backoff_kind::constant:
      break;
    case backoff_kind::linear:
      d *= retry;
      break;
    case backoff_kind::exponential:
      d *= std::pow(2.0, static_cast<double>(retry - 1));
      break;
  }
  d = std::min(d, static_cast<double>(p.max.count()));
  switch (p.jitter) {
    case jitter_kind::none:
      break;
    case jitter_kind::full:  // uniform in [0, d): spreads a storm of clients the most
      d *= draw;
      break;
    case jitter_kind::equal:  // [d/2, d): never much shorter than the backoff
      d = d / 2 + d / 2 * draw;
      break;
  }
  return std::chrono::nanoseconds(static_cast<std::int64_t>(d));
}

bool retryable(const retry_policy& p, const http_response& r) noexcept {
  if (r.result == outcome::abandoned) return false;  // the user left; nobody retries
  if (r.result == outcome::status) return p.on_statuses.count(r.status) != 0;
  if (r.result == outcome::ok) return p.on_statuses.count(r.status) != 0;
  return p.on_outcomes.count(r.result) != 0;
}

struct operation_runner::copy {
  attempt_kind kind = attempt_kind::first;
  unsigned tries = 0;  // attempts of this copy
  bool started = false;
  std::unique_ptr<asio::steady_timer> timer;
};

struct operation_runner::op {
  operation_spec spec;
  operation_handler done;
  std::uint64_t id = 0;
  op_random random{0};
  unsigned attempts = 0;
  unsigned outstanding = 0;
  bool duplicate_planned = false;
  copy primary;
  copy duplicate;
  operation_result result;
};

operation_runner::operation_runner(asio::io_context& ioc, http_client& client,
                                   attempt_observer observer, std::uint64_t first_operation_id)
    : ioc_(ioc), client_(client), observer_(std::move(observer)), next_id_(first_operation_id) {}

operation_runner::~operation_runner() = default;

void operation_runner::run(operation_spec spec, operation_handler done) {
  auto o = std::make_shared<op>();
  o->spec = std::move(spec);
  o->done = std::move(done);
  o->id = next_id_++;
  o->result.id = o->id;
  o->random.state = o->spec.seed;
  if (!o->spec.idempotency_key.empty()) {
    auto& headers = o->spec.request.headers;
    const bool given = std::any_of(headers.begin(), headers.end(), [](const auto& h) {
      return h.first.size() == 15 &&
             std::equal(h.first.begin(), h.first.end(), "idempotency-key",
                        [](char a, char b) { return std::tolower(a) == b; });
    });
    if (!given) headers.emplace_back("Idempotency-Key", o->spec.idempotency_key);
  }
  ++active_;
  budget_.on_first_attempt();
  o->duplicate_planned = o->random.chance(o->spec.how.duplicate.probability);
  o->duplicate.kind = attempt_kind::duplicate;
  o->outstanding = 1;
  attempt(o, o->primary);
  if (o->duplicate_planned && o->spec.how.duplicate.mode == duplicate_mode::concurrent) {
    ++o->outstanding;
    attempt(o, o->duplicate);
  }
}

void operation_runner::attempt(const std::shared_ptr<op>& o, copy& c) {
  c.started = true;
  ++c.tries;
  ++o->attempts;
  http_request request = o->spec.request;
  // Only the first attempt keeps the schedule's intended start; the others start when sent.
  if (&c != &o->primary || c.tries > 1) request.intended = {};
  if (o->random.chance(o->spec.how.abandon.probability))
    request.abandon = o->spec.how.abandon.after;
  request.slow_body = o->spec.how.trickle;
  const attempt_kind kind = c.tries > 1 ? attempt_kind::retry : c.kind;
  const unsigned number = o->attempts;
  client_.send(std::move(request), [this, o, &c, kind, number](http_response&& r) {
    attempt_record rec;
    rec.operation = o->id;
    rec.attempt = number;
    rec.kind = kind;
    rec.verdict = verdict_of(r);
    rec.name = &o->spec.name;
    rec.key = &o->spec.idempotency_key;
    rec.request = &o->spec.request;
    rec.owner = o->spec.owner;
    if (observer_) observer_(rec, r);
    auto& result = o->result;
    if (result.invoked == clock::time_point{} || r.started < result.invoked)
      result.invoked = r.started;
    result.completed = std::max(result.completed, r.ended);
    if (rec.verdict == attempt_verdict::ok ||
        (rec.verdict == attempt_verdict::info && result.outcome == attempt_verdict::fail))
      result.outcome = rec.verdict;
    on_attempt(o, c, std::move(r));
  });
}

void operation_runner::on_attempt(const std::shared_ptr<op>& o, copy& c, http_response&& r) {
  const retry_policy& p = o->spec.how.retry;
  if (c.tries >= p.attempts || !retryable(p, r)) {
    copy_done(o, c, std::move(r));
    return;
  }
  if (!budget_.try_spend(p.budget)) {
    o->result.retry_refused = true;
    copy_done(o, c, std::move(r));
    return;
  }
  ++o->result.retries;
  auto wait = backoff_delay(p, c.tries, o->random.uniform01());
  if (p.respect_retry_after)
    if (const auto after = retry_after(r)) wait = *after;
  if (!c.timer) c.timer = std::make_unique<asio::steady_timer>(ioc_);
  c.timer->expires_after(wait);
  c.timer->async_wait([this, o, &c](const boost::system::error_code& ec) {
    if (!ec) attempt(o, c);
  });
}

void operation_runner::copy_done(const std::shared_ptr<op>& o, copy& c, http_response&& r) {
  if (&c == &o->primary) {
    o->result.response = std::move(r);
    // A sequential duplicate: the user sends the same thing again once the first is answered.
    if (o->duplicate_planned && !o->duplicate.started) {
      attempt(o, o->duplicate);
      return;
    }
  }
  if (--o->outstanding > 0) return;
  o->result.attempts = o->attempts;
  o->result.duplicates = o->duplicate_planned ? 1 : 0;
  --active_;
  auto done = std::move(o->done);
  if (done) done(std::move(o->result));
}

}  // namespace ordeal::engine
