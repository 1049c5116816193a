#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ordeal::engine {

// Why a response was rejected as malformed. Each counts in the `protocol` outcome class and
// is reported with its reason.
enum class protocol_error : std::uint8_t {
  bad_status_line,     // not "HTTP/1.x NNN reason"
  bad_header,          // a header line without a colon, bad characters, obs-fold
  header_too_large,    // status line + headers exceed the configured cap
  bad_content_length,  // negative, non-numeric, overflowing, or conflicting values
  bad_chunk,           // invalid chunk size line or missing CRLF after chunk data
  truncated_body,      // connection closed before the body was complete
  unsolicited_data,    // bytes after a response that no request asked for
};
inline constexpr std::size_t protocol_error_count = 7;

std::string_view describe(protocol_error e) noexcept;

}  // namespace ordeal::engine
