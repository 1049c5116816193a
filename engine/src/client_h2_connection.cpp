#include "client_h2_connection.hpp"

#include <sys/epoll.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "client_core.hpp"
#include "tls_context.hpp"

namespace ordeal::engine {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr const char* closed_with_streams = "connection closed with streams open";
constexpr const char* no_h2 = "the server did not select h2 by ALPN";
constexpr const char* ping_unanswered = "PING unanswered: connection presumed dead";

// Methods that may go out again after the connection closed under them (RFC 9110 9.2.2), as
// over HTTP/1.1.
bool idempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" ||
         method == "OPTIONS" || method == "TRACE";
}

}  // namespace

client_h2_connection::client_h2_connection(client_core& core, std::uint32_t id)
    : id(id), core_(core), socket_(core.ioc()) {}

client_h2_connection::~client_h2_connection() {
  silenced_ = true;
  if (session_) session_->abort_all();
  close_socket();
}

bool client_h2_connection::has_room() const noexcept {
  switch (state_) {
    case state::closed:
      return false;
    case state::connecting:
    case state::handshaking:
      return requests_ < std::max(1u, core_.options().h2.max_streams);
    case state::ready:
      return session_ && !session_->going_away() && waiting_.size() < session_->room();
  }
  return false;
}

client_h2_stream& client_h2_connection::take_stream() {
  if (!free_.empty()) {
    client_h2_stream* s = free_.back();
    free_.pop_back();
    return *s;
  }
  return *streams_.emplace_back(std::make_unique<client_h2_stream>());
}

void client_h2_connection::begin(http_request&& request, response_handler&& done,
                                 clock::time_point now, bool resent) {
  auto& s = take_stream();
  s.reset(std::move(request), std::move(done));
  s.resent = resent;
  // Bounds the wait for a stream too (a server that grants none must not hang the script).
  s.deadline = now + s.request.timeout;
  ++requests_;
  waiting_.push_back(&s);
  if (state_ == state::closed) {
    s.opener = true;
    connect(now);
  } else {
    s.response.reused_connection = true;
  }
  settle(now);
}

void client_h2_connection::connect(clock::time_point now) {
  if (!target->resolve_error.empty()) {
    fail_setup(outcome::connect, target->resolve_error, now);
    return;
  }
  const auto& ep = target->endpoint;
  const error_code ec = open_tcp(socket_, ep);
  if (ec) {
    fail_setup(outcome::connect, ec.message(), now);
    return;
  }
  state_ = state::connecting;
  connect_started_ = now;
  deadline_ = now + core_.options().connect_timeout;
  core_.on_opened();
  socket_.async_connect(ep, [this, g = generation](const error_code& ec) {
    // Aborted: closed, or destroyed with the client, and then `this` is gone.
    if (ec == asio::error::operation_aborted) return;
    on_connect(ec, g);
  });
}

void client_h2_connection::on_connect(const error_code& ec, std::uint32_t g) {
  if (g != generation || state_ != state::connecting) return;
  const auto now = clock::now();
  error_code failure = ec;
  int fd = -1;
  if (!failure) {
    error_code port_ec;
    local_port_ = socket_.local_endpoint(port_ec).port();
    fd = socket_.release(failure);
    if (!failure) {
      io_.attach(fd, nullptr);  // closed by close_socket() from here on
      if (!core_.watch(*this, fd)) failure = error_code(errno, boost::system::system_category());
    }
  }
  if (failure) {
    error_code ignored;
    if (socket_.is_open()) socket_.close(ignored);
    fail_setup(outcome::connect, failure.message(), now);
    settle(now);
    return;
  }
  for (auto* s : waiting_)
    if (s->opener) {
      s->response.timings.connect += now - connect_started_;
      s->response.timings.blocked = connect_started_ - s->request.intended;
    }
  if (!target->secure) {
    in_io_ = true;
    on_ready(now);
    in_io_ = false;
    settle(clock::now());
    return;
  }
  std::string why;
  tls_client_context* tls = core_.tls_h2(why);
  const char* make_failure = nullptr;
  SSL* ssl = tls != nullptr ? tls->make(fd, target->host, make_failure) : nullptr;
  if (ssl == nullptr) {
    fail_setup(outcome::tls, tls != nullptr ? std::string(make_failure) : why, now);
    settle(now);
    return;
  }
  io_.start_tls(ssl);
  state_ = state::handshaking;
  handshake_started_ = now;
  deadline_ = now + core_.options().tls.handshake_timeout;
  in_io_ = true;
  continue_handshake();
  in_io_ = false;
  settle(clock::now());
}

