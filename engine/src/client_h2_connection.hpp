#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client_h2_stream.hpp"
#include "h2_session.hpp"
#include "ordeal/engine/http_client.hpp"
#include "transport.hpp"

namespace ordeal::engine {

class client_core;
struct client_target;
struct queued_request;

// One HTTP/2 connection of http_client (h2 after TLS with ALPN "h2", or h2c with prior
// knowledge): many requests at once, each on its own stream with its own handler and response,
// up to h2.max_streams and never above the server's SETTINGS_MAX_CONCURRENT_STREAMS. Asio
// connects it, then the client's epoll set reports readiness, as for client_connection.
//
// Session events only record what happened; handlers run once the connection is done with the
// event (never inside nghttp2's callbacks), through the core (never inside send()). A request
// that times out or is abandoned is reset on its own (RST_STREAM CANCEL) and the connection goes
// on; after a GOAWAY it takes no new request and closes once its streams are done.
class client_h2_connection final : private h2_session_events {
 public:
  client_h2_connection(client_core& core, std::uint32_t id);
  client_h2_connection(const client_h2_connection&) = delete;
  client_h2_connection& operator=(const client_h2_connection&) = delete;
  ~client_h2_connection() override;  // runs no handler

  const std::uint32_t id;
  std::uint32_t generation = 0;     // bumped on close: events for an older socket are ignored
  client_target* target = nullptr;  // set while the core counts this connection for a target

  bool is_open() const noexcept { return state_ != state::closed; }
  // Whether begin() may be given one more request now.
  bool has_room() const noexcept;
  // Requests taken and not ended (waiting for a stream or on one).
  std::size_t requests() const noexcept { return requests_; }
  // Takes a request: on a stream at once when ready with room, after the connect (and the
  // handshake) otherwise. resent: the request already went out once on a connection that
  // closed under it (it is not sent a third time).
  void begin(http_request&& request, response_handler&& done, clock::time_point now,
             bool resent = false);
  void on_events(std::uint32_t events);
  void check_deadline(clock::time_point now);
  // Drops every request without a word (the run is over) and closes; returns how many had gone
  // out, whole or in part.
  std::size_t abort_silently() noexcept;

 private:
  std::uint16_t local_port_ = 0;  // of the open (or last) connection
  enum class state : std::uint8_t { closed, connecting, handshaking, ready };

  client_h2_stream& take_stream();
  void connect(clock::time_point now);
  void on_connect(const boost::system::error_code& ec, std::uint32_t generation);
  // Also report writability (a partial write or a TLS step waits for the socket), or stop.
  void set_writable(bool on);
  void continue_handshake();
  // TCP (and TLS) is up: start the session and put the waiting requests on streams.
  void on_ready(clock::time_point now);
  void submit_waiting(clock::time_point now);
  // Writes what the session has to send; false if the connection failed meanwhile.
  bool flush(clock::time_point now);
  // Streams whose last byte has now been written: request_sent, and abandon at request_sent.
  void mark_sent(clock::time_point now);
  void read(std::uint32_t events);
  void schedule_trickle(client_h2_stream& s);
  void on_trickle(client_h2_stream& s, std::uint32_t generation);
  // The connection could not be set up: every waiting request fails with (o, why).
  void fail_setup(outcome o, const std::string& why, clock::time_point now);
  // The connection broke with streams open: they end with (o, why), or go out again on a new
  // connection if they may (resend); waiting requests go back to the target's queue.
  void fail_open(outcome o, std::string why, bool resend, clock::time_point now);
  // Going away and drained, or finished: close.
  void maybe_retire();
  void close_socket() noexcept;
  // The end of every entry point: submit and write what waits, hand the connection back to the
  // core once closed, then run the handlers of ended requests.
  void settle(clock::time_point now);
  void deliver();
  // The stream's outcome is set: time its end and queue its handler.
  void end(client_h2_stream& s, clock::time_point now);
  void release(client_h2_stream& s) noexcept;

  // h2_session_events
  void on_header(void* stream_data, std::string_view name, std::string_view value,
                 bool trailer) override;
  void on_response_head(void* stream_data, int status) override;
  void on_data(void* stream_data, std::string_view chunk) override;
  void on_stream_end(void* stream_data, const h2_stream_end& end) override;
  void on_goaway(std::int32_t, std::uint32_t, std::string_view) override {}
  void on_request_frame(void* stream_data, std::size_t frame_bytes, bool end_stream) override;
  // The response's first byte: waiting time, and abandon at first_byte.
  void first_byte(client_h2_stream& s);

  client_core& core_;
  boost::asio::ip::tcp::socket socket_;
  transport io_;
  std::optional<h2_session> session_;
  state state_ = state::closed;
  bool writing_ = false;   // waiting for EPOLLOUT
  bool in_io_ = false;     // inside an event: begin() leaves submitting and writing to its end
  bool silenced_ = false;  // shut down or destroyed: streams end without a handler
  std::vector<std::unique_ptr<client_h2_stream>> streams_;  // slots, reused
  std::vector<client_h2_stream*> free_;
  std::deque<client_h2_stream*> waiting_;       // taken, not yet on a stream, in order
  std::vector<client_h2_stream*> unsent_ends_;  // last frame queued, not yet written
  std::vector<client_h2_stream*> ended_;        // handlers due
  std::vector<queued_request> requeue_;         // back to the target's queue
  std::size_t requests_ = 0;
  std::uint64_t written_ = 0;  // bytes of session output written on this connection
  bool ended_any_ = false;     // a stream ended since the last settle: room for the queue
  outcome closing_outcome_ = outcome::reset;
  std::string closing_reason_;
  bool closing_resend_ = false;  // streams the connection takes with it may be sent again
  clock::time_point connect_started_{};
  clock::time_point handshake_started_{};
  clock::time_point deadline_{};   // connect or handshake
  clock::time_point next_ping_{};  // h2.ping_interval: when the next PING is due
};

}  // namespace ordeal::engine
