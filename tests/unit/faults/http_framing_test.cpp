// The HTTP fault's framers (faults/src/http_framing.hpp): where requests and responses begin
// and end in a byte stream, however it is split; and the globs its match uses.
#include "../../../faults/src/http_framing.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "../../../faults/src/http_match.hpp"

using ordeal::faults::http::body_kind;
using ordeal::faults::http::glob_match;
using ordeal::faults::http::match_subject;
using ordeal::faults::http::message_framer;
using part = message_framer::part;

namespace {

struct framed {
  std::size_t begin = 0, end = 0;  // offsets in the stream
  std::string method, target;
  int status = 0;
  bool interim = false;
  body_kind body = body_kind::none;
  std::string head;
};

struct frame_result {
  std::vector<framed> messages;
  std::string error;           // empty: none
  std::size_t error_at = 0;    // offset of the first byte not consumed
  bool ended_in_head = false;  // the stream ended with a head begun and not whole
};

// Frames `stream` fed in pieces of `piece` bytes (the last one shorter). For responses,
// `head_requests[i]` says whether the i-th final response answers a HEAD request.
frame_result frame(message_framer::role role, const std::string& stream, std::size_t piece,
                   const std::vector<bool>& head_requests = {}, bool eof = false) {
  message_framer f(role);
  frame_result r;
  std::size_t finals = 0;
  auto begin_next = [&] {
    const bool head = finals < head_requests.size() && head_requests[finals];
    f.next(head, false);
  };
  begin_next();
  std::size_t begin = 0;
  for (std::size_t at = 0; at < stream.size();) {
    const std::size_t n = std::min(piece, stream.size() - at);
    std::size_t off = 0;
    while (off < n) {
      if (!f.started()) begin = at + off;
      const auto before = f.current();
      const auto used = f.feed(stream.data() + at + off, n - off);
      off += used;
      if (f.current() == part::error) {
        r.error = f.error();
        r.error_at = at + off;
        return r;
      }
      if (before == part::head && f.current() != part::head) r.messages.push_back({});
      if (before == part::head && f.current() != part::head) {
        auto& m = r.messages.back();
        m.method = f.method();
        m.target = f.target();
        m.status = f.status();
        m.interim = f.interim();
        m.body = f.body();
        m.head = f.head();
      }
      if (f.current() == part::done) {
        r.messages.back().begin = begin;
        r.messages.back().end = at + off;
        if (!r.messages.back().interim) ++finals;
        if (f.body() == body_kind::tunnel) return r;
        begin_next();
      }
    }
    at += n;
  }
  r.ended_in_head = f.current() == part::head && f.started();
  if (eof) {
    f.eof();
    if (f.current() == part::done) {
      r.messages.back().begin = begin;
      r.messages.back().end = stream.size();
    } else if (f.current() == part::error) {
      r.error = f.error();
    }
  }
  return r;
}

const std::string requests =
    "\r\n"  // an empty line before a request may be ignored (RFC 9112 2.2)
    "POST /pay/7?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
    "PUT /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
    "5;ext=\"a b\"\r\nabcde\r\nA\r\n0123456789\r\n0\r\nX-Sum: 1\r\nX-More: 2\r\n\r\n"
    "GET / HTTP/1.0\nHost: a\n\n"
    "HEAD /h HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"
    "DELETE /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc";

const std::string responses =
    "HTTP/1.1 100 Continue\r\n\r\n"
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
    "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"  // answers a HEAD: no body
    "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n"
    "HTTP/1.1 304 Not Modified\r\n\r\n"
    "HTTP/1.0 200 OK\r\n\r\nthe rest until close";

}  // namespace

