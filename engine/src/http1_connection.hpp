#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "connection.hpp"
#include "ordeal/engine/http1_parser.hpp"

namespace ordeal::engine {

// HTTP/1.1 over a connection: up to the pipeline depth of requests written back to back,
// answered in order. In steady state a request costs one send and one recv, plus a share of an
// epoll_wait.
class http1_connection final : public connection {
 public:
  http1_connection(worker& w, boost::asio::io_context& ioc, unsigned depth);

  unsigned in_flight() const noexcept override { return sent_; }
  bool has_room() const noexcept override { return count_ < depth_; }
  void assign(clock::time_point intended) override;
  unsigned discard_unsent() noexcept override;
  void shutdown() noexcept override;

 private:
  bool idle() const noexcept override { return count_ == 0; }
  void on_established(clock::time_point now) override;
  void on_io(std::uint32_t events) override;
  void on_tick(clock::time_point now) override;
  void fail_all(outcome o, const failure_reason& why, clock::time_point now) override;
  void on_closed() noexcept override;

  void write_from(const char* data, std::size_t bytes, clock::time_point now);
  // Feeds one read's bytes to the parser; false if the connection was closed meanwhile.
  bool process(const char* data, std::size_t size, clock::time_point now);
  void on_eof(clock::time_point now);
  void flush();
  // A read or write failed: the transport's reason.
  void fail_sent_io(clock::time_point now);

  // Ends the oldest in-flight request with a response.
  void complete_head(clock::time_point now, bool unsolicited_after);
  // The server closed after a complete response: re-send what was pipelined behind it.
  void resend_after_close();
  // Ends every written request with `o`.
  void drain_sent(outcome o, const failure_reason& why, clock::time_point now);
  // Closes, ends every written request with `o`, and reconnects if requests are waiting.
  void fail_sent(outcome o, const failure_reason& why, clock::time_point now);
  void reconnect_if_needed();
  slot pop_head() noexcept;

  http1_response_parser parser_;
  static constexpr std::size_t read_buffer_size = 8 * 1024;  // as wrk: enough for most reads

  std::vector<slot> ring_;  // capacity depth_, allocated once
  std::unique_ptr<char[]> buffer_;
  unsigned depth_;
  unsigned head_ = 0;
  unsigned count_ = 0;
  unsigned sent_ = 0;     // the oldest sent_ of count_ are written
  bool writing_ = false;  // a partial write waits for the socket to drain (EPOLLOUT)
  const char* pending_write_ = nullptr;
  std::size_t pending_bytes_ = 0;
  bool reading_ = false;  // inside on_read: assign() defers flush() to its end
  bool first_byte_seen_ = false;
};

}  // namespace ordeal::engine
