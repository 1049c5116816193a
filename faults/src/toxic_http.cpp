#include <atomic>
#include <cstdio>
#include <deque>

#include "http_framing.hpp"
#include "http_match.hpp"
#include "toxic_types.hpp"

// The "http" toxic: faults that act on whole HTTP/1.1 requests (see docs/faults-http.part.md).
// Its request stage (upstream) frames the client's requests, matches them and decides which
// are hit; its response stage (downstream) frames the server's responses, pairs each with the
// request it answers (in order: HTTP/1.1 answers in order) and carries out what was decided
// for it (lose it, pace it), or sends the reply the proxy made up.
//
// What is not hit passes byte for byte. A stream the framers cannot read (not HTTP/1.x, a
// head over 64 KiB, smuggling-prone framing) is passed through unchanged from that point,
// recorded once per connection as "not HTTP/1.1: passing through". A toxic that joins a
// connection mid-stream (a timeline fault begins while a keep-alive connection is open)
// frames from the first request that starts a chunk, and pairs responses from the first
// request it saw.
namespace ordeal::faults {

namespace {

using http::message_framer;
using part = message_framer::part;
using namespace std::chrono_literals;

// Never `if (co_await ...)` here: GCC 12 miscompiles a co_await in a condition (the coroutine
// crashes on resume); the result goes into a variable first.

// After a made-up reply and our FIN, the client has this long to close its side (reading
// what it still sends, so that unread bytes do not turn our close into an RST that destroys
// the reply) before the proxy closes the connection itself.
constexpr auto close_linger = 1s;
constexpr std::size_t max_target_in_event = 200;

enum class lost_reply : std::uint8_t { reset, bad_gateway };

struct http_fault {
  http::request_match match;
  int abort_status = 0;  // 0: no abort
  bool after_upstream = false;
  lost_reply lost = lost_reply::reset;
  std::chrono::nanoseconds delay{};
  double throttle_bytes_per_s = 0;  // 0: none
  std::uint64_t first = 0;          // 0: no limit
  std::uint64_t every = 1;
  double probability = 1.0;
};

// A request sent upstream whose final response has not passed yet.
struct exchange {
  bool head_request = false;     // its response has no body
  bool connect_request = false;  // a 2xx response opens a tunnel
  bool lose_reply = false;       // after-upstream abort: the response is swallowed
  bool throttle = false;         // the response is paced
};

// What a connection's two stages share.
struct connection_state {
  std::uint64_t owner = 0;       // the toxic instance (see state_of)
  std::deque<exchange> pending;  // oldest first
  std::string reply;             // made up by the proxy for the client
  bool reply_waiting = false;    // `reply` goes out once the responses before it have
  bool reply_injected = false;   // `reply` was injected downstream: the connection ends after
  bool reply_sent = false;
  bool client_closed = false;    // the client's FIN came after an abort
  bool requests_opaque = false;  // requests are no longer framed: responses neither, once
                                 // the pending ones have passed
  bool opaque = false;           // nothing is framed any more
  bool noted_not_http = false;
};

std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Content Too Large";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Fault";
  }
}

// A name as it may appear in a header value: printable ASCII only.
std::string header_safe(std::string_view s) {
  std::string out;
  for (const char c : s)
    out += (c >= 0x20 && c < 0x7f) ? c : '_';
  return out;
}

std::string make_reply(int status, bool head_request, std::string_view fault,
                       std::string_view why) {
  const auto reason = reason_phrase(status);
  const bool bodyless = status == 204 || status == 304;
  const std::string name = header_safe(fault);
  const std::string body = std::to_string(status) + " " + std::string(reason) + ": " +
                           std::string(why) + " (ordeal fault \"" + name + "\")\n";
  std::string r = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
  if (!bodyless)
    r += "Content-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  r += "Connection: close\r\nX-Ordeal-Fault: " + name + "\r\n\r\n";
  if (!bodyless && !head_request) r += body;
  return r;
}

std::string format_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

class http_toxic final : public toxic {
 public:
  http_toxic(const toxic_spec& spec, http_fault f)
      : toxic(spec), f_(std::move(f)), instance_(++instances_) {}

  std::unique_ptr<toxic_stage> make_stage(stream_direction d) const override;
  // Drawn per request, by the request stage.
  bool link_draws_toxicity() const noexcept override { return false; }

