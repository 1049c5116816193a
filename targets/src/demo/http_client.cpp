#include "http_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <stdexcept>

namespace ordeal::targets::demo {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

http_endpoint parse_http_url(const std::string& url) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) {
    throw std::invalid_argument("payments URL must start with http:// (got '" + url + "')");
  }
  std::string rest = url.substr(scheme.size());
  rest = rest.substr(0, rest.find('/'));
  const auto colon = rest.rfind(':');
  http_endpoint e;
  if (colon == std::string::npos) {
    e.host = rest;
    e.port = "80";
  } else {
    e.host = rest.substr(0, colon);
    e.port = rest.substr(colon + 1);
  }
  if (e.host.size() >= 2 && e.host.front() == '[' && e.host.back() == ']') {
    e.host = e.host.substr(1, e.host.size() - 2);
  }
  if (e.host.empty() || e.port.empty() ||
      e.port.find_first_not_of("0123456789") != std::string::npos) {
    throw std::invalid_argument("bad URL '" + url + "': expected http://HOST:PORT");
  }
  return e;
}

std::string call_result::describe() const {
  if (ec == beast::error::timeout) return "timeout";
  if (ec == net::error::connection_refused) return "connection refused";
  if (ec == net::error::connection_reset) return "connection reset";
  if (ec == http::error::end_of_stream || ec == net::error::eof) return "connection closed";
  if (ec) return ec.message();
  return "status " + std::to_string(status);
}

namespace {

net::awaitable<void> exchange(beast::tcp_stream& stream, const http_endpoint& to,
                              const request& req, call_result& out,
                              std::chrono::steady_clock::time_point deadline, bool timed) {
  constexpr auto nothrow = net::as_tuple(net::use_awaitable);
  tcp::resolver resolver(stream.get_executor());
  auto [rec, endpoints] = co_await resolver.async_resolve(to.host, to.port, nothrow);
  if (rec) {
    out.ec = rec;
    co_return;
  }
  if (timed) stream.expires_at(deadline);
  auto [cec, ep] = co_await stream.async_connect(endpoints, nothrow);
  if (cec) {
    out.ec = cec;
    co_return;
  }
  if (timed) stream.expires_at(deadline);
  auto [wec, wn] = co_await http::async_write(stream, req, nothrow);
  out.sent = true;  // some of it may have gone out even on an error: assume it did
  if (wec) {
    out.ec = wec;
    co_return;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(1 << 20);
  if (timed) stream.expires_at(deadline);
  auto [ec, n] = co_await http::async_read(stream, buffer, parser, nothrow);
  if (ec) {
    out.ec = ec;
    co_return;
  }
  out.status = parser.get().result_int();
  out.body = std::move(parser.get().body());
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

}  // namespace

call_result http_call(const http_endpoint& to, http::verb method, const std::string& target,
                      const std::string& body,
                      const std::vector<std::pair<std::string, std::string>>& headers,
                      std::chrono::milliseconds timeout) {
  request req{method, target, 11};
  req.set(http::field::host, to.host + ":" + to.port);
  req.set(http::field::connection, "close");
  for (const auto& [name, value] : headers)
    req.set(name, value);
  if (method == http::verb::post || !body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.prepare_payload();

  call_result out;
  net::io_context ioc(1);
  beast::tcp_stream stream(ioc);
  const bool timed = timeout.count() > 0;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  net::co_spawn(ioc, exchange(stream, to, req, out, deadline, timed), net::detached);
  ioc.run();
  return out;
}

}  // namespace ordeal::targets::demo
