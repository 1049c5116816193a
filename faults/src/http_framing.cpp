#include "http_framing.hpp"

#include <algorithm>
#include <cstring>

namespace ordeal::faults::http {

namespace {

// Where the start line's scan is (message_framer::line_state_).
enum line_pos : std::uint8_t {
  at_lead,        // empty lines before the start line (RFC 9112 2.2 lets a recipient skip them)
  at_method,      // request: the method token
  at_target,      // request: the request target
  at_version,     // "HTTP/1."; token_ = bytes matched
  at_minor,       // the minor version digit
  at_eol,         // request: CR or LF after the version
  at_status_sp,   // response: the SP after the version
  at_code,        // response: three digits; token_ = digits seen
  at_after_code,  // response: SP before the reason, or the line's end
  at_reason,      // response: the reason phrase
  at_cr_seen,     // CR at the end of the start line; LF follows
  at_line_done,   // the start line is in; header lines follow
};

// Where a chunked body's scan is (message_framer::chunk_state_).
enum chunk_pos : std::uint8_t {
  chunk_size,     // hex digits; size_digits_ seen, remaining_ the value so far
  chunk_ext,      // the rest of the chunk-size line (extensions), up to LF
  chunk_size_lf,  // CR right after the size seen
  chunk_data,     // remaining_ bytes of data left
  chunk_data_cr,  // the CRLF after the data
  chunk_data_lf,
  trailer_start,  // the start of a trailer line, or of the empty line ending the body
  trailer_line,
  trailer_lf,  // CR of the empty line seen
};

constexpr char http_prefix[] = "HTTP/1.";
constexpr std::size_t http_prefix_len = sizeof(http_prefix) - 1;

bool is_tchar(unsigned char c) noexcept {
  if ((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != 0;
}

bool is_digit(unsigned char c) noexcept {
  return c >= '0' && c <= '9';
}

int hex_value(unsigned char c) noexcept {
  if (is_digit(c)) return c - '0';
  const unsigned char l = c | 0x20;
  if (l >= 'a' && l <= 'f') return l - 'a' + 10;
  return -1;
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// Calls f(element) for each non-empty element of a comma-separated header value; stops early
// when f returns false and then returns false.
template <class F>
bool each_element(std::string_view value, F f) {
  while (!value.empty()) {
    const auto comma = value.find(',');
    const auto element = trim(value.substr(0, comma));
    if (!element.empty() && !f(element)) return false;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return true;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    unsigned char x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    if (x >= 'A' && x <= 'Z') x |= 0x20;
    if (y >= 'A' && y <= 'Z') y |= 0x20;
    if (x != y) return false;
  }
  return true;
}

bool glob_match(std::string_view pattern, std::string_view text) noexcept {
  // Greedy with one backtrack point: the last '*' seen absorbs one more byte on a mismatch.
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*')
    ++p;
  return p == pattern.size();
}

void message_framer::next(bool head_request, bool connect_request) {
  part_ = part::head;
  head_request_ = head_request;
  connect_request_ = connect_request;
  error_ = nullptr;
  head_bytes_ = 0;
  line_state_ = at_lead;
  token_ = 0;
  line_len_ = 0;
  last_ = 0;
  held_.clear();
  head_ = {};
  method_ = {};
  target_ = {};
  status_ = 0;
  interim_ = false;
  upgrade_ = false;
  body_ = body_kind::none;
  fields_.clear();
  remaining_ = 0;
  chunk_state_ = chunk_size;
  size_digits_ = 0;
  line_bytes_ = 0;
}

bool message_framer::fail(const char* why) {
  part_ = part::error;
  error_ = why;
  return false;
}

std::size_t message_framer::feed(const char* data, std::size_t size) {
  if (size == 0) return 0;
  const char* p = data;
  if (part_ == part::head)
    p = feed_head(data, data + size);
  else if (part_ == part::body)
    p = feed_body(data, data + size);
  return static_cast<std::size_t>(p - data);
}

void message_framer::eof() {
  if (part_ == part::body && body_ == body_kind::until_close) {
    part_ = part::done;
    return;
  }
  if (part_ == part::done || part_ == part::error || !started()) return;
  fail("the stream ended inside a message");
}

bool message_framer::start_line_byte(unsigned char b) {
  switch (line_state_) {
    case at_lead:
      if (b == '\r' || b == '\n') return true;
      line_state_ = role_ == role::request ? at_method : at_version;
      return start_line_byte(b);
    case at_method:
      if (is_tchar(b)) {
        ++token_;
        return true;
      }
      if (b != ' ' || token_ == 0) return fail("not an HTTP/1.x request line");
      line_state_ = at_target;
      token_ = 0;
      return true;
    case at_target:
      if (b > 0x20 && b != 0x7f) {
        ++token_;
        return true;
      }
      if (b != ' ' || token_ == 0) return fail("not an HTTP/1.x request line");
      line_state_ = at_version;
      token_ = 0;
      return true;
    case at_version:
      if (b != static_cast<unsigned char>(http_prefix[token_]))
        return fail(role_ == role::request ? "not an HTTP/1.x request line"
                                           : "not an HTTP/1.x status line");
      if (++token_ == http_prefix_len) line_state_ = at_minor;
      return true;
    case at_minor:
      if (!is_digit(b)) return fail("not HTTP/1.x");
      line_state_ = role_ == role::request ? at_eol : at_status_sp;
      return true;
    case at_eol:
      if (b == '\r') {
        line_state_ = at_cr_seen;
        return true;
      }
      if (b == '\n') {
        line_state_ = at_line_done;
        return true;
      }
      return fail("not an HTTP/1.x request line");
    case at_status_sp:
      if (b != ' ') return fail("not an HTTP/1.x status line");
      line_state_ = at_code;
      token_ = 0;
      return true;
    case at_code:
      if (!is_digit(b)) return fail("not an HTTP/1.x status line");
      if (++token_ == 3) line_state_ = at_after_code;
      return true;
    case at_after_code:
      if (b == ' ') {
        line_state_ = at_reason;
        return true;
      }
      [[fallthrough]];
    case at_reason:
      if (b == '\r') {
        line_state_ = at_cr_seen;
        return true;
      }
      if (b == '\n') {
        line_state_ = at_line_done;
        return true;
      }
      if (line_state_ == at_reason && (b == '\t' || (b >= 0x20 && b != 0x7f))) return true;
      return fail("not an HTTP/1.x status line");
    case at_cr_seen:
      if (b != '\n') return fail("a CR without LF ends the start line");
      line_state_ = at_line_done;
      return true;
    default:
      return true;
  }
}

const char* message_framer::feed_head(const char* p, const char* const end) {
  const char* const start = p;
  // Never past the cap, however the bytes come: an endless head fails at exactly the cap.
  const std::size_t budget = max_head_bytes - head_bytes_;
  const char* const limit = static_cast<std::size_t>(end - p) > budget ? p + budget : end;
  bool whole = false;
  while (p != limit && part_ == part::head) {
    if (line_state_ != at_line_done) {
      if (start_line_byte(static_cast<unsigned char>(*p))) ++p;
      continue;
    }
    const auto* nl = static_cast<const char*>(std::memchr(p, '\n', limit - p));
    if (nl == nullptr) {
      line_len_ += static_cast<std::size_t>(limit - p);
      last_ = limit[-1];
      p = limit;
      break;
    }
    // The line is the line_len_ bytes of earlier pieces (ending in last_) and [p, nl).
    const std::size_t n = line_len_ + static_cast<std::size_t>(nl - p);
    const bool empty = n == 0 || (n == 1 && (nl > p ? *p : last_) == '\r');
    p = nl + 1;
    line_len_ = 0;
    if (empty) whole = true;
    if (empty) break;
  }
  head_bytes_ += static_cast<std::size_t>(p - start);
  if (!whole && part_ == part::head && head_bytes_ >= max_head_bytes)
    fail("the head is larger than 64 KiB");
  if (held_.empty() && (whole || part_ == part::error)) {
    head_ = std::string_view(start, static_cast<std::size_t>(p - start));
  } else {
    held_.append(start, p);
    head_ = held_;
  }
  if (whole) parse_head();
  return p;
}

bool message_framer::parse_head() {
  std::string_view h = head_;
  auto next_line = [&h]() {
    const auto nl = h.find('\n');
    std::string_view line = h.substr(0, nl);
    h.remove_prefix(nl == std::string_view::npos ? h.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  };
  // The empty lines start_line_byte skipped, then the start line it checked: only its parts
  // are taken here.
  h.remove_prefix(std::min(h.size(), h.find_first_not_of("\r\n")));
  std::string_view line = next_line();
  if (role_ == role::request) {
    const auto sp1 = line.find(' ');
    const auto sp2 = line.find(' ', sp1 + 1);
    method_ = line.substr(0, sp1);
    target_ = line.substr(sp1 + 1, sp2 - sp1 - 1);
  } else {
    status_ = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  }
  for (;;) {
    line = next_line();
    if (line.empty()) break;
    if (line.front() == ' ' || line.front() == '\t')
      return fail("obsolete line folding in the head");
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0)
      return fail("a header line without a name and a colon");
    const auto name = line.substr(0, colon);
    for (const char c : name)
      if (!is_tchar(static_cast<unsigned char>(c))) return fail("a bad header name");
    const auto value = trim(line.substr(colon + 1));
    for (const char c : value) {
      const auto b = static_cast<unsigned char>(c);
      if ((b < 0x20 && b != '\t') || b == 0x7f) return fail("a control character in a header");
    }
    fields_.push_back({name, value});
  }

  bool te = false, te_chunked = false, have_length = false;
  std::uint64_t length = 0;
  for (const auto& f : fields_) {
    if (iequals(f.name, "content-length")) {
      const bool ok = each_element(f.value, [&](std::string_view e) {
        if (e.size() > 18) return false;
        std::uint64_t v = 0;
        for (const char c : e) {
          if (!is_digit(static_cast<unsigned char>(c))) return false;
          v = v * 10 + static_cast<std::uint64_t>(c - '0');
        }
        if (have_length && v != length) return false;
        have_length = true;
        length = v;
        return true;
      });
      if (!ok || f.value.empty()) return fail("a bad or conflicting Content-Length");
    } else if (iequals(f.name, "transfer-encoding")) {
      te = true;
      each_element(f.value, [&](std::string_view e) {
        te_chunked = iequals(e, "chunked");
        return true;
      });
    } else if (iequals(f.name, "upgrade")) {
      upgrade_ = true;
    }
  }

  if (role_ == role::request) {
    if (method_ == "CONNECT") upgrade_ = true;
    if (te) {
      // Both framings in one request is how requests are smuggled: the upstream's reading
      // and ours might differ, so such a stream is not framed at all.
      if (have_length) return fail("both Transfer-Encoding and Content-Length");
      if (!te_chunked) return fail("a Transfer-Encoding without chunked last");
      body_ = body_kind::chunked;
    } else {
      body_ = have_length && length > 0 ? body_kind::length : body_kind::none;
    }
  } else if (status_ >= 100 && status_ < 200 && status_ != 101) {
    interim_ = true;
    body_ = body_kind::none;
  } else if (status_ == 101 || (connect_request_ && status_ >= 200 && status_ < 300)) {
    body_ = body_kind::tunnel;
  } else if (head_request_ || status_ == 204 || status_ == 304) {
    body_ = body_kind::none;
  } else if (te) {
    body_ = te_chunked ? body_kind::chunked : body_kind::until_close;
  } else if (have_length) {
    body_ = length > 0 ? body_kind::length : body_kind::none;
  } else {
    body_ = body_kind::until_close;
  }
  remaining_ = body_ == body_kind::length ? length : 0;
  const bool has_body =
      body_ == body_kind::length || body_ == body_kind::chunked || body_ == body_kind::until_close;
  part_ = has_body ? part::body : part::done;
  return true;
}

const char* message_framer::feed_body(const char* p, const char* const end) {
  if (body_ == body_kind::until_close) return end;
  if (body_ == body_kind::length) {
    const auto n = std::min(static_cast<std::uint64_t>(end - p), remaining_);
    remaining_ -= n;
    if (remaining_ == 0) part_ = part::done;
    return p + n;
  }
  auto begin_size = [this] {
    chunk_state_ = chunk_size;
    size_digits_ = 0;
    remaining_ = 0;
    line_bytes_ = 0;
  };
  auto size_line_done = [this] {
    line_bytes_ = 0;
    chunk_state_ = remaining_ == 0 ? trailer_start : chunk_data;
  };
  while (p != end && part_ == part::body) {
    const auto b = static_cast<unsigned char>(*p);
    switch (chunk_state_) {
      case chunk_size:
        if (const int v = hex_value(b); v >= 0) {
          if (size_digits_ == 15) return fail("a chunk size too large"), p;
          remaining_ = remaining_ * 16 + static_cast<std::uint64_t>(v);
          ++size_digits_;
          ++p;
        } else if (size_digits_ == 0) {
          return fail("a bad chunk size"), p;
        } else if (b == ';' || b == ' ' || b == '\t') {
          chunk_state_ = chunk_ext;
          ++p;
        } else if (b == '\r') {
          chunk_state_ = chunk_size_lf;
          ++p;
        } else if (b == '\n') {
          ++p;
          size_line_done();
        } else {
          return fail("a bad chunk size"), p;
        }
        break;
      case chunk_ext:
      case trailer_line: {
        const auto* nl = static_cast<const char*>(std::memchr(p, '\n', end - p));
        const auto* stop = nl ? nl + 1 : end;
        line_bytes_ += static_cast<std::size_t>(stop - p);
        if (line_bytes_ > max_head_bytes)
          return fail("a chunk extension or trailer larger than 64 KiB"), p;
        p = stop;
        if (nl && chunk_state_ == chunk_ext) {
          size_line_done();
        } else if (nl) {
          chunk_state_ = trailer_start;
        }
        break;
      }
      case chunk_size_lf:
        if (b != '\n') return fail("a chunk-size line without LF"), p;
        ++p;
        size_line_done();
        break;
      case chunk_data: {
        const auto n = std::min(static_cast<std::uint64_t>(end - p), remaining_);
        p += n;
        remaining_ -= n;
        if (remaining_ == 0) chunk_state_ = chunk_data_cr;
        break;
      }
      case chunk_data_cr:
        if (b == '\r') {
          chunk_state_ = chunk_data_lf;
          ++p;
          break;
        }
        [[fallthrough]];
      case chunk_data_lf:
        if (b != '\n') return fail("chunk data not followed by CRLF"), p;
        ++p;
        begin_size();
        break;
      case trailer_start:
        if (b == '\r') {
          chunk_state_ = trailer_lf;
          ++p;
        } else if (b == '\n') {
          ++p;
          part_ = part::done;
        } else {
          chunk_state_ = trailer_line;
        }
        break;
      case trailer_lf:
        if (b != '\n') return fail("a CR without LF after the trailers"), p;
        ++p;
        part_ = part::done;
        break;
      default:
        return fail("chunked framing"), p;
    }
  }
  return p;
}

}  // namespace ordeal::faults::http
