#pragma once

#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "ordeal/engine/config.hpp"

namespace ordeal::engine {

// ALPN protocol names, in the client's order of preference.
inline constexpr std::string_view alpn_h2 = "h2";
inline constexpr std::string_view alpn_http1 = "http/1.1";

// The client side of TLS for one worker (or one script client): an OpenSSL context configured
// through Asio's ssl::context (trust store or --cacert, verification, client certificate, TLS
// 1.2 and 1.3) and the one session it resumes. One per thread: nothing in it is shared or locked.
class tls_client_context {
 public:
  // Throws config_error naming the file and OpenSSL's reason when a CA file, certificate or key
  // cannot be loaded or the key does not match the certificate.
  tls_client_context(const tls_options& options, std::vector<std::string_view> alpn);
  tls_client_context(const tls_client_context&) = delete;
  tls_client_context& operator=(const tls_client_context&) = delete;
  ~tls_client_context();

  // A client SSL for a connected socket: SNI and the verified name (`host`, or the options'
  // server_name), ALPN, and the last session to resume when resumption is on. Owned by the
  // caller (SSL_free). nullptr with the reason in `why` if OpenSSL cannot make one.
  SSL* make(int fd, const std::string& host, const char*& why);
  // A different ALPN offer for the SSLs made from now on (after the protocol is settled).
  void set_alpn(std::vector<std::string_view> alpn);
  bool resume() const noexcept { return options_.resume; }

 private:
  static int on_new_session(SSL* ssl, SSL_SESSION* session);

  tls_options options_;
  boost::asio::ssl::context context_;
  std::string alpn_wire_;           // length-prefixed names, as SSL_set_alpn_protos takes them
  SSL_SESSION* session_ = nullptr;  // the newest session the server gave us (resume)
};

// Why a TLS handshake failed, as a fixed text for the `tls` error class: "certificate
// expired", "unknown CA", "hostname mismatch", "not TLS", ... Call right after the failing
// SSL_do_handshake (it reads and clears OpenSSL's error queue). `ssl_error` is SSL_get_error's.
const char* handshake_failure(SSL* ssl, int ssl_error, int saved_errno) noexcept;

}  // namespace ordeal::engine
