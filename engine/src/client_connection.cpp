#include "client_connection.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "client_core.hpp"
#include "ordeal/engine/protocol_error.hpp"
#include "response_capture.hpp"

namespace ordeal::engine {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

bool has_header(const header_list& headers, std::string_view name) {
  for (const auto& h : headers)
    if (header_name_equals(h.first, name)) return true;
  return false;
}

// Methods a client may send again after a kept-alive connection turned out closed (RFC 9110
// 9.2.2): the server cannot have acted on a request it never read, but only these are safe
// should it have.
bool idempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" ||
         method == "OPTIONS" || method == "TRACE";
}

// A Connection header value with the "close" option (RFC 9112 9.6).
bool has_close_option(std::string_view value) {
  while (!value.empty()) {
    const auto comma = value.find(',');
    std::string_view option = value.substr(0, comma);
    while (!option.empty() && (option.front() == ' ' || option.front() == '\t'))
      option.remove_prefix(1);
    while (!option.empty() && (option.back() == ' ' || option.back() == '\t'))
      option.remove_suffix(1);
    if (header_name_equals(option, "close")) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

client_connection::client_connection(client_core& core, std::uint32_t id)
    : id(id), core_(core), socket_(core.ioc()), parser_(core.options().max_header_bytes) {}

client_connection::~client_connection() {
  close();
}

void client_connection::begin(http_request&& request, response_handler&& done,
                              clock::time_point now) {
  request_ = std::move(request);
  done_ = std::move(done);
  response_ = http_response{};
  if (request_.intended == clock::time_point{}) request_.intended = now;
  response_.started = request_.intended;
  active_ = true;
  first_byte_ = false;
  stale_retried_ = false;
  capture_full_ = false;
  sent_ = {};
  raw_.clear();
  render();
  reused_ = io_.open();
  response_.reused_connection = reused_;
  if (!reused_) {
    connect(now);
    return;
  }
  response_.timings.blocked = now - request_.intended;
  send_started_ = now;
  deadline_ = now + request_.timeout;
  parser_.start(request_.method == "HEAD");
  write(now);
}

void client_connection::render() {
  out_.clear();
  const auto& r = request_;
  out_.append(r.method).append(" ").append(r.target.target).append(" HTTP/1.1\r\n");
  if (!has_header(r.headers, "host"))
    out_.append("Host: ").append(r.target.authority).append("\r\n");
  if (!has_header(r.headers, "user-agent"))
    out_.append("User-Agent: ordeal/" ORDEAL_VERSION "\r\n");
  close_requested_ = false;
  for (const auto& [name, value] : r.headers) {
    out_.append(name).append(": ").append(value).append("\r\n");
    if (header_name_equals(name, "connection") && has_close_option(value)) close_requested_ = true;
  }
  const bool needs_length =
      !r.body.empty() || r.method == "POST" || r.method == "PUT" || r.method == "PATCH";
  // A script that frames its own body (Transfer-Encoding) must not get a second framing: a
  // request with both is one servers reject or, worse, read differently (RFC 9112 6.3).
  if (needs_length && !has_header(r.headers, "content-length") &&
      !has_header(r.headers, "transfer-encoding"))
    out_.append("Content-Length: ").append(std::to_string(r.body.size())).append("\r\n");
  out_.append("\r\n");
  const std::size_t head = out_.size();
  out_.append(r.body);
  written_ = 0;
  allowed_ = r.slow_body.bytes == 0 || r.body.empty() ? out_.size() : head;
}

void client_connection::connect(clock::time_point now) {
  if (!target->resolve_error.empty()) {
    fail(outcome::connect, target->resolve_error, now);
    return;
  }
  const auto& ep = target->endpoint;
  const error_code ec = open_tcp(socket_, ep);
  if (ec) {
    fail(outcome::connect, ec.message(), now);
    return;
  }
  connecting_ = true;
  connect_started_ = now;
  deadline_ = now + core_.options().connect_timeout;
  core_.on_opened();
  socket_.async_connect(ep, [this, g = generation](const error_code& ec) {
    // Aborted: closed, or destroyed with the client, and then `this` is gone.
    if (ec == asio::error::operation_aborted) return;
    on_connect(ec, g);
  });
}

void client_connection::on_connect(const error_code& ec, std::uint32_t g) {
  if (g != generation) return;
  connecting_ = false;
  const auto now = clock::now();
  error_code release_ec = ec;
  int fd = -1;
  if (!release_ec) {
    error_code port_ec;
    local_port_ = socket_.local_endpoint(port_ec).port();
    fd = socket_.release(release_ec);
    if (!release_ec) {
      io_.attach(fd, nullptr);  // closed by close() from here on
      if (!core_.watch(*this, fd)) release_ec = error_code(errno, boost::system::system_category());
    }
  }
  if (release_ec) {
    // A failed connect leaves the socket open in Asio's hands (connecting_ is already false,
    // so close() would not see it): the next connect on this object would say "Already open".
    error_code ignored;
    if (socket_.is_open()) socket_.close(ignored);
    close();
    if (active_) fail(outcome::connect, release_ec.message(), now);
    return;
  }
  if (!active_) {
    if (target->secure) close();  // never kept without its handshake
    return;
  }
  response_.timings.connect += now - connect_started_;
  if (response_.timings.blocked == std::chrono::nanoseconds{})
    response_.timings.blocked = connect_started_ - request_.intended;
  if (!target->secure) {
    start_request(now);
    return;
  }
  const char* why = nullptr;
  SSL* ssl = core_.tls().make(fd, target->host, why);
  if (ssl == nullptr) {
    fail(outcome::tls, why, now);
    return;
  }
  io_.start_tls(ssl);
  handshaking_ = true;
  handshake_started_ = now;
  deadline_ = now + core_.options().tls.handshake_timeout;
  continue_handshake();
}

void client_connection::set_writable(bool on) {
  if (on == writing_) return;
  writing_ = on;
  core_.want_writable(*this, io_.fd(), on);
}

void client_connection::continue_handshake() {
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
      handshaking_ = false;
      fail(outcome::tls, io_.handshake_error(), now);
      return;
  }
  handshaking_ = false;
  set_writable(false);
  response_.timings.tls += now - handshake_started_;
  start_request(now);
}

void client_connection::start_request(clock::time_point now) {
  send_started_ = now;
  deadline_ = now + request_.timeout;
  parser_.start(request_.method == "HEAD");
  write(now);
}

void client_connection::write(clock::time_point now) {
  while (written_ < allowed_) {
    const io_result r = io_.write(out_.data() + written_, allowed_ - written_);
    if (r.status == io_status::want_write || r.status == io_status::want_read) break;
    if (r.status != io_status::ok) {
      const std::string why = io_error_text();
      if (retry_stale(now)) return;
      fail(outcome::reset, "write: " + why, now);
      return;
    }
    written_ += r.bytes;
    response_.bytes_sent += r.bytes;
  }
  const bool blocked = written_ < allowed_;
  set_writable(blocked);
  if (blocked) return;
  if (written_ < out_.size()) {
    schedule_trickle();
    return;
  }
  sent_ = now;
  response_.request_sent = true;
  response_.timings.sending = now - send_started_;
  if (request_.abandon == abandon_point::request_sent) {
    response_.result = outcome::abandoned;
    response_.error = "abandoned after the request was sent";
    finish(now, false);
  }
}

void client_connection::schedule_trickle() {
  if (!trickle_timer_) trickle_timer_ = std::make_unique<asio::steady_timer>(core_.ioc());
  trickle_timer_->expires_after(request_.slow_body.every);
  trickle_timer_->async_wait([this, g = generation](const error_code& ec) {
    if (ec || g != generation || !active_ || !io_.open()) return;
    allowed_ = std::min(out_.size(), allowed_ + request_.slow_body.bytes);
    write(clock::now());
  });
}

void client_connection::on_events(std::uint32_t events) {
  if (!io_.open()) return;
  if (handshaking_) {
    continue_handshake();
    return;
  }
  if (writing_ && (events & EPOLLOUT) != 0 && active_) {
    const auto g = generation;
    write(clock::now());
    if (g != generation || !io_.open()) return;
  }
  if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0 || io_.secure())
    on_readable((events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0);
}

void client_connection::on_readable(bool peer_closing) {
  char* buffer = core_.read_buffer();
  for (;;) {
    const io_result r = io_.read(buffer, client_core::read_buffer_size);
    const auto now = clock::now();
    if (r.status == io_status::ok) {
      if (!active_) {
        // Bytes nobody asked for on an idle connection: the stream can't be trusted any more.
        core_.forget_idle(*this);
        close();
        return;
      }
      if (!feed(buffer, r.bytes, now, peer_closing)) return;
      // TLS reads a record at a time: only want_read says the socket is drained.
      if (r.bytes < client_core::read_buffer_size && !peer_closing && io_.short_read_drains())
        return;
      continue;
    }
    if (r.status == io_status::eof) {
      on_eof(now);
      return;
    }
    if (r.status == io_status::want_read) return;
    if (r.status == io_status::want_write) {  // TLS: a record must go out first
      set_writable(true);
      return;
    }
    const std::string why = io_error_text();
    if (!active_) {
      core_.forget_idle(*this);
      close();
      return;
    }
    if (retry_stale(now)) return;
    fail(outcome::reset, "read: " + why, now);
    return;
  }
}

std::string client_connection::io_error_text() const {
  if (io_.failure_text() != nullptr) return io_.failure_text();
  return io_.failure_code().message();
}

bool client_connection::feed(const char* data, std::size_t size, clock::time_point now,
                             bool peer_closing) {
  response_.bytes_received += size;
  if (!first_byte_) {
    first_byte_ = true;
    first_byte_at_ = now;
    response_.timings.waiting = now - (sent_ == clock::time_point{} ? send_started_ : sent_);
    if (request_.abandon == abandon_point::first_byte) {
      response_.result = outcome::abandoned;
      response_.error = "abandoned at the first response byte";
      finish(now, false);
      return false;
    }
  }
  const std::size_t used = parser_.feed(data, size);
  const std::size_t keep_limit = core_.options().max_header_bytes + core_.options().max_body_bytes;
  if (!capture_full_) {
    const std::size_t room = keep_limit > raw_.size() ? keep_limit - raw_.size() : 0;
    raw_.append(data, std::min(used, room));
    capture_full_ = used > room;
  }
  switch (parser_.current()) {
    case http1_response_parser::state::need_more:
      return true;
    case http1_response_parser::state::error:
      fail(outcome::protocol, protocol_text(), now);
      return false;
    case http1_response_parser::state::complete:
      break;
  }
  // Bytes after the response: the server answered something nobody asked for, so the
  // connection is not reused; the response itself stands. Nor is it when the server has
  // already closed its side (the FIN came with the response: no later event will report it),
  // or when it answered before the whole request was written (the rest would be read as the
  // next request), or when the request itself said "Connection: close".
  const bool keep = parser_.keep_alive() && used == size && !peer_closing &&
                    written_ == out_.size() && !close_requested_;
  complete_response(now, keep);
  return false;
}

void client_connection::on_eof(clock::time_point now) {
  if (!active_) {
    core_.forget_idle(*this);
    close();
    return;
  }
  if (!first_byte_ && retry_stale(now)) return;
  parser_.on_eof();
  if (parser_.current() == http1_response_parser::state::complete) {
    complete_response(now, false);
    return;
  }
  if (parser_.current() == http1_response_parser::state::error && parser_.started()) {
    fail(outcome::protocol, protocol_text(), now);
    return;
  }
  fail(outcome::reset, "connection closed before the response", now);
}

void client_connection::complete_response(clock::time_point now, bool keep) {
  split_response(raw_, request_.method == "HEAD", response_);
  // raw_ is bounded by max_header_bytes + max_body_bytes, so a short head leaves room for more
  // body than promised.
  if (response_.body.size() > core_.options().max_body_bytes)
    response_.body.resize(core_.options().max_body_bytes);
  response_.result = outcome_of_status(response_.status);
  response_.timings.receiving = now - first_byte_at_;
  finish(now, keep);
}

std::string client_connection::protocol_text() const {
  std::string text(describe(parser_.error()));
  // As the engine's run reports it: which cap was hit is what the reader needs.
  if (parser_.error() == protocol_error::header_too_large)
    text += " (" + std::to_string(core_.options().max_header_bytes) + " bytes)";
  return text;
}

bool client_connection::retry_stale(clock::time_point now) {
  if (!reused_ || first_byte_ || stale_retried_ || !idempotent(request_.method)) return false;
  // The server closed this kept-alive connection before reading the request: nothing
  // happened there, so the same attempt goes out again on a new connection.
  const bool keep_retried = true;
  close();
  stale_retried_ = keep_retried;
  reused_ = false;
  response_.reused_connection = false;
  response_.bytes_sent = 0;
  response_.request_sent = false;
  written_ = 0;
  allowed_ = request_.slow_body.bytes == 0 || request_.body.empty()
                 ? out_.size()
                 : out_.size() - request_.body.size();
  connect(now);
  return true;
}

void client_connection::check_deadline(clock::time_point now) {
  if (!active_ || now < deadline_) return;
  if (connecting_)
    fail(outcome::connect, "connect timeout", now);
  else if (handshaking_)
    fail(outcome::tls, "handshake timeout", now);
  else
    fail(outcome::timeout, "no complete response within the request timeout", now);
}

void client_connection::fail(outcome o, std::string why, clock::time_point now) {
  response_.result = o;
  response_.error = std::move(why);
  response_.status = 0;
  finish(now, false);
}

void client_connection::finish(clock::time_point now, bool keep) {
  response_.ended = now;
  response_.timings.duration = now - request_.intended;
  if (io_.open() || response_.request_sent || response_.bytes_sent > 0)
    response_.local_port = local_port_;
  active_ = false;
  if (!keep) close();
  response_handler done = std::move(done_);
  done_ = nullptr;
  http_response r = std::move(response_);
  // Last: the handler may send again, even on this very connection.
  core_.release(*this, keep);
  core_.complete(done, std::move(r));
}

bool client_connection::abort_silently() noexcept {
  const bool written = active_ && written_ > 0;
  active_ = false;
  done_ = nullptr;
  close();
  return written;
}

void client_connection::close() noexcept {
  ++generation;
  if (trickle_timer_) trickle_timer_->cancel();
  if (connecting_) {
    error_code ignored;
    socket_.close(ignored);
    connecting_ = false;
  }
  io_.close();  // leaves the epoll set with the socket
  writing_ = false;
  handshaking_ = false;
}

}  // namespace ordeal::engine
