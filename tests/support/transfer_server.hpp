#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "recording_server.hpp"

namespace ordeal::test {

struct transfer_server_options {
  // The bug: every POST creates a transfer, whatever its Idempotency-Key says.
  bool ignore_key = false;
  // Every n-th new transfer is stored, then answered 503 (the work done, the answer lost):
  // clients retry it. 0: never.
  unsigned fail_every = 0;
  // How long a new transfer takes: a request with its key that arrives meanwhile gets 409.
  std::chrono::milliseconds work{20};
};

// A payments-like API on 127.0.0.1 (a recording_server), keyed by the Idempotency-Key header:
//   POST /transfers   new key: 201 {"id","amount","key","created_at","served_at"} after `work`;
//                     a key in progress: 409; a done key: its first answer again (same id and
//                     created_at; served_at and the X-Served-At header are new each time,
//                     Idempotent-Replayed: true) -- unless ignore_key.
//   GET /transfers?key=K   {"count": transfers created with key K}
// Every accessor may be called from any thread.
class transfer_server {
 public:
  explicit transfer_server(transfer_server_options options = {});
  ~transfer_server();
  transfer_server(const transfer_server&) = delete;
  transfer_server& operator=(const transfer_server&) = delete;

  std::uint16_t port() const noexcept { return server_->port(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port()); }
  std::uint64_t transfers() const;     // created
  std::uint64_t keys() const;          // distinct keys seen on POST
  std::uint64_t replays() const;       // answers repeated for a known key
  std::uint64_t conflicts() const;     // 409s
  std::uint64_t lost_answers() const;  // 503s after the work was done

 private:
  struct state;
  std::shared_ptr<state> state_;
  std::unique_ptr<recording_server> server_;
};

}  // namespace ordeal::test
