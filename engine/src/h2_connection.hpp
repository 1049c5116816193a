#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "connection.hpp"
#include "h2_session.hpp"

namespace ordeal::engine {

// HTTP/2 over a connection (h2 after TLS with ALPN, or h2c with prior knowledge): up to -m
// streams at once, never more than the server's SETTINGS_MAX_CONCURRENT_STREAMS, through an
// h2_session whose frames the transport reads and writes. A request that times out is reset on
// its own (RST_STREAM CANCEL) and the connection goes on; GOAWAY ends the streams the server
// did not take as `refused` and the connection is replaced once the rest are answered.
class h2_connection final : public connection, private h2_session_events {
 public:
  h2_connection(worker& w, boost::asio::io_context& ioc, unsigned max_streams);
  ~h2_connection() override;

  unsigned in_flight() const noexcept override { return open_; }
  bool has_room() const noexcept override;
  void assign(clock::time_point intended) override;
  unsigned discard_unsent() noexcept override;
  void shutdown() noexcept override;

 private:
  struct stream_slot {
    slot times;
    std::int32_t id = 0;
    int status = 0;
    bool timed_out = false;
    bool in_use = false;
  };

  bool idle() const noexcept override { return queued_ == 0 && open_ == 0; }
  void on_established(clock::time_point now) override;
  void on_io(std::uint32_t events) override;
  void on_tick(clock::time_point now) override;
  void fail_all(outcome o, const failure_reason& why, clock::time_point now) override;

  // h2_session_events
  void on_header(void*, std::string_view, std::string_view, bool) override {}
  void on_response_head(void* stream_data, int status) override;
  void on_data(void*, std::string_view) override {}
  void on_stream_end(void* stream_data, const h2_stream_end& end) override;
  void on_goaway(std::int32_t, std::uint32_t, std::string_view) override {}

  // Submits queued requests while the session has room.
  void submit_queued(clock::time_point now);
  // Writes what the session has to send; false if the connection failed meanwhile.
  bool flush(clock::time_point now);
  // The transport broke: every open stream ends with the transport's reason; close.
  void fail_transport(clock::time_point now);
  // Ends every open stream with (o, why) and closes; then reconnects if requests wait.
  void fail_open(outcome o, const failure_reason& why, clock::time_point now);
  // After reading or writing: replace the connection once it is going away and drained.
  void maybe_retire(clock::time_point now);
  void reconnect_if_needed();

  unsigned max_streams_;
  std::optional<h2_session> session_;
  std::vector<stream_slot> slots_;  // max_streams_, allocated once
  std::vector<stream_slot*> free_;  // slots not in use
  std::vector<slot> queue_;         // ring: assigned, not yet submitted
  unsigned queue_head_ = 0;
  unsigned queued_ = 0;
  unsigned open_ = 0;
  bool in_io_ = false;     // inside on_io / on_established: assign() leaves writing to its end
  bool silenced_ = false;  // shutdown: streams end without being counted
  // How streams still open end when the connection goes (fail_open).
  outcome closing_outcome_ = outcome::reset;
  failure_reason closing_reason_{"connection closed with streams open"};
  std::unique_ptr<char[]> buffer_;
  clock::time_point next_ping_{};
  static constexpr std::size_t read_buffer_size = 16 * 1024;
};

}  // namespace ordeal::engine
