#include "response_capture.hpp"

#include <cctype>
#include <charconv>

namespace ordeal::engine {

namespace {

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// The next line without its CRLF or LF; advances `pos` past it. npos when no line end is left.
bool next_line(std::string_view raw, std::size_t& pos, std::string_view& line) noexcept {
  const auto end = raw.find('\n', pos);
  if (end == std::string_view::npos) return false;
  line = raw.substr(pos, end - pos);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  pos = end + 1;
  return true;
}

bool contains_token(std::string_view list, std::string_view token) noexcept {
  // The last transfer coding decides whether the body is chunked.
  const auto comma = list.rfind(',');
  const auto last = trim(comma == std::string_view::npos ? list : list.substr(comma + 1));
  return header_name_equals(last, token);
}

// Decodes a chunked body; stops quietly at a chunk cut short (kept bytes ran out).
void dechunk(std::string_view body, std::string& out) {
  std::size_t pos = 0;
  while (pos < body.size()) {
    std::string_view line;
    if (!next_line(body, pos, line)) return;
    const auto semicolon = line.find(';');
    const auto digits = trim(line.substr(0, semicolon));
    std::uint64_t size = 0;
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), size, 16);
    if (ec != std::errc() || size == 0) return;  // the last chunk (trailers follow) or garbage
    const auto take = std::min<std::uint64_t>(size, body.size() - pos);
    out.append(body.substr(pos, take));
    pos += take;
    if (take < size) return;
    std::string_view crlf;
    if (!next_line(body, pos, crlf)) return;
  }
}

}  // namespace

bool header_name_equals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

void split_response(std::string_view raw, bool head_request, http_response& out) {
  std::size_t pos = 0;
  for (;;) {
    out.headers.clear();
    out.headers.reserve(12);  // typical responses carry 6-10 headers: one allocation
    std::string_view line;
    if (!next_line(raw, pos, line)) return;
    // "HTTP/1.1 200 OK"
    const auto space = line.find(' ');
    int status = 0;
    if (space != std::string_view::npos) {
      const auto code = line.substr(space + 1, 3);
      std::from_chars(code.data(), code.data() + code.size(), status);
    }
    out.status = status;
    while (next_line(raw, pos, line) && !line.empty()) {
      const auto colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      out.headers.emplace_back(std::string(line.substr(0, colon)),
                               std::string(trim(line.substr(colon + 1))));
    }
    // Interim responses (100 Continue, 103 Early Hints) precede the final one.
    if (status >= 100 && status < 200 && status != 101) continue;
    break;
  }
  out.body.clear();
  if (head_request || out.status == 204 || out.status == 304) return;
  const std::string_view body = raw.substr(std::min(pos, raw.size()));
  const std::string* te = out.header("transfer-encoding");
  if (te != nullptr && contains_token(*te, "chunked"))
    dechunk(body, out.body);
  else
    out.body.assign(body);
}

const std::string* http_response::header(std::string_view name) const noexcept {
  for (const auto& [n, v] : headers)
    if (header_name_equals(n, name)) return &v;
  return nullptr;
}

}  // namespace ordeal::engine
