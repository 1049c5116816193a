#include "ordeal/targets/serve.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "connection.hpp"
#include "ordeal/engine/duration.hpp"
#include "worker.hpp"

namespace ordeal::targets {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using detail::worker;

void validate(const serve_options& o) {
  using engine::format_duration;
  if (o.threads == 0) throw std::invalid_argument("threads must be at least 1");
  if (o.stall_every.count() < 0 || o.stall_for.count() < 0) {
    throw std::invalid_argument("stall-every and stall-for must not be negative");
  }
  if ((o.stall_every.count() == 0) != (o.stall_for.count() == 0)) {
    throw std::invalid_argument("stall-every and stall-for go together: set both or neither");
  }
  if (o.stall_for >= o.stall_every && o.stall_every.count() > 0) {
    throw std::invalid_argument("stall-for (" + format_duration(o.stall_for) +
                                ") must be shorter than stall-every (" +
                                format_duration(o.stall_every) + ")");
  }
  if (o.idle_timeout.count() <= 0) throw std::invalid_argument("idle timeout must be positive");
  if (o.max_header_bytes == 0) throw std::invalid_argument("max header bytes must be positive");
}

std::string describe(const serve_options& o) {
  const bool ipv6 = o.address.find(':') != std::string::npos;
  return (ipv6 ? "[" + o.address + "]" : o.address) + ":" + std::to_string(o.port);
}

// Distinct, well-mixed seeds per thread from one user seed (splitmix64's finaliser).
std::uint64_t thread_seed(std::uint64_t seed, unsigned index) {
  std::uint64_t z = seed + 0x9e3779b97f4a7c15ull * (index + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// One acceptor, connections dealt round-robin to the workers: simpler than SO_REUSEPORT
// and, unlike it, a second server on the same port fails to bind instead of silently
// sharing its traffic. Accepting is rare next to requests (keep-alive), so one thread does.
net::awaitable<void> accept_loop(tcp::acceptor& acceptor,
                                 std::vector<std::unique_ptr<worker>>& workers) {
  constexpr auto nothrow = net::as_tuple(net::use_awaitable);
  net::steady_timer backoff(acceptor.get_executor());
  std::size_t next = 0;
  for (;;) {
    worker& w = *workers[next];
    auto [ec, socket] =
        co_await acceptor.async_accept(net::any_io_executor(w.ioc_->get_executor()), nothrow);
    if (ec == net::error::operation_aborted) co_return;
    if (ec) {
      // Out of descriptors or buffers: let connections close rather than spin on accept.
      backoff.expires_after(std::chrono::milliseconds{50});
      co_await backoff.async_wait(nothrow);
      continue;
    }
    next = (next + 1) % workers.size();
    net::co_spawn(w.ioc_->get_executor(), detail::serve_connection(std::move(socket), w),
                  net::detached);
  }
}

}  // namespace

struct server::impl {
  detail::serve_settings settings_;
  std::vector<std::unique_ptr<worker>> workers_;
  std::optional<tcp::acceptor> acceptor_;  // on workers_[0]'s loop
  std::uint16_t port_ = 0;
  std::vector<std::thread> threads_;
  bool started_ = false;
  bool stopped_ = false;
};

server::server(serve_options o) : impl_(std::make_unique<impl>()) {
  validate(o);
  auto& s = *impl_;
  s.settings_.idle_timeout = o.idle_timeout;
  s.settings_.max_header_bytes = o.max_header_bytes;
  s.settings_.stalls = {o.stall_every, o.stall_for};
  for (unsigned i = 0; i < o.threads; ++i) {
    s.workers_.push_back(std::make_unique<worker>(s.settings_, thread_seed(o.seed, i)));
  }

  auto& ioc = *s.workers_[0]->ioc_;
  const auto fail = [&](const boost::system::error_code& ec) {
    throw std::system_error(ec, "cannot listen on " + describe(o));
  };
  boost::system::error_code ec;
  tcp::resolver resolver(ioc);
  const auto endpoints =
      resolver.resolve(o.address, std::to_string(o.port),
                       tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec) fail(ec);
  const tcp::endpoint endpoint = endpoints.begin()->endpoint();

  auto& acceptor = s.acceptor_.emplace(ioc);
  acceptor.open(endpoint.protocol(), ec);
  if (ec) fail(ec);
  // A restarted server must not wait out TIME_WAIT from its previous run.
  acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (ec) fail(ec);
  acceptor.bind(endpoint, ec);
  if (ec) fail(ec);
  acceptor.listen(tcp::acceptor::max_listen_connections, ec);
  if (ec) fail(ec);
  s.port_ = acceptor.local_endpoint().port();
}

server::~server() {
  stop();
}

std::uint16_t server::port() const noexcept {
  return impl_->port_;
}

void server::start() {
  auto& s = *impl_;
  if (s.started_ || s.stopped_) return;
  s.started_ = true;
  s.settings_.epoch = std::chrono::steady_clock::now();  // before the threads: they read it
  net::co_spawn(*s.workers_[0]->ioc_, accept_loop(*s.acceptor_, s.workers_), net::detached);
  for (auto& w : s.workers_) {
    s.threads_.emplace_back([&ioc = *w->ioc_] { ioc.run(); });
  }
}

void server::stop() {
  auto& s = *impl_;
  if (s.stopped_) return;
  s.stopped_ = true;
  for (auto& w : s.workers_)
    w->ioc_->stop();
  for (auto& t : s.threads_)
    t.join();
  // Everything is single-threaded from here. Destroying a loop destroys the coroutines
  // waiting on it, and with them their sockets: that closes every connection. The
  // acceptor's loop goes first because its pending accept holds a socket of another loop.
  s.acceptor_.reset();
  for (auto& w : s.workers_) {
    w->guard_.reset();
    w->ioc_.reset();
  }
}

std::uint64_t server::requests_served() const noexcept {
  std::uint64_t total = 0;
  for (const auto& w : impl_->workers_)
    total += w->served_.load(std::memory_order_relaxed);
  return total;
}

}  // namespace ordeal::targets
