#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ordeal::targets::detail {

// Room for the longest head render_head() writes, with margin.
using head_buffer = std::array<char, 192>;

enum class connection_header : std::uint8_t { none, keep_alive, close };

// "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n
// [Connection: ...\r\n]\r\n" into `out`, without allocating. No Content-Length when
// content_length is empty (204, 304: the status alone says there is no body).
std::string_view render_head(head_buffer& out, unsigned status,
                             std::optional<std::uint64_t> content_length,
                             connection_header connection) noexcept;

// Body bytes sent by reference from static storage: the first `n` bytes of a body of
// `size_bytes` ("ok" at the default 2 bytes, else 'x' repeated); n <= filler_chunk_bytes.
inline constexpr std::size_t filler_chunk_bytes = 64 * 1024;
std::string_view filler(std::uint64_t size_bytes, std::size_t n) noexcept;

}  // namespace ordeal::targets::detail
