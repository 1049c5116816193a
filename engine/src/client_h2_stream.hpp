#pragma once

#include <nghttp2/nghttp2.h>

#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "h2_session.hpp"
#include "ordeal/engine/http_client.hpp"

namespace ordeal::engine {

// One request of http_client on an HTTP/2 connection: the header list it goes out with, the
// response as it arrives (status, headers then trailers, the body up to a cap) and its phase
// times. Slots are reused by their connection; `generation` tells a late timer that its request
// is gone.
struct client_h2_stream {
  enum class stage : std::uint8_t {
    free,     // in the connection's pool
    waiting,  // taken by the connection, not yet on a stream (connecting, or no room)
    open,     // submitted to the session
    ended,    // the session reported its end: the handler is due
  };

  http_request request;
  response_handler done;
  http_response response;
  // The header list as submitted: nghttp2 copies it (no NO_COPY flags), so a request withdrawn
  // before its HEADERS went out never leaves nghttp2 pointing into a reused slot.
  h2_request_headers header_text;
  std::vector<nghttp2_nv> nva;  // header_text's fields without NO_COPY
  std::int32_t id = 0;          // the stream id once submitted
  std::uint32_t generation = 0;
  stage where = stage::free;
  bool opener = false;           // opened the connection: its connect and handshake are its own
  bool resent = false;           // already sent again once after a connection closed under it
  bool first_byte = false;       // the response has begun
  bool end_queued = false;       // its last frame is in the session's output, maybe not yet written
  bool on_wire = false;          // some of it was written: the server may have seen it
  bool timed_out = false;        // cancelled for its timeout
  bool abandoning = false;       // cancelled by abandon_point
  std::size_t body_allowed = 0;  // trickle: body bytes granted so far
  std::uint64_t sent_mark = 0;   // the connection's written-bytes count once its last byte is out
  clock::time_point send_started{};
  clock::time_point sent{};
  clock::time_point first_byte_at{};
  clock::time_point deadline{};
  std::unique_ptr<boost::asio::steady_timer> trickle_timer;

  // Takes a new request: everything of the previous one is forgotten.
  void reset(http_request&& r, response_handler&& d);
  // The request's header list: :method, :scheme, :authority (the Host header if given, which is
  // then not sent again), :path, the rest lowercased, a User-Agent and a content-length as
  // HTTP/1.1 adds them; connection-specific headers HTTP/2 forbids are left out.
  void build_headers();
  // A response header (pseudo-headers dropped) or trailer (appended after the headers).
  void on_header(std::string_view name, std::string_view value);
  // Body bytes: kept up to max_body_bytes, all counted in bytes_received.
  void on_body(std::string_view chunk, std::size_t max_body_bytes);
  // The stream has ended: sets result and error from how, unless abandoned or timed out.
  // closing/closing_reason: for a stream the connection took with it (session_closed).
  void set_outcome(const h2_stream_end& how, outcome closing, const std::string& closing_reason);
};

}  // namespace ordeal::engine