void client_h2_connection::set_writable(bool on) {
  if (on == writing_) return;
  writing_ = on;
  core_.want_writable(*this, io_.fd(), on);
}

void client_h2_connection::continue_handshake() {
  const io_status step = io_.handshake();
  const auto now = clock::now();
  switch (step) {
    case io_status::ok:
      break;
    case io_status::want_read:
    case io_status::want_write: {
      set_writable(step == io_status::want_write);
      return;
    }
    case io_status::eof:
    case io_status::error:
      fail_setup(outcome::tls, io_.handshake_error(), now);
      return;
  }
  set_writable(false);
  for (auto* s : waiting_)
    if (s->opener) s->response.timings.tls += now - handshake_started_;
  if (io_.alpn() != alpn_h2) {
    fail_setup(outcome::tls, no_h2, now);
    return;
  }
  on_ready(now);
}

void client_h2_connection::on_events(std::uint32_t events) {
  if (state_ != state::handshaking && state_ != state::ready) return;
  in_io_ = true;
  if (state_ == state::handshaking) {
    continue_handshake();
  } else {
    const bool ok = (events & EPOLLOUT) == 0 || flush(clock::now());
    if (ok && state_ == state::ready) read(events);
  }
  in_io_ = false;
  settle(clock::now());
}

void client_h2_connection::on_ready(clock::time_point now) {
  state_ = state::ready;
  h2_options options = core_.options().h2;
  options.max_streams = std::max(1u, options.max_streams);
  session_.reset();
  session_.emplace(static_cast<h2_session_events&>(*this), options,
                   core_.options().max_header_bytes);
  session_->start();
  if (options.ping_interval.count() > 0) next_ping_ = now + options.ping_interval;
  submit_waiting(now);
  if (!flush(now)) return;
  // Over TLS the handshake may already have read the server's SETTINGS: no new edge for it.
  if (io_.secure()) read(EPOLLIN);
}

void client_h2_connection::submit_waiting(clock::time_point now) {
  if (state_ != state::ready || !session_) return;
  while (!waiting_.empty() && session_->room() > 0) {
    auto& s = *waiting_.front();
    s.build_headers();
    const bool trickle = s.request.slow_body.bytes > 0 && !s.request.body.empty();
    s.body_allowed = trickle ? 0 : s.request.body.size();
    const std::int32_t stream_id = session_->submit(s.nva.data(), s.nva.size(), s.request.body, &s,
                                                    /*want_headers=*/true, s.body_allowed);
    if (stream_id < 0) break;  // going away: settle() sends the rest to another connection
    waiting_.pop_front();
    s.id = stream_id;
    s.where = client_h2_stream::stage::open;
    s.send_started = now;
    if (!s.opener) s.response.timings.blocked = now - s.request.intended;
    s.deadline = now + s.request.timeout;
    if (trickle) schedule_trickle(s);
  }
}

bool client_h2_connection::flush(clock::time_point now) {
  if (state_ != state::ready || !session_) return false;
  for (;;) {
    const std::string_view out = session_->pending();
    // Frames serialized by this pending() are in `out`: a stream whose last frame is among
    // them is wholly written once everything up to its end is.
    for (auto* s : unsent_ends_)
      if (s->sent_mark == 0) s->sent_mark = written_ + out.size();
    if (out.empty()) {
      set_writable(false);
      return true;
    }
    const io_result r = io_.write(out.data(), out.size());
    if (r.status == io_status::ok) {
      written_ += r.bytes;
      session_->consumed(r.bytes);
      mark_sent(now);
      if (r.bytes < out.size()) break;  // the socket is full: finish when it drains
      continue;
    }
    if (r.status == io_status::want_write || r.status == io_status::want_read) break;
    const std::string why =
        io_.failure_text() != nullptr ? io_.failure_text() : io_.failure_code().message();
    fail_open(outcome::reset, "write: " + why, /*resend=*/true, now);
    return false;
  }
  set_writable(true);
  return true;
}

