#include "connection.hpp"

#include <boost/asio/write.hpp>

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
    socket_.close(ec);
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
  if (ec) {
    close();
    fail_all(outcome::connect, failure_reason(ec), now);
    return;
  }
  state_ = state::connected;
  worker_.on_connected(now - connect_started_);
  parser_.start(worker_.head_requests());
  first_byte_seen_ = false;
  flush();
  if (state_ == state::connected) start_read();
}

void connection::flush() {
  if (writing_ || state_ != state::connected || sent_ == count_) return;
  const std::string_view all = worker_.request_bytes();
  const std::size_t one = worker_.request_size();
  const std::size_t bytes = static_cast<std::size_t>(count_ - sent_) * one;
  // Stamp before writing: on loopback the woken server may run, answer, and only then give
  // the CPU back, all inside write().
  const auto now = clock::now();
  error_code ec;
  const std::size_t n = socket_.write_some(asio::buffer(all.data(), bytes), ec);
  for (unsigned i = sent_; i < count_; ++i)
    ring_[(head_ + i) % depth_].sent = now;
  sent_ = count_;
  worker_.stats().bytes_sent += n;
  if (ec && ec != asio::error::would_block) {
    fail_sent(outcome::reset, failure_reason(ec), now);
    return;
  }
  if (n < bytes) {
    // The socket buffer is full: send the rest asynchronously (rare: large bodies, slow peers).
    writing_ = true;
    asio::async_write(socket_, asio::buffer(all.data() + n, bytes - n),
                      [this, e = epoch_](const error_code& ec, std::size_t written) {
                        on_write(ec, written, e);
                      });
  }
}

void connection::on_write(const error_code& ec, std::size_t n, std::uint32_t epoch) {
  if (epoch != epoch_) return;
  writing_ = false;
  worker_.stats().bytes_sent += n;
  if (ec) {
    fail_sent(outcome::reset, failure_reason(ec), clock::now());
    return;
  }
  flush();
}

void connection::start_read() {
  // async_read_some rather than wait-then-read: after a short read Asio marks the socket
  // drained and queues the next read without a syscall, where a readiness wait would re-arm
  // epoll (epoll_ctl) every time. Steady state: one write, one read per request.
  socket_.async_read_some(
      asio::buffer(buffer_.get(), read_buffer_size),
      [this, e = epoch_](const error_code& ec, std::size_t n) { on_read(ec, n, e); });
}

void connection::on_read(const error_code& ec, std::size_t n, std::uint32_t epoch) {
  if (epoch != epoch_) return;
  const auto now = clock::now();
  if (ec == asio::error::eof) {
    on_eof(now);
    return;
  }
  if (ec) {
    fail_sent(outcome::reset, failure_reason(ec), now);
    return;
  }
  worker_.stats().bytes_received += n;
  reading_ = true;
  const bool open = process(buffer_.get(), n, now);
  reading_ = false;
  if (!open) return;
  flush();
  if (state_ == state::connected) start_read();
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
        if (unsolicited_after || !keep_alive) {
          fail_sent(outcome::reset, closed_by_server, now);
          return false;
        }
        worker_.on_room(*this);
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