  const http_fault& fault() const noexcept { return f_; }
  std::uint64_t instance() const noexcept { return instance_; }

  // A request matched: counts it (over the toxic's life, all connections) and decides.
  bool draw(fault_random& r) const {
    const std::uint64_t n = ++matched_;
    if (f_.first != 0 && n > f_.first) return false;
    if (n % f_.every != 0) return false;
    return r.chance(f_.probability * spec().toxicity);
  }

  // What a hit does, for the fault record.
  std::string describe(std::string_view method, std::string_view target) const {
    std::string what = std::string(method) + " ";
    // Bytes past ASCII are percent-encoded: the record is JSON, and must stay valid UTF-8.
    for (const char ch : target.substr(0, max_target_in_event)) {
      const auto b = static_cast<unsigned char>(ch);
      if (b < 0x80) {
        what += ch;
        continue;
      }
      constexpr char hex[] = "0123456789ABCDEF";
      what += {'%', hex[b >> 4], hex[b & 0xf]};
    }
    if (target.size() > max_target_in_event) what += "...";
    std::string done;
    auto add = [&done](const std::string& s) { done += (done.empty() ? "" : ", ") + s; };
    if (f_.delay.count() > 0)
      add("delayed " + format_number(static_cast<double>(f_.delay.count()) / 1e6) + "ms");
    if (f_.abort_status != 0 && !f_.after_upstream)
      add(std::to_string(f_.abort_status) + " before upstream");
    if (f_.abort_status != 0 && f_.after_upstream)
      add(f_.lost == lost_reply::reset ? "reply lost after upstream (reset)"
                                       : "reply lost after upstream (502)");
    if (f_.throttle_bytes_per_s > 0)
      add("response throttled to " + format_number(f_.throttle_bytes_per_s / 1000) + " KB/s");
    return what + ": " + done;
  }

 private:
  http_fault f_;
  // Tells this toxic's connection state from a removed one's that had the same address
  // (proxy_connection keys shared state by the toxic's address).
  std::uint64_t instance_;
  static inline std::atomic<std::uint64_t> instances_{0};
  mutable std::uint64_t matched_ = 0;  // fault thread only
};

std::shared_ptr<connection_state> state_of(stage_context& ctx, const http_toxic& t) {
  auto& slot = ctx.shared_state();
  auto s = std::static_pointer_cast<connection_state>(slot);
  if (!s || s->owner != t.instance()) {
    s = std::make_shared<connection_state>();
    s->owner = t.instance();
    slot = s;
  }
  return s;
}

void note_not_http(connection_state& st, stage_context& ctx) {
  if (st.noted_not_http) return;
  st.noted_not_http = true;
  ctx.record_hit("not HTTP/1.1: passing through");
}

// ---- client -> server ----

class request_stage final : public toxic_stage {
 public:
  explicit request_stage(const http_toxic& t) : t_(t) {}

  void start(stage_context& ctx) override {
    st_ = state_of(ctx, t_);
    syncing_ = ctx.stream_bytes() > 0;
  }

  boost::asio::awaitable<void> on_data(chunk_view c, stage_context& ctx) override {
    if (!st_) start(ctx);
    if (mode_ == mode::dropping) co_return;
    if (mode_ == mode::framing && st_->opaque) {
      // The response side gave up: what the framer holds goes on, then everything.
      mode_ = mode::passing;
      const auto held = framer_.held();
      if (!held.empty()) co_await ctx.forward({held.data(), held.size(), c.read_at, false});
    }
    if (mode_ == mode::passing) {
      co_await ctx.forward(c);
      co_return;
    }
    std::size_t off = 0;
    while (off < c.size && mode_ == mode::framing) {
      const auto before = framer_.current();
      const auto used = framer_.feed(c.data + off, c.size - off);
      const auto piece = c.sub(off, used);
      off += used;
      const auto now = framer_.current();
      if (now == part::error) {
        const auto head = framer_.head();
        if (before == part::head && !head.empty())
          co_await ctx.forward({head.data(), head.size(), c.read_at, false});
        if (before == part::body) co_await ctx.forward(piece);
        if (syncing_) {
          // Joined mid-stream: this chunk was not a request's start; the next may be.
          framer_.next();
          co_await ctx.forward(c.sub(off, c.size - off));
          co_return;
        }
        note_not_http(*st_, ctx);
        mode_ = mode::passing;
        st_->requests_opaque = true;
        break;
      }
      if (before == part::head) {
        if (now == part::head) continue;  // held until the head is whole
        co_await on_head(c, ctx);
      } else {
        co_await ctx.forward(piece);
      }
      if (mode_ == mode::framing && framer_.current() == part::done) end_of_request();
    }
    if (mode_ == mode::passing && off < c.size) co_await ctx.forward(c.sub(off, c.size - off));
  }