void client_h2_connection::mark_sent(clock::time_point now) {
  for (std::size_t i = 0; i < unsent_ends_.size();) {
    client_h2_stream& s = *unsent_ends_[i];
    if (s.sent_mark == 0 || written_ < s.sent_mark) {
      ++i;
      continue;
    }
    unsent_ends_[i] = unsent_ends_.back();
    unsent_ends_.pop_back();
    s.response.request_sent = true;
    s.sent = now;
    s.response.timings.sending = now - s.send_started;
    if (s.request.abandon == abandon_point::request_sent && !s.abandoning) {
      s.abandoning = true;
      session_->cancel(s.id);  // RST_STREAM CANCEL; on_stream_end ends it as abandoned
    }
  }
}

void client_h2_connection::read(std::uint32_t events) {
  char* buffer = core_.read_buffer();
  for (;;) {
    const io_result r = io_.read(buffer, client_core::read_buffer_size);
    const auto now = clock::now();
    if (r.status == io_status::ok) {
      if (!session_->receive(buffer, r.bytes)) {
        // A connection error: the session has ended every stream (protocol) and queued a
        // GOAWAY; send it if the socket takes it, then close.
        flush(now);
        if (state_ == state::ready)
          fail_open(outcome::protocol, session_->error(), /*resend=*/false, now);
        return;
      }
      if (state_ != state::ready) return;
      // Plain TCP: a short read drained the socket, unless a FIN or RST came with this edge
      // (then read on to see it). TLS reads a record at a time: read until want_read.
      if (r.bytes < client_core::read_buffer_size && io_.short_read_drains() &&
          (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) == 0)
        return;
      continue;
    }
    if (r.status == io_status::want_read) return;
    if (r.status == io_status::want_write) {  // TLS: a record must go out first
      set_writable(true);
      return;
    }
    if (r.status == io_status::eof) {
      fail_open(outcome::reset, closed_with_streams, /*resend=*/true, now);
      return;
    }
    const std::string why =
        io_.failure_text() != nullptr ? io_.failure_text() : io_.failure_code().message();
    fail_open(outcome::reset, "read: " + why, /*resend=*/true, now);
    return;
  }
}

void client_h2_connection::schedule_trickle(client_h2_stream& s) {
  if (!s.trickle_timer) s.trickle_timer = std::make_unique<asio::steady_timer>(core_.ioc());
  s.trickle_timer->expires_after(s.request.slow_body.every);
  s.trickle_timer->async_wait([this, &s, g = s.generation](const error_code& ec) {
    if (ec) return;  // cancelled: the request ended, or the connection is gone
    on_trickle(s, g);
  });
}

void client_h2_connection::on_trickle(client_h2_stream& s, std::uint32_t g) {
  if (s.generation != g || s.where != client_h2_stream::stage::open || state_ != state::ready ||
      !session_)
    return;
  s.body_allowed = std::min(s.request.body.size(), s.body_allowed + s.request.slow_body.bytes);
  session_->allow_body(s.id, s.body_allowed);
  if (s.body_allowed < s.request.body.size()) schedule_trickle(s);
  settle(clock::now());
}

void client_h2_connection::check_deadline(clock::time_point now) {
  switch (state_) {
    case state::closed:
      return;
    case state::connecting:
      if (now >= deadline_) {
        fail_setup(outcome::connect, "connect timeout", now);
        settle(now);
      }
      return;
    case state::handshaking:
      if (now >= deadline_) {
        fail_setup(outcome::tls, "handshake timeout", now);
        settle(now);
      }
      return;
    case state::ready:
      break;
  }
  // Liveness (h2.ping_interval), as the engine's connections check it: a PING still unanswered
  // when the next is due ends the connection.
  const auto ping = core_.options().h2.ping_interval;
  bool due = false;
  if (ping.count() > 0 && now >= next_ping_) {
    if (session_->ping_outstanding()) {
      fail_open(outcome::timeout, ping_unanswered, /*resend=*/false, now);
      settle(now);
      return;
    }
    session_->ping();
    next_ping_ = now + ping;
    due = true;  // the PING is to be written
  }
  for (auto& p : streams_) {
    client_h2_stream& s = *p;
    if (s.where != client_h2_stream::stage::open || s.timed_out || now < s.deadline) continue;
    s.timed_out = true;
    session_->cancel(s.id);  // RST_STREAM CANCEL; on_stream_end ends it as a timeout
    due = true;
  }
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    client_h2_stream& s = **it;
    if (now < s.deadline) {
      ++it;
      continue;
    }
    it = waiting_.erase(it);
    s.timed_out = true;
    s.set_outcome(h2_stream_end{}, outcome::timeout, {});
    end(s, now);
    due = true;
  }
  if (due) settle(now);
}

