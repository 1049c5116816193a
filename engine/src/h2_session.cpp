#include "h2_session.hpp"

#include <algorithm>
#include <climits>
#include <cstring>
#include <new>

namespace ordeal::engine {

namespace {

// Output buffered before pending() stops asking nghttp2 for more frames: bounds memory when
// the transport is slower than the session, without splitting the common case (a few frames).
constexpr std::size_t max_buffered_output = 64 * 1024;

constexpr std::uint8_t no_copy = NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE;

std::string_view view(const std::uint8_t* p, std::size_t n) {
  return {reinterpret_cast<const char*>(p), n};
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::string_view frame_name(std::uint8_t type) {
  switch (type) {
    case NGHTTP2_DATA:
      return "DATA";
    case NGHTTP2_HEADERS:
      return "HEADERS";
    case NGHTTP2_PRIORITY:
      return "PRIORITY";
    case NGHTTP2_RST_STREAM:
      return "RST_STREAM";
    case NGHTTP2_SETTINGS:
      return "SETTINGS";
    case NGHTTP2_PUSH_PROMISE:
      return "PUSH_PROMISE";
    case NGHTTP2_PING:
      return "PING";
    case NGHTTP2_GOAWAY:
      return "GOAWAY";
    case NGHTTP2_WINDOW_UPDATE:
      return "WINDOW_UPDATE";
    case NGHTTP2_CONTINUATION:
      return "CONTINUATION";
    default:
      return "unknown";
  }
}

// The error code nghttp2 puts in its GOAWAY for a library error (as its own mapping does).
std::uint32_t h2_code_of(int lib_error_code) {
  switch (lib_error_code) {
    case NGHTTP2_ERR_HEADER_COMP:
      return NGHTTP2_COMPRESSION_ERROR;
    case NGHTTP2_ERR_FLOW_CONTROL:
      return NGHTTP2_FLOW_CONTROL_ERROR;
    case NGHTTP2_ERR_FRAME_SIZE_ERROR:
      return NGHTTP2_FRAME_SIZE_ERROR;
    case NGHTTP2_ERR_SETTINGS_EXPECTED:
    case NGHTTP2_ERR_PROTO:
      return NGHTTP2_PROTOCOL_ERROR;
    case NGHTTP2_ERR_FLOODED:
      return NGHTTP2_ENHANCE_YOUR_CALM;
    default:
      return NGHTTP2_PROTOCOL_ERROR;
  }
}

}  // namespace

std::string_view h2_error_name(std::uint32_t code) noexcept {
  static constexpr std::string_view names[] = {"NO_ERROR",
                                               "PROTOCOL_ERROR",
                                               "INTERNAL_ERROR",
                                               "FLOW_CONTROL_ERROR",
                                               "SETTINGS_TIMEOUT",
                                               "STREAM_CLOSED",
                                               "FRAME_SIZE_ERROR",
                                               "REFUSED_STREAM",
                                               "CANCEL",
                                               "COMPRESSION_ERROR",
                                               "CONNECT_ERROR",
                                               "ENHANCE_YOUR_CALM",
                                               "INADEQUATE_SECURITY",
                                               "HTTP_1_1_REQUIRED"};
  return code < std::size(names) ? names[code] : "UNKNOWN";
}

// ---- h2_request_headers ----

h2_request_headers::h2_request_headers(std::string_view method, std::string_view scheme,
                                       std::string_view authority, std::string_view path) {
  add(":method", method);
  add(":scheme", scheme);
  add(":authority", authority);
  add(":path", path);
}

bool h2_request_headers::add(std::string_view name, std::string_view value) {
  // Connection-specific fields make an HTTP/2 message malformed (RFC 9113 8.2.2).
  static constexpr std::string_view forbidden[] = {"connection", "keep-alive", "proxy-connection",
                                                   "transfer-encoding", "upgrade"};
  for (const auto f : forbidden)
    if (iequals(name, f)) return false;
  if (iequals(name, "te") && !iequals(value, "trailers")) return false;
  std::string& n = text_.emplace_back(name);
  for (char& c : n)
    c = lower(c);
  std::string& v = text_.emplace_back(value);
  nva_.push_back(nghttp2_nv{reinterpret_cast<std::uint8_t*>(n.data()),
                            reinterpret_cast<std::uint8_t*>(v.data()), n.size(), v.size(),
                            no_copy});
  return true;
}

// ---- h2_session ----

// One submitted request. Slots are reused; nghttp2 holds a pointer to the slot as the
// stream's user data, so every callback checks that the slot still belongs to its stream id.
struct h2_session::stream {
  std::int32_t id = 0;  // 0: free
  void* data = nullptr;
  std::string_view body;
  std::size_t body_sent = 0;            // bytes of body handed to nghttp2
  std::size_t body_allowed = SIZE_MAX;  // bytes of body that may be handed to nghttp2 so far
  std::size_t block_bytes = 0;          // RFC 7541 size of the header block being received
  int status = 0;                       // final status, once its :status arrived
  bool want_headers = false;
  bool head_done = false;      // final response head delivered: later headers are trailers
  bool interim = false;        // the header block being received is a 1xx response
  bool local_reset = false;    // nghttp2 reset the stream itself (a stream error it detected)
  bool body_deferred = false;  // read_body said NGHTTP2_ERR_DEFERRED: allow_body() resumes it
};

// nghttp2 callbacks: free functions that cast user_data and forward (h2load's design).
struct h2_callbacks {
  static h2_session& self(void* user_data) { return *static_cast<h2_session*>(user_data); }