  boost::asio::awaitable<void> on_end(stage_context& ctx) override {
    if (!st_) start(ctx);
    if (mode_ == mode::dropping) {
      if (st_->reply_sent) {
        ctx.close_connection();
        co_return;
      }
      st_->client_closed = true;
      if (aborted_before_) co_return;  // the reply goes out, then the connection closes
      co_await ctx.forward_end();      // after upstream: the reply is lost anyway
      co_return;
    }
    // A partial head goes on as it came.
    const auto held = framer_.held();
    if (mode_ == mode::framing && !held.empty())
      co_await ctx.forward({held.data(), held.size(), clock::now(), false});
    co_await ctx.forward_end();
  }

 private:
  enum class mode : std::uint8_t {
    framing,   // requests are framed and matched
    passing,   // everything passes: not HTTP, a tunnel, or the response side gave up
    dropping,  // after an abort: the client's bytes go nowhere
  };

  boost::asio::awaitable<void> on_head(chunk_view c, stage_context& ctx) {
    syncing_ = false;
    const auto& f = t_.fault();
    exchange x;
    x.head_request = framer_.method() == "HEAD";
    x.connect_request = framer_.method() == "CONNECT";
    const bool hit = f.match.matches(framer_) && t_.draw(ctx.random());
    if (hit) {
      ctx.record_hit(t_.describe(framer_.method(), framer_.target()));
      // Cut short (the fault was removed, the connection is closing): goes on at once.
      if (f.delay.count() > 0) co_await ctx.sleep_until(c.read_at + f.delay);
      if (f.abort_status != 0 && !f.after_upstream) {
        co_await abort_before(x, ctx);
        co_return;
      }
      x.lose_reply = f.abort_status != 0;
      x.throttle = f.throttle_bytes_per_s > 0;
      drop_after_ = x.lose_reply;
    }
    st_->pending.push_back(x);
    const auto head = framer_.head();
    co_await ctx.forward({head.data(), head.size(), c.read_at, false});
  }

  // The upstream never sees this request nor any after it; the client gets the status once
  // the responses to the requests before it have passed.
  boost::asio::awaitable<void> abort_before(const exchange& x, stage_context& ctx) {
    mode_ = mode::dropping;
    aborted_before_ = true;
    st_->reply = make_reply(t_.fault().abort_status, x.head_request, t_.spec().name,
                            "refused before reaching the upstream");
    if (!st_->pending.empty()) {
      st_->reply_waiting = true;  // the response stage sends it in turn
      co_return;
    }
    st_->reply_injected = true;
    co_await ctx.inject(stream_direction::downstream, std::move(st_->reply));
  }

  void end_of_request() {
    if (framer_.upgrade()) {
      // CONNECT or Upgrade: whatever the answer, this connection is not framed any more.
      mode_ = mode::passing;
      st_->requests_opaque = true;
      return;
    }
    if (drop_after_) {
      // Its reply will be lost and the connection end: later requests would only add side
      // effects that nobody sees.
      mode_ = mode::dropping;
      return;
    }
    framer_.next();
  }

  const http_toxic& t_;
  std::shared_ptr<connection_state> st_;
  message_framer framer_{message_framer::role::request};
  mode mode_ = mode::framing;
  bool syncing_ = false;  // joined mid-stream: no request framed yet
  bool drop_after_ = false;
  bool aborted_before_ = false;
};

// ---- server -> client ----

class response_stage final : public toxic_stage {
 public:
  explicit response_stage(const http_toxic& t) : t_(t) {}

  void start(stage_context& ctx) override { st_ = state_of(ctx, t_); }

