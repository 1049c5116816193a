// The "http" toxic end to end: a fault proxy with http = true in front of a real HTTP/1.1
// server that records what it receives, and a raw client. Real sockets on 127.0.0.1, port 0;
// every wait bounded.
#include <atomic>
#include <condition_variable>
#include <mutex>

#include "ordeal/engine/http1_parser.hpp"
#include "recording_server.hpp"
#include "relay_harness.hpp"

using namespace ordeal::test::relay_harness;
using ordeal::test::canned_response;
using ordeal::test::recorded_request;
using ordeal::test::recording_server;
namespace faults = ordeal::faults;
using event_kind = ordeal::engine::fault_event::kind;

namespace {

// A request as a client writes it.
std::string request(std::string_view method, std::string_view target, std::string_view headers = {},
                    std::string_view body = {}) {
  std::string r = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n";
  r += headers;
  if (!body.empty() || method == "POST")
    r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  return r + "\r\n" + std::string(body);
}

// One response as the client got it.
struct reply {
  int status = 0;
  std::string bytes;
  bool complete = false;
  bool eof = false;  // the connection ended with a FIN (after `bytes`)
  int error = 0;     // or with an error: ECONNRESET
  bool timed_out = false;
  bool has(std::string_view s) const { return bytes.find(s) != std::string::npos; }
};

// A client connection that reads responses one at a time (engine's HTTP/1.1 parser).
class http_conn {
 public:
  explicit http_conn(const std::string& address) : c_(address) {}
  bool connected() const { return c_.connected(); }
  bool send(std::string_view bytes) { return c_.send_all(bytes, clock::now() + 5s) == 0; }
  void shutdown_send() { c_.shutdown_send(); }

  // The next response (to a HEAD: without a body), or what came before the connection ended.
  reply next(bool head = false, clock::duration timeout = 5s) {
    ordeal::engine::http1_response_parser p;
    p.start(head);
    reply r;
    const auto deadline = clock::now() + timeout;
    for (;;) {
      if (!buf_.empty()) {
        const auto used = p.feed(buf_.data(), buf_.size());
        r.bytes += buf_.substr(0, used);
        buf_.erase(0, used);
      }
      if (p.current() == ordeal::engine::http1_response_parser::state::need_more && ended_ && eof_)
        p.on_eof();
      if (p.current() == ordeal::engine::http1_response_parser::state::complete) {
        r.status = p.status();
        r.complete = true;
        return r;
      }
      if (ended_ || p.current() == ordeal::engine::http1_response_parser::state::error) {
        r.eof = eof_;
        r.error = error_;
        return r;
      }
      const auto got = c_.read(1, deadline);
      buf_ += got.data;
      if (got.eof) eof_ = ended_ = true;
      if (got.error != 0) {
        error_ = got.error;
        ended_ = true;
      }
      if (got.timed_out && got.data.empty()) {
        r.timed_out = true;
        return r;
      }
    }
  }

  // Whatever else comes until the connection ends.
  read_result rest(clock::duration timeout = 5s) {
    read_result r;
    if (!ended_) r = c_.read_to_end(clock::now() + timeout);
    r.data = buf_ + r.data;
    buf_.clear();
    r.eof = r.eof || eof_;
    if (r.error == 0) r.error = error_;
    return r;
  }

 private:
  client c_;
  std::string buf_;
  bool ended_ = false;
  bool eof_ = false;
  int error_ = 0;
};

// Sends one request on a connection of its own and reads the response.
reply one(const std::string& address, const std::string& req, bool head = false) {
  http_conn c(address);
  REQUIRE(c.connected());
  REQUIRE(c.send(req));
  return c.next(head);
}

faults::proxy_spec http_proxy(const std::string& name, const std::string& upstream) {
  faults::proxy_spec p;
  p.name = name;
  p.listen = "127.0.0.1:0";
  p.upstream = upstream;
  p.http = true;
  return p;
}

faults::toxic_spec http_toxic(const std::string& attributes, const std::string& name = "f") {
  return toxic(R"({"name": ")" + name + R"(", "type": "http", "stream": "upstream",
                   "attributes": )" +
               attributes + "}");
}

