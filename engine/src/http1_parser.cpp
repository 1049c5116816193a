#include "ordeal/engine/http1_parser.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <type_traits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ordeal::engine {

// Head phases are bounded by max_header_bytes_ (a line-limited section); body phases are not.
// feed() tells them apart by order: keep the body phases last, the chunk-size line together.
enum class http1_response_parser::phase : std::uint8_t {
  status_http,        // matching "HTTP/1."; token_len_ = bytes matched
  status_minor,       // '0' or '1'
  status_space,       // the single SP after the version
  status_code,        // three digits; token_len_ = digits seen
  status_after_code,  // SP (reason follows) or end of line
  status_reason,
  status_lf,         // CR seen at the end of the status line
  line_start,        // start of a header or trailer line, or of the empty line
  head_end_lf,       // CR of the empty line seen
  name,              // header name; token_len_ = name length
  value_skip,        // value of a header we do not interpret
  value_list,        // value of Content-Length, Transfer-Encoding or Connection
  value_lf,          // CR at the end of a header line seen
  head_done,         // the empty line ending the head was consumed; feed() decides the body
  chunk_size,        // hex digits; token_len_ = 1 once one is seen, remaining_ = value
  chunk_space,       // whitespace after the size (BWS before an extension)
  chunk_ext,         // a chunk extension, skipped
  chunk_size_lf,     // CR at the end of the chunk-size line seen
  body_length,       // Content-Length body; remaining_ = bytes left
  body_until_close,  // body delimited by the end of the connection
  chunk_data,        // remaining_ = bytes left in the chunk
  chunk_data_cr,     // the line end after chunk data
  chunk_data_lf,
};

