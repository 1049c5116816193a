#pragma once

// The harness of the h2_session tests.
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

#include "../../../engine/src/h2_session.hpp"

// Every test drives an h2_session against a real nghttp2 server session in memory: bytes are
// pumped between the two until neither has anything more to say.

namespace h2_test {

using ordeal::engine::h2_error_name;
using ordeal::engine::h2_options;
using ordeal::engine::h2_request_headers;
using ordeal::engine::h2_session;
using ordeal::engine::h2_session_events;
using ordeal::engine::h2_stream_end;
using ordeal::engine::stream_end_kind;
using fields = std::vector<std::pair<std::string, std::string>>;

inline const char* kind_name(stream_end_kind k) {
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

inline nghttp2_nv nv(const std::string& n, const std::string& v) {
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
inline int pump(h2_session& client, test_server& server, bool* client_ok = nullptr) {
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

inline h2_options opts(unsigned max_streams = 100) {
  h2_options o;
  o.max_streams = max_streams;
  return o;
}

constexpr std::size_t cap = 64 * 1024;

inline std::string find(const fields& f, std::string_view name) {
  for (const auto& [n, v] : f)
    if (n == name) return v;
  return "<none>";
}

}  // namespace h2_test

namespace Catch {
template <>
struct StringMaker<ordeal::engine::stream_end_kind> {
  static std::string convert(ordeal::engine::stream_end_kind k) { return h2_test::kind_name(k); }
};
}  // namespace Catch