  static int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* ud) {
    auto& s = self(ud);
    if (s.aborted_) return NGHTTP2_ERR_CALLBACK_FAILURE;
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    if (auto* st = s.find(frame->hd.stream_id)) {
      st->block_bytes = 0;
      st->interim = false;
    }
    return 0;
  }

  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
                       std::size_t namelen, const std::uint8_t* value, std::size_t valuelen,
                       std::uint8_t, void* ud) {
    auto& s = self(ud);
    if (s.aborted_) return NGHTTP2_ERR_CALLBACK_FAILURE;
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    auto* st = s.find(frame->hd.stream_id);
    if (st == nullptr) return 0;
    st->block_bytes += namelen + valuelen + 32;
    if (st->block_bytes > s.max_header_bytes_) {
      s.reason_.assign(st->head_done ? "response trailer block over "
                                     : "response header block over ");
      s.reason_.append(std::to_string(s.max_header_bytes_)).append(" bytes");
      s.end_stream(*st, stream_end_kind::protocol, NGHTTP2_INTERNAL_ERROR, s.reason_);
      // nghttp2 resets the stream (INTERNAL_ERROR) and skips the rest of the block, still
      // decoding it so that the connection's HPACK state stays right.
      return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    const auto n = view(name, namelen);
    const auto v = view(value, valuelen);
    if (!st->head_done) {
      if (n == ":status") {
        // nghttp2 has checked it is three digits.
        int status = 0;
        for (char c : v)
          status = status * 10 + (c - '0');
        if (status < 200)
          st->interim = true;
        else
          st->status = status;
      }
      if (st->interim) return 0;
    }
    if (st->want_headers) s.events_.on_header(st->data, n, v, st->head_done);
    return 0;
  }

  static int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* ud) {
    auto& s = self(ud);
    if (s.aborted_) return NGHTTP2_ERR_CALLBACK_FAILURE;
    const std::int32_t id = frame->hd.stream_id;
    switch (frame->hd.type) {
      case NGHTTP2_HEADERS: {
        auto* st = s.find(id);
        if (st == nullptr) break;
        if (!st->head_done) {
          if (st->interim) {
            st->interim = false;  // a 1xx: the final response is still to come
            break;
          }
          if (st->status == 0) break;
          st->head_done = true;
          s.events_.on_response_head(st->data, st->status);
          st = s.find(id);  // the handler may have cancelled it
          if (st == nullptr) break;
        }
        if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) s.complete(*st);
        break;
      }
      case NGHTTP2_DATA:
        if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) {
          if (auto* st = s.find(id)) s.complete(*st);
        }
        break;
      case NGHTTP2_RST_STREAM:
        if (auto* st = s.find(id)) {
          const std::uint32_t code = frame->rst_stream.error_code;
          s.reason_.assign("RST_STREAM ").append(h2_error_name(code));
          s.end_stream(*st,
                       code == NGHTTP2_REFUSED_STREAM ? stream_end_kind::refused
                                                      : stream_end_kind::reset_by_peer,
                       code, s.reason_);
        }
        break;
      case NGHTTP2_GOAWAY:
        // nghttp2 closes the streams above last_stream_id (REFUSED_STREAM) right after this.
        s.goaway_received_ = true;
        s.goaway_last_stream_id_ = frame->goaway.last_stream_id;
        s.goaway_error_code_ = frame->goaway.error_code;
        s.events_.on_goaway(frame->goaway.last_stream_id, frame->goaway.error_code,
                            view(frame->goaway.opaque_data, frame->goaway.opaque_data_len));
        break;
      case NGHTTP2_PING:
        if (frame->hd.flags & NGHTTP2_FLAG_ACK) s.ping_outstanding_ = false;
        break;
      default:
        break;
    }
    return 0;
  }

  static int on_data_chunk(nghttp2_session*, std::uint8_t, std::int32_t stream_id,
                           const std::uint8_t* data, std::size_t len, void* ud) {
    auto& s = self(ud);
    if (s.aborted_) return NGHTTP2_ERR_CALLBACK_FAILURE;
    if (auto* st = s.find(stream_id)) s.events_.on_data(st->data, view(data, len));
    return 0;
  }

  static int on_stream_close(nghttp2_session*, std::int32_t stream_id, std::uint32_t code,
                             void* ud) {
    auto& s = self(ud);
    auto* st = s.find(stream_id);
    if (st == nullptr) return 0;  // already ended (complete, reset, cancelled)
    if (s.goaway_received_ && stream_id > s.goaway_last_stream_id_) {
      s.reason_.assign("GOAWAY ")
          .append(h2_error_name(s.goaway_error_code_))
          .append(": not processed (last stream ")
          .append(std::to_string(s.goaway_last_stream_id_))
          .append(")");
      s.end_stream(*st, stream_end_kind::refused, NGHTTP2_REFUSED_STREAM, s.reason_);
      return 0;
    }
    if (code == NGHTTP2_REFUSED_STREAM) {
      s.end_stream(*st, stream_end_kind::refused, code, "stream refused");
      return 0;
    }
    s.reason_
        .assign(st->local_reset ? "invalid response: stream reset with "
                                : "stream closed without a complete response: ")
        .append(h2_error_name(code));
    s.end_stream(*st, stream_end_kind::protocol, code, s.reason_);
    return 0;
  }

  static int on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* ud) {
    auto& s = self(ud);
    if (frame->hd.type == NGHTTP2_RST_STREAM) {
      if (auto* st = s.find(frame->hd.stream_id)) st->local_reset = true;
    } else if (frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) {
      if (auto* st = s.find(frame->hd.stream_id))
        s.events_.on_request_frame(st->data, frame->hd.length + 9,
                                   (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0);
    } else if (frame->hd.type == NGHTTP2_GOAWAY) {
      // We never submit GOAWAY: nghttp2 sends one only when it gives up on the connection.
      s.connection_failed(frame->goaway.error_code,
                          view(frame->goaway.opaque_data, frame->goaway.opaque_data_len));
    }
    return 0;
  }

  static int on_frame_not_send(nghttp2_session*, const nghttp2_frame* frame, int lib_error_code,
                               void* ud) {
    auto& s = self(ud);
    if (frame->hd.type == NGHTTP2_HEADERS) {
      if (auto* st = s.find(frame->hd.stream_id)) {
        const bool goaway = lib_error_code == NGHTTP2_ERR_START_STREAM_NOT_ALLOWED;
        s.reason_.assign("request not sent: ").append(nghttp2_strerror(lib_error_code));
        s.end_stream(*st, goaway ? stream_end_kind::refused : stream_end_kind::protocol,
                     goaway ? NGHTTP2_REFUSED_STREAM : NGHTTP2_INTERNAL_ERROR, s.reason_);
      }
    } else if (frame->hd.type == NGHTTP2_GOAWAY) {
      s.connection_failed(frame->goaway.error_code, "GOAWAY not sent");
    }
    return 0;
  }

  static int on_invalid_frame_recv(nghttp2_session*, const nghttp2_frame* frame, int lib_error_code,
                                   void* ud) {
    auto& s = self(ud);
    if (s.aborted_) return NGHTTP2_ERR_CALLBACK_FAILURE;
    s.last_error_code_ = h2_code_of(lib_error_code);
    if (frame->hd.stream_id == 0) return 0;
    auto* st = s.find(frame->hd.stream_id);
    if (st == nullptr) return 0;
    // nghttp2 resets the stream (or ends the connection) after this call.
    s.reason_.assign("invalid ")
        .append(frame_name(frame->hd.type))
        .append(" frame: ")
        .append(s.last_error_.empty() ? std::string_view(nghttp2_strerror(lib_error_code))
                                      : std::string_view(s.last_error_));
    s.end_stream(*st, stream_end_kind::protocol, NGHTTP2_PROTOCOL_ERROR, s.reason_);
    return 0;
  }

  static int on_error(nghttp2_session*, int lib_error_code, const char* msg, std::size_t len,
                      void* ud) {
    auto& s = self(ud);
    s.last_error_.assign(msg, len);
    s.last_error_code_ = h2_code_of(lib_error_code);
    return 0;
  }

  static ssize_t read_body(nghttp2_session*, std::int32_t stream_id, std::uint8_t* buf,
                           std::size_t length, std::uint32_t* data_flags,
                           nghttp2_data_source* source, void*) {
    auto* st = static_cast<h2_session::stream*>(source->ptr);
    // An ended stream's body may be gone: never read it (nghttp2 resets the stream).
    if (st->id != stream_id) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    const std::size_t limit = std::min(st->body.size(), st->body_allowed);
    if (st->body_sent >= limit) {  // a trickled body: the rest waits for allow_body()
      st->body_deferred = true;
      return NGHTTP2_ERR_DEFERRED;
    }
    const std::size_t n = std::min(length, limit - st->body_sent);
    std::memcpy(buf, st->body.data() + st->body_sent, n);
    st->body_sent += n;
    if (st->body_sent == st->body.size()) *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }
};

