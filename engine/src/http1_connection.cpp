#include "http1_connection.hpp"

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
constexpr const char* cut_by_error = "connection dropped after a malformed response";
}  // namespace

http1_connection::http1_connection(worker& w, asio::io_context& ioc, unsigned depth)
    : connection(w, ioc),
      parser_(w.cfg().max_header_bytes),
      ring_(depth),
      buffer_(new char[read_buffer_size]),
      depth_(depth) {}

void http1_connection::assign(clock::time_point intended) {
  ring_[(head_ + count_) % depth_] = slot{intended, {}};
  ++count_;
  if (state_ == state::closed)
    connect();
  else if (state_ == state::connected && !reading_)
    flush();
}

void http1_connection::on_established(clock::time_point) {
  parser_.start(worker_.head_requests());
  first_byte_seen_ = false;
  // Let the worker fill the pipeline before the first write, so the batch goes out as one.
  reading_ = true;
  worker_.on_room(*this);
  reading_ = false;
  flush();
}

void http1_connection::flush() {
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

void http1_connection::write_from(const char* data, std::size_t bytes, clock::time_point now) {
  const io_result r = io_.write(data, bytes);
  if (r.status == io_status::error || r.status == io_status::eof) {
    fail_sent_io(now);
    return;
  }
  const std::size_t written = r.bytes;
  worker_.stats().bytes_sent += written;
  if (written < bytes) {
    // The socket buffer is full (large bodies, a slow peer): finish when it drains.
    pending_write_ = data + written;
    pending_bytes_ = bytes - written;
    writing_ = true;
    want_writable(true);
  } else if (writing_) {
    writing_ = false;
    want_writable(false);
  }
}

void http1_connection::on_io(std::uint32_t events) {
  if (writing_ && (events & EPOLLOUT) != 0) {
    write_from(pending_write_, pending_bytes_, clock::now());
    if (state_ != state::connected) return;
  }
  if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0 || io_.secure()) {
    char* buffer = buffer_.get();
    const bool peer_closing = (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
    for (;;) {
      const io_result r = io_.read(buffer, read_buffer_size);
      const auto now = clock::now();
      if (r.status == io_status::ok) {
        worker_.stats().bytes_received += r.bytes;
        reading_ = true;
        const bool open = process(buffer, r.bytes, now);
        reading_ = false;
        if (!open) return;
        // Edge-triggered: a short read drained the socket and new data raises a new event, but
        // a FIN or RST that came with this edge raises none: then read on to EOF or EAGAIN.
        // TLS reads a record at a time: only want_read says the socket is drained.
        if (r.bytes < read_buffer_size && !peer_closing && io_.short_read_drains()) break;
        continue;
      }
      if (r.status == io_status::eof) {
        on_eof(now);
        return;
      }
      if (r.status == io_status::want_read) break;
      if (r.status == io_status::want_write) {  // TLS: a record must go out first
        want_writable(true);
        break;
      }
      fail_sent_io(now);
      return;
    }
  }
  flush();
}

void http1_connection::fail_sent_io(clock::time_point now) {
  if (io_.failure_text() != nullptr)
    fail_sent(outcome::reset, io_.failure_text(), now);
  else
    fail_sent(outcome::reset, failure_reason(io_.failure_code()), now);
}

bool http1_connection::process(const char* data, std::size_t size, clock::time_point now) {
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

void http1_connection::on_eof(clock::time_point now) {
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

void http1_connection::complete_head(clock::time_point now, bool unsolicited_after) {
  const slot s = pop_head();
  if (unsolicited_after) {
    worker_.on_failure(s, outcome::protocol, protocol_error::unsolicited_data, now);
  } else {
    worker_.on_response(s, parser_.status(), now);
  }
}

connection::slot http1_connection::pop_head() noexcept {
  const slot s = ring_[head_];
  head_ = (head_ + 1) % depth_;
  --count_;
  --sent_;
  return s;
}

void http1_connection::resend_after_close() {
  // The server said it closes after that response (RFC 9112 §9.6: it processes nothing
  // more), so the requests pipelined behind it never happened: they go again, on a new
  // connection, keeping their intended times.
  close();
  sent_ = 0;
  worker_.on_room(*this);
  reconnect_if_needed();
}

void http1_connection::drain_sent(outcome o, const failure_reason& why, clock::time_point now) {
  while (sent_ > 0)
    worker_.on_failure(pop_head(), o, why, now);
}

void http1_connection::fail_sent(outcome o, const failure_reason& why, clock::time_point now) {
  close();
  drain_sent(o, why, now);
  worker_.on_room(*this);
  reconnect_if_needed();
}

void http1_connection::fail_all(outcome o, const failure_reason& why, clock::time_point now) {
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

void http1_connection::on_tick(clock::time_point now) {
  if (sent_ > 0 && now - ring_[head_].sent > worker_.cfg().request_timeout)
    fail_sent(outcome::timeout, request_timed_out, now);
}

void http1_connection::on_closed() noexcept {
  writing_ = false;
}

void http1_connection::reconnect_if_needed() {
  // Keep the connection warm if it has work waiting or the worker wants it open.
  if (state_ == state::closed && (count_ > 0 || worker_.keep_open(*this))) connect();
}

unsigned http1_connection::discard_unsent() noexcept {
  const unsigned unsent = count_ - sent_;
  count_ = sent_;
  return unsent;
}

void http1_connection::shutdown() noexcept {
  worker_.stats().in_flight += sent_;
  count_ = sent_ = 0;
  close();
  think_timer.cancel();
}

}  // namespace ordeal::engine