void client_h2_connection::fail_setup(outcome o, const std::string& why, clock::time_point now) {
  while (!waiting_.empty()) {
    client_h2_stream& s = *waiting_.front();
    waiting_.pop_front();
    s.set_outcome(h2_stream_end{stream_end_kind::session_closed, 0, {}}, o, why);
    end(s, now);
  }
  close_socket();
}

void client_h2_connection::fail_open(outcome o, std::string why, bool resend,
                                     clock::time_point now) {
  (void)now;
  closing_outcome_ = o;
  closing_reason_ = std::move(why);
  closing_resend_ = resend;
  if (session_) session_->abort_all();  // on_stream_end for every stream still open
  closing_resend_ = false;
  close_socket();
  // Never sent: they go out on another connection.
  while (!waiting_.empty()) {
    client_h2_stream& s = *waiting_.front();
    waiting_.pop_front();
    requeue_.push_back({std::move(s.request), std::move(s.done), s.resent});
    --requests_;
    release(s);
  }
}

void client_h2_connection::maybe_retire() {
  if (state_ != state::ready || !session_) return;
  if (session_->going_away() && !waiting_.empty()) {
    // No more streams here: the requests still waiting for one go to another connection.
    while (!waiting_.empty()) {
      client_h2_stream& s = *waiting_.front();
      waiting_.pop_front();
      requeue_.push_back({std::move(s.request), std::move(s.done), s.resent});
      --requests_;
      release(s);
    }
  }
  if ((session_->going_away() && session_->open_streams() == 0) || session_->finished())
    fail_open(outcome::reset, closed_with_streams, /*resend=*/false, clock::now());
}

void client_h2_connection::close_socket() noexcept {
  ++generation;
  if (state_ == state::connecting) {
    error_code ignored;
    socket_.close(ignored);
  }
  io_.close();  // leaves the epoll set with the socket
  writing_ = false;
  state_ = state::closed;
  unsent_ends_.clear();
}

void client_h2_connection::settle(clock::time_point now) {
  if (in_io_) return;  // the event's own end settles
  if (state_ == state::ready) {
    submit_waiting(now);
    if (flush(now)) maybe_retire();
  }
  if (target != nullptr) {
    client_target& t = *target;
    core_.requeue(t, requeue_);
    if (state_ == state::closed)
      core_.h2_closed(*this);
    else if (ended_any_)
      core_.h2_room(t);
  }
  requeue_.clear();
  ended_any_ = false;
  deliver();
}

void client_h2_connection::deliver() {
  if (ended_.empty()) return;
  std::vector<std::pair<response_handler, http_response>> batch;
  batch.reserve(ended_.size());
  for (auto* s : ended_) {
    if (s->response.request_sent || s->response.bytes_sent > 0)
      s->response.local_port = local_port_;
    batch.emplace_back(std::move(s->done), std::move(s->response));
    release(*s);
  }
  ended_.clear();
  // From here on only the core: a handler may send again and so reuse this connection, or shut
  // the client down.
  client_core& core = core_;
  for (auto& [done, response] : batch) {
    if (core.stopped()) return;
    core.complete(done, std::move(response));
  }
}

void client_h2_connection::release(client_h2_stream& s) noexcept {
  s.where = client_h2_stream::stage::free;
  s.done = nullptr;
  if (s.trickle_timer) s.trickle_timer->cancel();
  free_.push_back(&s);
}