namespace {

// Callbacks and options are the same for every session: made once, shared (nghttp2 copies
// what it needs when a session is created).
struct nghttp2_setup {
  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_option* option = nullptr;

  nghttp2_setup() {
    if (nghttp2_session_callbacks_new(&callbacks) != 0 || nghttp2_option_new(&option) != 0)
      throw std::bad_alloc();
    using cb = h2_callbacks;
    nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, cb::on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(callbacks, cb::on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, cb::on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, cb::on_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, cb::on_stream_close);
    nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, cb::on_frame_send);
    nghttp2_session_callbacks_set_on_frame_not_send_callback(callbacks, cb::on_frame_not_send);
    nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(callbacks,
                                                                 cb::on_invalid_frame_recv);
    nghttp2_session_callbacks_set_error_callback2(callbacks, cb::on_error);
    // A client keeps nothing of closed streams (they only serve a server's priority tree).
    nghttp2_option_set_no_closed_streams(option, 1);
    // Tolerate whitespace around header values, as curl does: a load generator reports what
    // servers do, it does not police them for that.
    nghttp2_option_set_no_rfc9113_leading_and_trailing_ws_validation(option, 1);
  }
  ~nghttp2_setup() {
    nghttp2_option_del(option);
    nghttp2_session_callbacks_del(callbacks);
  }
};

