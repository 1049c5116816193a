#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <functional>

#include "planted_endpoints.hpp"

namespace ordeal::planted {

struct server_options {
  boost::asio::ip::tcp::endpoint listen;  // port 0: any free port
  unsigned threads = 2;                   // 2+ so that the races are real
};

// Serves HTTP/1.1 (keep-alive, one coroutine per connection on its own strand, `threads`
// threads) until SIGTERM or SIGINT. Calls `on_listening` with the bound endpoint once the
// socket listens. Throws boost::system::system_error when it cannot listen.
void serve(app& a, const server_options& options,
           const std::function<void(const boost::asio::ip::tcp::endpoint&)>& on_listening);

}  // namespace ordeal::planted
