#include "ordeal/engine/http1_parser.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <ostream>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ordeal/engine/protocol_error.hpp"

namespace {

using ordeal::engine::http1_response_parser;
using ordeal::engine::protocol_error;
using state = http1_response_parser::state;

constexpr std::size_t default_cap = http1_response_parser::default_max_header_bytes;

const char* name_of(state s) {
  switch (s) {
    case state::need_more:
      return "need_more";
    case state::complete:
      return "complete";
    case state::error:
      return "error";
  }
  return "?";
}

// Everything observable after a run; splits of the same input must agree on all of it.
struct outcome {
  state st = state::need_more;
  int status = 0;
  bool keep_alive = false;
  std::uint64_t body_bytes = 0;
  protocol_error error = protocol_error::bad_status_line;  // meaningful only in state error
  std::size_t consumed = 0;
  bool head_complete = false;
  bool started = false;

  bool operator==(const outcome& o) const {
    return st == o.st && status == o.status && keep_alive == o.keep_alive &&
           body_bytes == o.body_bytes && (st != state::error || error == o.error) &&
           consumed == o.consumed && head_complete == o.head_complete && started == o.started;
  }
};

std::ostream& operator<<(std::ostream& os, const outcome& o) {
  os << "{" << name_of(o.st) << " status=" << o.status << " keep_alive=" << o.keep_alive
     << " body=" << o.body_bytes << " consumed=" << o.consumed
     << " head_complete=" << o.head_complete << " started=" << o.started;
  if (o.st == state::error) os << " error=" << ordeal::engine::describe(o.error);
  return os << "}";
}

struct run_options {
  bool head = false;
  bool eof = false;
  std::size_t cap = default_cap;
};

// Feeds input cut at the given offsets (ascending). Every piece lives in its own exactly sized
// heap block so that AddressSanitizer catches any read past the end of a feed.
outcome run(std::string_view input, const std::vector<std::size_t>& cuts, const run_options& opt) {
  http1_response_parser parser(opt.cap);
  parser.start(opt.head);
  outcome o;
  std::size_t from = 0;
  for (std::size_t i = 0; i <= cuts.size(); ++i) {
    const std::size_t to = i < cuts.size() ? cuts[i] : input.size();
    const std::size_t n = to - from;
    auto piece = std::make_unique<char[]>(std::max<std::size_t>(n, 1));
    std::copy(input.begin() + from, input.begin() + to, piece.get());
    const state before = parser.current();
    const std::size_t used = parser.feed(piece.get(), n);
    // While it needs more, the parser must take everything; after it stops, nothing.
    if (parser.current() == state::need_more) REQUIRE(used == n);
    if (before != state::need_more) REQUIRE(used == 0);
    o.consumed += used;
    from = to;
  }
  if (opt.eof) parser.on_eof();
  o.st = parser.current();
  o.status = parser.status();
  o.keep_alive = parser.keep_alive();
  o.body_bytes = parser.body_bytes();
  o.error = parser.error();
  o.head_complete = parser.head_complete();
  o.started = parser.started();
  return o;
}

outcome run_whole(std::string_view input, const run_options& opt) {
  return run(input, {}, opt);
}

// (a) whole, (b) split into two at every byte boundary, (c) one byte at a time: all must agree.
outcome run_every_split(std::string_view input, const run_options& opt) {
  const outcome whole = run_whole(input, opt);
  for (std::size_t cut = 0; cut <= input.size(); ++cut) {
    INFO("split at byte " << cut);
    REQUIRE(run(input, {cut}, opt) == whole);
  }
  std::vector<std::size_t> every_byte;
  for (std::size_t i = 1; i < input.size(); ++i)
    every_byte.push_back(i);
  INFO("one byte at a time");
  REQUIRE(run(input, every_byte, opt) == whole);
  return whole;
}

constexpr long all_input = -1;
constexpr long unchecked = -2;

struct test_case {
  const char* name;
  std::string input;
  state st = state::complete;
  int status = 200;
  bool keep_alive = true;
  std::uint64_t body = 0;
  protocol_error error = protocol_error::bad_status_line;
  long consumed = all_input;  // for errors: the offset of the offending byte, or unchecked
  run_options opt = {};
};

void check(const test_case& c) {
  INFO("case: " << c.name);
  const outcome o = run_every_split(c.input, c.opt);
  INFO("outcome: " << o);
  REQUIRE(o.st == c.st);
  if (c.consumed == all_input) {
    REQUIRE(o.consumed == c.input.size());
  } else if (c.consumed != unchecked) {
    REQUIRE(o.consumed == static_cast<std::size_t>(c.consumed));
  }
  if (c.st == state::error) {
    REQUIRE(o.error == c.error);
    return;
  }
  if (c.st == state::complete) {
    REQUIRE(o.status == c.status);
    REQUIRE(o.keep_alive == c.keep_alive);
    REQUIRE(o.head_complete);
  }
  REQUIRE(o.body_bytes == c.body);
}

const std::string nginx_head =
    "HTTP/1.1 200 OK\r\n"
    "Server: nginx/1.22.1\r\n"
    "Date: Sat, 21 Nov 2026 04:32:07 GMT\r\n"
    "Content-Type: text/html\r\n"
    "Content-Length: 64\r\n"
    "Last-Modified: Fri, 20 Nov 2026 10:00:00 GMT\r\n"
    "Connection: keep-alive\r\n"
    "ETag: \"6570a1b2-40\"\r\n"
    "Accept-Ranges: bytes\r\n"
    "\r\n";
const std::string body64(64, 'x');

const std::string chunked_response =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: text/plain\r\n"
    "Transfer-Encoding: chunked\r\n"
    "Trailer: Expires, X-Checksum\r\n"
    "\r\n"
    "5;name=value\r\n"
    "hello\r\n"
    "1A ; ext1 ; ext2=\"quoted;value\"\r\n"
    "abcdefghijklmnopqrstuvwxyz\r\n"
    "000a\r\n"
    "0123456789\r\n"
    "0;last\r\n"
    "Expires: Sat, 21 Nov 2026 04:32:07 GMT\r\n"
    "X-Checksum: 1234\r\n"
    "\r\n";

std::string head_with(std::string_view headers, std::string_view status_line = "HTTP/1.1 200 OK") {
  return std::string(status_line) + "\r\n" + std::string(headers) + "\r\n";
}

std::vector<test_case> valid_cases() {
  using s = state;
  return {
      {"realistic nginx response", nginx_head + body64, s::complete, 200, true, 64},
      {"LF-only line endings", "HTTP/1.1 200 OK\nContent-Length: 3\nX: y\n\nabc", s::complete, 200,
       true, 3},
      {"no reason phrase", "HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n", s::complete, 404},
      {"empty reason phrase", "HTTP/1.1 500 \r\nContent-Length: 0\r\n\r\n", s::complete, 500},
      {"reason with tab and obs-text",
       "HTTP/1.1 200 Tr\tes \xc3\xa9l\xff\r\nContent-Length: 0\r\n\r\n", s::complete, 200},
      {"no headers at all, body until close",
       "HTTP/1.1 200 OK\r\n\r\nbody",
       s::complete,
       200,
       false,
       4,
       {},
       all_input,
       {.eof = true}},
      {"Connection: close", head_with("Content-Length: 2\r\nConnection: close\r\n") + "ok",
       s::complete, 200, false, 2},
      {"Connection token list, mixed case",
       head_with("Content-Length: 0\r\nCONNECTION:  Upgrade ,, Close \r\n"), s::complete, 200,
       false},
      {"Connection: keep-alive on HTTP/1.1 changes nothing",
       head_with("connection: Keep-Alive\r\nContent-Length: 0\r\n"), s::complete, 200, true},
      {"Connection: close-ish is not close",
       head_with("Connection: closed, x-close, close;x\r\nContent-Length: 0\r\n"), s::complete, 200,
       true},
      {"Keep-Alive header is not Connection",
       head_with("Keep-Alive: close\r\nContent-Length: 0\r\n"), s::complete, 200, true},
      {"HTTP/1.0 defaults to close", head_with("Content-Length: 1\r\n", "HTTP/1.0 200 OK") + "x",
       s::complete, 200, false, 1},
      {"HTTP/1.0 with Connection: keep-alive",
       head_with("Content-Length: 1\r\nConnection: keep-alive\r\n", "HTTP/1.0 200 OK") + "x",
       s::complete, 200, true, 1},
      {"HTTP/1.0 until close",
       "HTTP/1.0 200 OK\r\nServer: old\r\n\r\nhello world",
       s::complete,
       200,
       false,
       11,
       {},
       all_input,
       {.eof = true}},
      {"HTTP/1.0 until close without EOF yet", "HTTP/1.0 200 OK\r\nServer: old\r\n\r\nhello",
       s::need_more, 0, false, 5},
      {"HTTP/1.1 without length: until close",
       "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n\r\nabc",
       s::complete,
       200,
       false,
       3,
       {},
       all_input,
       {.eof = true}},
      {"chunked with extensions and trailers", chunked_response, s::complete, 200, true, 41},
      {"chunked, LF-only", "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n3\nabc\n0\nT: v\n\n",
       s::complete, 200, true, 3},
      {"chunked, no trailers, CRLF",
       head_with("Transfer-Encoding: chunked\r\n") + "2\r\nhi\r\n0\r\n\r\n", s::complete, 200, true,
       2},
      {"chunked last of a coding list, case-insensitive",
       head_with("Transfer-Encoding: gzip , CHUNKED\r\n") + "1\r\nz\r\n0\r\n\r\n", s::complete, 200,
       true, 1},
      {"chunked across several Transfer-Encoding lines",
       head_with("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n") + "0\r\n\r\n",
       s::complete, 200, true, 0},
      {"chunked takes precedence over Content-Length",
       head_with("Content-Length: 100\r\nTransfer-Encoding: chunked\r\n") + "3\r\nabc\r\n0\r\n\r\n",
       s::complete, 200, true, 3},
      {"chunk size in upper and lower hex with BWS before the extension",
       head_with("Transfer-Encoding: chunked\r\n") +
           "a \t;x\r\n0123456789\r\nB\r\nabcdefghijk\r\n0\r\n\r\n",
       s::complete, 200, true, 21},
      {"chunk data containing CR and LF",
       head_with("Transfer-Encoding: chunked\r\n") + "4\r\n\r\n\r\n\r\n0\r\n\r\n", s::complete, 200,
       true, 4},
      {"trailer Connection: close is ignored",
       head_with("Transfer-Encoding: chunked\r\n") +
           "0\r\nConnection: close\r\nContent-Length: x\r\n\r\n",
       s::complete, 200, true, 0},
      {"Transfer-Encoding not ending in chunked: until close",
       head_with("Transfer-Encoding: chunked, gzip\r\n") + "raw bytes",
       s::complete,
       200,
       false,
       9,
       {},
       all_input,
       {.eof = true}},
      {"Transfer-Encoding chunked with parameters is not chunked",
       head_with("Transfer-Encoding: chunked;q=1\r\n") + "raw",
       s::complete,
       200,
       false,
       3,
       {},
       all_input,
       {.eof = true}},
      {"identical duplicate Content-Length",
       head_with("Content-Length: 5\r\nContent-Length: 5\r\n") + "12345", s::complete, 200, true,
       5},
      {"Content-Length list of identical values", head_with("Content-Length: 5 ,5\r\n") + "12345",
       s::complete, 200, true, 5},
      {"Content-Length with OWS and leading zeros",
       head_with("content-LENGTH: \t 0007 \t\r\n") + "1234567", s::complete, 200, true, 7},
      {"Content-Length: 0", head_with("Content-Length: 0\r\n"), s::complete, 200, true, 0},
      {"largest Content-Length: waits for the body",
       head_with("Content-Length: 18446744073709551615\r\n") + "abc", s::need_more, 0, true, 3},
      {"100 Continue then 200",
       "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", s::complete,
       200, true, 2},
      {"103 Early Hints with headers, twice, then 201",
       "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\nConnection: close\r\n\r\n"
       "HTTP/1.1 103 Early Hints\r\nContent-Length: 9\r\n\r\n"
       "HTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\n!",
       s::complete, 201, true, 1},
      {"101 Switching Protocols stops at the head",
       "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
       "\x81\x05hello",
       s::complete,
       101,
       false,
       0,
       {},
       77},
      {"HEAD response with Content-Length",
       head_with("Content-Length: 1234\r\n"),
       s::complete,
       200,
       true,
       0,
       {},
       all_input,
       {.head = true}},
      {"HEAD response with chunked",
       head_with("Transfer-Encoding: chunked\r\n"),
       s::complete,
       200,
       true,
       0,
       {},
       all_input,
       {.head = true}},
      {"204 with Content-Length ignored",
       head_with("Content-Length: 10\r\n", "HTTP/1.1 204 No Content") + "HTTP/1.1 200 OK\r\n",
       s::complete,
       204,
       true,
       0,
       {},
       47},
      {"304 with Content-Length ignored",
       head_with("Content-Length: 10\r\nETag: \"x\"\r\n", "HTTP/1.1 304 Not Modified"), s::complete,
       304, true, 0},
      {"status 999", head_with("Content-Length: 0\r\n", "HTTP/1.1 999 Odd"), s::complete, 999},
      {"long header names and values (vector path)",
       head_with("X-A-Very-Long-Header-Name-Indeed-Yes: " + std::string(100, 'v') +
                 "\r\nContent-Length-Extra: junk\r\nContent-Lengthy: junk\r\n"
                 "X: \t" +
                 std::string(40, '\x80') + "\t\r\nContent-Length: 1\r\n") +
           "b",
       s::complete, 200, true, 1},
      {"empty header value", head_with("X-Empty:\r\nX-Empty2: \r\nContent-Length: 0\r\n"),
       s::complete, 200},
      {"all token characters in a name",
       head_with("!#$%&'*+-.^_`|~09azAZ: v\r\nContent-Length: 0\r\n"), s::complete, 200},
      {"pipelined bytes after the body are not consumed",
       head_with("Content-Length: 3\r\n") + "abcHTTP/1.1 200 OK\r\n",
       s::complete,
       200,
       true,
       3,
       {},
       41},
      {"nothing received yet", "", s::need_more, 0, true, 0},
      {"nothing received, then EOF: the caller's business",
       "",
       s::need_more,
       0,
       true,
       0,
       {},
       all_input,
       {.eof = true}},
      {"partial head", "HTTP/1.1 200 OK\r\nContent-Le", s::need_more, 200, true, 0},
      {"head exactly at the cap",
       head_with("Content-Length: 0\r\n"),
       s::complete,
       200,
       true,
       0,
       {},
       all_input,
       {.cap = 38}},
  };
}

std::vector<test_case> invalid_cases() {
  using s = state;
  using e = protocol_error;
  const std::string chunked_head = head_with("Transfer-Encoding: chunked\r\n");
  const long ch = static_cast<long>(chunked_head.size());
  return {
      {"garbage", "garbage\r\n\r\n", s::error, 0, false, 0, e::bad_status_line, 0},
      {"HTTP/2", "HTTP/2 200 OK\r\n\r\n", s::error, 0, false, 0, e::bad_status_line, 5},
      {"HTTP/1.2", "HTTP/1.2 200 OK\r\n\r\n", s::error, 0, false, 0, e::bad_status_line, 7},
      {"lower-case version", "http/1.1 200 OK\r\n\r\n", s::error, 0, false, 0, e::bad_status_line,
       0},
      {"four-digit status", "HTTP/1.1 2000 OK\r\n\r\n", s::error, 0, false, 0, e::bad_status_line,
       12},
      {"two-digit status", "HTTP/1.1 20 OK\r\n\r\n", s::error, 0, false, 0, e::bad_status_line, 11},
      {"missing status", "HTTP/1.1 OK\r\n\r\n", s::error, 0, false, 0, e::bad_status_line, 9},
      {"no space after the version", "HTTP/1.1\r\n\r\n", s::error, 0, false, 0, e::bad_status_line,
       8},
      {"two spaces before the status", "HTTP/1.1  200 OK\r\n\r\n", s::error, 0, false, 0,
       e::bad_status_line, 9},
      {"status with a leading zero", "HTTP/1.1 099 Low\r\n\r\n", s::error, 0, false, 0,
       e::bad_status_line, 9},
      {"bare CR in the reason", "HTTP/1.1 200 O\rK\r\n\r\n", s::error, 0, false, 0,
       e::bad_status_line, 15},
      {"NUL in the reason", std::string("HTTP/1.1 200 O\0K\r\n\r\n", 20), s::error, 0, false, 0,
       e::bad_status_line, 14},
      {"obs-fold", head_with("X-A: b\r\n  continued\r\n"), s::error, 0, false, 0, e::bad_header,
       25},
      {"whitespace before the first header", head_with(" X: y\r\n"), s::error, 0, false, 0,
       e::bad_header, 17},
      {"header without colon", head_with("NoColon\r\n"), s::error, 0, false, 0, e::bad_header, 24},
      {"empty header name", head_with(": v\r\n"), s::error, 0, false, 0, e::bad_header, 17},
      {"space before the colon", head_with("Content-Length : 5\r\n"), s::error, 0, false, 0,
       e::bad_header, 31},
      {"bare CR in a value", head_with("X: a\rb\r\n"), s::error, 0, false, 0, e::bad_header, 22},
      {"bare CR in a list value", head_with("Connection: a\rb\r\n"), s::error, 0, false, 0,
       e::bad_header, 31},
      {"bare CR instead of the empty line", "HTTP/1.1 200 OK\r\n\rX", s::error, 0, false, 0,
       e::bad_header, 18},
      {"control character in a value", head_with("X: a\x01z\r\n"), s::error, 0, false, 0,
       e::bad_header, 21},
      {"DEL deep in a long value", head_with("X: " + std::string(37, 'a') + "\x7f\r\n"), s::error,
       0, false, 0, e::bad_header, 57},
      {"negative Content-Length", head_with("Content-Length: -1\r\n"), s::error, 0, false, 0,
       e::bad_content_length, 33},
      {"non-numeric Content-Length", head_with("Content-Length: 12a\r\n"), s::error, 0, false, 0,
       e::bad_content_length, 35},
      {"plus sign in Content-Length", head_with("Content-Length: +5\r\n"), s::error, 0, false, 0,
       e::bad_content_length, 33},
      {"empty Content-Length", head_with("Content-Length:  \r\n"), s::error, 0, false, 0,
       e::bad_content_length, 35},
      {"Content-Length with inner space", head_with("Content-Length: 1 2\r\n"), s::error, 0, false,
       0, e::bad_content_length, 35},
      {"Content-Length with a trailing comma", head_with("Content-Length: 5,\r\n"), s::error, 0,
       false, 0, e::bad_content_length, unchecked},
      {"overflowing Content-Length", head_with("Content-Length: 18446744073709551616\r\n"),
       s::error, 0, false, 0, e::bad_content_length, 52},
      {"conflicting Content-Length headers",
       head_with("Content-Length: 5\r\nContent-Length: 6\r\n") + "12345", s::error, 0, false, 0,
       e::bad_content_length, 54},
      {"conflicting Content-Length list", head_with("Content-Length: 5, 6\r\n"), s::error, 0, false,
       0, e::bad_content_length, 38},
      {"invalid Content-Length even with chunked",
       head_with("Transfer-Encoding: chunked\r\nContent-Length: x\r\n"), s::error, 0, false, 0,
       e::bad_content_length, unchecked},
      {"non-hex chunk size", chunked_head + "zz\r\n", s::error, 0, false, 0, e::bad_chunk, ch},
      {"empty chunk size", chunked_head + "\r\n", s::error, 0, false, 0, e::bad_chunk, ch},
      {"chunk size with inner space", chunked_head + "5 5\r\nhello\r\n", s::error, 0, false, 0,
       e::bad_chunk, ch + 2},
      {"negative chunk size", chunked_head + "-5\r\n", s::error, 0, false, 0, e::bad_chunk, ch},
      {"overflowing chunk size", chunked_head + "10000000000000000\r\n", s::error, 0, false, 0,
       e::bad_chunk, ch + 16},
      {"bare CR after the chunk size", chunked_head + "5\rhello\r\n", s::error, 0, false, 0,
       e::bad_chunk, ch + 2},
      {"missing CRLF after chunk data", chunked_head + "5\r\nhelloX\r\n0\r\n\r\n", s::error, 0,
       false, 0, e::bad_chunk, ch + 8},
      {"bare CR after chunk data", chunked_head + "5\r\nhello\rX", s::error, 0, false, 0,
       e::bad_chunk, ch + 9},
      {"control character in a chunk extension", chunked_head + "5;a\x01\r\n", s::error, 0, false,
       0, e::bad_chunk, ch + 3},
      {"trailer without colon", chunked_head + "0\r\nNoColon\r\n\r\n", s::error, 0, false, 0,
       e::bad_header, ch + 10},
      {"obs-fold in a trailer", chunked_head + "0\r\nT: a\r\n b\r\n\r\n", s::error, 0, false, 0,
       e::bad_header, ch + 9},
      {"EOF inside a Content-Length body",
       head_with("Content-Length: 100\r\n") + "0123456789",
       s::error,
       0,
       false,
       10,
       e::truncated_body,
       all_input,
       {.eof = true}},
      {"EOF inside the head",
       "HTTP/1.1 200 OK\r\nContent-",
       s::error,
       0,
       false,
       0,
       e::truncated_body,
       all_input,
       {.eof = true}},
      {"EOF inside a chunk",
       chunked_head + "a\r\n01234",
       s::error,
       0,
       false,
       5,
       e::truncated_body,
       all_input,
       {.eof = true}},
      {"EOF before the last chunk",
       chunked_head + "1\r\na\r\n",
       s::error,
       0,
       false,
       1,
       e::truncated_body,
       all_input,
       {.eof = true}},
      {"EOF inside the trailers",
       chunked_head + "0\r\nT: v\r\n",
       s::error,
       0,
       false,
       0,
       e::truncated_body,
       all_input,
       {.eof = true}},
      {"EOF after a 100 Continue",
       "HTTP/1.1 100 Continue\r\n\r\n",
       s::error,
       0,
       false,
       0,
       e::truncated_body,
       all_input,
       {.eof = true}},
      {"head one byte over the cap",
       head_with("Content-Length: 0\r\n"),
       s::error,
       0,
       false,
       0,
       e::header_too_large,
       37,
       {.cap = 37}},
      {"cap of zero",
       "HTTP/1.1 200 OK\r\n\r\n",
       s::error,
       0,
       false,
       0,
       e::header_too_large,
       0,
       {.cap = 0}},
      {"endless 1xx responses count toward the cap",
       "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n",
       s::error,
       0,
       false,
       0,
       e::header_too_large,
       64,
       {.cap = 64}},
      {"trailers over the cap",
       chunked_head + "0\r\nT: " + std::string(64, 't') + "\r\n\r\n",
       s::error,
       0,
       false,
       0,
       e::header_too_large,
       ch + 64,
       {.cap = 64}},
      {"endless chunk extension",
       chunked_head + "1;" + std::string(100, 'e'),
       s::error,
       0,
       false,
       0,
       e::bad_chunk,
       ch + 64,
       {.cap = 64}},
  };
}

}  // namespace

