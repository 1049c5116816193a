#include "../../../engine/src/h2_session.hpp"

#include <nghttp2/nghttp2.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Every test drives an h2_session against a real nghttp2 server session in memory: bytes are
// pumped between the two until neither has anything more to say.

namespace {

using ordeal::engine::h2_error_name;
using ordeal::engine::h2_options;
using ordeal::engine::h2_request_headers;
using ordeal::engine::h2_session;
using ordeal::engine::h2_session_events;
using ordeal::engine::h2_stream_end;
using ordeal::engine::stream_end_kind;
using fields = std::vector<std::pair<std::string, std::string>>;

const char* kind_name(stream_end_kind k) {
  switch (k) {
    case stream_end_kind::complete:
      return "complete";
    case stream_end_kind::reset_by_peer:
      return "reset_by_peer";
    case stream_end_kind::refused:
      return "refused";
    case stream_end_kind::cancelled:
      return "cancelled";
    case stream_end_kind::protocol:
      return "protocol";
    case stream_end_kind::session_closed:
      return "session_closed";
  }
  return "?";
}

// ---- client side: records every event per stream ----

struct response {
  int status = 0;
  int heads = 0;  // on_response_head calls
  fields headers;
  fields trailers;
  std::string body;
  int ends = 0;
  stream_end_kind kind = stream_end_kind::complete;
  std::uint32_t code = 0;
  std::string reason;
  int after_end = 0;  // events after on_stream_end: must stay 0
};

struct recorder : h2_session_events {
  std::deque<response> responses;
  int goaways = 0;
  std::int32_t goaway_last = -1;
  std::uint32_t goaway_code = 0;
  std::function<void(response&)> on_end;  // optional: runs inside on_stream_end

  response* expect() { return &responses.emplace_back(); }
  static response& of(void* p) { return *static_cast<response*>(p); }

  void on_header(void* d, std::string_view n, std::string_view v, bool trailer) override {
    auto& r = of(d);
    if (r.ends) ++r.after_end;
    (trailer ? r.trailers : r.headers).emplace_back(n, v);
  }
  void on_response_head(void* d, int status) override {
    auto& r = of(d);
    if (r.ends) ++r.after_end;
    r.status = status;
    ++r.heads;
  }
  void on_data(void* d, std::string_view chunk) override {
    auto& r = of(d);
    if (r.ends) ++r.after_end;
    r.body.append(chunk);
  }
  void on_stream_end(void* d, const h2_stream_end& e) override {
    auto& r = of(d);
    ++r.ends;
    r.kind = e.kind;
    r.code = e.error_code;
    r.reason = std::string(e.reason);
    if (on_end) on_end(r);
  }
  void on_goaway(std::int32_t last, std::uint32_t code, std::string_view) override {
    ++goaways;
    goaway_last = last;
    goaway_code = code;
  }

  // Every submitted stream ended exactly once, and nothing came after its end.
  void check_all_ended_once() const {
    for (const auto& r : responses) {
      CHECK(r.ends == 1);
      CHECK(r.after_end == 0);
    }
  }
};

// ---- server side: a real nghttp2 server session ----

struct server_stream {
  fields headers;
  std::string body;
  bool request_complete = false;
  std::uint32_t rst_received = UINT32_MAX;  // RST_STREAM code from the client
  bool closed = false;
  // Response being sent.
  std::string response_body;
  std::size_t offset = 0;
  fields trailers;
  std::vector<nghttp2_nv> trailer_nv;

  std::string header(std::string_view name) const {
    for (const auto& [n, v] : headers)
      if (n == name) return v;
    return {};
  }
};

nghttp2_nv nv(const std::string& n, const std::string& v) {
  return {reinterpret_cast<std::uint8_t*>(const_cast<char*>(n.data())),
          reinterpret_cast<std::uint8_t*>(const_cast<char*>(v.data())), n.size(), v.size(),
          NGHTTP2_NV_FLAG_NONE};
}

class test_server {
 public:
  // Called when a request has arrived whole (END_STREAM).
  std::function<void(test_server&, std::int32_t)> on_request;
  std::map<std::int32_t, server_stream> streams;
  std::vector<std::uint8_t> garbage_after;  // raw bytes appended to the next output
  int connection_errors = 0;

