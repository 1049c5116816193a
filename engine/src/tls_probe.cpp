#include "tls_probe.hpp"

#include <poll.h>

#include <boost/asio/io_context.hpp>
#include <chrono>

#include "tls_context.hpp"
#include "transport.hpp"

namespace ordeal::engine {

namespace asio = boost::asio;

tls_probe_result probe_tls(const config& c, const asio::ip::tcp::endpoint& endpoint,
                           std::vector<std::string_view> alpn) {
  tls_probe_result result;
  tls_client_context context(c.tls, std::move(alpn));  // config_error on bad files
  asio::io_context ioc;
  asio::ip::tcp::socket socket(ioc);
  boost::system::error_code ec;
  socket.connect(endpoint, ec);
  if (!ec) socket.non_blocking(true, ec);
  const int fd = ec ? -1 : socket.release(ec);
  if (ec) {
    result.error = "cannot connect: " + ec.message();
    return result;
  }
  const char* why = nullptr;
  SSL* ssl = context.make(fd, c.target.host, why);
  transport io;
  io.attach(fd, ssl);
  if (ssl == nullptr) {
    result.error = why;
    return result;
  }
  using steady = std::chrono::steady_clock;
  const auto deadline = steady::now() + c.tls.handshake_timeout;
  for (;;) {
    const io_status s = io.handshake();
    if (s == io_status::ok) break;
    if (s == io_status::eof || s == io_status::error) {
      result.error = io.failure_text() != nullptr ? io.failure_text() : "handshake failed";
      return result;
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
    pollfd p{fd, static_cast<short>(s == io_status::want_read ? POLLIN : POLLOUT), 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) == 0) {
      result.error = "handshake timeout";
      return result;
    }
  }
  result.alpn = std::string(io.alpn());
  return result;
}

}  // namespace ordeal::engine
