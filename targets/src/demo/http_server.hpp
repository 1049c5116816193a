#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "json_io.hpp"

// The HTTP/1.1 server both demo services run on (Beast): keep-alive, one coroutine per
// connection, handlers called synchronously on the server's threads (they may block on
// SQLite or on a call to payments; the thread count bounds how many run at once).
namespace ordeal::targets::demo {

struct peer_info {
  bool loopback = false;
};

using handler = std::function<response(const request&, const peer_info&)>;

struct http_server_options {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;
  unsigned threads = 4;
  int listen_fd = -1;                          // adopt this listening socket instead of binding
  std::chrono::milliseconds drain_idle{1000};  // while draining, close connections idle longer
  std::chrono::seconds idle_timeout{60};       // otherwise
  std::chrono::seconds io_timeout{30};         // one request read or one response write
};

class http_server {
 public:
  // Binds and listens, or adopts o.listen_fd. Throws std::system_error.
  http_server(http_server_options o, handler h);
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  int listen_fd() noexcept;  // the listening socket, to hand to a new process

  void start();  // runs the threads; once only

  // Graceful: stop accepting, let requests in flight finish, answer the next request on each
  // kept-alive connection with `Connection: close`, close connections idle longer than
  // drain_idle. True when every connection closed before `deadline`.
  bool drain(std::chrono::steady_clock::time_point deadline);
  // Abrupt, first step: stop answering; requests that arrive or finish from now on are held
  // unanswered until the process exits (as in a hard stop, they are cut) or thaw().
  void freeze();
  void thaw();
  // Abrupt: every open connection gets SO_LINGER 0, so that when the process exits its peers
  // see a reset, in flight or not.
  void abort_connections();
  // Stops the threads; true when they all returned within `grace` (a handler may block).
  bool stop(std::chrono::milliseconds grace);

  std::size_t open_connections() const noexcept { return open_.load(); }

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket);
  // Waits until a request starts arriving (true) or the connection should close (false).
  boost::asio::awaitable<bool> wait_for_request(boost::asio::ip::tcp::socket& socket);
  boost::asio::awaitable<void> hold_while_frozen();

  http_server_options options_;
  handler handler_;
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::vector<std::thread> threads_;
  std::atomic<bool> draining_{false};
  std::atomic<bool> frozen_{false};
  std::atomic<std::size_t> open_{0};
  std::atomic<unsigned> threads_done_{0};
  std::mutex fds_mutex_;
  std::unordered_set<int> fds_;  // open connections' sockets, for abort_connections()
};

}  // namespace ordeal::targets::demo