const nghttp2_setup& setup() {
  static const nghttp2_setup s;
  return s;
}

}  // namespace

h2_session::h2_session(h2_session_events& events, const h2_options& options,
                       std::size_t max_header_bytes)
    : events_(events), options_(options), max_header_bytes_(max_header_bytes) {
  const auto& s = setup();
  if (nghttp2_session_client_new2(&session_, s.callbacks, this, s.option) != 0)
    throw std::bad_alloc();
}

h2_session::~h2_session() {
  nghttp2_session_del(session_);
}

void h2_session::start() {
  if (started_) return;
  started_ = true;
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE,
       std::min<std::uint32_t>(options_.stream_window, NGHTTP2_MAX_WINDOW_SIZE)},
      // Advisory (RFC 9113 6.5.2): the server learns our cap instead of finding out by a reset.
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE,
       static_cast<std::uint32_t>(std::min<std::size_t>(max_header_bytes_, UINT32_MAX))},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  const auto window = static_cast<std::int32_t>(
      std::min<std::uint32_t>(options_.connection_window, NGHTTP2_MAX_WINDOW_SIZE));
  if (window != NGHTTP2_INITIAL_CONNECTION_WINDOW_SIZE)
    nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, window);
}

std::int32_t h2_session::submit(const nghttp2_nv* nva, std::size_t nvlen, std::string_view body,
                                void* stream_data, bool want_headers, std::size_t body_allowed) {
  start();
  if (room() == 0) {
    // A connection error's text stays: it says more than this.
    if (!failed_ && !aborted_)
      error_ = going_away() ? "HTTP/2 connection going away" : "no room for another stream";
    return -1;
  }
  stream* st;
  if (free_.empty()) {
    st = streams_.emplace_back(std::make_unique<stream>()).get();
    free_.reserve(streams_.size());  // end_stream() never allocates
  } else {
    st = free_.back();
    free_.pop_back();
  }
  *st = stream{};
  st->data = stream_data;
  st->body = body;
  st->want_headers = want_headers;
  st->body_allowed = body_allowed;
  nghttp2_data_provider provider{};
  provider.source.ptr = st;
  provider.read_callback = h2_callbacks::read_body;
  const std::int32_t id =
      nghttp2_submit_request(session_, nullptr, nva, nvlen, body.empty() ? nullptr : &provider, st);
  if (id < 0) {
    free_.push_back(st);
    error_.assign("HTTP/2 request not submitted: ").append(nghttp2_strerror(id));
    return -1;
  }
  st->id = id;
  ++open_;
  return id;
}

