#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace ordeal::test {

// How a hostile_server answers every request it reads. Each one is a way a real server (or the
// network in front of it) misbehaves that the load generator must classify without crashing,
// hanging past its timeout or growing memory.
enum class hostile_behaviour : std::uint8_t {
  ok,                       // valid keep-alive 200 with a small body: the control case
  close_after_response,     // valid 200 with "Connection: close", then a clean close
  garbage,                  // random non-HTTP bytes (seeded); the connection stays open
  truncated_body,           // Content-Length 1000, 100 body bytes, then FIN
  reset_mid_body,           // Content-Length 1000, 100 body bytes, then RST
  huge_header,              // a single 4 MiB header (written in pieces), then the end of headers
  trickle,                  // valid 200, its 20-byte body one byte per trickle_interval
  silent,                   // reads requests, never answers; open until the server stops
  bad_chunked,              // chunked body whose first chunk size line is "zz"
  bad_status_line,          // "HTTP/1.1 2OO OK"
  unsolicited_extra,        // two complete valid 200 responses per request, in one write
  negative_content_length,  // "Content-Length: -5"
  reset_on_accept,          // RST right after accept, before reading anything
};

inline constexpr std::array all_hostile_behaviours{
    hostile_behaviour::ok,
    hostile_behaviour::close_after_response,
    hostile_behaviour::garbage,
    hostile_behaviour::truncated_body,
    hostile_behaviour::reset_mid_body,
    hostile_behaviour::huge_header,
    hostile_behaviour::trickle,
    hostile_behaviour::silent,
    hostile_behaviour::bad_chunked,
    hostile_behaviour::bad_status_line,
    hostile_behaviour::unsolicited_extra,
    hostile_behaviour::negative_content_length,
    hostile_behaviour::reset_on_accept,
};

std::string_view to_string(hostile_behaviour b) noexcept;

struct hostile_server_options {
  std::uint64_t seed = 1;                           // same seed, same garbage bytes
  std::size_t garbage_bytes = 256;                  // written per request by `garbage`
  std::size_t huge_header_bytes = 4 * 1024 * 1024;  // value length of the `huge_header` header
  std::chrono::milliseconds trickle_interval{200};  // between body bytes of `trickle`
  // A request head longer than this closes the connection, so that a client which never sends
  // "\r\n\r\n" cannot make the server buffer without bound.
  std::size_t max_request_head_bytes = 8 * 1024;
};

// An HTTP/1.1 server on 127.0.0.1 (ephemeral port) that answers every request with one fixed
// misbehaviour. Requests are read as heads only (up to "\r\n\r\n"; GET without a body).
// One background thread runs every connection; stop() (or the destructor) closes the listener,
// resets every open connection and joins that thread, promptly, whatever the clients are doing.
// The counters may be read from any thread.
class hostile_server {
 public:
  explicit hostile_server(hostile_behaviour behaviour, hostile_server_options options = {});
  ~hostile_server();

  hostile_server(const hostile_server&) = delete;
  hostile_server& operator=(const hostile_server&) = delete;

  std::uint16_t port() const noexcept;
  hostile_behaviour behaviour() const noexcept;

  std::uint64_t requests_received() const noexcept;     // complete request heads read
  std::uint64_t connections_accepted() const noexcept;  // including reset_on_accept ones
  // Connections still being served: lets tests check that a client closes what it gave up on.
  std::uint64_t connections_open() const noexcept;

  // Idempotent; called by the destructor.
  void stop() noexcept;

 private:
  class impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace ordeal::test
