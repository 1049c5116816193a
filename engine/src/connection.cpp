#include "connection.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "worker.hpp"

namespace ordeal::engine {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {
constexpr const char* closed_before_response = "connection closed before the response";
constexpr const char* closed_by_server = "server closed the connection with requests pipelined";
constexpr const char* request_timed_out = "no complete response within the request timeout";
constexpr const char* connect_timed_out = "connect timeout";
constexpr const char* cut_by_error = "connection dropped after a malformed response";
}  // namespace

connection::connection(worker& w, asio::io_context& ioc, unsigned depth)
    : think_timer(ioc),
      worker_(w),
      socket_(ioc),
      parser_(w.cfg().max_header_bytes),
      ring_(depth),
      buffer_(new char[read_buffer_size]),
      depth_(depth) {}

void connection::assign(clock::time_point intended) {
  ring_[(head_ + count_) % depth_] = slot{intended, {}};
  ++count_;
  if (state_ == state::closed)
    connect();
  else if (state_ == state::connected && !reading_)
    flush();
}

void connection::open() {
  if (state_ == state::closed) connect();
}

void connection::connect() {
  error_code ec;
  const auto& ep = worker_.endpoint();
  socket_.open(ep.protocol(), ec);
  if (!ec) socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  if (!ec) socket_.non_blocking(true, ec);
  const auto now = clock::now();
  if (ec) {
    error_code ignored;
    socket_.close(ignored);
    fail_all(outcome::connect, failure_reason(ec), now);
    return;
  }
  state_ = state::connecting;
  connect_started_ = now;
  socket_.async_connect(ep, [this, e = epoch_](const error_code& ec) { on_connect(ec, e); });
}

void connection::on_connect(const error_code& ec, std::uint32_t epoch) {
  if (epoch != epoch_) return;
  const auto now = clock::now();
  error_code release_ec = ec;
  if (!release_ec) {
    // From here on the socket is ours, polled by the worker's own epoll set: Asio's reactor
    // would cost an epoll_ctl or a failed speculative recv per request.
    fd_ = socket_.release(release_ec);
    if (!release_ec && !worker_.watch(*this, fd_))
      release_ec = error_code(errno, boost::system::system_category());
  }
  if (release_ec) {
    close();
    fail_all(outcome::connect, failure_reason(release_ec), now);
    return;
  }
  state_ = state::connected;
  worker_.on_connected(now - connect_started_);
  parser_.start(worker_.head_requests());
  first_byte_seen_ = false;
  // Let the worker fill the pipeline before the first write, so the batch goes out as one.
  reading_ = true;
  worker_.on_room(*this);
  reading_ = false;
  flush();
}

void connection::flush() {
  if (writing_ || state_ != state::connected || sent_ == count_) return;
  const std::string_view all = worker_.request_bytes();
  const std::size_t bytes = static_cast<std::size_t>(count_ - sent_) * worker_.request_size();
  // Stamp before writing: on loopback the woken server may run, answer, and only then give
  // the CPU back, all inside send().
  const auto now = clock::now();
  for (unsigned i = sent_; i < count_; ++i)
    ring_[(head_ + i) % depth_].sent = now;
  sent_ = count_;
  write_from(all.data(), bytes, now);
}

void connection::write_from(const char* data, std::size_t bytes, clock::time_point now) {
  const ssize_t n = ::send(fd_, data, bytes, MSG_NOSIGNAL);
  if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
    fail_sent(outcome::reset, failure_reason(error_code(errno, boost::system::system_category())),
              now);
    return;
  }
  const std::size_t written = n < 0 ? 0 : static_cast<std::size_t>(n);
  worker_.stats().bytes_sent += written;
  if (written < bytes) {
    // The socket buffer is full (large bodies, a slow peer): finish when it drains.
    pending_write_ = data + written;
    pending_bytes_ = bytes - written;
    writing_ = true;
    worker_.want_writable(*this, fd_, true);
  } else if (writing_) {
    writing_ = false;
    worker_.want_writable(*this, fd_, false);
  }
}