  explicit test_server(std::vector<nghttp2_settings_entry> settings = {},
                       bool manual_window = false) {
    nghttp2_session_callbacks* cb = nullptr;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
    nghttp2_option* opt = nullptr;
    nghttp2_option_new(&opt);
    if (manual_window) nghttp2_option_set_no_auto_window_update(opt, 1);
    nghttp2_session_server_new2(&session_, cb, this, opt);
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cb);
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings.data(), settings.size());
  }
  ~test_server() { nghttp2_session_del(session_); }
  test_server(const test_server&) = delete;
  test_server& operator=(const test_server&) = delete;

  nghttp2_session* session() { return session_; }

  void receive(std::string_view bytes) {
    const auto rv = nghttp2_session_mem_recv(
        session_, reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    if (rv < 0) ++connection_errors;
  }
  std::string drain() {
    std::string out;
    for (;;) {
      const std::uint8_t* p = nullptr;
      const auto n = nghttp2_session_mem_send(session_, &p);
      if (n <= 0) break;
      out.append(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
    }
    out.append(garbage_after.begin(), garbage_after.end());
    garbage_after.clear();
    return out;
  }

  // Submits a response; trailers, if any, follow the body.
  void respond(std::int32_t id, int status, std::string body, fields headers = {},
               fields trailers = {}) {
    auto& st = streams[id];
    st.response_body = std::move(body);
    st.trailers = std::move(trailers);
    fields all{{":status", std::to_string(status)}};
    all.insert(all.end(), headers.begin(), headers.end());
    std::vector<nghttp2_nv> nva;
    for (const auto& [n, v] : all)
      nva.push_back(nv(n, v));
    nghttp2_data_provider prd{};
    prd.source.ptr = &st;
    prd.read_callback = read_body;
    const bool has_data = !st.response_body.empty() || !st.trailers.empty();
    REQUIRE(nghttp2_submit_response(session_, id, nva.data(), nva.size(),
                                    has_data ? &prd : nullptr) == 0);
  }
  // A 1xx interim response.
  void interim(std::int32_t id, int status, fields headers) {
    fields all{{":status", std::to_string(status)}};
    all.insert(all.end(), headers.begin(), headers.end());
    std::vector<nghttp2_nv> nva;
    for (const auto& [n, v] : all)
      nva.push_back(nv(n, v));
    REQUIRE(nghttp2_submit_headers(session_, NGHTTP2_FLAG_NONE, id, nullptr, nva.data(), nva.size(),
                                   nullptr) >= 0);
  }
  void reset(std::int32_t id, std::uint32_t code) {
    REQUIRE(nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, code) == 0);
  }
  void goaway(std::int32_t last_stream_id, std::uint32_t code) {
    REQUIRE(nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, last_stream_id, code,
                                  reinterpret_cast<const std::uint8_t*>("bye"), 3) == 0);
  }

 private:
  static test_server& self(void* ud) { return *static_cast<test_server*>(ud); }

  static int on_begin_headers(nghttp2_session*, const nghttp2_frame* f, void* ud) {
    self(ud).streams[f->hd.stream_id];
    return 0;
  }
  static int on_header(nghttp2_session*, const nghttp2_frame* f, const std::uint8_t* n,
                       std::size_t nl, const std::uint8_t* v, std::size_t vl, std::uint8_t,
                       void* ud) {
    self(ud).streams[f->hd.stream_id].headers.emplace_back(
        std::string(reinterpret_cast<const char*>(n), nl),
        std::string(reinterpret_cast<const char*>(v), vl));
    return 0;
  }
  static int on_data_chunk(nghttp2_session*, std::uint8_t, std::int32_t id, const std::uint8_t* d,
                           std::size_t len, void* ud) {
    self(ud).streams[id].body.append(reinterpret_cast<const char*>(d), len);
    return 0;
  }
  static int on_frame_recv(nghttp2_session*, const nghttp2_frame* f, void* ud) {
    auto& s = self(ud);
    const auto id = f->hd.stream_id;
    if ((f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA) &&
        (f->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
      s.streams[id].request_complete = true;
      if (s.on_request) s.on_request(s, id);
    } else if (f->hd.type == NGHTTP2_RST_STREAM) {
      s.streams[id].rst_received = f->rst_stream.error_code;
    }
    return 0;
  }
  static int on_stream_close(nghttp2_session*, std::int32_t id, std::uint32_t, void* ud) {
    self(ud).streams[id].closed = true;
    return 0;
  }
  static ssize_t read_body(nghttp2_session* session, std::int32_t id, std::uint8_t* buf,
                           std::size_t length, std::uint32_t* flags, nghttp2_data_source* src,
                           void*) {
    auto& st = *static_cast<server_stream*>(src->ptr);
    const std::size_t n = std::min(length, st.response_body.size() - st.offset);
    std::memcpy(buf, st.response_body.data() + st.offset, n);
    st.offset += n;
    if (st.offset == st.response_body.size()) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      if (!st.trailers.empty()) {
        *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
        st.trailer_nv.clear();
        for (const auto& [k, v] : st.trailers)
          st.trailer_nv.push_back(nv(k, v));
        nghttp2_submit_trailer(session, id, st.trailer_nv.data(), st.trailer_nv.size());
      }
    }
    return static_cast<ssize_t>(n);
  }

  nghttp2_session* session_ = nullptr;
};