std::vector<ordeal::engine::fault_event> hits_of(const faults::fault_server& fault) {
  std::vector<ordeal::engine::fault_event> hits;
  for (auto& e : fault.events())
    if (e.what == event_kind::hit) hits.push_back(e);
  return hits;
}

// Proxy "api" (http = true) in front of a recording server; the fault server goes first.
struct http_relay {
  explicit http_relay(ordeal::test::request_handler handler = {}, std::uint64_t seed = 1)
      : server(std::move(handler)), fault(seed) {
    address = fault.add_proxy(http_proxy("api", "127.0.0.1:" + std::to_string(server.port())));
  }
  void add(const std::string& attributes, const std::string& name = "f") {
    fault.add_toxic("api", http_toxic(attributes, name));
  }
  std::vector<std::string> targets() const {
    std::vector<std::string> out;
    for (const auto& r : server.requests())
      out.push_back(r.method + " " + r.target);
    return out;
  }
  std::vector<ordeal::engine::fault_event> hits() const { return hits_of(fault); }

  recording_server server;
  faults::fault_server fault;
  std::string address;
};

// A raw TCP upstream for byte-exact checks. On its first connection, for each step in turn,
// it reads until `until` bytes in all came (or the stream ended), then writes `answer` in
// pieces of `piece` bytes (1 ms apart, so the proxy reads them split); then reads until the
// connection ends.
class raw_upstream {
 public:
  struct step {
    std::size_t until;
    std::string answer;
  };
  raw_upstream(std::size_t expect, std::string answer, std::size_t piece = SIZE_MAX)
      : raw_upstream(std::vector<step>{{expect, std::move(answer)}}, piece) {}
  explicit raw_upstream(std::vector<step> steps, std::size_t piece = SIZE_MAX)
      : steps_(std::move(steps)), piece_(piece) {
    listen_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    if (::bind(listen_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
        ::listen(listen_, 8) != 0 ||
        ::getsockname(listen_, reinterpret_cast<sockaddr*>(&sa), &len) != 0)
      throw std::runtime_error("raw_upstream: cannot listen");
    address_ = "127.0.0.1:" + std::to_string(ntohs(sa.sin_port));
    thread_ = std::thread([this] { run(); });
  }
  ~raw_upstream() {
    stop_ = true;
    thread_.join();
    ::close(listen_);
  }
  raw_upstream(const raw_upstream&) = delete;
  raw_upstream& operator=(const raw_upstream&) = delete;

  const std::string& address() const { return address_; }
  // What the first connection sent before the last answer went out (waits for it).
  std::string received(clock::duration timeout = 5s) {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, timeout, [this] { return done_reading_; });
    return received_;
  }

 private:
  bool wait(int fd, short events, clock::time_point deadline) {
    while (!stop_ && clock::now() < deadline) {
      pollfd p{fd, events, 0};
      if (::poll(&p, 1, 20) > 0) return true;
    }
    return false;
  }

  void run() {
    const auto deadline = clock::now() + 20s;
    if (!wait(listen_, POLLIN, deadline)) return finish({});
    const int fd = ::accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return finish({});
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::string got;
    char buf[16 * 1024];
    for (const auto& s : steps_) {
      while (got.size() < s.until && wait(fd, POLLIN, deadline)) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        got.append(buf, static_cast<std::size_t>(n));
      }
      if (&s == &steps_.back()) finish(got);
      for (std::size_t at = 0; at < s.answer.size() && !stop_; at += piece_) {
        const auto n = std::min(piece_, s.answer.size() - at);
        if (::send(fd, s.answer.data() + at, n, MSG_NOSIGNAL) != static_cast<ssize_t>(n)) break;
        if (n < s.answer.size()) std::this_thread::sleep_for(1ms);
      }
    }
    while (wait(fd, POLLIN, deadline)) {
      if (::recv(fd, buf, sizeof buf, 0) <= 0) break;
    }
    ::close(fd);
  }

  void finish(std::string got) {
    std::lock_guard lock(mutex_);
    received_ = std::move(got);
    done_reading_ = true;
    cv_.notify_all();
  }

  std::vector<step> steps_;
  std::size_t piece_;
  int listen_ = -1;
  std::string address_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable cv_;
  std::string received_;
  bool done_reading_ = false;
  std::thread thread_;
};

