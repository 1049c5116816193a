#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ordeal::faults::http {

// How a message's body is delimited (RFC 9112 section 6).
enum class body_kind : std::uint8_t {
  none,         // no body: a request without Content-Length, a HEAD's response, 1xx, 204, 304
  length,       // Content-Length bytes
  chunked,      // chunked transfer coding, up to the last chunk and its trailers
  until_close,  // a response body that only the server's close ends
  tunnel,       // after this head the connection speaks something else (101, CONNECT's 2xx)
};

struct header_field {
  std::string_view name;
  std::string_view value;  // without surrounding whitespace
};

// Finds where HTTP/1.x messages begin and end in one direction of a connection, fed in pieces
// split at any byte. It never changes a byte and copies only heads that straddle two pieces:
// the HTTP fault passes every message it does not hit exactly as it came.
//
// feed() consumes the bytes of one part at a time and stops at each boundary: the end of the
// head (then current() is body, or done when there is none), the end of the message (done)
// or an error. Bytes it consumed in the head are kept until the head is whole: head() then
// holds the head (a view into the caller's piece when all of it came in one, else a copy).
// Heads are capped at max_head_bytes; the start line is checked byte by byte as it comes, so
// a stream that is not HTTP fails at once instead of being held while the cap fills.
class message_framer {
 public:
  enum class role : std::uint8_t { request, response };
  enum class part : std::uint8_t { head, body, done, error };
  static constexpr std::size_t max_head_bytes = 64 * 1024;

  explicit message_framer(role r) noexcept : role_(r) {}

  // Begins the next message. For a response, what it answers: a HEAD request (no body
  // whatever the headers say) or a CONNECT (a 2xx opens a tunnel).
  void next(bool head_request = false, bool connect_request = false);
  // Consumes bytes of the current part (see above) and returns how many; none once done or
  // on error. On an error in the head, head() holds the head's bytes consumed so far.
  std::size_t feed(const char* data, std::size_t size);
  // The stream ended: completes a body delimited by the close, fails a message begun.
  void eof();

  part current() const noexcept { return part_; }
  bool started() const noexcept { return head_bytes_ > 0 || part_ != part::head; }
  std::string_view head() const noexcept { return head_; }
  // Head bytes consumed while the head is not yet whole (what a caller holding it holds).
  std::string_view held() const noexcept {
    return part_ == part::head ? std::string_view(held_) : std::string_view();
  }
  const char* error() const noexcept { return error_; }

  // After the head:
  std::string_view method() const noexcept { return method_; }  // request
  std::string_view target() const noexcept { return target_; }  // request, as sent
  int status() const noexcept { return status_; }               // response
  bool interim() const noexcept { return interim_; }  // 1xx but 101: the final one follows
  // A request that may switch the connection to another protocol (Upgrade, CONNECT).
  bool upgrade() const noexcept { return upgrade_; }
  body_kind body() const noexcept { return body_; }
  const std::vector<header_field>& fields() const noexcept { return fields_; }

 private:
  const char* feed_head(const char* p, const char* end);
  const char* feed_body(const char* p, const char* end);
  bool start_line_byte(unsigned char b);  // false: not an HTTP/1.x start line
  bool parse_head();
  bool fail(const char* why);

  role role_;
  part part_ = part::head;
  bool head_request_ = false;
  bool connect_request_ = false;
  const char* error_ = nullptr;

  // Head scanning.
  std::size_t head_bytes_ = 0;   // consumed in this head so far
  std::uint8_t line_state_ = 0;  // start-line position (see start_line_byte), then "done"
  std::uint32_t token_ = 0;      // bytes matched in the current start-line token
  std::size_t line_len_ = 0;     // bytes of the current header line seen so far
  char last_ = 0;                // the last of those bytes
  std::string held_;             // the head's bytes from earlier pieces
  std::string_view head_;

  // What the head says.
  std::string_view method_;
  std::string_view target_;
  int status_ = 0;
  bool interim_ = false;
  bool upgrade_ = false;
  body_kind body_ = body_kind::none;
  std::vector<header_field> fields_;

  // Body scanning.
  std::uint64_t remaining_ = 0;  // Content-Length bytes left, or of the current chunk
  std::uint8_t chunk_state_ = 0;
  std::uint8_t size_digits_ = 0;
  std::size_t line_bytes_ = 0;  // of a chunk-size line or the trailers, capped
};

// '*' matches any run of bytes (also none); every other byte matches itself.
bool glob_match(std::string_view pattern, std::string_view text) noexcept;
bool iequals(std::string_view a, std::string_view b) noexcept;

}  // namespace ordeal::faults::http
