#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "ordeal/engine/http1_parser.hpp"
#include "ordeal/engine/http_client.hpp"
#include "transport.hpp"

namespace ordeal::engine {

class client_core;
struct client_target;

// One connection of http_client: one request at a time, kept alive between requests. Asio
// connects it, then the client's epoll set reports readiness and it reads and writes with plain
// non-blocking recv/send. Every byte of the response is kept (up to the client's limits) so the
// script sees status, headers and body.
class client_connection {
 public:
  client_connection(client_core& core, std::uint32_t id);
  client_connection(const client_connection&) = delete;
  client_connection& operator=(const client_connection&) = delete;
  ~client_connection();

  const std::uint32_t id;
  std::uint32_t generation = 0;  // bumped on close: events for an older socket are ignored
  client_target* target = nullptr;
  std::size_t busy_index = 0;  // position in the client's busy list

  bool is_open() const noexcept { return io_.open() || connecting_; }
  // Starts a request: written now on an open connection, after the connect otherwise.
  void begin(http_request&& request, response_handler&& done, clock::time_point now);
  void on_events(std::uint32_t events);
  void check_deadline(clock::time_point now);
  // Drops the request without a word (the run is over); true if it had been written.
  bool abort_silently() noexcept;
  void close() noexcept;

 private:
  void connect(clock::time_point now);
  void on_connect(const boost::system::error_code& ec, std::uint32_t generation);
  // Also report writability (a partial write or a TLS step waits for the socket), or stop.
  void set_writable(bool on);
  // TLS: one step of the handshake; the request starts when it is done.
  void continue_handshake();
  // The connection is ready (TCP, and TLS if https): time the request from here and write.
  void start_request(clock::time_point now);
  void render();
  void write(clock::time_point now);
  void schedule_trickle();
  void on_readable(bool peer_closing);
  // Feeds received bytes to the parser; false once the request has ended. peer_closing: the
  // server's FIN has arrived too.
  bool feed(const char* data, std::size_t size, clock::time_point now, bool peer_closing);
  // The parser has a whole response: hands it to the script.
  void complete_response(clock::time_point now, bool keep);
  std::string protocol_text() const;
  std::string io_error_text() const;
  void on_eof(clock::time_point now);
  // A reused connection that the server had already closed: send again on a new one.
  bool retry_stale(clock::time_point now);
  void fail(outcome o, std::string why, clock::time_point now);
  void finish(clock::time_point now, bool keep);

  client_core& core_;
  boost::asio::ip::tcp::socket socket_;
  transport io_;
  bool handshaking_ = false;
  bool connecting_ = false;
  bool writing_ = false;  // waiting for EPOLLOUT
  bool active_ = false;   // a request is on this connection
  bool reused_ = false;
  std::uint16_t local_port_ = 0;  // of the open connection
  bool first_byte_ = false;
  bool stale_retried_ = false;
  bool capture_full_ = false;
  bool close_requested_ = false;  // the request has "Connection: close": never reused
  http1_response_parser parser_;
  http_request request_;
  response_handler done_;
  http_response response_;
  std::string out_;          // the rendered request
  std::size_t written_ = 0;  // bytes of out_ written
  std::size_t allowed_ = 0;  // bytes of out_ that may be written now (trickle)
  std::string raw_;          // the response's bytes as received
  std::unique_ptr<boost::asio::steady_timer> trickle_timer_;
  clock::time_point connect_started_{};
  clock::time_point handshake_started_{};
  clock::time_point send_started_{};
  clock::time_point sent_{};
  clock::time_point first_byte_at_{};
  clock::time_point deadline_{};
};

}  // namespace ordeal::engine