// Moves bytes both ways until neither side has anything to send. Returns the rounds taken;
// client_ok turns false if the client's receive() ever failed.
int pump(h2_session& client, test_server& server, bool* client_ok = nullptr) {
  for (int round = 0; round < 10'000; ++round) {
    bool progress = false;
    const auto out = client.pending();
    if (!out.empty()) {
      server.receive(out);
      client.consumed(out.size());
      progress = true;
    }
    const std::string back = server.drain();
    if (!back.empty()) {
      const bool ok = client.receive(back.data(), back.size());
      if (!ok && client_ok) *client_ok = false;
      progress = true;
    }
    if (!progress) return round;
  }
  FAIL("the sessions never went quiet");
  return -1;
}

h2_options opts(unsigned max_streams = 100) {
  h2_options o;
  o.max_streams = max_streams;
  return o;
}

constexpr std::size_t cap = 64 * 1024;

std::string find(const fields& f, std::string_view name) {
  for (const auto& [n, v] : f)
    if (n == name) return v;
  return "<none>";
}

}  // namespace

namespace Catch {
template <>
struct StringMaker<stream_end_kind> {
  static std::string convert(stream_end_kind k) { return kind_name(k); }
};
}  // namespace Catch

TEST_CASE("h2: error names and request headers", "[h2]") {
  CHECK(h2_error_name(0) == "NO_ERROR");
  CHECK(h2_error_name(7) == "REFUSED_STREAM");
  CHECK(h2_error_name(8) == "CANCEL");
  CHECK(h2_error_name(13) == "HTTP_1_1_REQUIRED");
  CHECK(h2_error_name(14) == "UNKNOWN");

  h2_request_headers h("GET", "https", "example.com", "/x");
  CHECK(h.add("X-Trace-ID", "abc"));
  CHECK_FALSE(h.add("Connection", "keep-alive"));
  CHECK_FALSE(h.add("transfer-encoding", "chunked"));
  CHECK_FALSE(h.add("TE", "gzip"));
  CHECK(h.add("te", "Trailers"));
  // Many more, so that storage grows: earlier pointers must stay valid.
  for (int i = 0; i < 200; ++i)
    h.add("x-" + std::to_string(i), std::string(i % 40, 'v'));
  h2_request_headers moved = std::move(h);
  REQUIRE(moved.size() == 6 + 200);
  auto text = [&](std::size_t i) {
    const auto& n = moved.data()[i];
    return std::pair(std::string(reinterpret_cast<const char*>(n.name), n.namelen),
                     std::string(reinterpret_cast<const char*>(n.value), n.valuelen));
  };
  CHECK(text(0) == std::pair<std::string, std::string>(":method", "GET"));
  CHECK(text(3) == std::pair<std::string, std::string>(":path", "/x"));
  CHECK(text(4) == std::pair<std::string, std::string>("x-trace-id", "abc"));
  CHECK(text(205) == std::pair<std::string, std::string>("x-199", std::string(199 % 40, 'v')));
}

TEST_CASE("h2: a request and its response with headers and body", "[h2]") {
  recorder ev;
  h2_session client(ev, opts(), cap);
  test_server server;
  server.on_request = [](test_server& s, std::int32_t id) {
    s.respond(id, 200, "hello, world", {{"x-a", "1"}, {"content-type", "text/plain"}});
  };
  h2_request_headers h("GET", "http", "example.com", "/hello");
  h.add("x-req", "yes");
  auto* r = ev.expect();
  const auto id = client.submit(h, {}, r, true);
  REQUIRE(id == 1);
  CHECK(client.open_streams() == 1);
  bool ok = true;
  pump(client, server, &ok);
  CHECK(ok);
  CHECK(r->kind == stream_end_kind::complete);
  CHECK(r->code == 0);
  CHECK(r->reason.empty());
  CHECK(r->status == 200);
  CHECK(r->heads == 1);
  CHECK(r->body == "hello, world");
  CHECK(find(r->headers, ":status") == "200");
  CHECK(find(r->headers, "x-a") == "1");
  CHECK(r->trailers.empty());
  const auto& req = server.streams[1];
  CHECK(req.header(":method") == "GET");
  CHECK(req.header(":path") == "/hello");
  CHECK(req.header(":authority") == "example.com");
  CHECK(req.header("x-req") == "yes");
  CHECK(client.open_streams() == 0);
  CHECK_FALSE(client.going_away());
  CHECK_FALSE(client.finished());  // the connection stays usable

  // Without want_headers only the status and body come through; the same headers again.
  auto* r2 = ev.expect();
  REQUIRE(client.submit(h, {}, r2, false) == 3);
  pump(client, server);
  CHECK(r2->kind == stream_end_kind::complete);
  CHECK(r2->status == 200);
  CHECK(r2->headers.empty());
  CHECK(r2->body == "hello, world");
  ev.check_all_ended_once();
}

