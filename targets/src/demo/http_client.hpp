#pragma once

#include <boost/system/error_code.hpp>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "json_io.hpp"

// The shop's client to payments: one blocking call per connection (a demo, not a pool), with
// a deadline over the whole exchange.
namespace ordeal::targets::demo {

struct http_endpoint {
  std::string host;
  std::string port;
};

// "http://host:port[/...]" -> endpoint. Throws std::invalid_argument.
http_endpoint parse_http_url(const std::string& url);

struct call_result {
  boost::system::error_code ec;  // connect, write, read or timeout
  unsigned status = 0;           // when !ec
  std::string body;
  bool sent = false;  // the request went out (a failure after it is an unknown outcome)

  // "connection refused", "timeout", "status 503", ...
  std::string describe() const;
};

// timeout 0: none.
call_result http_call(const http_endpoint& to, http::verb method, const std::string& target,
                      const std::string& body,
                      const std::vector<std::pair<std::string, std::string>>& headers,
                      std::chrono::milliseconds timeout);

}  // namespace ordeal::targets::demo