TEST_CASE("valid responses parse alike however the input is split", "[http1_parser]") {
  for (const test_case& c : valid_cases())
    check(c);
}

TEST_CASE("malformed responses fail alike however the input is split", "[http1_parser]") {
  for (const test_case& c : invalid_cases())
    check(c);
}

TEST_CASE("a chunk-size line and its extension get a fresh cap per chunk", "[http1_parser]") {
  // Each of the three chunk lines is under the 40-byte cap although together they are not;
  // the head is 47 bytes, under its own cap of 64 only because the cap is not shared.
  std::string in = head_with("Transfer-Encoding: chunked\r\n");
  for (int i = 0; i < 3; ++i)
    in += "1;" + std::string(30, 'e') + "\r\nx\r\n";
  in += "0\r\n\r\n";
  const outcome o = run_every_split(in, {.cap = 64});
  INFO(o);
  REQUIRE(o.st == state::complete);
  REQUIRE(o.body_bytes == 3);
}

TEST_CASE("pipelined responses: each feed stops at the end of its response", "[http1_parser]") {
  const std::string first = nginx_head + body64;
  const std::string second =
      head_with("Transfer-Encoding: chunked\r\nConnection: close\r\n") + "4\r\nabcd\r\n0\r\n\r\n";
  const std::string both = first + second;

  http1_response_parser parser;
  parser.start();
  const std::size_t n1 = parser.feed(both.data(), both.size());
  REQUIRE(n1 == first.size());
  REQUIRE(parser.current() == state::complete);
  REQUIRE(parser.body_bytes() == 64);
  REQUIRE(parser.keep_alive());
  // Complete until start() again: more bytes are the caller's to judge, never swallowed.
  REQUIRE(parser.feed(both.data() + n1, both.size() - n1) == 0);
  parser.on_eof();
  REQUIRE(parser.current() == state::complete);

  parser.start();
  REQUIRE_FALSE(parser.started());
  REQUIRE_FALSE(parser.head_complete());
  const std::size_t n2 = parser.feed(both.data() + n1, both.size() - n1);
  REQUIRE(n2 == second.size());
  REQUIRE(parser.current() == state::complete);
  REQUIRE(parser.body_bytes() == 4);
  REQUIRE_FALSE(parser.keep_alive());
}