void connection::on_events(std::uint32_t events) {
  if (state_ != state::connected) return;
  if (writing_ && (events & EPOLLOUT) != 0) {
    write_from(pending_write_, pending_bytes_, clock::now());
    if (state_ != state::connected) return;
  }
  if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) {
    char* buffer = buffer_.get();
    const bool peer_closing = (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
    for (;;) {
      const ssize_t n = ::recv(fd_, buffer, read_buffer_size, 0);
      const auto now = clock::now();
      if (n > 0) {
        worker_.stats().bytes_received += static_cast<std::uint64_t>(n);
        reading_ = true;
        const bool open = process(buffer, static_cast<std::size_t>(n), now);
        reading_ = false;
        if (!open) return;
        // Edge-triggered: a short read drained the socket and new data raises a new event, but
        // a FIN or RST that came with this edge raises none: then read on to EOF or EAGAIN.
        if (static_cast<std::size_t>(n) < read_buffer_size && !peer_closing) break;
        continue;
      }
      if (n == 0) {
        on_eof(now);
        return;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      fail_sent(outcome::reset, failure_reason(error_code(errno, boost::system::system_category())),
                now);
      return;
    }
  }
  flush();
}

bool connection::process(const char* data, std::size_t size, clock::time_point now) {
  std::size_t offset = 0;
  while (offset < size) {
    if (sent_ == 0) {
      // Bytes nobody asked for on an idle connection: the stream can't be trusted any more.
      ++worker_.stats().unsolicited;
      fail_sent(outcome::reset, closed_by_server, now);
      return false;
    }
    if (!first_byte_seen_) {
      first_byte_seen_ = true;
      worker_.on_first_byte(now - ring_[head_].sent);
    }
    offset += parser_.feed(data + offset, size - offset);
    switch (parser_.current()) {
      case http1_response_parser::state::need_more:
        break;
      case http1_response_parser::state::complete: {
        const bool keep_alive = parser_.keep_alive();
        // More bytes after the response with no other request written: the server sent a
        // response nobody asked for, so the one just parsed may not belong to this request.
        const bool unsolicited_after = offset < size && sent_ == 1;
        complete_head(now, unsolicited_after);
        if (unsolicited_after) {
          ++worker_.stats().unsolicited;
          fail_sent(outcome::reset, closed_by_server, now);
          return false;
        }
        if (!keep_alive) {
          resend_after_close();
          return false;
        }
        worker_.on_room(*this);
        if (state_ != state::connected) return false;  // retired by a ramp meanwhile
        parser_.start(worker_.head_requests());
        first_byte_seen_ = false;
        break;
      }
      case http1_response_parser::state::error: {
        close();
        worker_.on_failure(pop_head(), outcome::protocol, parser_.error(), now);
        fail_sent(outcome::protocol, cut_by_error, now);
        return false;
      }
    }
  }
  return true;
}

void connection::on_eof(clock::time_point now) {
  // Close first: whatever the worker assigns while we account goes to a new connection.
  close();
  parser_.on_eof();
  if (sent_ > 0 && parser_.current() == http1_response_parser::state::complete) {
    complete_head(now, false);  // body delimited by close
    resend_after_close();
    return;
  } else if (sent_ > 0 && parser_.current() == http1_response_parser::state::error) {
    worker_.on_failure(pop_head(), outcome::protocol, parser_.error(), now);
  }
  drain_sent(outcome::reset, closed_before_response, now);
  worker_.on_room(*this);
  reconnect_if_needed();
}

void connection::complete_head(clock::time_point now, bool unsolicited_after) {
  const slot s = pop_head();
  if (unsolicited_after) {
    worker_.on_failure(s, outcome::protocol, protocol_error::unsolicited_data, now);
  } else {
    worker_.on_response(s, parser_.status(), now);
  }
}

connection::slot connection::pop_head() noexcept {
  const slot s = ring_[head_];
  head_ = (head_ + 1) % depth_;
  --count_;
  --sent_;
  return s;
}

void connection::resend_after_close() {
  // The server said it closes after that response (RFC 9112 §9.6: it processes nothing
  // more), so the requests pipelined behind it never happened: they go again, on a new
  // connection, keeping their intended times.
  close();
  sent_ = 0;
  worker_.on_room(*this);
  reconnect_if_needed();
}

void connection::drain_sent(outcome o, const failure_reason& why, clock::time_point now) {
  while (sent_ > 0)
    worker_.on_failure(pop_head(), o, why, now);
}

void connection::fail_sent(outcome o, const failure_reason& why, clock::time_point now) {
  close();
  drain_sent(o, why, now);
  worker_.on_room(*this);
  reconnect_if_needed();
}

void connection::fail_all(outcome o, const failure_reason& why, clock::time_point now) {
  const bool had_requests = count_ > 0;
  while (count_ > 0) {
    const slot s = ring_[head_];
    head_ = (head_ + 1) % depth_;
    --count_;
    worker_.on_failure(s, o, why, now);
  }
  sent_ = 0;
  // Connect failures are not retried here: the worker decides when (back-off or next request).
  if (had_requests) worker_.on_room(*this, /*after_connect_failure=*/true);
}

void connection::check_deadlines(clock::time_point now) {
  if (state_ == state::connecting && now - connect_started_ > worker_.cfg().connect_timeout) {
    close();
    fail_all(outcome::connect, connect_timed_out, now);
  } else if (sent_ > 0 && now - ring_[head_].sent > worker_.cfg().request_timeout) {
    fail_sent(outcome::timeout, request_timed_out, now);
  }
}

void connection::close() noexcept {
  if (state_ == state::closed) return;
  if (fd_ >= 0) {
    ::close(fd_);  // also leaves the worker's epoll set
    fd_ = -1;
  }
  error_code ignored;
  socket_.close(ignored);
  state_ = state::closed;
  writing_ = false;
  ++epoch_;
}

void connection::reconnect_if_needed() {
  // Keep the connection warm if it has work waiting or the worker wants it open.
  if (state_ == state::closed && (count_ > 0 || worker_.keep_open(*this))) connect();
}

unsigned connection::discard_unsent() noexcept {
  const unsigned unsent = count_ - sent_;
  count_ = sent_;
  return unsent;
}

void connection::shutdown() noexcept {
  worker_.stats().in_flight += sent_;
  count_ = sent_ = 0;
  close();
  think_timer.cancel();
}

}  // namespace ordeal::engine