void client_h2_connection::end(client_h2_stream& s, clock::time_point now) {
  s.where = client_h2_stream::stage::ended;
  s.response.ended = now;
  s.response.timings.duration = now - s.request.intended;
  if (s.end_queued && !s.response.request_sent) {
    auto it = std::find(unsent_ends_.begin(), unsent_ends_.end(), &s);
    if (it != unsent_ends_.end()) {
      *it = unsent_ends_.back();
      unsent_ends_.pop_back();
    }
  }
  if (s.trickle_timer) s.trickle_timer->cancel();
  --requests_;
  ended_any_ = true;
  ended_.push_back(&s);
}

std::size_t client_h2_connection::abort_silently() noexcept {
  std::size_t sent = 0;
  for (auto& s : streams_)
    if (s->where == client_h2_stream::stage::open && s->on_wire) ++sent;
  silenced_ = true;
  if (session_) session_->abort_all();  // silenced: every stream is just released
  close_socket();
  for (auto* s : waiting_)
    release(*s);
  waiting_.clear();
  for (auto* s : ended_)
    release(*s);
  ended_.clear();
  requeue_.clear();
  requests_ = 0;
  target = nullptr;
  return sent;
}

// ---- session events ----

void client_h2_connection::first_byte(client_h2_stream& s) {
  if (s.first_byte) return;
  s.first_byte = true;
  s.first_byte_at = clock::now();
  s.response.timings.waiting =
      s.first_byte_at - (s.sent != clock::time_point{} ? s.sent : s.send_started);
  if (s.request.abandon == abandon_point::first_byte && !s.abandoning) {
    s.abandoning = true;
    session_->cancel(s.id);  // h2_session allows it from an event; the rest is ignored
  }
}

void client_h2_connection::on_header(void* stream_data, std::string_view name,
                                     std::string_view value, bool) {
  auto& s = *static_cast<client_h2_stream*>(stream_data);
  s.on_header(name, value);
  first_byte(s);
}

void client_h2_connection::on_response_head(void* stream_data, int status) {
  auto& s = *static_cast<client_h2_stream*>(stream_data);
  s.response.status = status;
  first_byte(s);
}

void client_h2_connection::on_data(void* stream_data, std::string_view chunk) {
  auto& s = *static_cast<client_h2_stream*>(stream_data);
  s.on_body(chunk, core_.options().max_body_bytes);
  first_byte(s);
}

void client_h2_connection::on_request_frame(void* stream_data, std::size_t frame_bytes,
                                            bool end_stream) {
  auto& s = *static_cast<client_h2_stream*>(stream_data);
  s.response.bytes_sent += frame_bytes;
  s.on_wire = true;
  if (end_stream && !s.end_queued) {
    s.end_queued = true;
    s.sent_mark = 0;  // set by flush() once pending() has returned the frame
    unsent_ends_.push_back(&s);
  }
}

void client_h2_connection::on_stream_end(void* stream_data, const h2_stream_end& how) {
  auto& s = *static_cast<client_h2_stream*>(stream_data);
  if (silenced_) {
    --requests_;
    release(s);
    return;
  }
  const auto now = clock::now();
  // The connection closed under a request the server has not begun to answer, on a connection
  // that had served before: as over HTTP/1.1, an idempotent one goes out again, once.
  if (how.kind == stream_end_kind::session_closed && closing_resend_ &&
      s.response.reused_connection && !s.first_byte && !s.resent && !s.abandoning && !s.timed_out &&
      idempotent(s.request.method)) {
    if (s.end_queued && !s.response.request_sent) {
      auto it = std::find(unsent_ends_.begin(), unsent_ends_.end(), &s);
      if (it != unsent_ends_.end()) {
        *it = unsent_ends_.back();
        unsent_ends_.pop_back();
      }
    }
    requeue_.push_back({std::move(s.request), std::move(s.done), /*resent=*/true});
    --requests_;
    release(s);
    return;
  }
  s.set_outcome(how, closing_outcome_, closing_reason_);
  if (s.response.result == outcome::ok || s.response.result == outcome::status)
    s.response.timings.receiving = now - s.first_byte_at;
  end(s, now);
}

}  // namespace ordeal::engine
