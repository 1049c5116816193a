#pragma once

#include <cstddef>
#include <cstdint>

#include "ordeal/engine/protocol_error.hpp"

namespace ordeal::engine {

// Incremental HTTP/1.1 response parser for the hot path: no allocation, no exceptions, never
// rescans bytes it has already seen, accepts input split at any byte boundary. Bodies are
// counted and discarded. One parser per connection, start()ed again for every response.
class http1_response_parser {
 public:
  enum class state : std::uint8_t { need_more, complete, error };

  static constexpr std::size_t default_max_header_bytes = 64 * 1024;

  explicit http1_response_parser(std::size_t max_header_bytes = default_max_header_bytes) noexcept;

  // Begins a new response. head_request: the request was HEAD (no body whatever the headers
  // say). 1xx interim responses are skipped; 204 and 304 have no body.
  void start(bool head_request = false) noexcept;

  // Consumes bytes and returns how many it used. Stops right after the end of a complete
  // response, so unused bytes belong to whatever follows. On error, consumes nothing more.
  std::size_t feed(const char* data, std::size_t size) noexcept;

  // The peer closed the connection (EOF). Completes a body delimited by close; otherwise a
  // started response becomes protocol_error::truncated_body.
  void on_eof() noexcept;

  state current() const noexcept { return state_; }
  bool started() const noexcept { return started_; }  // any byte of this response seen
  bool head_complete() const noexcept;                // final status line and headers parsed
  int status() const noexcept { return status_; }
  // After complete: false if the server will close (Connection: close, HTTP/1.0 without
  // keep-alive, body delimited by close, 101).
  bool keep_alive() const noexcept { return keep_alive_; }
  protocol_error error() const noexcept { return error_; }
  std::uint64_t body_bytes() const noexcept { return body_bytes_; }

 private:
  // The implementation's state machine; see http1_parser.cpp.
  enum class phase : std::uint8_t;

  const char* parse_head(const char* p, const char* end) noexcept;
  const char* parse_body(const char* p, const char* end) noexcept;
  const char* parse_content_length(const char* p, const char* end) noexcept;
  void parse_token_list(const char* p, const char* end, bool line_ends) noexcept;
  const char* fail(const char* p, protocol_error e) noexcept;
  void append_token(const char* first, const char* last) noexcept;
  void end_of_token(const char* first, const char* last) noexcept;
  bool end_of_list_element() noexcept;
  bool end_of_field_line() noexcept;
  void end_of_head() noexcept;
  void begin_chunk_size() noexcept;
  void reset_message_fields() noexcept;

  std::size_t max_header_bytes_;
  state state_ = state::need_more;
  protocol_error error_ = protocol_error::bad_status_line;
  bool started_ = false;
  bool head_request_ = false;
  bool keep_alive_ = true;
  int status_ = 0;
  std::uint64_t body_bytes_ = 0;
  // Implementation-private fields follow (the implementation may add what it needs here).
  phase phase_{};
  std::uint8_t field_ = 0;       // which header's value is being read (field_kind)
  std::uint8_t list_state_ = 0;  // position inside a list-valued header value
  std::uint8_t element_ = 0;     // what the current list element's token matched (list_token)
  bool head_done_ = false;
  bool in_trailers_ = false;
  bool http10_ = false;
  bool te_present_ = false;
  bool te_chunked_ = false;  // the last transfer coding seen so far is "chunked"
  bool conn_close_ = false;
  bool conn_keep_alive_ = false;
  bool have_content_length_ = false;
  // Bytes of the current line-limited section (status line and headers, or one chunk-size
  // line plus trailers) consumed so far; bounded by max_header_bytes_.
  std::size_t header_bytes_ = 0;
  // Body bytes left to read (Content-Length body or current chunk); the chunk size while its
  // line is being parsed.
  std::uint64_t remaining_ = 0;
  std::uint64_t content_length_ = 0;
  std::uint64_t number_ = 0;  // a Content-Length value being parsed
  // Progress inside the current token: bytes of "HTTP/1." matched, status digits seen, chunk
  // size digits seen, or the length of a header name or list element (saturating at
  // sizeof(token_) + 1, which matches nothing).
  std::uint32_t token_len_ = 0;
  // The start of a header name or list token that straddles two feed() calls: the only bytes
  // ever copied. The longest one matched is "transfer-encoding".
  char token_[20] = {};
};

}  // namespace ordeal::engine
