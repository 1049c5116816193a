#include "response.hpp"

#include <algorithm>
#include <boost/beast/core/error.hpp>  // first: http/status.hpp needs <ostream>, includes none
#include <boost/beast/http/status.hpp>
#include <charconv>
#include <cstring>

namespace ordeal::targets::detail {
namespace {

constexpr auto make_filler() {
  std::array<char, filler_chunk_bytes> chunk{};
  chunk.fill('x');
  return chunk;
}
// In .rodata: no start-up cost, shared by every connection on every thread.
constexpr std::array<char, filler_chunk_bytes> filler_chunk = make_filler();

char* append(char* p, std::string_view s) noexcept {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

char* append_number(char* p, std::uint64_t n) noexcept {
  return std::to_chars(p, p + 20, n).ptr;  // 20 digits hold any uint64
}

}  // namespace

std::string_view render_head(head_buffer& out, unsigned status,
                             std::optional<std::uint64_t> content_length,
                             connection_header connection) noexcept {
  namespace http = boost::beast::http;
  std::string_view reason = "Unknown";  // statuses IANA never assigned, e.g. 299
  if (const auto known = http::int_to_status(status); known != http::status::unknown) {
    const auto r = http::obsolete_reason(known);
    reason = {r.data(), r.size()};
  }
  // The longest reason Beast knows is 31 characters; the rest is fixed or bounded below.
  char* p = out.data();
  p = append(p, "HTTP/1.1 ");
  p = append_number(p, status);
  *p++ = ' ';
  p = append(p, reason.substr(0, 40));
  p = append(p, "\r\nContent-Type: text/plain\r\n");
  if (content_length) {
    p = append(p, "Content-Length: ");
    p = append_number(p, *content_length);
    p = append(p, "\r\n");
  }
  if (connection == connection_header::close) p = append(p, "Connection: close\r\n");
  if (connection == connection_header::keep_alive) p = append(p, "Connection: keep-alive\r\n");
  p = append(p, "\r\n");
  return {out.data(), static_cast<std::size_t>(p - out.data())};
}

std::string_view filler(std::uint64_t size_bytes, std::size_t n) noexcept {
  if (size_bytes == 2 && n == 2) return "ok";
  return {filler_chunk.data(), std::min(n, filler_chunk.size())};
}

}  // namespace ordeal::targets::detail