// Sends `bytes` in pieces of `piece` bytes, 1 ms apart.
void send_in_pieces(client& c, std::string_view bytes, std::size_t piece) {
  for (std::size_t at = 0; at < bytes.size(); at += piece) {
    REQUIRE(c.send_all(bytes.substr(at, piece), clock::now() + 5s) == 0);
    std::this_thread::sleep_for(1ms);
  }
}

}  // namespace

TEST_CASE("an HTTP fault hits the requests its method, path and header select", "[faults][http]") {
  http_relay r;
  r.add(R"({"match": {"method": "POST", "path": "/pay*", "header": {"X-Tenant": "acme*"}},
            "abort": 503})");
  struct sample {
    std::string req;
    bool hit;
  };
  const std::vector<sample> samples = {
      {request("POST", "/pay/1", "X-Tenant: acme-1\r\n", "{}"), true},
      {request("GET", "/pay/2", "X-Tenant: acme-2\r\n"), false},
      {request("POST", "/orders", "X-Tenant: acme-3\r\n", "{}"), false},
      {request("POST", "/pay/4", "X-Tenant: other\r\n", "{}"), false},
      {request("POST", "/pay/5?x=1", "", "{}"), false},
      // Header names match in any case; values case-sensitively; any of its lines will do.
      {request("POST", "/payments/6?x=1", "x-tenant: ACME\r\nX-TENANT: acme-6\r\n", "{}"), true},
      // Raw UTF-8 in the target: recorded percent-encoded.
      {request("POST", "/pay/\xC3\xA9", "X-Tenant: acme\r\n", "{}"), true},
  };
  for (const auto& s : samples) {
    INFO(s.req);
    const auto got = one(r.address, s.req);
    REQUIRE(got.complete);
    CHECK(got.status == (s.hit ? 503 : 200));
  }
  CHECK(r.targets() ==
        std::vector<std::string>{"GET /pay/2", "POST /orders", "POST /pay/4", "POST /pay/5?x=1"});
  const auto hits = r.hits();
  REQUIRE(hits.size() == 3);
  CHECK(hits[0].detail == "POST /pay/1: 503 before upstream");
  CHECK(hits[1].detail == "POST /payments/6?x=1: 503 before upstream");
  CHECK(hits[2].detail == "POST /pay/%C3%A9: 503 before upstream");
  CHECK(hits[0].type == "http");
  CHECK(hits[0].fault == "f");
  CHECK(hits[0].proxy == "api");
  CHECK(hits[0].connection == 1);
  CHECK(hits[1].connection == 6);
  CHECK_FALSE(hits[0].client.empty());
}

