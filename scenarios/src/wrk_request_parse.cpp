#include "wrk_request_parse.hpp"

#include <charconv>
#include <cstdint>

namespace ordeal::scenarios {
namespace {

char ascii_lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

bool is_token_char(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  if (u <= 32 || u >= 127) return false;
  return std::string_view("()<>@,;:\\\"/[]?={}").find(c) == std::string_view::npos;
}

// Reads one line (without its CR LF or LF) from `raw` at `pos`; false when no line end follows.
bool next_line(std::string_view raw, std::size_t& pos, std::string_view& line) noexcept {
  const auto lf = raw.find('\n', pos);
  if (lf == std::string_view::npos) return false;
  std::size_t end = lf;
  if (end > pos && raw[end - 1] == '\r') --end;
  line = raw.substr(pos, end - pos);
  pos = lf + 1;
  return true;
}

std::string at_line(int line, std::string_view why) {
  return "line " + std::to_string(line) + ": " + std::string(why);
}

}  // namespace

std::string parse_raw_requests(std::string_view raw, std::vector<raw_request>& out) {
  out.clear();
  std::size_t pos = 0;
  int line_no = 1;
  for (;;) {
    // Blank lines between requests are tolerated (RFC 9112 2.2), so "GET / ...\r\n\r\n\r\n" works.
    while (pos < raw.size() && (raw[pos] == '\r' || raw[pos] == '\n')) {
      if (raw[pos] == '\n') ++line_no;
      ++pos;
    }
    if (pos == raw.size()) break;

    raw_request r;
    std::string_view line;
    if (!next_line(raw, pos, line)) return at_line(line_no, "incomplete request line");
    const auto sp1 = line.find(' ');
    const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos)
      return at_line(line_no, "invalid request line \"" + std::string(line) + "\"");
    const auto method = line.substr(0, sp1);
    const auto target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    const auto version = line.substr(sp2 + 1);
    if (method.empty() || target.empty() || version.rfind("HTTP/1.", 0) != 0)
      return at_line(line_no, "invalid request line \"" + std::string(line) + "\"");
    for (char c : method)
      if (!is_token_char(c))
        return at_line(line_no, "invalid method \"" + std::string(method) + "\"");
    r.method = method;
    r.target = target;

    std::uint64_t content_length = 0;
    for (;;) {
      ++line_no;
      if (!next_line(raw, pos, line)) return at_line(line_no, "incomplete request head");
      if (line.empty()) break;
      const auto colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0)
        return at_line(line_no, "invalid header line \"" + std::string(line) + "\"");
      const auto name = line.substr(0, colon);
      for (char c : name)
        if (!is_token_char(c))
          return at_line(line_no, "invalid header name \"" + std::string(name) + "\"");
      const auto value = trim(line.substr(colon + 1));
      if (iequals(name, "Content-Length")) {
        const auto [p, ec] =
            std::from_chars(value.data(), value.data() + value.size(), content_length);
        if (ec != std::errc() || p != value.data() + value.size())
          return at_line(line_no, "invalid Content-Length \"" + std::string(value) + "\"");
      } else if (iequals(name, "Transfer-Encoding")) {
        // The engine frames request bodies with Content-Length only.
        return at_line(line_no,
                       "Transfer-Encoding in a request is not supported (give the body "
                       "a Content-Length)");
      }
      r.headers.emplace_back(name, value);
    }
    if (content_length > raw.size() - pos)
      return at_line(line_no, "incomplete body: Content-Length " + std::to_string(content_length) +
                                  ", " + std::to_string(raw.size() - pos) + " bytes follow");
    r.body = raw.substr(pos, content_length);
    for (std::size_t i = pos; i < pos + content_length; ++i)
      if (raw[i] == '\n') ++line_no;
    pos += content_length;
    out.push_back(std::move(r));
  }
  if (out.empty()) return "empty request";
  return {};
}

}  // namespace ordeal::scenarios
