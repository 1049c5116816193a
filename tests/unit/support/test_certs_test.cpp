// The throwaway PKI of the TLS tests: verification must pass and fail exactly where it should,
// or the TLS tests built on it prove nothing.
#include "test_certs.hpp"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

using ordeal::test::make_test_pki;

namespace {

struct x509_deleter {
  void operator()(X509* c) const noexcept { X509_free(c); }
};
using cert_ptr = std::unique_ptr<X509, x509_deleter>;

cert_ptr parse(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  cert_ptr c(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  REQUIRE(c != nullptr);
  return c;
}

// The X509 verification error for `leaf` against `ca` as the only trust anchor (X509_V_OK when
// it verifies), for `purpose` (X509_PURPOSE_SSL_SERVER / _CLIENT).
int verify(const std::string& ca_pem, const std::string& leaf_pem, int purpose) {
  const cert_ptr ca = parse(ca_pem);
  const cert_ptr leaf = parse(leaf_pem);
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca.get());
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, leaf.get(), nullptr);
  X509_STORE_CTX_set_purpose(ctx, purpose);
  const int ok = X509_verify_cert(ctx);
  const int error = ok == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  return error;
}

}  // namespace

TEST_CASE("test PKI: the server certificate verifies for 127.0.0.1 and localhost",
          "[support][tls]") {
  const auto pki = make_test_pki();
  CHECK(verify(pki.ca.cert, pki.server.cert, X509_PURPOSE_SSL_SERVER) == X509_V_OK);
  const cert_ptr server = parse(pki.server.cert);
  CHECK(X509_check_ip_asc(server.get(), "127.0.0.1", 0) == 1);
  CHECK(X509_check_host(server.get(), "localhost", 0, 0, nullptr) == 1);
  CHECK(X509_check_host(server.get(), "example.com", 0, 0, nullptr) == 0);
}

TEST_CASE("test PKI: the expired and wrong-host certificates fail as they should",
          "[support][tls]") {
  const auto pki = make_test_pki();
  CHECK(verify(pki.ca.cert, pki.expired.cert, X509_PURPOSE_SSL_SERVER) ==
        X509_V_ERR_CERT_HAS_EXPIRED);
  // The wrong-host certificate is valid: only the name check fails.
  CHECK(verify(pki.ca.cert, pki.wrong_host.cert, X509_PURPOSE_SSL_SERVER) == X509_V_OK);
  const cert_ptr wrong = parse(pki.wrong_host.cert);
  CHECK(X509_check_host(wrong.get(), "localhost", 0, 0, nullptr) == 0);
  CHECK(X509_check_ip_asc(wrong.get(), "127.0.0.1", 0) == 0);
  // Another PKI's CA does not vouch for this one's certificates.
  const auto other = make_test_pki();
  CHECK(verify(other.ca.cert, pki.server.cert, X509_PURPOSE_SSL_SERVER) != X509_V_OK);
}

TEST_CASE("test PKI: the client certificate is for clients only", "[support][tls]") {
  const auto pki = make_test_pki();
  CHECK(verify(pki.ca.cert, pki.client.cert, X509_PURPOSE_SSL_CLIENT) == X509_V_OK);
  CHECK(verify(pki.ca.cert, pki.client.cert, X509_PURPOSE_SSL_SERVER) != X509_V_OK);
}

TEST_CASE("test PKI: write_to leaves every certificate and key as PEM files", "[support][tls]") {
  const auto pki = make_test_pki();
  const auto dir = std::filesystem::temp_directory_path() / "ordeal-test-pki";
  pki.write_to(dir);
  for (const char* name : {"ca", "server", "expired", "wrong-host", "client"}) {
    INFO(name);
    std::ifstream cert(dir / (std::string(name) + ".pem"));
    std::ifstream key(dir / (std::string(name) + ".key"));
    std::stringstream c, k;
    c << cert.rdbuf();
    k << key.rdbuf();
    CHECK(c.str().rfind("-----BEGIN CERTIFICATE-----", 0) == 0);
    CHECK(k.str().rfind("-----BEGIN PRIVATE KEY-----", 0) == 0);
  }
  std::filesystem::remove_all(dir);
}