  boost::asio::awaitable<void> on_data(chunk_view c, stage_context& ctx) override {
    if (!st_) start(ctx);
    if (c.injected) {
      co_await ctx.forward(c);
      if (st_->reply_injected) {
        st_->reply_injected = false;
        co_await end_after_reply(ctx);
      }
      co_return;
    }
    if (ending_) co_return;  // after a made-up reply the server's bytes go nowhere
    if (unsynced_ && !st_->pending.empty()) {
      unsynced_ = false;  // a request we framed went up since: its response starts a chunk
      in_message_ = false;
    }
    if (opaque_ || st_->opaque || unsynced_) {
      co_await ctx.forward(c);
      co_return;
    }
    std::size_t off = 0;
    while (off < c.size) {
      if (!in_message_) begin_response();
      const auto before = framer_.current();
      const auto used = framer_.feed(c.data + off, c.size - off);
      const auto piece = c.sub(off, used);
      off += used;
      const auto now = framer_.current();
      if (!cur_.lose_reply) {
        co_await pass(piece, ctx);
      } else if (before == part::head && now == part::done && framer_.interim()) {
        const auto head = framer_.head();  // a 100 Continue the client waits for
        co_await ctx.forward({head.data(), head.size(), c.read_at, false});
      }
      if (now == part::error) {
        if (cur_.lose_reply) {
          co_await lose_reply(ctx);
          co_return;
        }
        if (known_) {
          note_not_http(*st_, ctx);
          st_->opaque = true;
          opaque_ = true;
        } else {
          unsynced_ = true;  // not a response to any request we saw: not ours to judge
        }
        co_await ctx.forward(c.sub(off, c.size - off));
        co_return;
      }
      if (now != part::done) continue;
      if (framer_.interim()) {
        framer_.next(cur_.head_request, cur_.connect_request);
        continue;
      }
      const bool ended = co_await end_of_response(c.read_at, ctx);
      if (ended) co_return;
      if (opaque_) {
        co_await ctx.forward(c.sub(off, c.size - off));
        co_return;
      }
    }
  }

  boost::asio::awaitable<void> on_end(stage_context& ctx) override {
    if (!st_) start(ctx);
    if (ending_) co_return;
    if (in_message_ && !opaque_ && !st_->opaque && !unsynced_) {
      framer_.eof();
      if (framer_.current() == part::done) {
        const bool ended = co_await end_of_response(clock::now(), ctx);
        if (ended) co_return;
      } else if (cur_.lose_reply) {
        co_await lose_reply(ctx);  // cut short: lost all the same
        co_return;
      }
    } else if (!in_message_ && !st_->pending.empty() && st_->pending.front().lose_reply) {
      co_await lose_reply(ctx);  // the server closed without answering it
      co_return;
    }
    co_await ctx.forward_end();
  }

 private:
  void begin_response() {
    known_ = !st_->pending.empty();
    cur_ = known_ ? st_->pending.front() : exchange{};
    framer_.next(cur_.head_request, cur_.connect_request);
    in_message_ = true;
    pacing_ = cur_.throttle;
  }

  // A final response passed (or was swallowed). True when the connection ends here.
  boost::asio::awaitable<bool> end_of_response(clock::time_point read_at, stage_context& ctx) {
    in_message_ = false;
    if (known_) st_->pending.pop_front();
    if (framer_.body() == http::body_kind::tunnel) opaque_ = true;
    if (cur_.lose_reply) {
      co_await lose_reply(ctx);
      co_return true;
    }
    if (st_->pending.empty() && st_->reply_waiting) {
      co_await send_reply(read_at, ctx);
      co_return true;
    }
    if (st_->pending.empty() && st_->requests_opaque) opaque_ = true;
    co_return false;
  }

  // Throttled responses go out at the fault's rate, each piece once its bytes have "crossed"
  // (idle time earns no credit); a piece is at most 100 ms worth.
  boost::asio::awaitable<void> pass(chunk_view piece, stage_context& ctx) {
    if (piece.size == 0) co_return;
    if (!pacing_) {
      co_await ctx.forward(piece);
      co_return;
    }
    const double rate = t_.fault().throttle_bytes_per_s;
    const auto slice = std::max<std::size_t>(1, static_cast<std::size_t>(rate / 10));
    for (std::size_t off = 0; off < piece.size;) {
      const auto n = std::min(slice, piece.size - off);
      next_free_ = std::max(next_free_, clock::now()) +
                   std::chrono::duration_cast<clock::duration>(
                       std::chrono::duration<double>(static_cast<double>(n) / rate));
      const bool waited = co_await ctx.sleep_until(next_free_);
      if (!waited) {
        pacing_ = false;  // removed or closing: the rest at once
        co_await ctx.forward(piece.sub(off, piece.size - off));
        co_return;
      }
      co_await ctx.forward(piece.sub(off, n));
      off += n;
    }
  }