TEST_CASE("an abort before upstream answers the client, the upstream sees nothing",
          "[faults][http]") {
  http_relay r;
  r.add(R"({"match": {"path": "/pay"}, "abort": 503})");

  SECTION("alone") {
    http_conn c(r.address);
    REQUIRE(c.connected());
    REQUIRE(c.send(request("POST", "/pay", "", "amount=5")));
    const auto got = c.next();
    REQUIRE(got.complete);
    CHECK(got.status == 503);
    CHECK(got.has("Connection: close\r\n"));
    CHECK(got.has("ordeal fault \"f\""));
    const auto after = c.rest();
    CHECK(after.eof);
    CHECK(after.error == 0);
    CHECK(after.data.empty());
    CHECK_FALSE(r.server.wait_for_requests(1, 300ms));
  }
  SECTION("after pipelined requests, whose responses come first; later ones are not sent") {
    http_conn c(r.address);
    REQUIRE(c.connected());
    REQUIRE(c.send(request("GET", "/a") + request("POST", "/pay", "", "x") + request("GET", "/b")));
    const auto a = c.next();
    CHECK(a.status == 200);
    const auto pay = c.next();
    CHECK(pay.status == 503);
    CHECK(c.rest().eof);
    std::this_thread::sleep_for(200ms);
    CHECK(r.targets() == std::vector<std::string>{"GET /a"});
  }
  SECTION("to a HEAD request, without a body") {
    const auto got = one(r.address, request("HEAD", "/pay"), true);
    REQUIRE(got.complete);
    CHECK(got.status == 503);
    CHECK(got.bytes.ends_with("\r\n\r\n"));
  }
  SECTION("when the client closed its side right after the request") {
    http_conn c(r.address);
    REQUIRE(c.connected());
    REQUIRE(c.send(request("GET", "/pay")));
    c.shutdown_send();
    const auto got = c.next();
    CHECK(got.status == 503);
    CHECK(c.rest().eof);
  }
}

TEST_CASE("an abort after upstream loses the reply of a request the upstream processed",
          "[faults][http]") {
  http_relay r;
  SECTION("the client sees a reset") {
    r.add(R"({"match": {"method": "POST"}, "abort": 503, "after_upstream": true})");
    http_conn c(r.address);
    REQUIRE(c.connected());
    REQUIRE(c.send(request("POST", "/pay/9", "Idempotency-Key: k9\r\n", "amount=5")));
    const auto got = c.next();
    CHECK_FALSE(got.complete);
    CHECK(got.bytes.empty());
    CHECK(got.error == ECONNRESET);
    // The side effect is in place.
    REQUIRE(r.server.wait_for_requests(1, 2s));
    const auto seen = r.server.requests();
    CHECK(seen[0].target == "/pay/9");
    CHECK(seen[0].body == "amount=5");
    const auto hits = r.hits();
    REQUIRE(hits.size() == 1);
    CHECK(hits[0].detail == "POST /pay/9: reply lost after upstream (reset)");
  }
  SECTION("after a pipelined request, whose response comes first") {
    r.add(R"({"match": {"method": "POST"}, "abort": 503, "after_upstream": true})");
    http_conn c(r.address);
    REQUIRE(c.connected());
    REQUIRE(c.send(request("GET", "/a") + request("POST", "/pay/9", "", "amount=5") +
                   request("GET", "/b")));
    const auto a = c.next();
    CHECK(a.status == 200);
    const auto got = c.next();
    CHECK_FALSE(got.complete);
    CHECK(got.error == ECONNRESET);
    std::this_thread::sleep_for(200ms);
    CHECK(r.targets() == std::vector<std::string>{"GET /a", "POST /pay/9"});
  }
  SECTION("with lost = \"502\" the client gets a 502") {
    r.add(R"({"match": {"method": "POST"}, "abort": 503, "after_upstream": true,
              "lost": "502"})");
    http_conn c(r.address);
    REQUIRE(c.connected());
    REQUIRE(c.send(request("GET", "/a") + request("POST", "/pay/9", "", "amount=5") +
                   request("GET", "/b")));
    CHECK(c.next().status == 200);
    const auto got = c.next();
    REQUIRE(got.complete);
    CHECK(got.status == 502);
    CHECK(got.has("Connection: close\r\n"));
    CHECK_FALSE(got.has("ok"));  // the upstream's body is not in it
    CHECK(c.rest().eof);
    // /a and /pay/9 reached the upstream, /b (after the lost reply) did not.
    std::this_thread::sleep_for(200ms);
    CHECK(r.targets() == std::vector<std::string>{"GET /a", "POST /pay/9"});
    const auto hits = r.hits();
    REQUIRE(hits.size() == 1);
    CHECK(hits[0].detail == "POST /pay/9: reply lost after upstream (502)");
  }
}