TEST_CASE("h2: a request body larger than the server's windows arrives whole", "[h2]") {
  recorder ev;
  h2_session client(ev, opts(), cap);
  // A 1000-byte stream window; the connection window stays 65535: both must reopen many times.
  test_server server({{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1000}});
  server.on_request = [](test_server& s, std::int32_t id) {
    s.respond(id, 201, std::to_string(s.streams[id].body.size()));
  };
  std::string body(300'000, '\0');
  for (std::size_t i = 0; i < body.size(); ++i)
    body[i] = static_cast<char>('a' + i % 26);
  h2_request_headers h("POST", "http", "example.com", "/upload");
  auto* r = ev.expect();
  REQUIRE(client.submit(h, body, r, false) > 0);
  pump(client, server);
  CHECK(r->kind == stream_end_kind::complete);
  CHECK(r->status == 201);
  CHECK(r->body == "300000");
  CHECK(server.streams[1].body == body);
  ev.check_all_ended_once();
}

TEST_CASE("h2: a large response body comes through the client's windows", "[h2]") {
  recorder ev;
  h2_options o = opts();
  o.stream_window = 4096;  // small: the client must keep reopening it
  o.connection_window = 8192;
  h2_session client(ev, o, cap);
  test_server server;
  const std::string big(500'000, 'z');
  server.on_request = [&](test_server& s, std::int32_t id) { s.respond(id, 200, big); };
  h2_request_headers h("GET", "http", "example.com", "/big");
  auto* r = ev.expect();
  REQUIRE(client.submit(h, {}, r, false) > 0);
  pump(client, server);
  CHECK(r->kind == stream_end_kind::complete);
  CHECK(r->body.size() == big.size());
  CHECK(nghttp2_session_get_remote_settings(server.session(),
                                            NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE) == 4096);
  CHECK(nghttp2_session_get_remote_settings(server.session(), NGHTTP2_SETTINGS_ENABLE_PUSH) == 0);
  ev.check_all_ended_once();
}

TEST_CASE("h2: room() honours the server's MAX_CONCURRENT_STREAMS", "[h2]") {
  recorder ev;
  h2_session client(ev, opts(10), cap);
  test_server server({{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 3}});
  std::vector<std::int32_t> held;  // requests the server has not answered yet
  server.on_request = [&](test_server&, std::int32_t id) { held.push_back(id); };

  // Before the server's SETTINGS: nghttp2 assumes 100, so our own limit rules.
  CHECK(client.room() == 10);
  client.start();
  pump(client, server);
  CHECK(client.remote_max_streams() == 3);
  CHECK(client.room() == 3);

  h2_request_headers h("GET", "http", "example.com", "/");
  int answered = 0;
  for (int wave = 0; wave < 5; ++wave) {
    const unsigned room = client.room();
    REQUIRE(room == 3);
    for (unsigned i = 0; i < room; ++i)
      REQUIRE(client.submit(h, {}, ev.expect(), false) > 0);
    CHECK(client.room() == 0);
    CHECK(client.open_streams() == 3);
    CHECK(client.submit(h, {}, nullptr, false) == -1);
    CHECK(client.error() == "no room for another stream");
    pump(client, server);
    CHECK(held.size() == 3);  // all three reached the server, none was refused
    for (auto id : held)
      server.respond(id, 200, "ok");
    answered += static_cast<int>(held.size());
    held.clear();
    pump(client, server);
    CHECK(client.open_streams() == 0);
  }
  CHECK(answered == 15);
  for (const auto& r : ev.responses)
    CHECK(r.kind == stream_end_kind::complete);
  ev.check_all_ended_once();
}

TEST_CASE("h2: trailers are delivered after the body, 1xx responses skipped", "[h2]") {
  recorder ev;
  h2_session client(ev, opts(), cap);
  test_server server;
  server.on_request = [](test_server& s, std::int32_t id) {
    s.interim(id, 103, {{"link", "</style.css>; rel=preload"}});
    s.respond(id, 200, "body", {{"x-head", "h"}}, {{"grpc-status", "0"}, {"x-checksum", "abc123"}});
  };
  h2_request_headers h("GET", "http", "example.com", "/t");
  h.add("te", "trailers");
  auto* r = ev.expect();
  REQUIRE(client.submit(h, {}, r, true) > 0);
  pump(client, server);
  CHECK(r->kind == stream_end_kind::complete);
  CHECK(r->heads == 1);
  CHECK(r->status == 200);
  CHECK(r->body == "body");
  CHECK(find(r->headers, ":status") == "200");
  CHECK(find(r->headers, "x-head") == "h");
  CHECK(find(r->headers, "link") == "<none>");  // the 103's headers are not the response's
  REQUIRE(r->trailers.size() == 2);
  CHECK(find(r->trailers, "grpc-status") == "0");
  CHECK(find(r->trailers, "x-checksum") == "abc123");
  ev.check_all_ended_once();
}

TEST_CASE("h2: RST_STREAM from the server", "[h2]") {
  recorder ev;
  h2_session client(ev, opts(), cap);
  test_server server;
  server.on_request = [](test_server& s, std::int32_t id) {
    if (id == 1) s.reset(id, NGHTTP2_REFUSED_STREAM);
    if (id == 3) s.reset(id, NGHTTP2_INTERNAL_ERROR);
    if (id == 5) s.respond(id, 204, "");
  };
  h2_request_headers h("GET", "http", "example.com", "/");
  auto* refused = ev.expect();
  auto* internal = ev.expect();
  auto* fine = ev.expect();
  REQUIRE(client.submit(h, {}, refused, false) == 1);
  REQUIRE(client.submit(h, {}, internal, false) == 3);
  REQUIRE(client.submit(h, {}, fine, false) == 5);
  pump(client, server);
  CHECK(refused->kind == stream_end_kind::refused);
  CHECK(refused->code == NGHTTP2_REFUSED_STREAM);
  CHECK(refused->reason == "RST_STREAM REFUSED_STREAM");
  CHECK(internal->kind == stream_end_kind::reset_by_peer);
  CHECK(internal->code == NGHTTP2_INTERNAL_ERROR);
  CHECK(internal->reason == "RST_STREAM INTERNAL_ERROR");
  CHECK(fine->kind == stream_end_kind::complete);
  CHECK(fine->status == 204);
  CHECK_FALSE(client.going_away());
  ev.check_all_ended_once();
}

TEST_CASE("h2: a reset while the response body is arriving", "[h2]") {
  recorder ev;
  h2_options o = opts();
  o.stream_window = 16'384;  // the server can send only part of the body
  h2_session client(ev, o, cap);
  test_server server;
  server.on_request = [](test_server& s, std::int32_t id) {
    s.respond(id, 200, std::string(100'000, 'x'));
  };
  h2_request_headers h("GET", "http", "example.com", "/");
  auto* r = ev.expect();
  REQUIRE(client.submit(h, {}, r, false) == 1);
  auto out = client.pending();
  server.receive(out);
  client.consumed(out.size());
  std::string back = server.drain();
  REQUIRE(client.receive(back.data(), back.size()));
  CHECK(r->status == 200);
  CHECK(r->body.size() == 16'384);
  CHECK(r->ends == 0);
  server.reset(1, NGHTTP2_CANCEL);
  back = server.drain();  // a RST_STREAM frame
  REQUIRE(client.receive(back.data(), back.size()));
  CHECK(r->kind == stream_end_kind::reset_by_peer);
  CHECK(r->code == NGHTTP2_CANCEL);
  CHECK(r->body.size() < 100'000);
  ev.check_all_ended_once();
}

TEST_CASE("h2: GOAWAY refuses the streams above its last stream id", "[h2]") {
  recorder ev;
  h2_session client(ev, opts(), cap);
  test_server server;
  server.on_request = [](test_server& s, std::int32_t id) {
    if (id != 9) return;
    // All five arrived: keep 1 and 3, refuse the rest.
    s.goaway(3, NGHTTP2_NO_ERROR);
    s.respond(1, 200, "one");
    s.respond(3, 200, "three");
  };
  h2_request_headers h("GET", "http", "example.com", "/");
  for (int i = 0; i < 5; ++i)
    REQUIRE(client.submit(h, {}, ev.expect(), false) == 1 + 2 * i);
  pump(client, server);
  CHECK(ev.goaways == 1);
  CHECK(ev.goaway_last == 3);
  CHECK(ev.goaway_code == NGHTTP2_NO_ERROR);
  CHECK(ev.responses[0].kind == stream_end_kind::complete);
  CHECK(ev.responses[0].body == "one");
  CHECK(ev.responses[1].kind == stream_end_kind::complete);
  CHECK(ev.responses[1].body == "three");
  for (std::size_t i = 2; i < 5; ++i) {
    CHECK(ev.responses[i].kind == stream_end_kind::refused);
    CHECK(ev.responses[i].code == NGHTTP2_REFUSED_STREAM);
    CHECK(ev.responses[i].reason == "GOAWAY NO_ERROR: not processed (last stream 3)");
  }
  CHECK(client.going_away());
  CHECK(client.room() == 0);
  CHECK(client.submit(h, {}, nullptr, false) == -1);
  CHECK(client.finished());
  ev.check_all_ended_once();
}

TEST_CASE("h2: GOAWAY before queued requests were sent refuses them", "[h2]") {
  recorder ev;
  h2_session client(ev, opts(), cap);
  test_server server;
  client.start();
  pump(client, server);
  server.goaway(0, NGHTTP2_NO_ERROR);
  h2_request_headers h("GET", "http", "example.com", "/");
  auto* r = ev.expect();
  REQUIRE(client.submit(h, {}, r, false) == 1);  // queued, not yet written
  const std::string back = server.drain();
  CHECK(client.receive(back.data(), back.size()));
  pump(client, server);
  CHECK(r->kind == stream_end_kind::refused);
  CHECK(server.streams.count(1) == 0);  // never reached the server
  CHECK(client.finished());
  ev.check_all_ended_once();
}

TEST_CASE("h2: cancel sends RST_STREAM CANCEL and ends the stream at once", "[h2]") {
  recorder ev;
  h2_session client(ev, opts(), cap);
  test_server server;
  server.on_request = [](test_server& s, std::int32_t id) {
    if (id == 3) s.respond(id, 200, "three");
  };
  h2_request_headers h("GET", "http", "example.com", "/");
  auto* sent = ev.expect();
  auto* other = ev.expect();
  REQUIRE(client.submit(h, {}, sent, false) == 1);
  REQUIRE(client.submit(h, {}, other, false) == 3);
  pump(client, server);
  CHECK(other->kind == stream_end_kind::complete);
  CHECK(sent->ends == 0);
  client.cancel(1);
  CHECK(sent->ends == 1);
  CHECK(sent->kind == stream_end_kind::cancelled);
  CHECK(sent->code == NGHTTP2_CANCEL);
  client.cancel(1);   // again: ignored
  client.cancel(77);  // unknown: ignored
  pump(client, server);
  CHECK(server.streams[1].rst_received == NGHTTP2_CANCEL);

  // A request cancelled before its HEADERS were written never reaches the server.
  auto* queued = ev.expect();
  REQUIRE(client.submit(h, {}, queued, false) == 5);
  client.cancel(5);
  CHECK(queued->kind == stream_end_kind::cancelled);
  pump(client, server);
  CHECK(server.streams.count(5) == 0);

  // A late response to a cancelled stream is ignored; the session still works.
  server.respond(1, 200, "late");
  auto* after = ev.expect();
  REQUIRE(client.submit(h, {}, after, false) == 7);
  server.on_request = [](test_server& s, std::int32_t id) { s.respond(id, 200, "seven"); };
  pump(client, server);
  CHECK(after->body == "seven");
  CHECK(sent->body.empty());
  ev.check_all_ended_once();
}

TEST_CASE("h2: a handler may cancel, and submit again, from inside an event", "[h2]") {
  recorder ev;
  h2_session client(ev, opts(), cap);
  test_server server;
  server.on_request = [](test_server& s, std::int32_t id) { s.respond(id, 200, "abc"); };
  h2_request_headers h("GET", "http", "example.com", "/");
  // Each completed stream submits the next one (the fast path's closed loop), reusing slots.
  int submitted = 1;
  ev.on_end = [&](response&) {
    if (submitted < 50) {
      ++submitted;
      REQUIRE(client.submit(h, {}, ev.expect(), false) > 0);
    }
  };
  REQUIRE(client.submit(h, {}, ev.expect(), false) > 0);
  pump(client, server);
  CHECK(ev.responses.size() == 50);
  for (const auto& r : ev.responses)
    CHECK(r.kind == stream_end_kind::complete);
  ev.check_all_ended_once();
}

TEST_CASE("h2: a header block over the cap fails its stream only", "[h2]") {
  recorder ev;
  h2_session client(ev, opts(), 1024);
  test_server server;
  const std::string medium(200, 'm');  // indexed by the server's HPACK encoder
  server.on_request = [&](test_server& s, std::int32_t id) {
    if (id == 1)
      s.respond(id, 200, "too big", {{"x-medium", medium}, {"x-big", std::string(1500, 'b')}});
    else
      s.respond(id, 200, "fine", {{"x-medium", medium}});
  };
  h2_request_headers h("GET", "http", "example.com", "/");
  auto* big = ev.expect();
  REQUIRE(client.submit(h, {}, big, true) == 1);
  pump(client, server);
  CHECK(big->kind == stream_end_kind::protocol);
  CHECK(big->reason == "response header block over 1024 bytes");
  CHECK(big->body.empty());
  CHECK(server.streams[1].rst_received == NGHTTP2_INTERNAL_ERROR);
  CHECK_FALSE(client.going_away());
  // The connection's HPACK state survived: the next response refers to the indexed field.
  auto* next = ev.expect();
  REQUIRE(client.submit(h, {}, next, true) == 3);
  pump(client, server);
  CHECK(next->kind == stream_end_kind::complete);
  CHECK(find(next->headers, "x-medium") == medium);
  CHECK(next->body == "fine");

  // Trailers count against the cap too.
  server.on_request = [&](test_server& s, std::int32_t id) {
    s.respond(id, 200, "b", {}, {{"x-trailer", std::string(2000, 't')}});
  };
  auto* trailer = ev.expect();
  REQUIRE(client.submit(h, {}, trailer, false) == 5);
  pump(client, server);
  CHECK(trailer->kind == stream_end_kind::protocol);
  CHECK(trailer->reason == "response trailer block over 1024 bytes");
  CHECK(trailer->body == "b");
  ev.check_all_ended_once();
}

TEST_CASE("h2: an invalid response fails its stream only", "[h2]") {
  recorder ev;
  h2_session client(ev, opts(), cap);
  test_server server;
  server.on_request = [](test_server& s, std::int32_t id) {
    if (id == 1)
      s.respond(id, 200, "x", {{"x-bad", "line\nbreak"}});
    else if (id == 3)
      s.respond(id, 200, "short", {{"content-length", "10"}});
    else
      s.respond(id, 200, "y");
  };
  h2_request_headers h("GET", "http", "example.com", "/");
  auto* bad_value = ev.expect();
  auto* bad_length = ev.expect();
  auto* good = ev.expect();
  REQUIRE(client.submit(h, {}, bad_value, true) == 1);
  REQUIRE(client.submit(h, {}, bad_length, true) == 3);
  REQUIRE(client.submit(h, {}, good, true) == 5);
  pump(client, server);
  CHECK(bad_value->kind == stream_end_kind::protocol);
  CHECK(bad_value->reason.find("invalid HEADERS frame") == 0);
  CHECK(bad_value->status == 0);
  CHECK(server.streams[1].rst_received == NGHTTP2_PROTOCOL_ERROR);
  INFO(bad_value->reason);
  INFO(bad_length->reason);
  CHECK(bad_length->kind == stream_end_kind::protocol);
  // nghttp2 resets it without an invalid-frame report: the reason is generic.
  CHECK(bad_length->reason == "invalid response: stream reset with PROTOCOL_ERROR");
  CHECK(bad_length->code == NGHTTP2_PROTOCOL_ERROR);
  CHECK(server.streams[3].rst_received == NGHTTP2_PROTOCOL_ERROR);
  CHECK(good->kind == stream_end_kind::complete);
  CHECK_FALSE(client.going_away());
  ev.check_all_ended_once();
}

TEST_CASE("h2: garbage from the server ends the session and every stream once", "[h2]") {
  SECTION("an HTTP/1.1 answer instead of SETTINGS") {
    recorder ev;
    h2_session client(ev, opts(), cap);
    h2_request_headers h("GET", "http", "example.com", "/");
    REQUIRE(client.submit(h, {}, ev.expect(), false) == 1);
    REQUIRE(client.submit(h, {}, ev.expect(), false) == 3);
    client.consumed(client.pending().size());
    const std::string junk = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    CHECK_FALSE(client.receive(junk.data(), junk.size()));
    CHECK(client.error().find("HTTP/2 connection error PROTOCOL_ERROR: ") == 0);
    INFO(client.error());
    for (const auto& r : ev.responses) {
      CHECK(r.kind == stream_end_kind::protocol);
      CHECK(r.reason == client.error());
    }
    CHECK(client.going_away());
    CHECK(client.room() == 0);
    CHECK(client.submit(h, {}, nullptr, false) == -1);
    CHECK_FALSE(client.receive(junk.data(), junk.size()));
    // The GOAWAY nghttp2 queued can still be written; then the session is done.
    const auto out = client.pending();
    CHECK(out.size() >= 9 + 8);
    CHECK(static_cast<std::uint8_t>(out[3]) == NGHTTP2_GOAWAY);
    client.consumed(out.size());
    CHECK(client.finished());
    client.abort_all();  // nothing left to end
    ev.check_all_ended_once();
  }
  SECTION("an invalid frame mid-session") {
    recorder ev;
    h2_session client(ev, opts(), cap);
    test_server server;
    server.on_request = [](test_server& s, std::int32_t id) {
      if (id == 1) s.respond(id, 200, "ok");
    };
    h2_request_headers h("GET", "http", "example.com", "/");
    auto* done = ev.expect();
    REQUIRE(client.submit(h, {}, done, false) == 1);
    REQUIRE(client.submit(h, {}, ev.expect(), false) == 3);
    pump(client, server);
    CHECK(done->kind == stream_end_kind::complete);
    // DATA on stream 0: a connection error (PROTOCOL_ERROR).
    const char frame[] = {0, 0, 1, NGHTTP2_DATA, 0, 0, 0, 0, 0, 'x'};
    CHECK_FALSE(client.receive(frame, sizeof frame));
    INFO(client.error());
    CHECK(ev.responses[1].kind == stream_end_kind::protocol);
    CHECK(ev.responses[1].code == NGHTTP2_PROTOCOL_ERROR);
    pump(client, server);
    CHECK(client.finished());
    ev.check_all_ended_once();
  }
  SECTION("an undecodable header block") {
    recorder ev;
    h2_session client(ev, opts(), cap);
    test_server server;
    h2_request_headers h("GET", "http", "example.com", "/");
    REQUIRE(client.submit(h, {}, ev.expect(), false) == 1);
    pump(client, server);
    // HEADERS on stream 1 whose block indexes a dynamic table entry that does not exist.
    const char frame[] = {0, 0, 1, NGHTTP2_HEADERS,        NGHTTP2_FLAG_END_HEADERS, 0,
                          0, 0, 1, static_cast<char>(0xff)};
    CHECK_FALSE(client.receive(frame, sizeof frame));
    INFO(client.error());
    CHECK(ev.responses[0].kind == stream_end_kind::protocol);
    ev.check_all_ended_once();
  }
}

TEST_CASE("h2: a zero window does not make the session spin", "[h2]") {
  recorder ev;
  h2_session client(ev, opts(), cap);
  test_server server({{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 0}}, true);
  server.on_request = [](test_server& s, std::int32_t id) { s.respond(id, 200, "done"); };
  client.start();
  pump(client, server);  // the server's SETTINGS first: until then its window is 65535
  h2_request_headers h("POST", "http", "example.com", "/");
  const std::string body(1000, 'p');
  auto* r = ev.expect();
  REQUIRE(client.submit(h, body, r, false) == 1);
  const int rounds = pump(client, server);
  CHECK(rounds < 10);  // quiet at once, although the body cannot move
  CHECK(client.pending().empty());
  CHECK(r->ends == 0);
  CHECK(server.streams[1].body.empty());
  CHECK_FALSE(client.finished());
  // The window opens: the body flows and the response arrives.
  REQUIRE(nghttp2_submit_window_update(server.session(), NGHTTP2_FLAG_NONE, 1, 600) == 0);
  pump(client, server);
  CHECK(server.streams[1].body.size() == 600);
  REQUIRE(nghttp2_submit_window_update(server.session(), NGHTTP2_FLAG_NONE, 1, 400) == 0);
  pump(client, server);
  CHECK(server.streams[1].body == body);
  CHECK(r->kind == stream_end_kind::complete);
  ev.check_all_ended_once();
}

TEST_CASE("h2: a complete response before the request body was sent", "[h2]") {
  recorder ev;
  h2_session client(ev, opts(), cap);
  test_server server({{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 0}}, true);
  client.start();
  pump(client, server);
  h2_request_headers h("POST", "http", "example.com", "/");
  auto* r = ev.expect();
  REQUIRE(client.submit(h, std::string(5000, 'q'), r, false) == 1);
  pump(client, server);
  server.respond(1, 413, "too large");
  pump(client, server);
  CHECK(r->kind == stream_end_kind::complete);
  CHECK(r->status == 413);
  CHECK(server.streams[1].rst_received == NGHTTP2_CANCEL);  // we stopped uploading
  ev.check_all_ended_once();
}

TEST_CASE("h2: abort_all ends every open stream once and stops the session", "[h2]") {
  recorder ev;
  h2_session client(ev, opts(), cap);
  test_server server;
  h2_request_headers h("GET", "http", "example.com", "/");
  REQUIRE(client.submit(h, {}, ev.expect(), false) == 1);
  pump(client, server);
  REQUIRE(client.submit(h, std::string(10, 'b'), ev.expect(), false) == 3);  // queued only
  client.abort_all();
  for (const auto& r : ev.responses)
    CHECK(r.kind == stream_end_kind::session_closed);
  client.abort_all();
  CHECK(client.finished());
  CHECK(client.going_away());
  CHECK(client.pending().empty());
  CHECK(client.submit(h, {}, nullptr, false) == -1);
  server.respond(1, 200, "late");
  const std::string back = server.drain();
  CHECK_FALSE(client.receive(back.data(), back.size()));
  ev.check_all_ended_once();
}

TEST_CASE("h2: PING is answered", "[h2]") {
  recorder ev;
  h2_session client(ev, opts(), cap);
  test_server server;
  client.ping();
  CHECK(client.ping_outstanding());
  pump(client, server);
  CHECK_FALSE(client.ping_outstanding());
}

TEST_CASE("h2: output is bounded while the transport does not drain it", "[h2]") {
  recorder ev;
  h2_session client(ev, opts(), cap);
  // Windows wide open: only the session's own bound limits what it buffers.
  test_server server({{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1u << 30}});
  nghttp2_session_set_local_window_size(server.session(), NGHTTP2_FLAG_NONE, 0, 1 << 30);
  client.start();
  pump(client, server);
  h2_request_headers h("POST", "http", "example.com", "/");
  const std::string body(1'000'000, 'u');
  REQUIRE(client.submit(h, body, ev.expect(), false) == 1);
  // Nothing consumed: the buffer stops growing near 64 KiB (plus one frame).
  auto out = client.pending();
  CHECK(out.size() <= 64 * 1024 + 16 * 1024 + 9);
  out = client.pending();
  CHECK(out.size() <= 64 * 1024 + 16 * 1024 + 9);
  client.abort_all();
  ev.check_all_ended_once();
}
