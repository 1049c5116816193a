#include "protocol_options.hpp"

#include <iostream>

#include "ordeal/engine/config_error.hpp"
#include "ordeal/engine/duration.hpp"

namespace ordeal::cli {

using engine::config_error;

void add_protocol_options(CLI::App& command, protocol_args& a) {
  const char* group = "TLS and HTTP/2";
  command
      .add_flag("--http2", a.http2,
                "HTTP/2 only: h2 by ALPN over https (fails if the server will not), h2c with "
                "prior knowledge over http. Default over https: what ALPN picks")
      ->group(group);
  command.add_flag("--h2c", a.h2c, "HTTP/2 with prior knowledge over http:// (no TLS, no upgrade)")
      ->group(group);
  command.add_flag("--http1.1", a.http1, "HTTP/1.1 only, also over https")->group(group);
  command
      .add_option("-m,--max-streams", a.max_streams,
                  "HTTP/2: concurrent streams per connection (default 1; drills 100), never "
                  "above the server's SETTINGS_MAX_CONCURRENT_STREAMS")
      ->check(CLI::Range(1u, 1'000'000u))
      ->group(group);
  command
      .add_option("--window-bits", a.stream_window_bits,
                  "HTTP/2: stream flow-control window we announce, 2^N-1 bytes (as h2load -w)")
      ->check(CLI::Range(0u, 31u))
      ->capture_default_str()
      ->group(group);
  command
      .add_option("--connection-window-bits", a.connection_window_bits,
                  "HTTP/2: connection flow-control window, 2^N-1 bytes (as h2load -W)")
      ->check(CLI::Range(16u, 31u))
      ->capture_default_str()
      ->group(group);
  command
      .add_option("--h2-ping", a.ping,
                  "HTTP/2: send a PING this often on each connection; one unanswered by the next "
                  "closes the connection (0s: off)")
      ->capture_default_str()
      ->group(group);
  command
      .add_option("--cacert", a.cacert,
                  "PEM file of CA certificates to trust instead of the system store")
      ->group(group);
  command
      .add_flag("-k,--insecure", a.insecure,
                "Do not verify the server's certificate or name (prints a warning)")
      ->group(group);
  command.add_option("--client-cert", a.client_cert, "Client certificate (PEM), for mutual TLS")
      ->group(group);
  command.add_option("--client-key", a.client_key, "Private key (PEM) of --client-cert")
      ->group(group);
  command
      .add_flag("--tls-resume", a.tls_resume,
                "Resume TLS sessions on new connections; the report counts full and resumed "
                "handshakes")
      ->group(group);
  command
      .add_option("--sni", a.server_name,
                  "Server name to send (SNI) and verify, instead of the URL's host")
      ->group(group);
  command.add_option("--handshake-timeout", a.handshake_timeout, "TLS handshake timeout")
      ->capture_default_str()
      ->group(group);
}

namespace {

std::uint32_t window_of(std::uint32_t bits) {
  return static_cast<std::uint32_t>((std::uint64_t{1} << bits) - 1);
}

// Lays the flags the user gave over a protocol, TLS and HTTP/2 settings; the rest stay.
void lay_over(const protocol_args& a, engine::http_version& protocol, engine::tls_options& tls,
              engine::h2_options& h2) {
  if (a.http1 && (a.http2 || a.h2c))
    throw config_error("--http1.1 and --http2/--h2c ask for different protocols: pick one");
  if (a.http2 || a.h2c) protocol = engine::http_version::h2;
  if (a.http1) protocol = engine::http_version::http1;
  if (a.max_streams) h2.max_streams = *a.max_streams;
  if (a.stream_window_bits != 30) h2.stream_window = window_of(a.stream_window_bits);
  if (a.connection_window_bits != 30) h2.connection_window = window_of(a.connection_window_bits);
  if (a.ping != "0s") h2.ping_interval = engine::parse_duration(a.ping);
  if (!a.cacert.empty()) tls.ca_file = a.cacert;
  if (a.insecure) tls.insecure = true;
  if (!a.client_cert.empty()) tls.cert_file = a.client_cert;
  if (!a.client_key.empty()) tls.key_file = a.client_key;
  if (a.tls_resume) tls.resume = true;
  if (!a.server_name.empty()) tls.server_name = a.server_name;
  if (a.handshake_timeout != "5s")
    tls.handshake_timeout = engine::parse_duration(a.handshake_timeout);
  if (tls.cert_file.empty() != tls.key_file.empty())
    throw config_error("a client certificate needs both --client-cert and --client-key");
  if (a.insecure)
    std::cerr << "ordeal: warning: --insecure: certificates and host names are not verified\n";
}

}  // namespace

void apply_protocol_options(const protocol_args& a, engine::config& c) {
  if (a.h2c && c.target.secure())
    throw config_error("--h2c is HTTP/2 over cleartext: use an http:// URL, or --http2 for https");
  lay_over(a, c.protocol, c.tls, c.h2);
  if (c.h2.max_streams > 1 && c.protocol != engine::http_version::h2 && !c.target.secure())
    throw config_error("-m (concurrent streams) is for HTTP/2: add --h2c or --http2");
}

void apply_protocol_options(const protocol_args& a, scenarios::drill_options& d) {
  lay_over(a, d.protocol, d.tls, d.h2);
}

}  // namespace ordeal::cli
