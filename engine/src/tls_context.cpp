#include "tls_context.hpp"

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/ip/address.hpp>
#include <boost/system/system_error.hpp>
#include <cerrno>

#include "ordeal/engine/config_error.hpp"

namespace ordeal::engine {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;

namespace {

std::string wire_format(const std::vector<std::string_view>& names) {
  std::string wire;
  for (const auto name : names) {
    wire += static_cast<char>(name.size());
    wire += name;
  }
  return wire;
}

// Runs one ssl::context call, turning its exception into a config_error that names the file.
template <typename F>
void load(const char* what, const std::string& file, F&& f) {
  try {
    f();
  } catch (const boost::system::system_error& e) {
    const unsigned long code = ERR_get_error();
    const char* reason = code != 0 ? ERR_reason_error_string(code) : nullptr;
    ERR_clear_error();
    throw config_error(std::string("cannot load ") + what + " \"" + file +
                       "\": " + (reason != nullptr ? reason : e.code().message()));
  }
}

// Our slot in the SSL_CTX for the context that owns it (Asio's ssl::context keeps its own
// callbacks in the app data slot, so that one is taken).
int owner_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

bool is_ip_address(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

tls_client_context::tls_client_context(const tls_options& options,
                                       std::vector<std::string_view> alpn)
    : options_(options), context_(ssl::context::tls_client), alpn_wire_(wire_format(alpn)) {
  SSL_CTX* ctx = context_.native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // Partial writes and a buffer that may move between retries: the connections write from
  // their own buffers as the socket drains, like they do over plain TCP. A peer that closes
  // without close_notify ends the stream like a TCP FIN does (bodies delimited by close).
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  // Read ahead: one read() takes every record the socket holds (a server writes a record per
  // response), instead of one read for each record's header and one for its body.
  SSL_CTX_set_read_ahead(ctx, 1);
  // The cheapest strong ciphers first (a load generator pays per byte; servers mostly follow
  // the client's order): AES-128-GCM, then AES-256-GCM and ChaCha20.
  SSL_CTX_set_cipher_list(ctx, "ECDHE+AES128GCM:ECDHE+AESGCM:ECDHE+CHACHA20:HIGH:!aNULL:!MD5");
  SSL_CTX_set_ciphersuites(ctx,
                           "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:"
                           "TLS_CHACHA20_POLY1305_SHA256");
  if (options_.insecure) {
    context_.set_verify_mode(ssl::verify_none);
  } else {
    context_.set_verify_mode(ssl::verify_peer);
    if (!options_.ca_file.empty())
      load("CA file", options_.ca_file, [&] { context_.load_verify_file(options_.ca_file); });
    else
      load("the system trust store", "default paths", [&] { context_.set_default_verify_paths(); });
  }
  if (!options_.cert_file.empty()) {
    load("client certificate", options_.cert_file,
         [&] { context_.use_certificate_chain_file(options_.cert_file); });
    load("client key", options_.key_file,
         [&] { context_.use_private_key_file(options_.key_file, ssl::context::pem); });
    if (SSL_CTX_check_private_key(ctx) != 1) {
      ERR_clear_error();
      throw config_error("client key \"" + options_.key_file + "\" does not match certificate \"" +
                         options_.cert_file + "\"");
    }
  }
  if (options_.resume) {
    // Keep the newest session ourselves (TLS 1.3 tickets arrive after the handshake).
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_set_ex_data(ctx, owner_index(), this);
    SSL_CTX_sess_set_new_cb(ctx, &tls_client_context::on_new_session);
  } else {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  }
}

tls_client_context::~tls_client_context() {
  if (session_ != nullptr) SSL_SESSION_free(session_);
}

void tls_client_context::set_alpn(std::vector<std::string_view> alpn) {
  alpn_wire_ = wire_format(alpn);
}

int tls_client_context::on_new_session(SSL* ssl, SSL_SESSION* session) {
  auto* self =
      static_cast<tls_client_context*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), owner_index()));
  if (self == nullptr) return 0;
  if (self->session_ != nullptr) SSL_SESSION_free(self->session_);
  self->session_ = session;
  return 1;  // we keep the reference
}

SSL* tls_client_context::make(int fd, const std::string& host, const char*& why) {
  SSL* ssl = SSL_new(context_.native_handle());
  if (ssl == nullptr) {
    why = "cannot create a TLS session (out of memory)";
    ERR_clear_error();
    return nullptr;
  }
  const std::string& name = options_.server_name.empty() ? host : options_.server_name;
  const bool ip = is_ip_address(name);
  bool ok = SSL_set_fd(ssl, fd) == 1;
  // SNI carries host names only (RFC 6066 §3).
  if (ok && !ip) ok = SSL_set_tlsext_host_name(ssl, name.c_str()) == 1;
  if (ok && !options_.insecure) {
    ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str()) == 1
            : SSL_set1_host(ssl, name.c_str()) == 1;
  }
  if (ok && !alpn_wire_.empty())
    ok = SSL_set_alpn_protos(ssl, reinterpret_cast<const unsigned char*>(alpn_wire_.data()),
                             static_cast<unsigned>(alpn_wire_.size())) == 0;
  if (ok && options_.resume && session_ != nullptr) ok = SSL_set_session(ssl, session_) == 1;
  if (!ok) {
    why = "cannot set up the TLS session (server name, ALPN or session)";
    ERR_clear_error();
    SSL_free(ssl);
    return nullptr;
  }
  SSL_set_connect_state(ssl);
  return ssl;
}

const char* handshake_failure(SSL* ssl, int ssl_error, int saved_errno) noexcept {
  const long verify = SSL_get_verify_result(ssl);
  const unsigned long code = ERR_peek_error();
  const int reason = code != 0 ? ERR_GET_REASON(code) : 0;
  const char* library_reason = code != 0 ? ERR_reason_error_string(code) : nullptr;
  ERR_clear_error();
  if (verify != X509_V_OK && reason == SSL_R_CERTIFICATE_VERIFY_FAILED) {
    switch (verify) {
      case X509_V_ERR_CERT_HAS_EXPIRED:
        return "certificate expired";
      case X509_V_ERR_CERT_NOT_YET_VALID:
        return "certificate not yet valid";
      case X509_V_ERR_HOSTNAME_MISMATCH:
      case X509_V_ERR_IP_ADDRESS_MISMATCH:
        return "hostname mismatch";
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
      case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        return "unknown CA";
      default:
        return X509_verify_cert_error_string(verify);  // static text
    }
  }
  switch (reason) {
    case 0:
      break;
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_PACKET_LENGTH_TOO_LONG:
    case SSL_R_UNKNOWN_PROTOCOL:
      return "not TLS (the server answered with something else)";
    case SSL_R_UNEXPECTED_EOF_WHILE_READING:
      return "connection closed during the handshake";
    default:
      if (library_reason != nullptr) return library_reason;  // static text, e.g. an alert
  }
  if (ssl_error == SSL_ERROR_SYSCALL)
    return saved_errno == 0 || saved_errno == ECONNRESET ? "connection closed during the handshake"
                                                         : "handshake failed (socket error)";
  if (ssl_error == SSL_ERROR_ZERO_RETURN) return "connection closed during the handshake";
  return "handshake failed";
}

}  // namespace ordeal::engine