TEST_CASE("a 4 MB header fails at the cap without being consumed", "[http1_parser]") {
  constexpr std::size_t piece = 16 * 1024;
  const std::string huge =
      "HTTP/1.1 200 OK\r\nX-Big: " + std::string(4 * 1024 * 1024, 'a') + "\r\n\r\n";
  for (const std::size_t cap : {default_cap, std::size_t{1000}, std::size_t{3 * piece}}) {
    INFO("cap " << cap);
    http1_response_parser parser(cap);
    parser.start();
    std::size_t consumed = 0;
    std::size_t fed = 0;
    for (std::size_t off = 0; off < huge.size() && parser.current() == state::need_more;
         off += piece) {
      consumed += parser.feed(huge.data() + off, std::min(piece, huge.size() - off));
      fed = off + piece;
    }
    REQUIRE(parser.current() == state::error);
    REQUIRE(parser.error() == protocol_error::header_too_large);
    REQUIRE(consumed <= cap + piece);
    REQUIRE(consumed == cap);  // stronger: not one byte beyond the cap
    REQUIRE(fed <= cap + piece);
    REQUIRE(parser.feed(huge.data(), 10) == 0);  // after an error, nothing more
  }
}

TEST_CASE("many small headers over the cap", "[http1_parser]") {
  std::string in = "HTTP/1.1 200 OK\r\n";
  for (int i = 0; i < 10000; ++i)
    in += "X-H" + std::to_string(i) + ": v\r\n";
  in += "\r\n";
  http1_response_parser parser;
  parser.start();
  const std::size_t n = parser.feed(in.data(), in.size());
  REQUIRE(parser.current() == state::error);
  REQUIRE(parser.error() == protocol_error::header_too_large);
  REQUIRE(n == default_cap);
}