  boost::asio::awaitable<void> lose_reply(stage_context& ctx) {
    ending_ = true;
    if (t_.fault().lost == lost_reply::reset) {
      ctx.reset_connection();
      co_return;
    }
    st_->reply =
        make_reply(502, cur_.head_request, t_.spec().name, "the upstream's reply was lost");
    co_await send_reply(clock::now(), ctx);
  }

  boost::asio::awaitable<void> send_reply(clock::time_point read_at, stage_context& ctx) {
    ending_ = true;
    st_->reply_waiting = false;
    const std::string reply = std::move(st_->reply);
    co_await ctx.forward({reply.data(), reply.size(), read_at, true});
    co_await end_after_reply(ctx);
  }

  // The reply said "Connection: close": FIN after it, then the client's FIN (or the linger)
  // ends the connection.
  boost::asio::awaitable<void> end_after_reply(stage_context& ctx) {
    ending_ = true;
    st_->reply_sent = true;
    co_await ctx.forward_end();
    if (!st_->client_closed) co_await ctx.sleep_until(clock::now() + close_linger);
    ctx.close_connection();
  }

  const http_toxic& t_;
  std::shared_ptr<connection_state> st_;
  message_framer framer_{message_framer::role::response};
  exchange cur_;
  bool known_ = false;       // cur_ is a request we framed (else: unsolicited, or sent
                             // before the toxic joined)
  bool in_message_ = false;  // framer_ is set up for cur_
  bool unsynced_ = false;    // lost the thread on an unknown response: pass until a request
  bool opaque_ = false;
  bool ending_ = false;
  bool pacing_ = false;
  clock::time_point next_free_{};
};

std::unique_ptr<toxic_stage> http_toxic::make_stage(stream_direction d) const {
  // Both directions, whatever the spec's stream: requests are matched on the way up, their
  // responses acted on on the way down.
  if (d == stream_direction::upstream) return std::make_unique<request_stage>(*this);
  return std::make_unique<response_stage>(*this);
}

}  // namespace

std::shared_ptr<const toxic> build_http(const toxic_spec& spec, attribute_reader& attrs) {
  http_fault f;
  f.match = http::read_match(attrs, "match");
  f.abort_status = static_cast<int>(attrs.integer("abort", 0, 200, 599));
  f.after_upstream = attrs.boolean("after_upstream", false);
  const auto* lost = attrs.raw("lost");
  f.delay = attrs.duration("delay", {});
  const auto* throttle = attrs.raw("throttle");
  f.throttle_bytes_per_s = attrs.number("throttle", 0, 0, 1e9) * 1000;
  f.first = static_cast<std::uint64_t>(attrs.integer("first", 0, 1, 1'000'000'000'000));
  f.every = static_cast<std::uint64_t>(attrs.integer("every", 1, 1, 1'000'000'000'000));
  f.probability = attrs.number("probability", 1, 0, 1);

  if (lost != nullptr && !lost->is_null()) {
    if (lost->is_string() && lost->get_string() == "reset") {
      f.lost = lost_reply::reset;
    } else if ((lost->is_string() && lost->get_string() == "502") ||
               (lost->is_number() && lost->to_number<double>() == 502)) {
      f.lost = lost_reply::bad_gateway;
    } else {
      attrs.fail("lost", "expected \"reset\" or \"502\"");
    }
    if (!f.after_upstream)
      attrs.fail("lost",
                 "only with after_upstream = true (what the client sees of the reply "
                 "the upstream sent)");
  }
  if (f.after_upstream && f.abort_status == 0)
    attrs.fail("after_upstream",
               "needs abort = <status>: the request reaches the upstream, "
               "then its reply is lost");
  if (throttle != nullptr && !throttle->is_null() && f.throttle_bytes_per_s <= 0)
    attrs.fail("throttle", "expected a rate in KB/s > 0, got 0");
  if (f.throttle_bytes_per_s > 0 && f.abort_status != 0)
    attrs.fail("throttle", "has no effect with abort (the client never gets the response)");
  if (f.abort_status == 0 && f.delay.count() == 0 && f.throttle_bytes_per_s <= 0)
    attrs.fail("abort", "the fault does nothing: give abort, delay or throttle");
  return std::make_shared<http_toxic>(spec, std::move(f));
}

}  // namespace ordeal::faults
