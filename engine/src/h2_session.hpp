#pragma once

#include <nghttp2/nghttp2.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ordeal/engine/config.hpp"

namespace ordeal::engine {

// How a stream ended. kind is authoritative; error_code only says more.
enum class stream_end_kind : std::uint8_t {
  complete,        // the whole response arrived (the server's END_STREAM)
  reset_by_peer,   // RST_STREAM from the server (any code but REFUSED_STREAM)
  refused,         // not processed: RST_STREAM REFUSED_STREAM, or above a GOAWAY's last stream
  cancelled,       // cancel() was called
  protocol,        // the response broke the rules: invalid headers, header block over the cap,
                   // or a connection-level error (bad frame, HPACK) that ended the session
  session_closed,  // abort_all(): the transport went away with the stream open
};

struct h2_stream_end {
  stream_end_kind kind = stream_end_kind::complete;
  std::uint32_t error_code = 0;  // HTTP/2 error code received or sent; 0 if none
  std::string_view reason;       // empty if complete; valid during the call only
};

// The RFC 9113 name of an HTTP/2 error code ("REFUSED_STREAM"), "UNKNOWN" for others.
std::string_view h2_error_name(std::uint32_t code) noexcept;

// What a session reports. stream_data is the pointer given to submit(). Events come from
// receive(), pending(), cancel() and abort_all(), inside nghttp2's C callbacks: a handler must
// not throw; it may call submit(), cancel(), ping() and the observers, but never receive(),
// pending(), consumed() or the destructor.
class h2_session_events {
 public:
  virtual ~h2_session_events() = default;
  // A response header, or a trailer (after the body). Only for streams submitted with
  // want_headers; includes ":status". Headers of 1xx responses are never delivered.
  virtual void on_header(void* stream_data, std::string_view name, std::string_view value,
                         bool trailer) = 0;
  // The final (non-1xx) response's header block is complete.
  virtual void on_response_head(void* stream_data, int status) = 0;
  virtual void on_data(void* stream_data, std::string_view chunk) = 0;  // body bytes
  // Exactly once per stream submit() accepted; nothing more is reported for it afterwards.
  virtual void on_stream_end(void* stream_data, const h2_stream_end& end) = 0;
  // GOAWAY received: streams above last_stream_id were not processed (they end refused).
  virtual void on_goaway(std::int32_t last_stream_id, std::uint32_t error_code,
                         std::string_view debug) = 0;
  // A HEADERS or DATA frame of the request was serialized: its bytes are in pending()'s output
  // by the time pending() returns. frame_bytes includes the 9-byte frame header; end_stream:
  // it was the request's last frame (the whole request is out once those bytes are written).
  virtual void on_request_frame(void* stream_data, std::size_t frame_bytes, bool end_stream) {
    (void)stream_data, (void)frame_bytes, (void)end_stream;
  }
};

// A request's header list (pseudo-headers first) built once and submitted any number of
// times: nghttp2 reads names and values in place (NO_COPY), so it must outlive every stream
// it was submitted for.
class h2_request_headers {
 public:
  h2_request_headers() = default;
  // :method, :scheme, :authority and :path.
  h2_request_headers(std::string_view method, std::string_view scheme, std::string_view authority,
                     std::string_view path);
  h2_request_headers(const h2_request_headers&) = delete;
  h2_request_headers& operator=(const h2_request_headers&) = delete;
  h2_request_headers(h2_request_headers&&) noexcept = default;
  h2_request_headers& operator=(h2_request_headers&&) noexcept = default;

  // Appends a header, its name lowercased. Headers HTTP/2 forbids (connection-specific ones,
  // RFC 9113 8.2.2; "te" other than "trailers") are dropped: returns false.
  bool add(std::string_view name, std::string_view value);
  const nghttp2_nv* data() const noexcept { return nva_.data(); }
  std::size_t size() const noexcept { return nva_.size(); }

 private:
  std::deque<std::string> text_;  // a deque: growing it never moves the strings nva_ points to
  std::vector<nghttp2_nv> nva_;
};

// The client side of one HTTP/2 connection as bytes in, bytes out (nghttp2 in memory mode);
// the caller owns the transport. Not thread-safe; one per connection.
class h2_session {
 public:
  // max_header_bytes: cap of one response header block (or trailer block), counted as in
  // RFC 7541 4.1 (name + value + 32 per field).
  h2_session(h2_session_events& events, const h2_options& options, std::size_t max_header_bytes);
  h2_session(const h2_session&) = delete;
  h2_session& operator=(const h2_session&) = delete;
  ~h2_session();  // reports nothing: call abort_all() first for streams still open

