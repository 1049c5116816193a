#pragma once

#include <openssl/ssl.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ordeal::engine {

// Opens `socket` for `endpoint`, non-blocking and with TCP_NODELAY, ready for async_connect.
// On failure the socket is closed again and the error returned.
boost::system::error_code open_tcp(boost::asio::ip::tcp::socket& socket,
                                   const boost::asio::ip::tcp::endpoint& endpoint);

// How a read, a write or a handshake step went.
enum class io_status : std::uint8_t {
  ok,          // bytes moved (or the handshake is done)
  want_read,   // nothing more until the socket is readable
  want_write,  // nothing more until the socket is writable
  eof,         // the peer closed (FIN, or TLS close_notify)
  error,       // the connection is broken: see failure()
};

struct io_result {
  io_status status;
  std::size_t bytes = 0;
};

// The bytes under a connection: a connected non-blocking socket, plain or with TLS on it. The
// connections call read/write the same way for both, from their edge-triggered epoll events; TLS
// adds a handshake first. OpenSSL works on the descriptor directly (no memory BIOs): one recv or
// send per record, as over plain TCP.
class transport {
 public:
  transport() = default;
  transport(const transport&) = delete;
  transport& operator=(const transport&) = delete;
  ~transport() { close(); }

  // Takes the socket (and the SSL, which must be set up on it). Plain when ssl is nullptr.
  void attach(int fd, SSL* ssl) noexcept;
  // Puts TLS on the attached socket (the SSL must be set up on it; owned from here on).
  void start_tls(SSL* ssl) noexcept { ssl_ = ssl; }
  int fd() const noexcept { return fd_; }
  bool open() const noexcept { return fd_ >= 0; }
  bool secure() const noexcept { return ssl_ != nullptr; }
  // Plain TCP: a read shorter than the buffer emptied the socket. TLS reads a record at a time,
  // so only want_read says the socket is drained.
  bool short_read_drains() const noexcept { return ssl_ == nullptr; }

  // TLS: one step of the handshake; ok once it is done. On error, failure_text() says why
  // ("certificate expired", "unknown CA", ...).
  io_status handshake() noexcept;
  io_result read(char* buffer, std::size_t size) noexcept;
  io_result write(const char* data, std::size_t size) noexcept;

  // After an error: the socket error (plain, or under TLS), or a fixed TLS text.
  boost::system::error_code failure_code() const noexcept { return code_; }
  const char* failure_text() const noexcept { return text_; }
  // After a failed handshake step: why, for the `tls` error class.
  const char* handshake_error() const noexcept {
    return text_ != nullptr ? text_ : "handshake failed";
  }

  // After the handshake: the protocol ALPN selected ("" when none) and whether the session was
  // resumed.
  std::string_view alpn() const noexcept;
  bool resumed() const noexcept;

  // Closes the socket (which also takes it out of any epoll set) and frees the SSL. No
  // close_notify: a load generator closing thousands of connections does not wait for it.
  void close() noexcept;

 private:
  io_status tls_status(int result, bool handshaking) noexcept;

  int fd_ = -1;
  SSL* ssl_ = nullptr;
  boost::system::error_code code_;
  const char* text_ = nullptr;
};

}  // namespace ordeal::engine