TEST_CASE("pipelined requests are framed the same however the stream is split", "[faults][http]") {
  for (const std::size_t piece : {requests.size(), std::size_t{1}, std::size_t{2}, std::size_t{3},
                                  std::size_t{7}, std::size_t{64}}) {
    INFO("pieces of " << piece);
    const auto r = frame(message_framer::role::request, requests, piece);
    REQUIRE(r.error.empty());
    REQUIRE(r.messages.size() == 5);
    CHECK(r.messages[0].method == "POST");
    CHECK(r.messages[0].target == "/pay/7?x=1");
    CHECK(r.messages[0].body == body_kind::length);
    CHECK(r.messages[0].begin == 0);
    CHECK(requests.substr(r.messages[0].end - 5, 5) == "hello");
    CHECK(r.messages[1].method == "PUT");
    CHECK(r.messages[1].body == body_kind::chunked);
    CHECK(requests.substr(r.messages[1].begin, 8) == "PUT /up ");
    CHECK(requests.substr(r.messages[1].end - 13, 13) == "X-More: 2\r\n\r\n");
    CHECK(r.messages[2].method == "GET");
    CHECK(r.messages[2].body == body_kind::none);
    CHECK(r.messages[3].method == "HEAD");
    CHECK(r.messages[4].method == "DELETE");
    CHECK(r.messages[4].end == requests.size());
    for (std::size_t i = 1; i < r.messages.size(); ++i)
      CHECK(r.messages[i].begin == r.messages[i - 1].end);
  }
}

TEST_CASE("responses are framed by status, request method and headers", "[faults][http]") {
  for (const std::size_t piece :
       {responses.size(), std::size_t{1}, std::size_t{5}, std::size_t{13}}) {
    INFO("pieces of " << piece);
    // The third final response answers a HEAD.
    const auto r =
        frame(message_framer::role::response, responses, piece, {false, false, true}, true);
    REQUIRE(r.error.empty());
    REQUIRE(r.messages.size() == 7);
    CHECK(r.messages[0].status == 100);
    CHECK(r.messages[0].interim);
    CHECK(r.messages[1].status == 200);
    CHECK(r.messages[2].status == 201);
    CHECK(r.messages[2].body == body_kind::chunked);
    CHECK(r.messages[3].body == body_kind::none);  // HEAD
    CHECK(r.messages[4].status == 204);
    CHECK(r.messages[4].body == body_kind::none);
    CHECK(r.messages[5].status == 304);
    CHECK(r.messages[6].body == body_kind::until_close);
    CHECK(r.messages[6].end == responses.size());
    for (std::size_t i = 1; i < r.messages.size(); ++i)
      CHECK(r.messages[i].begin == r.messages[i - 1].end);
  }
}

TEST_CASE("a 101 or a CONNECT's 2xx ends the framing", "[faults][http]") {
  message_framer f(message_framer::role::response);
  f.next(false, true);
  const std::string s = "HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x01";
  CHECK(f.feed(s.data(), s.size()) == s.size() - 3);
  CHECK(f.current() == part::done);
  CHECK(f.body() == body_kind::tunnel);
  f.next();
  const std::string up = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";
  f.feed(up.data(), up.size());
  CHECK(f.body() == body_kind::tunnel);

  message_framer q(message_framer::role::request);
  const std::string get = "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
  q.feed(get.data(), get.size());
  CHECK(q.current() == part::done);
  CHECK(q.upgrade());
}