void h2_session::cancel(std::int32_t stream_id) {
  if (stream_id <= 0) return;
  for (auto& st : streams_) {
    if (st->id != stream_id) continue;
    // Also withdraws a request whose HEADERS are still queued.
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_CANCEL);
    end_stream(*st, stream_end_kind::cancelled, NGHTTP2_CANCEL, "cancelled");
    return;
  }
}

void h2_session::allow_body(std::int32_t stream_id, std::size_t bytes) {
  stream* st = stream_id > 0 ? find(stream_id) : nullptr;
  if (st == nullptr) return;
  st->body_allowed = std::max(st->body_allowed, bytes);
  if (st->body_deferred && st->body_sent < std::min(st->body.size(), st->body_allowed)) {
    st->body_deferred = false;
    nghttp2_session_resume_data(session_, stream_id);
  }
}

bool h2_session::receive(const char* data, std::size_t size) {
  if (aborted_ || failed_) return false;
  last_error_.clear();
  const auto rv =
      nghttp2_session_mem_recv(session_, reinterpret_cast<const std::uint8_t*>(data), size);
  if (aborted_) return false;  // a handler called abort_all()
  if (rv < 0) {                // fatal (flooded, out of memory): nghttp2's own text says it best
    last_error_.clear();
    connection_failed(NGHTTP2_INTERNAL_ERROR, nghttp2_strerror(static_cast<int>(rv)));
    return false;
  }
  if (failed_) return false;
  // nghttp2 does not fail mem_recv on a connection error: it queues GOAWAY and ignores what
  // follows. Requests stop being allowed then, which without a GOAWAY received (or stream ids
  // spent) can only mean that.
  if (!goaway_received_ && !nghttp2_session_check_request_allowed(session_) &&
      nghttp2_session_get_next_stream_id(session_) <= INT32_MAX) {
    // The reason is in the GOAWAY's debug data: serialize it now (on_frame_send reports it).
    fill_output();
    if (aborted_) return false;
    connection_failed(last_error_code_, {});
    return false;
  }
  return true;
}

std::string_view h2_session::pending() {
  if (aborted_) return {};
  fill_output();
  if (aborted_) return {};
  return {out_.data() + out_begin_, out_.size() - out_begin_};
}