TEST_CASE("state after start, EOF and reuse", "[http1_parser]") {
  http1_response_parser parser;
  parser.start();
  REQUIRE(parser.current() == state::need_more);
  REQUIRE_FALSE(parser.started());
  REQUIRE(parser.feed("", 0) == 0);
  REQUIRE_FALSE(parser.started());
  parser.on_eof();  // nothing seen: the caller decides (e.g. retry a stale keep-alive)
  REQUIRE(parser.current() == state::need_more);

  const std::string r = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody";
  REQUIRE(parser.feed(r.data(), 20) == 20);
  REQUIRE(parser.started());
  REQUIRE_FALSE(parser.head_complete());
  REQUIRE(parser.status() == 200);
  REQUIRE(parser.feed(r.data() + 20, r.size() - 20 - 2) == r.size() - 22);
  REQUIRE(parser.head_complete());
  REQUIRE(parser.body_bytes() == 2);
  parser.on_eof();
  REQUIRE(parser.current() == state::error);
  REQUIRE(parser.error() == protocol_error::truncated_body);
  REQUIRE(parser.feed(r.data(), r.size()) == 0);

  // A HEAD flag applies to one response only.
  parser.start(true);
  REQUIRE(parser.feed(r.data(), r.size()) == r.size() - 4);
  REQUIRE(parser.current() == state::complete);
  parser.start();
  REQUIRE(parser.feed(r.data(), r.size()) == r.size());
  REQUIRE(parser.body_bytes() == 4);
}

