#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "planted_bugs.hpp"
#include "planted_store.hpp"

namespace ordeal::planted {

namespace http = boost::beast::http;
using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

// What every request handler shares: the state and the bugs switched on.
struct app {
  store state;
  bug_set bugs;
};

// Answers one request (JSON in, JSON out). Runs on the connection's strand; the waits it
// makes (processing delays, the slow path, the racy read-modify-write) are timers on it, so
// they never block a server thread. Never throws for a bad request: 400 or 404 with a message.
boost::asio::awaitable<response> handle(const request& req, app& a);

}  // namespace ordeal::planted
