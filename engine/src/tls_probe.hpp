#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "ordeal/engine/config.hpp"

namespace ordeal::engine {

// One TLS handshake with the target before the load: what ALPN picks decides the protocol of
// every connection, and a certificate that does not verify stops the run with its reason
// instead of a flood of identical errors.
struct tls_probe_result {
  std::string error;  // empty when the handshake succeeded
  std::string alpn;   // the protocol the server selected ("" when none)
};

// Blocking, bounded by the connect and handshake timeouts.
tls_probe_result probe_tls(const config& c, const boost::asio::ip::tcp::endpoint& endpoint,
                           std::vector<std::string_view> alpn);

}  // namespace ordeal::engine