namespace {

enum class field_kind : std::uint8_t { other, content_length, transfer_encoding, connection };

constexpr std::uint64_t max_u64 = std::numeric_limits<std::uint64_t>::max();

inline unsigned char byte(const char* p) noexcept {
  return static_cast<unsigned char>(*p);
}

// RFC 9110 token characters.
constexpr bool is_tchar(unsigned char c) noexcept {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

// RFC 9110 field-value characters (VCHAR, obs-text, SP, HTAB); also used for the reason phrase
// and chunk extensions. Every other control character, CR and LF included, stops a scan.
constexpr bool is_field_char(unsigned char c) noexcept {
  return c == '\t' || (c >= 0x20 && c != 0x7f);
}

template <bool (*pred)(unsigned char) noexcept>
constexpr std::array<bool, 256> make_table() noexcept {
  std::array<bool, 256> t{};
  for (int i = 0; i < 256; ++i)
    t[i] = pred(static_cast<unsigned char>(i));
  return t;
}

constexpr std::array<bool, 256> tchar = make_table<is_tchar>();
constexpr std::array<bool, 256> field_char = make_table<is_field_char>();

inline bool is_ows(unsigned char c) noexcept {
  return c == ' ' || c == '\t';
}

inline int hex_value(unsigned char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  const unsigned char l = c | 0x20;
  if (l >= 'a' && l <= 'f') return l - 'a' + 10;
  return -1;
}

// Returns the first byte in [p, end) that is not a field-value character. Values are the bulk
// of a head, so this is the loop worth vectorising; it never reads past end.
inline const char* skip_field_chars(const char* p, const char* end) noexcept {
#if defined(__SSE2__)
  const __m128i ctl_max = _mm_set1_epi8(0x1f);
  const __m128i del = _mm_set1_epi8(0x7f);
  const __m128i tab = _mm_set1_epi8('\t');
  while (end - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i ctl = _mm_cmpeq_epi8(_mm_min_epu8(v, ctl_max), v);  // unsigned v <= 0x1f
    const __m128i bad =
        _mm_or_si128(_mm_andnot_si128(_mm_cmpeq_epi8(v, tab), ctl), _mm_cmpeq_epi8(v, del));
    const int mask = _mm_movemask_epi8(bad);
    if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
    p += 16;
  }
#endif
  while (p != end && field_char[byte(p)])
    ++p;
  return p;
}

// Header names are short, so a table lookup per byte, unrolled to spare the bounds checks.
inline const char* skip_tchars(const char* p, const char* end) noexcept {
  while (end - p >= 4) {
    if (!tchar[byte(p)]) return p;
    if (!tchar[byte(p + 1)]) return p + 1;
    if (!tchar[byte(p + 2)]) return p + 2;
    if (!tchar[byte(p + 3)]) return p + 3;
    p += 4;
  }
  while (p != end && tchar[byte(p)])
    ++p;
  return p;
}

template <typename Word>
inline Word load(const char* p) noexcept {
  Word w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

// Case-insensitive match of s[0, N-1) against a lower-case literal of letters and '-', a word
// at a time: OR-ing 0x20 folds 'A'-'Z' onto 'a'-'z', and no other token character (the only
// bytes it is given) folds onto a letter or '-'. The words of the literal fold to constants.
template <std::size_t N>
inline bool equals_lower(const char* s, const char (&lit)[N]) noexcept {
  constexpr std::size_t n = N - 1;
  static_assert(n >= 4, "use a longer literal");
  using word = std::conditional_t<(n >= 8), std::uint64_t, std::uint32_t>;
  constexpr word fold = static_cast<word>(0x2020202020202020ULL);
  for (std::size_t i = 0; i + sizeof(word) <= n; i += sizeof(word)) {
    if ((load<word>(s + i) | fold) != load<word>(lit + i)) return false;
  }
  // The last word overlaps the previous one unless n is a multiple of the word size.
  return (load<word>(s + n - sizeof(word)) | fold) == load<word>(lit + n - sizeof(word));
}

field_kind classify_name(const char* s, std::size_t n) noexcept {
  switch (n) {
    case 10:
      return equals_lower(s, "connection") ? field_kind::connection : field_kind::other;
    case 14:
      return equals_lower(s, "content-length") ? field_kind::content_length : field_kind::other;
    case 17:
      return equals_lower(s, "transfer-encoding") ? field_kind::transfer_encoding
                                                  : field_kind::other;
    default:
      return field_kind::other;
  }
}

// The list elements that mean something to us; one id serves both headers, each header
// looks only at its own.
enum class list_token : std::uint8_t { other, chunked, close, keep_alive };

list_token classify_list_token(const char* s, std::size_t n) noexcept {
  switch (n) {
    case 5:
      return equals_lower(s, "close") ? list_token::close : list_token::other;
    case 7:
      return equals_lower(s, "chunked") ? list_token::chunked : list_token::other;
    case 10:
      return equals_lower(s, "keep-alive") ? list_token::keep_alive : list_token::other;
    default:
      return list_token::other;
  }
}

}  // namespace

http1_response_parser::http1_response_parser(std::size_t max_header_bytes) noexcept
    : max_header_bytes_(max_header_bytes) {}

void http1_response_parser::start(bool head_request) noexcept {
  state_ = state::need_more;
  error_ = protocol_error::bad_status_line;
  started_ = false;
  head_request_ = head_request;
  keep_alive_ = true;
  status_ = 0;
  body_bytes_ = 0;
  phase_ = phase::status_http;
  head_done_ = false;
  in_trailers_ = false;
  header_bytes_ = 0;
  remaining_ = 0;
  token_len_ = 0;
  reset_message_fields();
}

// Fields describing one status line and its headers; cleared again after a 1xx response.
void http1_response_parser::reset_message_fields() noexcept {
  field_ = 0;
  list_state_ = 0;
  element_ = 0;
  http10_ = false;
  te_present_ = false;
  te_chunked_ = false;
  conn_close_ = false;
  conn_keep_alive_ = false;
  have_content_length_ = false;
  content_length_ = 0;
  number_ = 0;
}

bool http1_response_parser::head_complete() const noexcept {
  return head_done_;
}

const char* http1_response_parser::fail(const char* p, protocol_error e) noexcept {
  state_ = state::error;
  error_ = e;
  return p;
}

std::size_t http1_response_parser::feed(const char* data, std::size_t size) noexcept {
  if (state_ != state::need_more || size == 0) return 0;
  started_ = true;
  const char* p = data;
  const char* const end = data + size;
  while (p != end && state_ == state::need_more) {
    if (phase_ >= phase::body_length) {
      p = parse_body(p, end);
      continue;
    }
    // The cap is enforced by never handing parse_head more than the budget left, so an
    // oversized head fails after exactly max_header_bytes_ bytes, however it is split.
    const std::size_t budget = max_header_bytes_ - header_bytes_;
    if (budget == 0) {
      const bool chunk_line = phase_ >= phase::chunk_size && phase_ <= phase::chunk_size_lf;
      fail(p, chunk_line ? protocol_error::bad_chunk : protocol_error::header_too_large);
      break;
    }
    const char* const limit = static_cast<std::size_t>(end - p) > budget ? p + budget : end;
    const char* const q = parse_head(p, limit);
    header_bytes_ += static_cast<std::size_t>(q - p);
    p = q;
    if (phase_ == phase::head_done) end_of_head();
  }
  return static_cast<std::size_t>(p - data);
}

void http1_response_parser::on_eof() noexcept {
  if (state_ != state::need_more || !started_) return;
  if (phase_ == phase::body_until_close) {
    state_ = state::complete;
    keep_alive_ = false;
    return;
  }
  fail(nullptr, protocol_error::truncated_body);
}

// Runs the head-side state machine (status line, headers, chunk-size lines, trailers) until
// the input ends, a body phase begins, the head ends (phase::head_done) or an error occurs.
// Returns the first byte not consumed; on error, the offending byte.
//
// Every phase can resume at any byte. The common case, a whole line in the buffer, takes fast
// paths (the status line checked at once, CRLF taken as a pair, one header line straight into
// the next via `goto header_line`) so it does not pay a dispatch per byte or per token.
const char* http1_response_parser::parse_head(const char* p, const char* const end) noexcept {
  static constexpr char http_prefix[] = "HTTP/1.";
  constexpr std::uint32_t http_prefix_len = sizeof(http_prefix) - 1;
  while (p != end) {
    switch (phase_) {
      case phase::status_http:
        if (token_len_ == 0 && end - p >= 13 && std::memcmp(p, http_prefix, http_prefix_len) == 0 &&
            (p[7] == '0' || p[7] == '1') && p[8] == ' ' && p[9] >= '1' && p[9] <= '9' &&
            p[10] >= '0' && p[10] <= '9' && p[11] >= '0' && p[11] <= '9') {
          http10_ = p[7] == '0';
          status_ = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
          p += 12;
          phase_ = phase::status_after_code;
          break;
        }
        // Split or malformed: byte by byte, which also pins the offending byte.
        for (; p != end && token_len_ < http_prefix_len; ++p, ++token_len_) {
          if (*p != http_prefix[token_len_]) return fail(p, protocol_error::bad_status_line);
        }
        if (token_len_ == http_prefix_len) phase_ = phase::status_minor;
        break;

      case phase::status_minor:
        if (*p != '0' && *p != '1') return fail(p, protocol_error::bad_status_line);
        http10_ = *p == '0';
        ++p;
        phase_ = phase::status_space;
        break;

      case phase::status_space:
        if (*p != ' ') return fail(p, protocol_error::bad_status_line);
        ++p;
        token_len_ = 0;
        status_ = 0;
        phase_ = phase::status_code;
        break;

      case phase::status_code:
        for (; p != end && token_len_ < 3; ++p, ++token_len_) {
          const unsigned char c = byte(p);
          // 1xx to 9xx: a leading zero is no status class.
          if (c < (token_len_ == 0 ? '1' : '0') || c > '9') {
            return fail(p, protocol_error::bad_status_line);
          }
          status_ = status_ * 10 + (c - '0');
        }
        if (token_len_ == 3) phase_ = phase::status_after_code;
        break;

      case phase::status_after_code:
        if (*p == ' ') {
          ++p;
          phase_ = phase::status_reason;
          break;
        }
        if (*p == '\r') {
          ++p;
          phase_ = phase::status_lf;
          break;
        }
        if (*p != '\n') return fail(p, protocol_error::bad_status_line);  // e.g. a 4th digit
        ++p;
        phase_ = phase::line_start;
        break;

      case phase::status_reason:
        p = skip_field_chars(p, end);
        if (p == end) break;
        if (*p == '\r') {
          ++p;
          phase_ = phase::status_lf;
          break;
        }
        if (*p != '\n') return fail(p, protocol_error::bad_status_line);
        ++p;
        phase_ = phase::line_start;
        break;

      case phase::status_lf:
        if (*p != '\n') return fail(p, protocol_error::bad_status_line);
        ++p;
        phase_ = phase::line_start;
        break;

      case phase::line_start:
      header_line : {
        const unsigned char c = byte(p);
        if (!tchar[c]) {
          if (c == '\r') {
            ++p;
            phase_ = phase::head_end_lf;
            break;
          }
          if (c != '\n') return fail(p, protocol_error::bad_header);  // obs-fold, ':' first, ...
          ++p;
          if (in_trailers_) {
            state_ = state::complete;
          } else {
            phase_ = phase::head_done;
          }
          return p;
        }
        token_len_ = 0;
        phase_ = phase::name;
      }
        [[fallthrough]];

      case phase::name: {
        const char* const first = p;
        p = skip_tchars(p, end);
        if (p == end) {
          append_token(first, p);
          break;
        }
        if (*p != ':') return fail(p, protocol_error::bad_header);
        field_kind kind = field_kind::other;
        if (token_len_ == 0) {
          kind = classify_name(first, static_cast<std::size_t>(p - first));
        } else {  // the name began in an earlier feed()
          append_token(first, p);
          if (token_len_ <= sizeof(token_)) kind = classify_name(token_, token_len_);
          token_len_ = 0;
        }
        ++p;
        if (in_trailers_) kind = field_kind::other;  // trailers never change framing
        if (kind == field_kind::transfer_encoding) te_present_ = true;
        field_ = static_cast<std::uint8_t>(kind);
        list_state_ = 0;
        number_ = 0;
        if (kind != field_kind::other) {
          phase_ = phase::value_list;
          break;
        }
        phase_ = phase::value_skip;
        if (p == end) break;
      }
        [[fallthrough]];

      case phase::value_skip:
        p = skip_field_chars(p, end);
        if (p == end) break;
        if (*p == '\r') {
          if (end - p < 2 || p[1] != '\n') {  // LF not here yet, or a bare CR: value_lf decides
            ++p;
            phase_ = phase::value_lf;
            break;
          }
          ++p;
        } else if (*p != '\n') {
          return fail(p, protocol_error::bad_header);
        }
        ++p;
        phase_ = phase::line_start;
        if (p == end) break;
        goto header_line;

      case phase::value_list: {
        // The value's bytes up to the line end (or the end of input) go to the list parser,
        // whose state lives in members so that it can resume in the next feed().
        const char* const line_end = skip_field_chars(p, end);
        if (static_cast<field_kind>(field_) == field_kind::content_length) {
          if (const char* bad = parse_content_length(p, line_end)) return fail(bad, error_);
        } else {
          parse_token_list(p, line_end, line_end != end);
        }
        p = line_end;
        if (p == end) break;
        if (*p == '\r') {
          ++p;
          phase_ = phase::value_lf;
          break;
        }
        if (*p != '\n') return fail(p, protocol_error::bad_header);
        if (!end_of_field_line()) return fail(p, error_);
        ++p;
        phase_ = phase::line_start;
        break;
      }

      case phase::value_lf:
        if (*p != '\n') return fail(p, protocol_error::bad_header);
        if (!end_of_field_line()) return fail(p, error_);
        ++p;
        phase_ = phase::line_start;
        break;

      case phase::head_end_lf:
        if (*p != '\n') return fail(p, protocol_error::bad_header);
        ++p;
        if (in_trailers_) {
          state_ = state::complete;
        } else {
          phase_ = phase::head_done;
        }
        return p;

      case phase::chunk_size:
        for (; p != end; ++p) {
          const int d = hex_value(byte(p));
          if (d < 0) break;
          if (remaining_ > (max_u64 >> 4)) return fail(p, protocol_error::bad_chunk);
          remaining_ = (remaining_ << 4) | static_cast<std::uint64_t>(d);
          token_len_ = 1;
        }
        if (p == end) break;
        if (token_len_ == 0) return fail(p, protocol_error::bad_chunk);
        [[fallthrough]];
      case phase::chunk_space:
        if (is_ows(byte(p))) {
          phase_ = phase::chunk_space;
        } else if (*p == ';') {
          phase_ = phase::chunk_ext;
        } else if (*p == '\r') {
          phase_ = phase::chunk_size_lf;
        } else if (*p == '\n') {
          phase_ = phase::chunk_size_lf;
          break;  // not consumed: chunk_size_lf takes it
        } else {
          return fail(p, protocol_error::bad_chunk);
        }
        ++p;
        break;

      case phase::chunk_ext:
        p = skip_field_chars(p, end);
        if (p == end) break;
        if (*p != '\r' && *p != '\n') return fail(p, protocol_error::bad_chunk);
        phase_ = phase::chunk_size_lf;
        if (*p == '\r') ++p;
        break;

      case phase::chunk_size_lf:
        if (*p != '\n') return fail(p, protocol_error::bad_chunk);
        ++p;
        if (remaining_ == 0) {  // last-chunk: trailers follow, then the empty line
          in_trailers_ = true;
          phase_ = phase::line_start;
          break;
        }
        phase_ = phase::chunk_data;
        return p;

      default:  // head_done and the body phases belong to feed() and parse_body()
        return p;
    }
  }
  return p;
}

// Saves the part of a token that a feed() boundary cut off; its tail arrives in the next one.
void http1_response_parser::append_token(const char* first, const char* last) noexcept {
  const auto n = static_cast<std::size_t>(last - first);
  if (token_len_ < sizeof(token_)) {
    std::memcpy(token_ + token_len_, first, std::min(n, sizeof(token_) - token_len_));
  }
  token_len_ = static_cast<std::uint32_t>(std::min(token_len_ + n, sizeof(token_) + 1));
}

// Content-Length: 1*DIGIT, or a list of identical values (RFC 9110 8.6), with OWS around.
// list_state_: 0 before a number, 1 in it, 2 after it. Returns the offending byte with error_
// set, or nullptr. Works on locals and stores them back: the loop runs on registers.
const char* http1_response_parser::parse_content_length(const char* p,
                                                        const char* const end) noexcept {
  std::uint8_t s = list_state_;
  std::uint64_t v = number_;
  for (; p != end; ++p) {
    const unsigned char c = byte(p);
    if (c >= '0' && c <= '9') {
      const auto d = static_cast<std::uint64_t>(c - '0');
      if (s == 2 || v > (max_u64 - d) / 10) break;  // "1 2" or overflow
      v = v * 10 + d;
      s = 1;
    } else if (is_ows(c)) {
      if (s == 1) s = 2;
    } else if (c == ',' && s != 0) {
      list_state_ = s;
      number_ = v;
      if (!end_of_list_element()) return p;
      s = 0;
      v = 0;
    } else {
      break;  // '-', '+', an empty element, ...
    }
  }
  list_state_ = s;
  number_ = v;
  if (p == end) return nullptr;
  error_ = protocol_error::bad_content_length;
  return p;
}

// Transfer-Encoding and Connection: a comma-separated token list; an element with parameters
// or anything else after its token matches nothing. list_state_: 0 before an element, 1 in its
// token, 2 after the token (OWS), 3 in noise. Never fails: odd elements just match nothing.
// line_ends: end is the line end (or a byte that fails the line), not the end of the input.
void http1_response_parser::parse_token_list(const char* p, const char* const end,
                                             bool line_ends) noexcept {
  std::uint8_t s = list_state_;
  const char* token = p;  // where this call's part of the current token starts
  for (; p != end; ++p) {
    const unsigned char c = byte(p);
    switch (s) {
      case 0:
        if (is_ows(c) || c == ',') break;  // empty elements do not count (RFC 9110 5.6.1)
        if (tchar[c]) {
          token = p;
          s = 1;
        } else {
          element_ = static_cast<std::uint8_t>(list_token::other);
          s = 3;
        }
        break;
      case 1:
        if (tchar[c]) break;
        end_of_token(token, p);
        s = is_ows(c) ? 2 : 3;
        if (c == ',') {
          list_state_ = 2;
          end_of_list_element();
          s = 0;
        }
        break;
      case 2:
        if (is_ows(c)) break;
        s = 3;
        if (c == ',') {
          list_state_ = 2;
          end_of_list_element();
          s = 0;
        }
        break;
      default:
        if (c == ',') {
          list_state_ = 3;
          end_of_list_element();
          s = 0;
        }
        break;
    }
  }
  if (s == 1) {
    if (line_ends) {  // the usual case: the token ends with the line, all of it in this feed()
      end_of_token(token, end);
      s = 2;
    } else {
      append_token(token, end);
    }
  }
  list_state_ = s;
}

// A list token ended at `last`; its bytes are token_ (an earlier feed()) then [first, last).
void http1_response_parser::end_of_token(const char* first, const char* last) noexcept {
  list_token t = list_token::other;
  if (token_len_ == 0) {
    t = classify_list_token(first, static_cast<std::size_t>(last - first));
  } else {
    append_token(first, last);
    if (token_len_ <= sizeof(token_)) t = classify_list_token(token_, token_len_);
    token_len_ = 0;
  }
  element_ = static_cast<std::uint8_t>(t);
}

// Returns false with error_ set when the element is invalid.
bool http1_response_parser::end_of_list_element() noexcept {
  const std::uint8_t s = list_state_;
  list_state_ = 0;
  const auto t = static_cast<list_token>(element_);
  switch (static_cast<field_kind>(field_)) {
    case field_kind::content_length:
      if (s == 0 || (have_content_length_ && content_length_ != number_)) {
        error_ = protocol_error::bad_content_length;  // empty, or conflicting values
        return false;
      }
      have_content_length_ = true;
      content_length_ = number_;
      number_ = 0;
      return true;
    case field_kind::transfer_encoding:
      // Only the final coding decides the framing; empty list elements do not count.
      if (s != 0) te_chunked_ = s != 3 && t == list_token::chunked;
      return true;
    case field_kind::connection:
      if (s == 1 || s == 2) {
        conn_close_ = conn_close_ || t == list_token::close;
        conn_keep_alive_ = conn_keep_alive_ || t == list_token::keep_alive;
      }
      return true;
    case field_kind::other:
      return true;
  }
  return true;
}

bool http1_response_parser::end_of_field_line() noexcept {
  const auto kind = static_cast<field_kind>(field_);
  if (kind == field_kind::other) return true;
  // A token cut off by the line end is finished from what token_ holds.
  if (kind != field_kind::content_length && list_state_ == 1) end_of_token(nullptr, nullptr);
  const bool ok = end_of_list_element();
  field_ = static_cast<std::uint8_t>(field_kind::other);
  return ok;
}

// Decides how the body is delimited (RFC 9112 6.3), once the empty line ending the head is in.
void http1_response_parser::end_of_head() noexcept {
  if (status_ >= 100 && status_ < 200 && status_ != 101) {
    // Interim response: the final one follows on the same connection. header_bytes_ keeps
    // counting, so an endless stream of 1xx responses still runs into the cap.
    reset_message_fields();
    token_len_ = 0;
    phase_ = phase::status_http;
    return;
  }
  head_done_ = true;
  keep_alive_ = http10_ ? conn_keep_alive_ : !conn_close_;
  if (status_ == 101) {  // the connection now speaks another protocol
    keep_alive_ = false;
    state_ = state::complete;
    return;
  }
  if (head_request_ || status_ == 204 || status_ == 304) {
    state_ = state::complete;
    return;
  }
  if (te_present_) {
    if (te_chunked_) {
      begin_chunk_size();
      return;
    }
    // Transfer-Encoding without chunked last: only the close delimits the body.
  } else if (have_content_length_) {
    if (content_length_ == 0) {
      state_ = state::complete;
      return;
    }
    remaining_ = content_length_;
    phase_ = phase::body_length;
    return;
  }
  keep_alive_ = false;
  phase_ = phase::body_until_close;
}

// Each chunk-size line (and, for the last chunk, the trailers after it) gets its own
// max_header_bytes_ budget, so an endless chunk extension cannot be fed forever.
void http1_response_parser::begin_chunk_size() noexcept {
  phase_ = phase::chunk_size;
  remaining_ = 0;
  token_len_ = 0;
  header_bytes_ = 0;
}

const char* http1_response_parser::parse_body(const char* p, const char* const end) noexcept {
  switch (phase_) {
    case phase::body_length:
    case phase::chunk_data: {
      const auto n = std::min(static_cast<std::uint64_t>(end - p), remaining_);
      p += n;
      body_bytes_ += n;
      remaining_ -= n;
      if (remaining_ == 0) {
        if (phase_ == phase::body_length) {
          state_ = state::complete;
        } else if (end - p >= 2 && p[0] == '\r' && p[1] == '\n') {  // the usual case at once
          begin_chunk_size();
          return p + 2;
        } else {
          phase_ = phase::chunk_data_cr;
        }
      }
      return p;
    }
    case phase::body_until_close:
      body_bytes_ += static_cast<std::uint64_t>(end - p);
      return end;
    case phase::chunk_data_cr:
      if (*p == '\r') {
        phase_ = phase::chunk_data_lf;
        return p + 1;
      }
      [[fallthrough]];
    case phase::chunk_data_lf:
      if (*p != '\n') return fail(p, protocol_error::bad_chunk);
      begin_chunk_size();
      return p + 1;
    default:
      return p;
  }
}

}  // namespace ordeal::engine
