// libFuzzer target: a client h2_session reading arbitrary server bytes.
//
// The session submits a GET (headers wanted), a POST with a body larger than the default
// windows and a HEAD, writes them out (the bytes are dropped), then reads the input as what
// the server sent, in pieces. Input: byte 0 = options (bits 0-2: piece sizes; bit 3: a 256-byte
// header cap; bit 4: cancel the GET after the first piece; bit 5: submit a new request from
// on_stream_end while there is room; bit 6: ping; bit 7: small windows), the rest = server bytes.
//
// Invariants: every submitted stream ends exactly once and reports nothing after its end;
// nothing at all is reported after abort_all(); open_streams() matches the count of streams
// not ended; room() never exceeds max_streams; a failed receive() leaves the session going
// away; pending() stays bounded.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "h2_session.hpp"

namespace {

using namespace ordeal::engine;

void check(bool ok) {
  if (!ok) std::abort();
}

constexpr int max_requests = 12;

struct fuzz_events final : h2_session_events {
  struct stream_record {
    bool submitted = false;
    int ends = 0;
  };
  stream_record streams[max_requests];
  h2_session* session = nullptr;
  const h2_request_headers* resubmit_headers = nullptr;
  int submitted = 0;
  int ended = 0;
  bool aborted = false;  // after abort_all() returned: nothing more may come
  bool resubmit = false;

  stream_record& of(void* p) {
    const auto i = reinterpret_cast<std::uintptr_t>(p);
    check(i < static_cast<std::uintptr_t>(submitted) && streams[i].submitted);
    return streams[i];
  }
  void live(void* p) {
    check(!aborted);
    check(of(p).ends == 0);
  }

  void on_header(void* p, std::string_view, std::string_view, bool) override { live(p); }
  void on_response_head(void* p, int status) override {
    live(p);
    check(status >= 200 && status <= 999);
  }
  void on_data(void* p, std::string_view) override { live(p); }
  void on_stream_end(void* p, const h2_stream_end& e) override {
    live(p);
    ++of(p).ends;
    ++ended;
    check((e.kind == stream_end_kind::complete) == e.reason.empty());
    // The closed loop of the fast path: the next request from inside the event.
    if (resubmit && submitted < max_requests && session->room() > 0)
      submit(*resubmit_headers, {}, true);
  }
  void on_goaway(std::int32_t last, std::uint32_t, std::string_view) override {
    check(!aborted);
    check(last >= 0);
  }

  std::int32_t submit(const h2_request_headers& h, std::string_view body, bool want_headers) {
    const int i = submitted;
    streams[i].submitted = true;
    ++submitted;
    const auto id = session->submit(
        h, body, reinterpret_cast<void*>(static_cast<std::uintptr_t>(i)), want_headers);
    if (id < 0) {  // not accepted: no events will come for it
      streams[i].submitted = false;
      --submitted;
    }
    return id;
  }
};

void drain(h2_session& s) {
  const auto out = s.pending();
  check(out.size() <= 64 * 1024 + 16 * 1024 + 64);
  s.consumed(out.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t flags = data[0];
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

  static const h2_request_headers get("GET", "https", "example.com", "/a");
  static const h2_request_headers post("POST", "https", "example.com", "/b");
  static const h2_request_headers head("HEAD", "https", "example.com", "/c");
  static const std::string body(100'000, 'b');

  h2_options options;
  options.max_streams = 4;
  if (flags & 0x80) {
    options.stream_window = 1024;
    options.connection_window = 70'000;
  }
  fuzz_events ev;
  h2_session session(ev, options, (flags & 0x08) ? 256 : 64 * 1024);
  ev.session = &session;
  ev.resubmit_headers = &get;
  ev.resubmit = flags & 0x20;

  const std::int32_t get_id = ev.submit(get, {}, true);
  check(get_id == 1);
  check(ev.submit(post, body, false) == 3);
  check(ev.submit(head, {}, false) == 5);
  if (flags & 0x40) session.ping();
  drain(session);

  // Piece sizes: 1, 2, 5, 16, 100, 1000, 9 (a frame header) or all at once.
  static constexpr std::size_t sizes[] = {1, 2, 5, 16, 100, 1000, 9, SIZE_MAX};
  const std::size_t piece = sizes[flags & 7];
  std::size_t at = 0;
  bool first = true;
  while (at < input.size()) {
    const std::size_t n = std::min(piece, input.size() - at);
    const bool ok = session.receive(input.data() + at, n);
    at += n;
    check(session.open_streams() == static_cast<unsigned>(ev.submitted - ev.ended));
    check(session.room() <= options.max_streams);
    if (!ok) {
      check(session.going_away());
      check(session.room() == 0);
      check(!session.error().empty());
      drain(session);
      break;
    }
    if (first && (flags & 0x10)) session.cancel(get_id);
    first = false;
    drain(session);
  }

  session.abort_all();
  ev.aborted = true;
  session.abort_all();  // idempotent
  check(session.finished());
  check(session.pending().empty());
  check(session.open_streams() == 0);
  check(!session.receive(input.data(), input.size()));
  for (int i = 0; i < ev.submitted; ++i)
    check(ev.streams[i].ends == 1);
  return 0;
}