void h2_session::fill_output() {
  if (out_begin_ > 0) {
    out_.erase(0, out_begin_);
    out_begin_ = 0;
  }
  // nghttp2 finishes a frame's bookkeeping (on_frame_send, closing streams) in the next call,
  // so the loop runs until it has nothing more, unless the buffer is full.
  while (out_.size() < max_buffered_output && !aborted_) {
    const std::uint8_t* data = nullptr;
    const auto n = nghttp2_session_mem_send(session_, &data);
    if (n < 0) {
      connection_failed(NGHTTP2_INTERNAL_ERROR, nghttp2_strerror(static_cast<int>(n)));
      break;
    }
    if (n == 0) break;
    out_.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
  }
}

void h2_session::consumed(std::size_t bytes) {
  out_begin_ += std::min(bytes, out_.size() - out_begin_);
  if (out_begin_ == out_.size()) {
    out_.clear();
    out_begin_ = 0;
  }
}

unsigned h2_session::room() const noexcept {
  if (going_away()) return 0;
  const auto limit = std::min<std::uint32_t>(options_.max_streams, remote_max_streams());
  return limit > open_ ? limit - open_ : 0;
}

bool h2_session::going_away() const noexcept {
  return aborted_ || failed_ || goaway_received_ ||
         !nghttp2_session_check_request_allowed(session_);
}

bool h2_session::finished() const noexcept {
  return aborted_ || (out_.size() == out_begin_ && !nghttp2_session_want_read(session_) &&
                      !nghttp2_session_want_write(session_));
}

void h2_session::abort_all() {
  if (aborted_) return;
  aborted_ = true;
  end_all(stream_end_kind::session_closed, 0, "connection closed with the stream open");
}

void h2_session::ping() {
  start();
  if (ping_outstanding_ || aborted_ || failed_) return;
  if (nghttp2_submit_ping(session_, NGHTTP2_FLAG_NONE, nullptr) == 0) ping_outstanding_ = true;
}

std::uint32_t h2_session::remote_max_streams() const noexcept {
  return nghttp2_session_get_remote_settings(session_, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
}

h2_session::stream* h2_session::find(std::int32_t stream_id) const noexcept {
  auto* st = static_cast<stream*>(nghttp2_session_get_stream_user_data(session_, stream_id));
  return st != nullptr && st->id == stream_id ? st : nullptr;
}

void h2_session::complete(stream& st) {
  // The server may answer before reading the whole request body (RFC 9113 8.1): stop sending
  // it, so nghttp2 never reads a body the caller may free once told the stream ended.
  if (st.body_sent < st.body.size())
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, st.id, NGHTTP2_CANCEL);
  end_stream(st, stream_end_kind::complete, 0, {});
}

void h2_session::end_stream(stream& st, stream_end_kind kind, std::uint32_t code,
                            std::string_view reason) {
  void* const data = st.data;
  st = stream{};
  free_.push_back(&st);
  --open_;
  events_.on_stream_end(data, h2_stream_end{kind, code, reason});
}

void h2_session::end_all(stream_end_kind kind, std::uint32_t code, std::string_view reason) {
  // Handlers cannot add streams meanwhile: room() is 0 once aborted or failed.
  for (auto& st : streams_)
    if (st->id != 0) end_stream(*st, kind, code, reason);
}

void h2_session::connection_failed(std::uint32_t code, std::string_view why) {
  if (failed_ || aborted_) return;
  failed_ = true;
  // nghttp2's error callback says more than the GOAWAY's debug data, when it said anything.
  if (!last_error_.empty()) why = last_error_;
  if (why.empty()) {
    why = code == NGHTTP2_COMPRESSION_ERROR    ? "a header block could not be decoded (HPACK)"
          : code == NGHTTP2_FLOW_CONTROL_ERROR ? "the server broke flow control"
                                               : "invalid data from the server";
  }
  error_.assign("HTTP/2 connection error ").append(h2_error_name(code)).append(": ").append(why);
  // A copy: a handler's submit() must not change the text it is reading.
  reason_ = error_;
  end_all(stream_end_kind::protocol, code, reason_);
}

}  // namespace ordeal::engine
