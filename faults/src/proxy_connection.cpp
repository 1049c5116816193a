#include "proxy_connection.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>

#include "proxy.hpp"

namespace ordeal::faults {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
constexpr std::chrono::seconds connect_timeout{10};

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

// Completes when the client resets its connection before the upstream answered; runs
// forever (until cancelled) otherwise. A FIN is not a hang-up: a client may send its request
// and half-close before the upstream answers (the connect timeout bounds that case).
asio::awaitable<void> proxy_connection::client_gone() {
  auto [ec] = co_await client_.async_wait(tcp::socket::wait_read, nothrow);
  if (ec) co_return;
  char byte;
  const auto n = ::recv(client_.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) co_return;
  asio::steady_timer forever(client_.get_executor(), clock::time_point::max());
  co_await forever.async_wait(nothrow);
}

asio::awaitable<void> proxy_connection::connect_and_relay(std::vector<tcp::endpoint> upstream) {
  using namespace asio::experimental::awaitable_operators;
  // A client that gives up, or an upstream that never answers (SYNs dropped), must not hold
  // two descriptors until the kernel's SYN retries run out.
  asio::steady_timer limit(client_.get_executor(), connect_timeout);
  auto result = co_await (asio::async_connect(server_, upstream, nothrow) ||
                          limit.async_wait(nothrow) || client_gone());
  const bool connected = result.index() == 0 && !std::get<0>(std::get<0>(result));
  if (!connected || closed_) {
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
  // A removed toxic's shared state goes with it: a new toxic at the same address must not
  // find it.
  std::erase_if(shared_, [&](const auto& entry) {
    return std::none_of(state_->toxics.begin(), state_->toxics.end(),
                        [&](const auto& t) { return t.get() == entry.first; });
  });
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
