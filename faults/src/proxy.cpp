#include "proxy.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "proxy_connection.hpp"

namespace ordeal::faults {

namespace asio = boost::asio;
using asio::ip::tcp;

std::vector<tcp::endpoint> resolve_address(const std::string& address, std::string_view what) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size())
    throw spec_error(400, std::string(what) + ": \"" + address + "\" is not host:port");
  std::string host = address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  const std::string port = address.substr(colon + 1);
  asio::io_context io;
  tcp::resolver resolver(io);
  boost::system::error_code ec;
  auto results = resolver.resolve(host, port, tcp::resolver::numeric_service, ec);
  if (ec || results.empty())
    throw spec_error(400, std::string(what) + ": cannot resolve \"" + address +
                              "\": " + (ec ? ec.message() : "no address"));
  std::vector<tcp::endpoint> out;
  for (const auto& r : results)
    out.push_back(r.endpoint());
  return out;
}

proxy::proxy(asio::any_io_executor ex, proxy_spec spec, std::uint64_t seed, event_log& events)
    : ex_(std::move(ex)), spec_(std::move(spec)), state_(std::make_shared<proxy_state>()) {
  state_->name = spec_.name;
  state_->seed = mix_seed(seed, spec_.name);
  state_->events = &events;
  upstream_ = resolve_address(spec_.upstream, "upstream");
  resolve_address(spec_.listen, "listen");  // a disabled proxy's address is checked now too
  bound_ = spec_.listen;
  apply_enabled();
}

proxy::~proxy() {
  if (acceptor_) {
    boost::system::error_code ignored;
    (*acceptor_)->close(ignored);
  }
  close_connections(false);
}

std::shared_ptr<const toxic> proxy::find_toxic(std::string_view name) const {
  for (const auto& t : state_->toxics)
    if (t->spec().name == name) return t;
  return nullptr;
}

void proxy::set_toxics(std::vector<std::shared_ptr<const toxic>> toxics) {
  state_->toxics = std::move(toxics);
  ++state_->version;
  // Copy: a refresh may close a connection, which removes it from the set.
  const std::vector<proxy_connection*> open(state_->connections.begin(), state_->connections.end());
  for (auto* c : open)
    c->refresh();
  try {
    apply_enabled();
  } catch (const spec_error&) {
    // A "down" toxic was removed but the port was taken meanwhile: the proxy stays down.
  }
}

void proxy::update(const proxy_spec& spec) {
  // Everything that can fail first, into locals; the proxy changes only once all succeeded.
  auto upstream =
      spec.upstream != spec_.upstream ? resolve_address(spec.upstream, "upstream") : upstream_;
  const auto old_spec = spec_;
  const auto old_bound = bound_;
  const auto old_upstream = upstream_;
  if (spec.listen != spec_.listen) {
    if (acceptor_) {
      // Bind the new address before letting go of the old one: a failure changes nothing.
      auto old = *acceptor_;
      acceptor_.reset();
      try {
        open_listener(spec.listen);
      } catch (...) {
        acceptor_ = old;
        bound_ = old_bound;
        throw;
      }
      boost::system::error_code ignored;
      old->close(ignored);
      close_connections(false);  // as toxiproxy: a moved proxy drops its connections
    } else {
      resolve_address(spec.listen, "listen");
      bound_ = spec.listen;
    }
  }
  spec_ = spec;
  upstream_ = std::move(upstream);
  try {
    apply_enabled();
  } catch (...) {
    spec_ = old_spec;
    bound_ = old_bound;
    upstream_ = old_upstream;
    throw;
  }
}

void proxy::apply_enabled() {
  bool down = !spec_.enabled;
  for (const auto& t : state_->toxics)
    down = down || t->disables_proxy();
  if (down && acceptor_) {
    boost::system::error_code ignored;
    (*acceptor_)->close(ignored);
    acceptor_.reset();
    close_connections(false);
  } else if (!down && !acceptor_) {
    open_listener(bound_);
  }
}

void proxy::open_listener(const std::string& address) {
  auto endpoints = resolve_address(address, "listen");
  auto a = std::make_shared<tcp::acceptor>(ex_);
  boost::system::error_code ec;
  a->open(endpoints.front().protocol(), ec);
  if (!ec) a->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a->bind(endpoints.front(), ec);
  if (!ec) a->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw spec_error(400, "listen: cannot listen on \"" + address + "\": " + ec.message());
  const auto ep = a->local_endpoint();
  const auto host =
      ep.address().is_v6() ? "[" + ep.address().to_string() + "]" : ep.address().to_string();
  // Port 0 picks a port once; re-enabling listens on the same one.
  bound_ = host + ":" + std::to_string(ep.port());
  acceptor_ = a;
  asio::co_spawn(ex_, accept_loop(a), asio::detached);
}

asio::awaitable<void> proxy::accept_loop(std::shared_ptr<tcp::acceptor> a) {
  auto state = state_;
  for (;;) {
    auto [ec, socket] = co_await a->async_accept(asio::as_tuple(asio::use_awaitable));
    if (!a->is_open()) co_return;
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      // EMFILE, ECONNABORTED: keep serving, after a pause (no busy loop while out of fds).
      asio::steady_timer pause(a->get_executor(), std::chrono::milliseconds(10));
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    auto c = std::make_shared<proxy_connection>(state, std::move(socket), state->next_connection++);
    c->start(upstream_);
  }
}

void proxy::close_connections(bool reset) {
  const std::vector<proxy_connection*> open(state_->connections.begin(), state_->connections.end());
  for (auto* c : open)
    c->close(reset);
}

}  // namespace ordeal::faults
