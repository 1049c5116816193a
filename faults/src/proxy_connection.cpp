#include "proxy_connection.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "proxy.hpp"

namespace ordeal::faults {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

std::string address_of(const tcp::socket& s) {
  boost::system::error_code ec;
  const auto ep = s.remote_endpoint(ec);
  if (ec) return {};
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

}  // namespace

proxy_connection::proxy_connection(std::shared_ptr<proxy_state> state, tcp::socket client,
                                   std::uint64_t id)
    : state_(std::move(state)),
      client_(std::move(client)),
      server_(client_.get_executor()),
      id_(id),
      client_address_(address_of(client_)),
      upstream_(*this, stream_direction::upstream, client_, server_),
      downstream_(*this, stream_direction::downstream, server_, client_) {
  state_->connections.insert(this);
}

proxy_connection::~proxy_connection() {
  state_->connections.erase(this);
}

void proxy_connection::start(const std::vector<tcp::endpoint>& upstream) {
  asio::co_spawn(
      client_.get_executor(),
      [self = shared_from_this(), upstream]() { return self->connect_and_relay(upstream); },
      asio::detached);
}

asio::awaitable<void> proxy_connection::connect_and_relay(std::vector<tcp::endpoint> upstream) {
  auto [ec, ep] =
      co_await asio::async_connect(server_, upstream, asio::as_tuple(asio::use_awaitable));
  if (ec || closed_) {
    close(false);  // as toxiproxy: the client's connection closes when the upstream's fails
    co_return;
  }
  boost::system::error_code ignored;
  client_.set_option(tcp::no_delay(true), ignored);
  server_.set_option(tcp::no_delay(true), ignored);
  upstream_.refresh();
  downstream_.refresh();
  const auto ex = client_.get_executor();
  auto self = shared_from_this();
  for (auto* l : {&upstream_, &downstream_}) {
    asio::co_spawn(
        ex, [self, l]() { return l->read_loop(); }, asio::detached);
    asio::co_spawn(
        ex, [self, l]() { return l->write_loop(); }, asio::detached);
  }
}

void proxy_connection::refresh() {
  if (closed_) return;
  upstream_.refresh();
  downstream_.refresh();
}

void proxy_connection::direction_done() {
  if (++done_directions_ == 2) close(false);
}

void proxy_connection::close(bool reset) {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  for (auto* s : {&client_, &server_}) {
    if (!s->is_open()) continue;
    // SO_LINGER with a zero timeout: close() sends RST instead of FIN.
    if (reset) s->set_option(asio::socket_base::linger(true, 0), ignored);
    s->close(ignored);
  }
  upstream_.close();
  downstream_.close();
}

}  // namespace ordeal::faults
