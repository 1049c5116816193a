#include "ordeal/engine/protocol_error.hpp"

namespace ordeal::engine {

// Short enough to sit in a report table; callers append specifics such as the size cap.
std::string_view describe(protocol_error e) noexcept {
  switch (e) {
    case protocol_error::bad_status_line:
      return "invalid status line";
    case protocol_error::bad_header:
      return "invalid header line";
    case protocol_error::header_too_large:
      return "response header exceeds the size cap";
    case protocol_error::bad_content_length:
      return "invalid Content-Length (negative, non-numeric or conflicting)";
    case protocol_error::bad_chunk:
      return "invalid chunked encoding";
    case protocol_error::truncated_body:
      return "connection closed before the response body was complete";
    case protocol_error::unsolicited_data:
      return "unsolicited data after a response";
  }
  return "unknown protocol error";  // not reachable for a valid enumerator
}

}  // namespace ordeal::engine
