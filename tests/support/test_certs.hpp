#pragma once

#include <filesystem>
#include <string>

namespace ordeal::test {

// A certificate and its private key, PEM-encoded.
struct pem_pair {
  std::string cert;
  std::string key;
};

// A throwaway PKI for TLS tests, made in memory with OpenSSL (P-256 keys, SHA-256): a CA and
// the certificates it signs, so tests see verification pass and fail where it must without
// shipping key material or calling the openssl tool.
struct test_pki {
  pem_pair ca;          // CA:TRUE, the trust anchor tests hand to the client
  pem_pair server;      // 127.0.0.1 and localhost (IP and DNS SANs), valid now, serverAuth
  pem_pair expired;     // the same names, expired a day ago
  pem_pair wrong_host;  // valid now, but only for wrong.example
  pem_pair client;      // clientAuth, for mutual TLS

  // Writes ca.pem, ca.key, server.pem, server.key, expired.pem, expired.key, wrong-host.pem,
  // wrong-host.key, client.pem and client.key into `dir` (created if needed).
  void write_to(const std::filesystem::path& dir) const;
};

// Throws std::runtime_error naming the OpenSSL step that failed.
test_pki make_test_pki();

}  // namespace ordeal::test
