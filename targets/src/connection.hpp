#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "worker.hpp"

namespace ordeal::targets::detail {

// The one long-lived coroutine of a connection: requests read, shaped and answered in
// order until the client closes, asks to close, misbehaves or idles out. Runs on w's loop.
boost::asio::awaitable<void> serve_connection(boost::asio::ip::tcp::socket socket, worker& w);

}  // namespace ordeal::targets::detail
