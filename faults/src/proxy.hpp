#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "event_log.hpp"
#include "toxic.hpp"

namespace ordeal::faults {

class proxy_connection;

// What a proxy's connections share with it and may outlive it by a moment (a connection's
// coroutines finish after the proxy that closed them is gone).
struct proxy_state {
  std::string name;
  std::uint64_t seed = 0;
  event_log* events = nullptr;
  std::vector<std::shared_ptr<const toxic>> toxics;  // in the order they were added
  std::uint64_t version = 0;                         // bumped on every change of `toxics`
  std::set<proxy_connection*> connections;
  std::uint64_t next_connection = 1;
};

// A listener relaying every connection to its upstream through the toxics. Disabled (by its
// `enabled` flag or a "down" toxic), it closes its listener (clients see connection refused)
// and every connection it has.
class proxy {
 public:
  proxy(boost::asio::any_io_executor ex, proxy_spec spec, std::uint64_t seed, event_log& events);
  ~proxy();  // closes the listener and every connection

  const proxy_spec& spec() const noexcept { return spec_; }
  const std::string& listen_address() const noexcept { return bound_; }  // "ip:port"
  const std::vector<std::shared_ptr<const toxic>>& toxics() const noexcept {
    return state_->toxics;
  }
  std::shared_ptr<const toxic> find_toxic(std::string_view name) const;

  // Changes take effect on open connections too. set_toxics replaces the whole list.
  void set_toxics(std::vector<std::shared_ptr<const toxic>> toxics);
  // Applies a new spec: rebinds when listen changes (throws spec_error 400 when it cannot),
  // re-resolves upstream, opens or closes the listener for `enabled`.
  void update(const proxy_spec& spec);
  bool serving() const noexcept { return acceptor_.has_value(); }

 private:
  void apply_enabled();
  void open_listener(const std::string& address);  // throws spec_error 400
  void close_connections(bool reset);
  boost::asio::awaitable<void> accept_loop(std::shared_ptr<boost::asio::ip::tcp::acceptor> a);

  boost::asio::any_io_executor ex_;
  proxy_spec spec_;
  std::shared_ptr<proxy_state> state_;
  std::vector<boost::asio::ip::tcp::endpoint> upstream_;
  std::optional<std::shared_ptr<boost::asio::ip::tcp::acceptor>> acceptor_;
  std::string bound_;
};

// "host:port" to endpoints (resolved now, blocking: at configuration time only). Throws
// spec_error 400 "<what>: ..." naming the address.
std::vector<boost::asio::ip::tcp::endpoint> resolve_address(const std::string& address,
                                                            std::string_view what);

}  // namespace ordeal::faults
