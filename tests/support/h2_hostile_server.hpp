#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "test_certs.hpp"

namespace ordeal::test {

// How an h2_hostile_server treats every connection. Each one is a way a real HTTP/2 server
// misbehaves that the client must classify without crashing, hanging past its timeouts or
// growing memory.
enum class h2_hostile_behaviour : std::uint8_t {
  // The control case: SETTINGS (max_concurrent_streams), ACKs the client's SETTINGS and PINGs,
  // answers each complete request (END_STREAM seen) with 200 and response_body, after
  // response_delay. Sends WINDOW_UPDATE for request bodies.
  normal,
  // Answers the first complete request with a connection error chosen by `invalid_frame`, then
  // only reads (and ACKs nothing) until the client closes.
  invalid_frame,
  // Answers each complete request with a header block of about huge_headers_bytes (literal
  // headers of 4 KiB values) over HEADERS + CONTINUATION frames, then the body.
  huge_headers,
  // As normal for goaway_after_requests requests per connection, then GOAWAY (NO_ERROR,
  // last-stream-id = the stream just answered); streams above it are never answered (streams
  // at or below it still are), and the connection is closed (FIN) goaway_close_delay later.
  // The next connection starts again.
  goaway_every_n,
  // SETTINGS_INITIAL_WINDOW_SIZE 0 and never a WINDOW_UPDATE: past what a client may send
  // before it sees these SETTINGS (the default 65,535 bytes, so a small body can slip through
  // in its first flight), a request body can never be sent. Requests that complete (GET, or a
  // body that slipped through) are answered as normal. Open until the client closes it.
  zero_window,
  // Answers every request's first HEADERS frame with RST_STREAM(rst_error_code).
  rst_stream,
  // Reads what the client sends first (a ClientHello), writes non-TLS bytes instead of a
  // ServerHello and closes. Meant for a TLS client (url() is https); needs no `tls` option.
  tls_garbage,
  // Accepts, reads and discards, never writes (not even a TLS ServerHello): handshake and
  // request timeouts. Open until the client closes or the server stops.
  silent,
};

inline constexpr std::array all_h2_hostile_behaviours{
    h2_hostile_behaviour::normal,       h2_hostile_behaviour::invalid_frame,
    h2_hostile_behaviour::huge_headers, h2_hostile_behaviour::goaway_every_n,
    h2_hostile_behaviour::zero_window,  h2_hostile_behaviour::rst_stream,
    h2_hostile_behaviour::tls_garbage,  h2_hostile_behaviour::silent,
};

std::string_view to_string(h2_hostile_behaviour b) noexcept;

// The connection error `invalid_frame` sends.
enum class h2_invalid_frame : std::uint8_t {
  data_on_stream_zero,  // DATA on stream 0: PROTOCOL_ERROR
  bad_settings_length,  // SETTINGS whose length (5) is not a multiple of 6: FRAME_SIZE_ERROR
  // A DATA frame header on the request's stream declaring 16 MiB - 1 bytes (beyond the
  // client's SETTINGS_MAX_FRAME_SIZE), then 16 KiB of it: FRAME_SIZE_ERROR, without buffering.
  oversized_frame,
  bad_hpack,  // HEADERS whose block is the indexed field 0 (0x80): COMPRESSION_ERROR
};

// HTTP/2 error codes for rst_error_code (RFC 9113 section 7).
inline constexpr std::uint32_t h2_internal_error = 0x2;
inline constexpr std::uint32_t h2_refused_stream = 0x7;

struct h2_hostile_server_options {
  // Set: TLS 1.2+ with this identity (e.g. make_test_pki().server), selecting ALPN `alpn` when
  // the client offers it. Unset: cleartext HTTP/2 with prior knowledge (the 24-byte preface
  // first; anything else, e.g. HTTP/1.1, is closed at once).
  std::optional<pem_pair> tls;
  std::string alpn = "h2";  // empty, or not offered by the client: no ALPN in ServerHello
  std::uint32_t max_concurrent_streams = 100;  // SETTINGS_MAX_CONCURRENT_STREAMS sent
  // normal, goaway_every_n, zero_window: time between a request completing and its answer, so
  // that streams pile up (see peak_concurrent_streams()).
  std::chrono::milliseconds response_delay{0};
  std::string response_body = "hello";  // small: the client's flow-control window is ignored
  h2_invalid_frame invalid_frame = h2_invalid_frame::data_on_stream_zero;
  std::size_t huge_headers_bytes = 1024 * 1024;
  std::uint32_t goaway_after_requests = 3;            // N for goaway_every_n
  std::chrono::milliseconds goaway_close_delay{200};  // GOAWAY to FIN
  std::uint32_t rst_error_code = h2_refused_stream;
  std::chrono::milliseconds tls_handshake_timeout{5000};
  // Connections served at once (a thread each); more are accepted and closed at once.
  std::size_t max_connections = 64;
};

// An HTTP/2 server on 127.0.0.1 (ephemeral port) that writes raw frames by hand (its HPACK is
// the static-table ":status: 200" and literal fields; request header blocks are never
// decoded). One thread accepts; each connection has its own thread with non-blocking I/O that
// also waits on a stop signal, so stop() (or the destructor) closes the listener, ends every
// connection and joins every thread promptly, whatever the clients are doing. Client frames
// larger than 16,384 bytes (the default SETTINGS_MAX_FRAME_SIZE, never raised) end the
// connection, so memory stays bounded. The counters may be read from any thread.
class h2_hostile_server {
 public:
  explicit h2_hostile_server(h2_hostile_behaviour behaviour,
                             h2_hostile_server_options options = {});
  ~h2_hostile_server();

  h2_hostile_server(const h2_hostile_server&) = delete;
  h2_hostile_server& operator=(const h2_hostile_server&) = delete;

  std::uint16_t port() const noexcept;
  h2_hostile_behaviour behaviour() const noexcept;
  bool tls() const noexcept;  // the `tls` option is set, or the behaviour is tls_garbage
  // https://127.0.0.1:port/path with TLS, else http://127.0.0.1:port/path.
  std::string url(const std::string& path = "/") const;

  std::uint64_t connections_accepted() const noexcept;  // including those closed over the cap
  std::uint64_t connections_open() const noexcept;      // threads still serving one
  std::uint64_t requests_received() const noexcept;     // streams opened (first HEADERS frames)
  // Responses begun (counted before their first byte is written, so a client never sees more).
  std::uint64_t requests_answered() const noexcept;
  std::uint64_t streams_reset() const noexcept;  // RST_STREAM frames written
  std::uint64_t goaways_sent() const noexcept;
  // Most streams open at once on one connection (opened by the client, not yet answered or
  // reset), sampled as the client opens a stream after it has ACKed our SETTINGS: a client
  // honouring max_concurrent_streams keeps this at or below it. (Streams opened before the
  // ACK are not sampled: until a client has our SETTINGS it may open up to its own default,
  // and nghttp2-based clients do send their first requests with the preface.)
  std::uint64_t peak_concurrent_streams() const noexcept;

  // Idempotent; called by the destructor.
  void stop() noexcept;

 private:
  class impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace ordeal::test
