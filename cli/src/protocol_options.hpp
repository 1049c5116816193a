#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "ordeal/engine/config.hpp"
#include "ordeal/scenarios/drill.hpp"

namespace ordeal::cli {

// The TLS and HTTP/2 flags of `ordeal run` (after curl, h2load and wrk), as the user typed them.
struct protocol_args {
  bool http2 = false;  // --http2: HTTP/2 only (h2 by ALPN over https, h2c over http)
  bool h2c = false;    // --h2c: HTTP/2 with prior knowledge over http://
  bool http1 = false;  // --http1.1: HTTP/1.1 only, also over https
  std::optional<unsigned> max_streams;  // -m; default 1 (h2load's), drills: options.h2
  std::uint32_t stream_window_bits = 30;
  std::uint32_t connection_window_bits = 30;
  std::string ping = "0s";
  std::string cacert;
  bool insecure = false;
  std::string client_cert;
  std::string client_key;
  bool tls_resume = false;
  std::string server_name;
  std::string handshake_timeout = "5s";
};

void add_protocol_options(CLI::App& command, protocol_args& args);
// Copies the flags into `c` (whose target is set). Throws config_error on inconsistent ones
// (--h2c with https, --http2 with --http1.1, ...). Warns on stderr when --insecure is on.
void apply_protocol_options(const protocol_args& args, engine::config& c);
// The same flags over a drill's options (only those given on the command line).
void apply_protocol_options(const protocol_args& args, scenarios::drill_options& d);

}  // namespace ordeal::cli
