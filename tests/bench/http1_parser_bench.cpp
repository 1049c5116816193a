// ordeal's HTTP/1.1 response parser against Boost.Beast's basic_parser, the library we would
// otherwise use: same responses, bodies counted and discarded by both. The Beast side derives
// from basic_parser and ignores every callback, its cheapest zero-copy use.
#include <benchmark/benchmark.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <cstddef>
#include <cstdint>
#include <string>

#include "ordeal/engine/http1_parser.hpp"

namespace {

namespace http = boost::beast::http;
using ordeal::engine::http1_response_parser;

// What nginx sends for a static 64-byte file.
const std::string& nginx_response() {
  static const std::string r =
      "HTTP/1.1 200 OK\r\n"
      "Server: nginx/1.22.1\r\n"
      "Date: Sat, 21 Nov 2026 04:32:07 GMT\r\n"
      "Content-Type: application/octet-stream\r\n"
      "Content-Length: 64\r\n"
      "Last-Modified: Fri, 20 Nov 2026 10:00:00 GMT\r\n"
      "Connection: keep-alive\r\n"
      "ETag: \"6570a1b2-40\"\r\n"
      "Accept-Ranges: bytes\r\n"
      "\r\n" +
      std::string(64, 'x');
  return r;
}

// A dynamic page streamed in chunks, one with an extension, and a trailer.
const std::string& chunked_response() {
  static const std::string r =
      "HTTP/1.1 200 OK\r\n"
      "Server: nginx/1.22.1\r\n"
      "Date: Sat, 21 Nov 2026 04:32:07 GMT\r\n"
      "Content-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n"
      "Connection: keep-alive\r\n"
      "\r\n"
      "40\r\n" +
      std::string(64, 'a') +
      "\r\n"
      "80;ext=1\r\n" +
      std::string(128, 'b') +
      "\r\n"
      "20\r\n" +
      std::string(32, 'c') +
      "\r\n"
      "0\r\n"
      "X-Checksum: 1234\r\n"
      "\r\n";
  return r;
}

class discarding_beast_parser final : public http::basic_parser<false> {
  void on_request_impl(http::verb, boost::beast::string_view, boost::beast::string_view, int,
                       boost::beast::error_code&) override {}
  void on_response_impl(int, boost::beast::string_view, int, boost::beast::error_code&) override {}
  void on_field_impl(http::field, boost::beast::string_view, boost::beast::string_view,
                     boost::beast::error_code&) override {}
  void on_header_impl(boost::beast::error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&,
                         boost::beast::error_code&) override {}
  std::size_t on_body_impl(boost::beast::string_view body, boost::beast::error_code&) override {
    return body.size();
  }
  void on_chunk_header_impl(std::uint64_t, boost::beast::string_view,
                            boost::beast::error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view body,
                                 boost::beast::error_code&) override {
    return body.size();
  }
  void on_finish_impl(boost::beast::error_code&) override {}
};

// One response, fed as Beast's own read loop feeds it: put() until done. A Beast parser is
// single-use, so building one per response is its normal cost (it allocates nothing here).
// split > 0: the first `split` bytes arrive first; Beast consumes nothing of an incomplete head
// and is handed the whole buffer again, as with a flat_buffer.
bool beast_parse(const std::string& r, std::size_t split) {
  discarding_beast_parser p;
  p.eager(true);
  boost::beast::error_code ec;
  std::size_t off = 0;
  if (split > 0) {
    off += p.put(boost::asio::buffer(r.data(), split), ec);
    if (ec && ec != http::error::need_more) return false;
    ec = {};
  }
  while (!p.is_done()) {
    const std::size_t n = p.put(boost::asio::buffer(r.data() + off, r.size() - off), ec);
    off += n;
    if (ec) return false;
  }
  return off == r.size();
}

bool ordeal_parse(http1_response_parser& p, const std::string& r, std::size_t split) {
  p.start();
  std::size_t off = 0;
  if (split > 0) off += p.feed(r.data(), split);
  off += p.feed(r.data() + off, r.size() - off);
  return p.current() == http1_response_parser::state::complete && off == r.size();
}

void run_ordeal(benchmark::State& state, const std::string& r, std::size_t split) {
  http1_response_parser p;
  if (!ordeal_parse(p, r, split)) state.SkipWithError("ordeal did not parse the response");
  for (auto _ : state) {
    ordeal_parse(p, r, split);
    benchmark::DoNotOptimize(p.body_bytes());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * r.size()));
}

void run_beast(benchmark::State& state, const std::string& r, std::size_t split) {
  if (!beast_parse(r, split)) state.SkipWithError("Beast did not parse the response");
  for (auto _ : state) {
    bool ok = beast_parse(r, split);
    benchmark::DoNotOptimize(ok);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * r.size()));
}

void BM_http1_nginx_ordeal(benchmark::State& state) {
  run_ordeal(state, nginx_response(), 0);
}
void BM_http1_nginx_beast(benchmark::State& state) {
  run_beast(state, nginx_response(), 0);
}
void BM_http1_chunked_ordeal(benchmark::State& state) {
  run_ordeal(state, chunked_response(), 0);
}
void BM_http1_chunked_beast(benchmark::State& state) {
  run_beast(state, chunked_response(), 0);
}
// The head arrives in two reads, split in the middle of the Date header.
void BM_http1_nginx_split_ordeal(benchmark::State& state) {
  run_ordeal(state, nginx_response(), 60);
}
void BM_http1_nginx_split_beast(benchmark::State& state) {
  run_beast(state, nginx_response(), 60);
}

// Side by side, alternating, so machine noise hits both alike.
BENCHMARK(BM_http1_nginx_ordeal);
BENCHMARK(BM_http1_nginx_beast);
BENCHMARK(BM_http1_chunked_ordeal);
BENCHMARK(BM_http1_chunked_beast);
BENCHMARK(BM_http1_nginx_split_ordeal);
BENCHMARK(BM_http1_nginx_split_beast);

}  // namespace
