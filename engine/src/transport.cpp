#include "transport.hpp"

#include <openssl/err.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include "tls_context.hpp"

namespace ordeal::engine {

namespace {

boost::system::error_code system_error(int e) noexcept {
  return {e, boost::system::system_category()};
}

int clamp_size(std::size_t size) noexcept {
  return size > static_cast<std::size_t>(INT_MAX) ? INT_MAX : static_cast<int>(size);
}

}  // namespace

boost::system::error_code open_tcp(boost::asio::ip::tcp::socket& socket,
                                   const boost::asio::ip::tcp::endpoint& endpoint) {
  boost::system::error_code ec;
  socket.open(endpoint.protocol(), ec);
  if (!ec) socket.set_option(boost::asio::ip::tcp::no_delay(true), ec);
  if (!ec) socket.non_blocking(true, ec);
  if (ec) {
    boost::system::error_code ignored;
    socket.close(ignored);
  }
  return ec;
}

void transport::attach(int fd, SSL* ssl) noexcept {
  close();
  fd_ = fd;
  ssl_ = ssl;
  code_ = {};
  text_ = nullptr;
}

io_status transport::tls_status(int result, bool handshaking) noexcept {
  const int saved_errno = errno;
  const int e = SSL_get_error(ssl_, result);
  switch (e) {
    case SSL_ERROR_WANT_READ:
      return io_status::want_read;
    case SSL_ERROR_WANT_WRITE:
      return io_status::want_write;
    case SSL_ERROR_ZERO_RETURN:
      if (!handshaking) return io_status::eof;
      break;
    case SSL_ERROR_SYSCALL:
      if (handshaking) break;
      ERR_clear_error();
      if (saved_errno == 0) return io_status::eof;  // the peer closed without close_notify
      code_ = system_error(saved_errno);
      return io_status::error;
    default:
      break;
  }
  if (handshaking) {
    text_ = handshake_failure(ssl_, e, saved_errno);
  } else {
    const unsigned long code = ERR_peek_error();
    text_ = code != 0 && ERR_reason_error_string(code) != nullptr ? ERR_reason_error_string(code)
                                                                  : "TLS error";
    ERR_clear_error();
  }
  return io_status::error;
}

io_status transport::handshake() noexcept {
  if (ssl_ == nullptr) return io_status::ok;
  ERR_clear_error();
  const int r = SSL_do_handshake(ssl_);
  return r == 1 ? io_status::ok : tls_status(r, true);
}

io_result transport::read(char* buffer, std::size_t size) noexcept {
  if (ssl_ == nullptr) {
    for (;;) {
      const ssize_t n = ::recv(fd_, buffer, size, 0);
      if (n > 0) return {io_status::ok, static_cast<std::size_t>(n)};
      if (n == 0) return {io_status::eof};
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return {io_status::want_read};
      code_ = system_error(errno);
      return {io_status::error};
    }
  }
  ERR_clear_error();
  const int n = SSL_read(ssl_, buffer, clamp_size(size));
  if (n > 0) return {io_status::ok, static_cast<std::size_t>(n)};
  return {tls_status(n, false)};
}

io_result transport::write(const char* data, std::size_t size) noexcept {
  if (ssl_ == nullptr) {
    for (;;) {
      const ssize_t n = ::send(fd_, data, size, MSG_NOSIGNAL);
      if (n >= 0) return {io_status::ok, static_cast<std::size_t>(n)};
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return {io_status::want_write};
      code_ = system_error(errno);
      return {io_status::error};
    }
  }
  if (size == 0) return {io_status::ok, 0};
  ERR_clear_error();
  const int n = SSL_write(ssl_, data, clamp_size(size));
  if (n > 0) return {io_status::ok, static_cast<std::size_t>(n)};
  return {tls_status(n, false)};
}

std::string_view transport::alpn() const noexcept {
  if (ssl_ == nullptr) return {};
  const unsigned char* data = nullptr;
  unsigned size = 0;
  SSL_get0_alpn_selected(ssl_, &data, &size);
  return {reinterpret_cast<const char*>(data), size};
}

bool transport::resumed() const noexcept {
  return ssl_ != nullptr && SSL_session_reused(ssl_) == 1;
}

void transport::close() noexcept {
  if (ssl_ != nullptr) {
    // Closed without close_notify, OpenSSL would mark the session as not resumable, and
    // --tls-resume would then start over with a full handshake; a session whose handshake
    // finished is as good as it was.
    if (SSL_is_init_finished(ssl_))
      SSL_set_shutdown(ssl_, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

}  // namespace ordeal::engine
