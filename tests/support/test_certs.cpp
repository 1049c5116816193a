#include "test_certs.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <memory>
#include <stdexcept>

namespace ordeal::test {

namespace {

struct free_key {
  void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};
struct free_cert {
  void operator()(X509* c) const noexcept { X509_free(c); }
};
struct free_bio {
  void operator()(BIO* b) const noexcept { BIO_free(b); }
};
using key_ptr = std::unique_ptr<EVP_PKEY, free_key>;
using cert_ptr = std::unique_ptr<X509, free_cert>;
using bio_ptr = std::unique_ptr<BIO, free_bio>;

void check(bool ok, const char* step) {
  if (!ok) throw std::runtime_error(std::string("test PKI: ") + step + " failed");
}

key_ptr new_key() {
  key_ptr k(EVP_EC_gen("P-256"));
  check(k != nullptr, "EVP_EC_gen");
  return k;
}

struct cert_spec {
  std::string common_name;
  std::string san;  // "IP:127.0.0.1,DNS:localhost"; empty for the CA
  bool ca = false;
  bool client = false;
  long not_before_s = -3600;  // relative to now
  long not_after_s = 86400;
};

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  check(ext != nullptr, "X509V3_EXT_conf_nid");
  const bool added = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  check(added, "X509_add_ext");
}

// A certificate for `key`, signed by `issuer_key` (self-signed when issuer is null).
cert_ptr make_cert(const cert_spec& spec, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key) {
  static long serial = 1;
  cert_ptr cert(X509_new());
  check(cert != nullptr, "X509_new");
  X509* c = cert.get();
  check(X509_set_version(c, 2) == 1, "X509_set_version");
  check(ASN1_INTEGER_set(X509_get_serialNumber(c), serial++) == 1, "serial");
  check(X509_gmtime_adj(X509_getm_notBefore(c), spec.not_before_s) != nullptr, "notBefore");
  check(X509_gmtime_adj(X509_getm_notAfter(c), spec.not_after_s) != nullptr, "notAfter");
  check(X509_set_pubkey(c, key) == 1, "X509_set_pubkey");
  X509_NAME* name = X509_get_subject_name(c);
  check(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>("ordeal tests"), -1, -1,
                                   0) == 1,
        "subject O");
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>(spec.common_name.c_str()),
                                   -1, -1, 0) == 1,
        "subject CN");
  X509* signer = issuer != nullptr ? issuer : c;
  check(X509_set_issuer_name(c, X509_get_subject_name(signer)) == 1, "issuer");
  if (spec.ca) {
    add_extension(c, signer, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(c, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_extension(c, signer, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(c, signer, NID_key_usage, "critical,digitalSignature,keyEncipherment");
    add_extension(c, signer, NID_ext_key_usage, spec.client ? "clientAuth" : "serverAuth");
  }
  if (!spec.san.empty()) add_extension(c, signer, NID_subject_alt_name, spec.san);
  add_extension(c, signer, NID_subject_key_identifier, "hash");
  check(X509_sign(c, issuer_key != nullptr ? issuer_key : key, EVP_sha256()) > 0, "X509_sign");
  return cert;
}

std::string to_pem(X509* cert) {
  bio_ptr bio(BIO_new(BIO_s_mem()));
  check(bio && PEM_write_bio_X509(bio.get(), cert) == 1, "PEM_write_bio_X509");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string to_pem(EVP_PKEY* key) {
  bio_ptr bio(BIO_new(BIO_s_mem()));
  check(bio && PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "PEM_write_bio_PrivateKey");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("test PKI: cannot write " + path.string());
}

}  // namespace

test_pki make_test_pki() {
  test_pki pki;
  const key_ptr ca_key = new_key();
  const cert_ptr ca =
      make_cert({.common_name = "ordeal test CA", .ca = true, .not_after_s = 7 * 86400},
                ca_key.get(), nullptr, nullptr);
  pki.ca = {to_pem(ca.get()), to_pem(ca_key.get())};
  const auto issue = [&](const cert_spec& spec) {
    const key_ptr key = new_key();
    const cert_ptr cert = make_cert(spec, key.get(), ca.get(), ca_key.get());
    return pem_pair{to_pem(cert.get()), to_pem(key.get())};
  };
  const std::string local = "IP:127.0.0.1,DNS:localhost";
  pki.server = issue({.common_name = "localhost", .san = local});
  pki.expired = issue({.common_name = "localhost",
                       .san = local,
                       .not_before_s = -3 * 86400,
                       .not_after_s = -86400});
  pki.wrong_host = issue({.common_name = "wrong.example", .san = "DNS:wrong.example"});
  pki.client = issue({.common_name = "ordeal test client", .client = true});
  return pki;
}

void test_pki::write_to(const std::filesystem::path& dir) const {
  std::filesystem::create_directories(dir);
  const std::pair<const char*, const pem_pair*> files[] = {{"ca", &ca},
                                                           {"server", &server},
                                                           {"expired", &expired},
                                                           {"wrong-host", &wrong_host},
                                                           {"client", &client}};
  for (const auto& [name, pair] : files) {
    write_file(dir / (std::string(name) + ".pem"), pair->cert);
    write_file(dir / (std::string(name) + ".key"), pair->key);
  }
}

}  // namespace ordeal::test
