// libFuzzer target: ordeal::engine::http1_response_parser on arbitrary server bytes.
//
// Input: byte 0 = options (bit 0: HEAD request, bit 1: EOF after the input, bit 2: a 64-byte
// header cap instead of the default), bytes 1-2 = a split point (little endian, modulo the
// length), the rest = what the server sent. Responses are parsed back to back (pipelining)
// while the connection stays reusable.
//
// Invariants: a feed never uses more than it was given; while the parser needs more it takes
// everything, once it stopped it takes nothing; the state is one of the three; and the input
// whole, split in two, and one byte at a time all give the same responses.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "ordeal/engine/http1_parser.hpp"

namespace {

using ordeal::engine::http1_response_parser;
using state = http1_response_parser::state;

struct result {
  state st;
  int status;
  bool keep_alive;
  bool head_complete;
  bool started;
  std::uint64_t body_bytes;
  int error;  // meaningful in state error only
  std::size_t consumed;

  bool operator==(const result& o) const {
    return st == o.st && status == o.status && keep_alive == o.keep_alive &&
           head_complete == o.head_complete && started == o.started && body_bytes == o.body_bytes &&
           (st != state::error || error == o.error) && consumed == o.consumed;
  }
};

void check(bool ok) {
  if (!ok) std::abort();
}

// Feeds input cut at the given (ascending) offsets; every piece is its own exactly sized heap
// block so that AddressSanitizer sees any read past the end of a feed.
std::vector<result> run(const std::uint8_t* input, std::size_t size,
                        const std::vector<std::size_t>& cuts, bool head, bool eof,
                        std::size_t cap) {
  std::vector<result> out;
  http1_response_parser parser(cap);
  parser.start(head);
  std::size_t consumed = 0;  // of the current response
  bool stopped = false;      // error, or a response after which the connection is unusable
  std::size_t from = 0;
  for (std::size_t i = 0; i <= cuts.size() && !stopped; ++i) {
    const std::size_t to = i < cuts.size() ? cuts[i] : size;
    std::size_t n = to - from;
    auto piece = std::make_unique<char[]>(n == 0 ? 1 : n);
    if (n) std::memcpy(piece.get(), input + from, n);
    const char* p = piece.get();
    from = to;
    for (;;) {
      const state before = parser.current();
      const std::size_t used = parser.feed(p, n);
      check(used <= n);
      check(parser.current() == state::need_more || parser.current() == state::complete ||
            parser.current() == state::error);
      if (before != state::need_more) check(used == 0);
      if (parser.current() == state::need_more) check(used == n);
      if (used > 0) check(parser.started());
      consumed += used;
      p += used;
      n -= used;
      if (parser.current() == state::need_more) break;
      if (parser.current() == state::complete) check(parser.head_complete());
      out.push_back({parser.current(), parser.status(), parser.keep_alive(), parser.head_complete(),
                     parser.started(), parser.body_bytes(), static_cast<int>(parser.error()),
                     consumed});
      if (parser.current() == state::error || !parser.keep_alive()) {
        stopped = true;
        break;
      }
      // The next pipelined response starts right after this one.
      parser.start(head);
      check(parser.current() == state::need_more && !parser.started());
      consumed = 0;
      if (n == 0) break;
    }
  }
  if (!stopped) {
    if (eof) parser.on_eof();
    out.push_back({parser.current(), parser.status(), parser.keep_alive(), parser.head_complete(),
                   parser.started(), parser.body_bytes(), static_cast<int>(parser.error()),
                   consumed});
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const bool head = data[0] & 1;
  const bool eof = data[0] & 2;
  const std::size_t cap = (data[0] & 4) ? 64 : http1_response_parser::default_max_header_bytes;
  const std::uint8_t* input = data + 3;
  const std::size_t n = size - 3;
  const std::size_t split = (static_cast<std::size_t>(data[1]) | data[2] << 8) % (n + 1);

  const auto whole = run(input, n, {}, head, eof, cap);
  check(run(input, n, {split}, head, eof, cap) == whole);
  if (n <= 4096) {  // one byte at a time costs a feed per byte: keep executions fast
    std::vector<std::size_t> every;
    for (std::size_t i = 1; i < n; ++i)
      every.push_back(i);
    check(run(input, n, every, head, eof, cap) == whole);
  }
  return 0;
}