  // Queues the preface, SETTINGS and the connection window's WINDOW_UPDATE. Idempotent;
  // submit() calls it.
  void start();
  // Submits a request; events for it carry stream_data. nva (and the bytes it points to) and
  // body must stay valid until on_stream_end. An empty body sends END_STREAM with the
  // headers. body_allowed: how many body bytes may go out before allow_body() grants more (a
  // trickled upload); all of them by default. Returns the stream id, or -1 (no room, going
  // away, nghttp2 refused: error()).
  std::int32_t submit(const nghttp2_nv* nva, std::size_t nvlen, std::string_view body,
                      void* stream_data, bool want_headers, std::size_t body_allowed = SIZE_MAX);
  std::int32_t submit(const h2_request_headers& headers, std::string_view body, void* stream_data,
                      bool want_headers, std::size_t body_allowed = SIZE_MAX) {
    return submit(headers.data(), headers.size(), body, stream_data, want_headers, body_allowed);
  }
  // Lets the stream send its body up to `bytes` in all (never less than already granted); the
  // next pending() carries what flow control allows of it. Unknown or ended streams are ignored.
  void allow_body(std::int32_t stream_id, std::size_t bytes);
  // Resets the stream (RST_STREAM CANCEL) and reports on_stream_end(cancelled) before
  // returning. Unknown or ended streams are ignored.
  void cancel(std::int32_t stream_id);
  // Feeds received bytes. false on a connection-level error (reason in error(); every open
  // stream has ended with kind protocol) or after abort_all(): flush pending() if possible
  // (the GOAWAY nghttp2 queued), then close.
  bool receive(const char* data, std::size_t size);
  // Bytes to write now (frames coalesced, at most ~64 KiB buffered). Valid until consumed()
  // or the next pending(). Empty when nothing can be sent, e.g. flow control blocks the body.
  std::string_view pending();
  void consumed(std::size_t bytes);  // the transport wrote this many bytes of pending()

  // Streams that may be submitted now: min(max_streams, the server's
  // SETTINGS_MAX_CONCURRENT_STREAMS; nghttp2 assumes 100 until they arrive) - open; 0 once
  // going away.
  unsigned room() const noexcept;
  unsigned open_streams() const noexcept { return open_; }  // submitted, not yet ended
  // GOAWAY received or sent, connection error, stream ids exhausted or aborted: submit
  // nothing more, open a new connection.
  bool going_away() const noexcept;
  // Nothing more to read or write: close the connection.
  bool finished() const noexcept;
  // Ends every open stream with session_closed (the transport died) and stops the session.
  // Idempotent.
  void abort_all();
  // Sends a PING unless one is unanswered.
  void ping();
  bool ping_outstanding() const noexcept { return ping_outstanding_; }  // sent, not acked
  const std::string& error() const noexcept { return error_; }
  std::uint32_t remote_max_streams() const noexcept;  // the server's MAX_CONCURRENT_STREAMS

 private:
  struct stream;
  friend struct h2_callbacks;

  stream* find(std::int32_t stream_id) const noexcept;
  // The server's END_STREAM: the response is whole.
  void complete(stream& s);
  // Reports the end and frees the slot (before the handler runs: it may submit again).
  void end_stream(stream& s, stream_end_kind kind, std::uint32_t code, std::string_view reason);
  void end_all(stream_end_kind kind, std::uint32_t code, std::string_view reason);
  void fill_output();  // asks nghttp2 for frames until it has none or out_ is full
  // nghttp2 gave up on the connection (it queued or sent GOAWAY): record why (its error
  // callback's message if any, else why), end every stream.
  void connection_failed(std::uint32_t code, std::string_view why);

  h2_session_events& events_;
  h2_options options_;
  std::size_t max_header_bytes_;
  nghttp2_session* session_ = nullptr;
  std::vector<std::unique_ptr<stream>> streams_;  // slots, reused; never more than ever open
  std::vector<stream*> free_;
  unsigned open_ = 0;
  std::string out_;  // frames to write: out_[out_begin_, size)
  std::size_t out_begin_ = 0;
  std::string error_;
  std::string reason_;      // scratch for end reasons; keeps its capacity
  std::string last_error_;  // nghttp2's last error message (error_callback2)
  std::uint32_t last_error_code_ = NGHTTP2_PROTOCOL_ERROR;
  std::int32_t goaway_last_stream_id_ = 0;
  std::uint32_t goaway_error_code_ = 0;
  bool started_ = false;
  bool goaway_received_ = false;
  bool failed_ = false;   // connection-level error
  bool aborted_ = false;  // abort_all()
  bool ping_outstanding_ = false;
};

}  // namespace ordeal::engine