TEST_CASE("mutated responses: whole, random splits and single bytes agree", "[http1_parser]") {
  const std::vector<std::string> seeds = {
      nginx_head + body64,
      chunked_response,
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\nabc",
      head_with("Content-Length: 5, 5\r\nConnection: close\r\n") + "hello",
  };
  const std::string alphabet = "\r\n :;,0123456789abcdefHTTP/1.-\t\x01\x7f\x80";
  std::mt19937 rng(20261121);
  for (int iter = 0; iter < 3000; ++iter) {
    std::string in = seeds[rng() % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < edits; ++k) {
      const std::size_t at = rng() % in.size();
      switch (rng() % 3) {
        case 0:
          in[at] = alphabet[rng() % alphabet.size()];
          break;
        case 1:
          in.insert(in.begin() + static_cast<long>(at), alphabet[rng() % alphabet.size()]);
          break;
        default:
          in.erase(at, 1);
          break;
      }
    }
    const run_options opt{.head = (rng() % 8) == 0,
                          .eof = (rng() % 2) == 0,
                          .cap = (rng() % 4) == 0 ? std::size_t{80} : default_cap};
    INFO("input: " << in);
    const outcome whole = run_whole(in, opt);
    std::vector<std::size_t> cuts = {rng() % (in.size() + 1), rng() % (in.size() + 1)};
    std::sort(cuts.begin(), cuts.end());
    REQUIRE(run(in, cuts, opt) == whole);
    std::vector<std::size_t> every_byte;
    for (std::size_t i = 1; i < in.size(); ++i)
      every_byte.push_back(i);
    REQUIRE(run(in, every_byte, opt) == whole);
  }
}