TEST_CASE("a delay holds the matching request before the upstream sees it", "[faults][http]") {
  http_relay r;
  r.add(R"({"match": {"path": "/slow"}, "delay": "300ms"})");
  const auto start = clock::now();
  const auto got = one(r.address, request("GET", "/slow"));
  const double took = seconds(clock::now() - start);
  CHECK(got.status == 200);
  CHECK(took >= 0.29);
  CHECK(took < 3.0);
  REQUIRE(r.server.wait_for_requests(1, 1s));
  CHECK(seconds(r.server.requests()[0].received - start) >= 0.29);
  CHECK(r.hits().at(0).detail == "GET /slow: delayed 300ms");
  // Others are not held.
  const auto fast_start = clock::now();
  CHECK(one(r.address, request("GET", "/fast")).status == 200);
  CHECK(seconds(clock::now() - fast_start) < 0.28);
}

TEST_CASE("a throttle paces the matching request's response", "[faults][http]") {
  const std::string big(30'000, 'b');
  http_relay r([&big](const recorded_request& req) {
    canned_response a;
    if (req.target == "/big") a.body = big;
    return a;
  });
  r.add(R"({"match": {"path": "/big"}, "throttle": 30})");  // 30 KB/s: about one second
  const auto start = clock::now();
  const auto got = one(r.address, request("GET", "/big"));
  const double took = seconds(clock::now() - start);
  REQUIRE(got.complete);
  CHECK(got.bytes.ends_with(big));
  CHECK(took >= 0.8);
  CHECK(took < 5.0);
  const auto small_start = clock::now();
  CHECK(one(r.address, request("GET", "/small")).status == 200);
  CHECK(seconds(clock::now() - small_start) < 0.5);
  CHECK(r.hits().at(0).detail == "GET /big: response throttled to 30 KB/s");
}

TEST_CASE("first N and every Kth count the matching requests", "[faults][http]") {
  const auto statuses = [](http_relay& r, const std::vector<std::string>& paths) {
    std::string s;
    for (const auto& p : paths)
      s += one(r.address, request("GET", p)).status == 503 ? 'x' : '.';
    return s;
  };
  SECTION("first") {
    http_relay r;
    r.add(R"({"abort": 503, "first": 2})");
    CHECK(statuses(r, {"/1", "/2", "/3", "/4", "/5"}) == "xx...");
  }
  SECTION("every") {
    http_relay r;
    r.add(R"({"abort": 503, "every": 3})");
    CHECK(statuses(r, {"/1", "/2", "/3", "/4", "/5", "/6", "/7"}) == "..x..x.");
  }
  SECTION("every among the matching, within the first") {
    http_relay r;
    r.add(R"({"abort": 503, "every": 2, "first": 3, "match": {"path": "/m*"}})");
    CHECK(statuses(r, {"/m1", "/x", "/m2", "/x", "/m3", "/m4", "/m5", "/m6"}) == "..x.....");
  }
}

TEST_CASE("probability draws from the seeded stream: one seed, one pattern", "[faults][http]") {
  const auto pattern = [](std::uint64_t seed) {
    http_relay r({}, seed);
    r.add(R"({"abort": 503, "probability": 0.5})");
    std::string s;
    for (int i = 0; i < 24; ++i)
      s += one(r.address, request("GET", "/" + std::to_string(i))).status == 503 ? 'x' : '.';
    return s;
  };
  const auto a = pattern(7);
  CHECK(a == pattern(7));
  CHECK(a.find('x') != std::string::npos);
  CHECK(a.find('.') != std::string::npos);
  CHECK(a != pattern(8));
}

TEST_CASE("requests and responses that are not hit pass byte for byte", "[faults][http]") {
  // Pipelined: a chunked body with an extension and trailers, a HEAD, a Content-Length body.
  const std::string requests =
      "POST /a HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"
      "5;name=\"x y\"\r\nhello\r\n10\r\n0123456789abcdef\r\n0\r\nX-Sum: 9\r\n\r\n"
      "GET /b HTTP/1.1\r\nHost: t\r\n\r\n"
      "HEAD /c HTTP/1.1\r\nHost: t\r\n\r\n"
      "DELETE /d HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nxyz"
      "POST /e HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n{}";
  const std::vector<std::string> responses = {
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
      "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n",  // HEAD: no body
      "HTTP/1.1 204 No Content\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
  };
  std::string all;
  for (const auto& s : responses)
    all += s;

  SECTION("not hit: both directions unchanged, however they are split") {
    raw_upstream up(requests.size(), all, 7);
    faults::fault_server fault(1);
    const auto address = fault.add_proxy(http_proxy("api", up.address()));
    fault.add_toxic("api", http_toxic(R"({"match": {"path": "/never"}, "abort": 503})"));
    client c(address);
    REQUIRE(c.connected());
    send_in_pieces(c, requests, 5);
    CHECK(up.received() == requests);
    const auto got = c.read(all.size(), clock::now() + 5s);
    CHECK(got.data == all);
    CHECK(hits_of(fault).empty());
  }
  SECTION("the last one's reply lost: every response before it framed right") {
    raw_upstream up(requests.size(), all, 7);
    faults::fault_server fault(1);
    const auto address = fault.add_proxy(http_proxy("api", up.address()));
    fault.add_toxic("api", http_toxic(R"({"match": {"path": "/e"}, "abort": 503,
                                          "after_upstream": true, "lost": "502"})"));
    client c(address);
    REQUIRE(c.connected());
    send_in_pieces(c, requests, 11);
    CHECK(up.received() == requests);
    const auto got = c.read_to_end(clock::now() + 5s);
    CHECK(got.eof);
    const auto before = all.substr(0, all.size() - responses.back().size());
    CHECK(got.data.substr(0, before.size()) == before);
    CHECK(got.data.substr(before.size()).starts_with("HTTP/1.1 502 Bad Gateway\r\n"));
  }
}

TEST_CASE("a lost reply still lets the interim 100 Continue through", "[faults][http]") {
  const std::string head =
      "POST /pay HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n";
  // The upstream answers the head with a 100, the body with a 201.
  raw_upstream up({{head.size(), "HTTP/1.1 100 Continue\r\n\r\n"},
                   {head.size() + 4, "HTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\npaid"}},
                  9);
  faults::fault_server fault(1);
  const auto address = fault.add_proxy(http_proxy("api", up.address()));
  fault.add_toxic("api", http_toxic(R"({"abort": 503, "after_upstream": true, "lost": "502"})"));
  client c(address);
  REQUIRE(c.connected());
  REQUIRE(c.send_all(head, clock::now() + 5s) == 0);
  // The client waits for the 100 before it sends the body.
  const std::string interim = "HTTP/1.1 100 Continue\r\n\r\n";
  CHECK(c.read(interim.size(), clock::now() + 5s).data == interim);
  REQUIRE(c.send_all("1234", clock::now() + 5s) == 0);
  CHECK(up.received() == head + "1234");
  const auto got = c.read_to_end(clock::now() + 5s);
  CHECK(got.data.starts_with("HTTP/1.1 502 Bad Gateway\r\n"));
  CHECK(got.data.find("paid") == std::string::npos);
  CHECK(got.eof);
}

TEST_CASE("an abort before upstream drops the body the client goes on sending", "[faults][http]") {
  http_relay r;
  r.add(R"({"match": {"path": "/upload"}, "abort": 413})");
  client c(r.address);
  REQUIRE(c.connected());
  const auto body = seeded_bytes(2'000'000, 5);
  const auto start = clock::now();
  const auto got = c.exchange(request("PUT", "/upload", "", body), clock::now() + 10s);
  CHECK(got.data.starts_with("HTTP/1.1 413 Content Too Large\r\n"));
  CHECK(got.eof);
  CHECK(got.error == 0);
  CHECK(seconds(got.ended_at - start) < 5.0);
  CHECK(r.server.request_count() == 0);
}

TEST_CASE("a stream that is not HTTP/1.1 passes through unchanged", "[faults][http]") {
  SECTION("binary both ways") {
    const auto up_bytes = std::string("\x16\x03\x01\x02\x00", 5) + seeded_bytes(20'000, 3);
    const auto down_bytes = seeded_bytes(30'000, 4);
    raw_upstream up(up_bytes.size(), down_bytes, 4096);
    faults::fault_server fault(1);
    const auto address = fault.add_proxy(http_proxy("api", up.address()));
    fault.add_toxic("api", http_toxic(R"({"abort": 503})"));  // would hit every request
    client c(address);
    REQUIRE(c.connected());
    send_in_pieces(c, up_bytes, 3000);
    CHECK(up.received() == up_bytes);
    CHECK(c.read(down_bytes.size(), clock::now() + 5s).data == down_bytes);
    const auto hits = hits_of(fault);
    REQUIRE(hits.size() == 1);
    CHECK(hits[0].detail == "not HTTP/1.1: passing through");
  }
  SECTION("a request whose head is malformed, and what follows it") {
    const std::string bad =
        "GET / HTTP/1.1\r\nHost: t\r\nthis line has no colon\r\n\r\n" + request("GET", "/x");
    const std::string answer = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    raw_upstream up(bad.size(), answer);
    faults::fault_server fault(1);
    const auto address = fault.add_proxy(http_proxy("api", up.address()));
    fault.add_toxic("api", http_toxic(R"({"abort": 503})"));
    client c(address);
    REQUIRE(c.connected());
    send_in_pieces(c, bad, 13);
    CHECK(up.received() == bad);
    CHECK(c.read(answer.size(), clock::now() + 5s).data == answer);
    REQUIRE(hits_of(fault).size() == 1);
  }
  SECTION("a partial request when the client closes") {
    const std::string partial = "GET /unfinished HTTP/1.1\r\nHost: t\r\n";
    raw_upstream up(partial.size(), "");
    faults::fault_server fault(1);
    const auto address = fault.add_proxy(http_proxy("api", up.address()));
    fault.add_toxic("api", http_toxic(R"({"abort": 503})"));
    client c(address);
    REQUIRE(c.connected());
    const auto got = c.exchange(partial, clock::now() + 5s);
    CHECK(up.received() == partial);
    CHECK(got.eof);
    CHECK(hits_of(fault).empty());
  }
}

TEST_CASE("a fault that begins on an open connection acts from its next request",
          "[faults][http]") {
  http_relay r([](const recorded_request& req) {
    canned_response a;
    if (req.target == "/slow") a.delay = 300ms;
    return a;
  });
  http_conn c(r.address);
  REQUIRE(c.connected());
  SECTION("idle") {
    REQUIRE(c.send(request("GET", "/one")));
    CHECK(c.next().status == 200);
    r.add(R"({"match": {"path": "/two"}, "abort": 503})");
  }
  SECTION("with a response on its way") {
    REQUIRE(c.send(request("GET", "/slow")));
    std::this_thread::sleep_for(100ms);
    r.add(R"({"match": {"path": "/two"}, "abort": 503})");
    CHECK(c.next().status == 200);
  }
  REQUIRE(c.send(request("GET", "/two")));
  CHECK(c.next().status == 503);
  // And when it ends, requests pass again.
  r.fault.remove_toxic("api", "f");
  CHECK(one(r.address, request("GET", "/two")).status == 200);
}

TEST_CASE("bad HTTP fault attributes are refused, naming the attribute", "[faults][http]") {
  http_relay r;
  const auto error_of = [&r](const std::string& attributes) -> std::string {
    try {
      r.add(attributes);
    } catch (const faults::spec_error& e) {
      CHECK(e.status() == 400);
      return e.what();
    }
    return "no error";
  };
  using Catch::Contains;
  CHECK_THAT(error_of(R"({"abort": 503, "match": {"path": "pay"}})"),
             Contains("attributes.match.path: expected a path glob starting with \"/\""));
  CHECK_THAT(error_of(R"({"abort": 503, "match": {"verb": "GET"}})"),
             Contains("attributes.match.verb: unknown field"));
  CHECK_THAT(error_of(R"({"abort": 503, "match": {"method": "GET POST"}})"),
             Contains("attributes.match.method:"));
  CHECK_THAT(error_of(R"({"abort": 503, "match": {"header": {"X-A": 5}}})"),
             Contains("attributes.match.header.X-A:"));
  CHECK_THAT(error_of(R"({"abort": 503, "match": "/pay"})"),
             Contains("attributes.match: expected a table"));
  CHECK_THAT(error_of(R"({"abort": 99})"),
             Contains("attributes.abort: expected a whole number from 200 to 599"));
  CHECK_THAT(error_of(R"({"abort": "503"})"), Contains("attributes.abort:"));
  CHECK_THAT(error_of(R"({"abort": 503, "lost": "502"})"),
             Contains("attributes.lost: only with after_upstream"));
  CHECK_THAT(error_of(R"({"abort": 503, "after_upstream": true, "lost": "rst"})"),
             Contains("attributes.lost: expected \"reset\" or \"502\""));
  CHECK_THAT(error_of(R"({"after_upstream": true, "delay": 5})"),
             Contains("attributes.after_upstream: needs abort"));
  CHECK_THAT(error_of(R"({"abort": 503, "probability": 2})"),
             Contains("attributes.probability: expected a number from 0 to 1"));
  CHECK_THAT(error_of(R"({"abort": 503, "every": 0})"), Contains("attributes.every:"));
  CHECK_THAT(error_of(R"({"abort": 503, "first": 1.5})"), Contains("attributes.first:"));
  CHECK_THAT(error_of(R"({"delay": "soon"})"), Contains("attributes.delay:"));
  CHECK_THAT(error_of(R"({"throttle": 0})"), Contains("attributes.throttle:"));
  CHECK_THAT(error_of(R"({"abort": 503, "throttle": 5})"),
             Contains("attributes.throttle: has no effect with abort"));
  CHECK_THAT(error_of(R"({})"), Contains("attributes.abort: the fault does nothing"));
  CHECK_THAT(error_of(R"({"abort": 503, "probabilty": 0.1})"),
             Contains("attributes.probabilty: unknown attribute (did you mean "
                      "\"probability\"?)"));
  CHECK(r.fault.events().empty());  // nothing was added

  // Only on a proxy with http = true.
  auto plain = http_proxy("plain", "127.0.0.1:" + std::to_string(r.server.port()));
  plain.http = false;
  r.fault.add_proxy(plain);
  try {
    r.fault.add_toxic("plain", http_toxic(R"({"abort": 503})"));
    FAIL("added");
  } catch (const faults::spec_error& e) {
    CHECK(e.status() == 400);
    CHECK_THAT(e.what(), Contains("needs a proxy with \"http\": true"));
  }

  // A drill's http = {...} names its place in the drill.
  const auto proxies = boost::json::parse(
      R"({"api": {"listen": "127.0.0.1:0", "upstream": "127.0.0.1:8080", "http": true}})");
  try {
    faults::read_fault_plan(proxies, boost::json::parse(R"([{"at": "1s", "proxy": "api",
        "http": {"match": {"path": "pay"}, "abort": 503}}])"),
                            "drill.lua");
    FAIL("accepted");
  } catch (const faults::spec_error& e) {
    CHECK_THAT(e.what(), Contains("drill.lua: options.faults[1].http.match.path: expected"));
  }
  const auto plan = faults::read_fault_plan(proxies, boost::json::parse(R"([{"at": "75s",
      "duration": "10s", "proxy": "api", "http": {"match": {"method": "POST", "path": "/pay*"},
      "abort": 503, "after_upstream": true, "probability": 0.1}}])"),
                                            "drill.lua");
  REQUIRE(plan.timeline.size() == 1);
  CHECK(plan.timeline[0].toxic.type == "http");
}
