#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <map>
#include <memory>
#include <string>

#include "link.hpp"

namespace ordeal::faults {

struct proxy_state;

// One client connection and its connection to the upstream, relayed in both directions.
// Owned by its coroutines (each holds a shared_ptr); the proxy only keeps a pointer, in
// proxy_state, to reach it when toxics change or the proxy goes down.
class proxy_connection : public std::enable_shared_from_this<proxy_connection> {
 public:
  proxy_connection(std::shared_ptr<proxy_state> state, boost::asio::ip::tcp::socket client,
                   std::uint64_t id);
  ~proxy_connection();

  // Connects upstream, then relays until both directions are done or the connection closes.
  void start(const std::vector<boost::asio::ip::tcp::endpoint>& upstream);
  void refresh();          // the proxy's toxics changed
  void close(bool reset);  // RST (reset) or FIN to both sides, now

  std::uint64_t id() const noexcept { return id_; }
  const std::string& client() const noexcept { return client_address_; }
  proxy_state& state() noexcept { return *state_; }
  link& direction(stream_direction d) noexcept {
    return d == stream_direction::upstream ? upstream_ : downstream_;
  }
  std::shared_ptr<void>& shared_state(const toxic* key) { return shared_[key]; }
  bool closed() const noexcept { return closed_; }
  // A direction finished (its sink is shut down or broke); the second one closes both.
  void direction_done();

 private:
  boost::asio::awaitable<void> client_gone();
  boost::asio::awaitable<void> connect_and_relay(
      std::vector<boost::asio::ip::tcp::endpoint> upstream);

  std::shared_ptr<proxy_state> state_;
  boost::asio::ip::tcp::socket client_;
  boost::asio::ip::tcp::socket server_;
  std::uint64_t id_;
  std::string client_address_;
  link upstream_;    // client -> server
  link downstream_;  // server -> client
  std::map<const toxic*, std::shared_ptr<void>> shared_;
  int done_directions_ = 0;
  bool closed_ = false;
};

}  // namespace ordeal::faults