TEST_CASE("every byte value in a header value", "[http1_parser]") {
  // The vectorised scan and the scalar tail must classify each byte the same way, at every
  // position inside a 16-byte block.
  for (int b = 0; b < 256; ++b) {
    const auto c = static_cast<char>(b);
    if (c == '\r' || c == '\n') continue;
    const bool allowed = b == '\t' || (b >= 0x20 && b != 0x7f);
    for (std::size_t pos = 0; pos < 40; pos += 7) {
      std::string value(40, 'v');
      value[pos] = c;
      const std::string in = head_with("X: " + value + "\r\nContent-Length: 0\r\n");
      const outcome o = run_whole(in, {});
      INFO("byte " << b << " at " << pos << ": " << o);
      if (allowed) {
        REQUIRE(o.st == state::complete);
      } else {
        REQUIRE(o.st == state::error);
        REQUIRE(o.error == protocol_error::bad_header);
        REQUIRE(o.consumed == 20 + pos);
      }
    }
  }
}

TEST_CASE("describe gives distinct text for every protocol error", "[http1_parser]") {
  std::set<std::string_view> seen;
  for (std::size_t i = 0; i < ordeal::engine::protocol_error_count; ++i) {
    const std::string_view text = ordeal::engine::describe(static_cast<protocol_error>(i));
    REQUIRE_FALSE(text.empty());
    REQUIRE(seen.insert(text).second);
  }
  REQUIRE(ordeal::engine::describe(protocol_error::header_too_large) ==
          "response header exceeds the size cap");
}
