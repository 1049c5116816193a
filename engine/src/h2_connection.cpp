#include "h2_connection.hpp"

#include <sys/epoll.h>

#include <array>

#include "worker.hpp"

namespace ordeal::engine {

namespace asio = boost::asio;

namespace {

constexpr const char* request_timed_out = "no complete response within the request timeout";
constexpr const char* not_processed = "GOAWAY: not processed (above the server's last stream id)";
constexpr const char* refused_stream = "RST_STREAM REFUSED_STREAM";
constexpr const char* closed_with_streams = "connection closed with streams open";
constexpr const char* ping_unanswered = "PING unanswered: connection presumed dead";
constexpr const char* cancelled_stream = "stream cancelled";

// "RST_STREAM <code name>" for the codes RFC 9113 defines, as fixed texts.
const char* rst_stream_text(std::uint32_t code) noexcept {
  static constexpr std::array<const char*, 14> names = {"RST_STREAM NO_ERROR",
                                                        "RST_STREAM PROTOCOL_ERROR",
                                                        "RST_STREAM INTERNAL_ERROR",
                                                        "RST_STREAM FLOW_CONTROL_ERROR",
                                                        "RST_STREAM SETTINGS_TIMEOUT",
                                                        "RST_STREAM STREAM_CLOSED",
                                                        "RST_STREAM FRAME_SIZE_ERROR",
                                                        "RST_STREAM REFUSED_STREAM",
                                                        "RST_STREAM CANCEL",
                                                        "RST_STREAM COMPRESSION_ERROR",
                                                        "RST_STREAM CONNECT_ERROR",
                                                        "RST_STREAM ENHANCE_YOUR_CALM",
                                                        "RST_STREAM INADEQUATE_SECURITY",
                                                        "RST_STREAM HTTP_1_1_REQUIRED"};
  return code < names.size() ? names[code] : "RST_STREAM (unknown error code)";
}

}  // namespace

h2_connection::h2_connection(worker& w, asio::io_context& ioc, unsigned max_streams)
    : connection(w, ioc),
      max_streams_(max_streams),
      slots_(max_streams),
      queue_(max_streams),
      buffer_(new char[read_buffer_size]) {
  free_.reserve(max_streams);
  for (auto& s : slots_)
    free_.push_back(&s);
}

h2_connection::~h2_connection() {
  silenced_ = true;
  if (session_) session_->abort_all();
}

bool h2_connection::has_room() const noexcept {
  if (state_ != state::connected || !session_) return queued_ + open_ < max_streams_;
  return queued_ < session_->room();
}

void h2_connection::assign(clock::time_point intended) {
  queue_[(queue_head_ + queued_) % max_streams_] = slot{intended, {}};
  ++queued_;
  if (state_ == state::closed) {
    connect();
  } else if (state_ == state::connected && !in_io_) {
    const auto now = clock::now();
    submit_queued(now);
    flush(now);
  }
}

void h2_connection::on_established(clock::time_point now) {
  session_.reset();
  session_.emplace(static_cast<h2_session_events&>(*this), worker_.cfg().h2,
                   worker_.cfg().max_header_bytes);
  session_->start();
  if (worker_.cfg().h2.ping_interval.count() > 0) next_ping_ = now + worker_.cfg().h2.ping_interval;
  in_io_ = true;
  worker_.on_room(*this);
  in_io_ = false;
  submit_queued(now);
  if (!flush(now)) return;
  // Over TLS the handshake may already have read the server's SETTINGS: no new edge for it.
  if (io_.secure()) on_io(EPOLLIN);
}

void h2_connection::submit_queued(clock::time_point now) {
  if (!session_ || state_ != state::connected) return;
  while (queued_ > 0 && session_->room() > 0 && !free_.empty()) {
    stream_slot* s = free_.back();
    s->times = queue_[queue_head_];
    s->times.sent = now;
    s->status = 0;
    s->timed_out = false;
    const std::int32_t id =
        session_->submit(worker_.h2_request(), worker_.request_body(), s, /*want_headers=*/false);
    if (id < 0) break;  // going away: the queue waits for the next connection
    free_.pop_back();
    s->id = id;
    s->in_use = true;
    queue_head_ = (queue_head_ + 1) % max_streams_;
    --queued_;
    ++open_;
  }
}

bool h2_connection::flush(clock::time_point now) {
  if (!session_ || state_ != state::connected) return false;
  for (;;) {
    const std::string_view out = session_->pending();
    if (out.empty()) {
      want_writable(false);
      return true;
    }
    const io_result r = io_.write(out.data(), out.size());
    if (r.status == io_status::ok) {
      worker_.stats().bytes_sent += r.bytes;
      session_->consumed(r.bytes);
      if (r.bytes < out.size()) {  // the socket is full: finish when it drains
        want_writable(true);
        return true;
      }
      continue;
    }
    if (r.status == io_status::want_write || r.status == io_status::want_read) {
      want_writable(true);
      return true;
    }
    fail_transport(now);
    return false;
  }
}

void h2_connection::on_io(std::uint32_t events) {
  in_io_ = true;
  const auto started = clock::now();
  if ((events & EPOLLOUT) != 0 && !flush(started)) {
    in_io_ = false;
    return;
  }
  for (;;) {
    const io_result r = io_.read(buffer_.get(), read_buffer_size);
    const auto now = clock::now();
    if (r.status == io_status::ok) {
      worker_.stats().bytes_received += r.bytes;
      if (!session_->receive(buffer_.get(), r.bytes)) {
        // A connection error: the session has ended every stream (protocol) and queued a
        // GOAWAY; send it if the socket takes it, then replace the connection.
        flush(now);
        close();
        in_io_ = false;
        reconnect_if_needed();
        return;
      }
      if (state_ != state::connected) {
        in_io_ = false;
        return;
      }
      // Plain TCP: a short read drained the socket, unless a FIN or RST came with this edge
      // (then read on to see it). TLS reads a record at a time: read until want_read.
      if (r.bytes < read_buffer_size && io_.short_read_drains() &&
          (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) == 0)
        break;
      continue;
    }
    if (r.status == io_status::want_read) break;
    if (r.status == io_status::want_write) {
      want_writable(true);
      break;
    }
    if (r.status == io_status::eof) {
      fail_open(outcome::reset, closed_with_streams, now);
    } else {
      fail_transport(now);
    }
    in_io_ = false;
    return;
  }
  const auto now = clock::now();
  worker_.on_room(*this);  // assign() only queues while in_io_: one write for the batch
  in_io_ = false;
  submit_queued(now);
  if (!flush(now)) return;
  maybe_retire(now);
}

void h2_connection::maybe_retire(clock::time_point now) {
  if (state_ != state::connected || !session_) return;
  if ((session_->going_away() && open_ == 0) || session_->finished()) {
    close();
    (void)now;
    worker_.on_room(*this);
    reconnect_if_needed();
  }
}

void h2_connection::on_response_head(void* stream_data, int status) {
  auto* s = static_cast<stream_slot*>(stream_data);
  s->status = status;
  worker_.on_first_byte(clock::now() - s->times.sent);
}

void h2_connection::on_stream_end(void* stream_data, const h2_stream_end& end) {
  auto* s = static_cast<stream_slot*>(stream_data);
  s->in_use = false;
  free_.push_back(s);
  --open_;
  if (silenced_) return;
  const auto now = clock::now();
  switch (end.kind) {
    case stream_end_kind::complete:
      worker_.on_response(s->times, s->status, now);
      return;
    case stream_end_kind::refused:
      // Both end with REFUSED_STREAM; the reason says which the server did.
      worker_.on_failure(s->times, outcome::refused,
                         end.reason.rfind("GOAWAY", 0) == 0 ? not_processed : refused_stream, now);
      return;
    case stream_end_kind::reset_by_peer:
      worker_.on_failure(s->times, outcome::stream_reset, rst_stream_text(end.error_code), now);
      return;
    case stream_end_kind::cancelled:
      worker_.on_failure(s->times, s->timed_out ? outcome::timeout : outcome::abandoned,
                         s->timed_out ? request_timed_out : cancelled_stream, now);
      return;
    case stream_end_kind::protocol:
      worker_.on_failure(s->times, outcome::protocol, worker_.intern(end.reason), now);
      return;
    case stream_end_kind::session_closed:
      worker_.on_failure(s->times, closing_outcome_, closing_reason_, now);
      return;
  }
}

void h2_connection::fail_transport(clock::time_point now) {
  if (io_.failure_text() != nullptr)
    fail_open(outcome::reset, io_.failure_text(), now);
  else
    fail_open(outcome::reset, failure_reason(io_.failure_code()), now);
}

void h2_connection::fail_open(outcome o, const failure_reason& why, clock::time_point now) {
  (void)now;
  closing_outcome_ = o;
  closing_reason_ = why;
  close();
  if (session_) session_->abort_all();
  worker_.on_room(*this);
  reconnect_if_needed();
}

void h2_connection::fail_all(outcome o, const failure_reason& why, clock::time_point now) {
  const bool had_requests = queued_ > 0;
  while (queued_ > 0) {
    const slot s = queue_[queue_head_];
    queue_head_ = (queue_head_ + 1) % max_streams_;
    --queued_;
    worker_.on_failure(s, o, why, now);
  }
  if (had_requests) worker_.on_room(*this, /*after_connect_failure=*/true);
}

void h2_connection::on_tick(clock::time_point now) {
  if (!session_) return;
  const auto timeout = worker_.cfg().request_timeout;
  bool cancelled = false;
  for (auto& s : slots_) {
    if (s.in_use && !s.timed_out && now - s.times.sent > timeout) {
      s.timed_out = true;
      session_->cancel(s.id);  // on_stream_end(cancelled) counts it as a timeout
      cancelled = true;
    }
  }
  const auto ping = worker_.cfg().h2.ping_interval;
  if (ping.count() > 0 && now >= next_ping_ && state_ == state::connected) {
    if (session_->ping_outstanding()) {
      fail_open(outcome::timeout, ping_unanswered, now);
      return;
    }
    session_->ping();
    next_ping_ = now + ping;
    cancelled = true;  // something to write
  }
  if (cancelled && flush(now)) {
    worker_.on_room(*this);
    submit_queued(now);
    flush(now);
  }
}

void h2_connection::reconnect_if_needed() {
  if (state_ == state::closed && (queued_ > 0 || worker_.keep_open(*this))) connect();
}

unsigned h2_connection::discard_unsent() noexcept {
  const unsigned unsent = queued_;
  queued_ = 0;
  return unsent;
}

void h2_connection::shutdown() noexcept {
  worker_.stats().in_flight += open_;
  queued_ = 0;
  silenced_ = true;
  if (session_) session_->abort_all();
  close();
  think_timer.cancel();
}

}  // namespace ordeal::engine