TEST_CASE("what is not HTTP/1.x fails at once, without waiting for more", "[faults][http]") {
  const auto fails_at = [](message_framer::role role, const std::string& s) {
    const auto r = frame(role, s, s.size());
    return r.error.empty() ? std::string::npos : r.error_at;
  };
  using role = message_framer::role;
  CHECK(fails_at(role::request, std::string("\x16\x03\x01\x02\x00", 5)) == 0);  // TLS
  CHECK(fails_at(role::request, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") == 11);
  CHECK(fails_at(role::request, "hello world\n") == 11);
  CHECK(fails_at(role::request, "GET /a b HTTP/1.1\r\n\r\n") == 7);
  CHECK(fails_at(role::response, "SSH-2.0-OpenSSH_9.2\r\n") == 0);
  CHECK(fails_at(role::response, "HTTP/1.1 2000 OK\r\n\r\n") == 12);
  // A valid start so far is held, waiting for the rest.
  const auto partial = frame(role::request, "GET /index.ht", 4);
  CHECK(partial.error.empty());
  CHECK(partial.ended_in_head);
}

TEST_CASE("heads with bad framing are refused", "[faults][http]") {
  using role = message_framer::role;
  const auto error_of = [](role r, const std::string& s) { return frame(r, s, s.size()).error; };
  CHECK_THAT(error_of(role::request,
                      "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"),
             Catch::Contains("both Transfer-Encoding and Content-Length"));
  CHECK_THAT(error_of(role::request, "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"),
             Catch::Contains("chunked last"));
  CHECK_THAT(error_of(role::request, "POST / HTTP/1.1\r\nContent-Length: 3, 4\r\n\r\n"),
             Catch::Contains("Content-Length"));
  CHECK_THAT(error_of(role::request, "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"),
             Catch::Contains("Content-Length"));
  CHECK_THAT(error_of(role::request, "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n"),
             Catch::Contains("folding"));
  CHECK_THAT(error_of(role::request, "GET / HTTP/1.1\r\nno colon\r\n\r\n"),
             Catch::Contains("colon"));
  CHECK_THAT(error_of(role::response,
                      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "zz\r\n"),
             Catch::Contains("chunk size"));
  CHECK_THAT(error_of(role::response,
                      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "3\r\nabcX"),
             Catch::Contains("CRLF"));
}

TEST_CASE("a head stops at 64 KiB exactly", "[faults][http]") {
  std::string big = "GET / HTTP/1.1\r\nX-Big: ";
  big += std::string(message_framer::max_head_bytes, 'a');
  for (const std::size_t piece : {big.size(), std::size_t{1000}}) {
    const auto r = frame(message_framer::role::request, big, piece);
    CHECK_THAT(r.error, Catch::Contains("64 KiB"));
    CHECK(r.error_at == message_framer::max_head_bytes);
  }
  // Just under the cap is fine.
  std::string fits = "GET / HTTP/1.1\r\nX-Big: ";
  fits += std::string(message_framer::max_head_bytes - fits.size() - 4, 'a') + "\r\n\r\n";
  REQUIRE(fits.size() == message_framer::max_head_bytes);
  const auto r = frame(message_framer::role::request, fits, 999);
  CHECK(r.error.empty());
  CHECK(r.messages.size() == 1);
}

TEST_CASE("a head split across pieces is copied whole, one in a piece is not copied",
          "[faults][http]") {
  const std::string get = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n";
  message_framer f(message_framer::role::request);
  f.feed(get.data(), get.size());
  CHECK(f.head().data() == get.data());
  f.next();
  f.feed(get.data(), 10);
  CHECK(f.held() == get.substr(0, 10));
  f.feed(get.data() + 10, get.size() - 10);
  CHECK(f.head() == get);
  CHECK(f.held().empty());
  REQUIRE(f.fields().size() == 1);
  CHECK(f.fields()[0].name == "Host");
  CHECK(f.fields()[0].value == "h");
}

TEST_CASE("the stream's end completes a body ended by close and fails anything else",
          "[faults][http]") {
  message_framer f(message_framer::role::response);
  const std::string s = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
  f.feed(s.data(), s.size());
  f.feed(s.data() + f.head().size(), 3);
  f.eof();
  CHECK(f.current() == part::error);
  message_framer idle(message_framer::role::response);
  idle.eof();
  CHECK(idle.current() == part::head);  // nothing begun: nothing lost
}

TEST_CASE("globs know '*' and nothing else", "[faults][http]") {
  CHECK(glob_match("/pay*", "/pay"));
  CHECK(glob_match("/pay*", "/pay/7"));
  CHECK_FALSE(glob_match("/pay*", "/pa"));
  CHECK(glob_match("*", ""));
  CHECK(glob_match("/a/*/c", "/a/b/c"));
  CHECK(glob_match("/a/*/c", "/a/b/x/c"));
  CHECK_FALSE(glob_match("/a/*/c", "/a/b/x/d"));
  CHECK(glob_match("*.json", "/x.json"));
  CHECK_FALSE(glob_match("/a?", "/ab"));  // '?' is literal
  CHECK(glob_match("/a?b=*", "/a?b=1"));
  CHECK(glob_match("**a**", "xxa"));
  CHECK(match_subject("/pay/7?x=1", false) == "/pay/7");
  CHECK(match_subject("/pay/7?x=1", true) == "/pay/7?x=1");
  CHECK(match_subject("http://h:80/pay?x", false) == "/pay");
  CHECK(match_subject("http://h", false) == "/");
  CHECK(match_subject("*", false) == "*");
}
