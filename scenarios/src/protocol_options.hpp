#pragma once

#include <string>

#include "options_reading.hpp"
#include "ordeal/engine/config.hpp"

namespace ordeal::scenarios::options_reading {

// options.protocol or a request's protocol: "http/1.1" (alias "http1") or "h2" (h2 over TLS for
// https URLs, h2c with prior knowledge for http ones).
engine::http_version read_protocol(lua_State* L, const std::string& path);

// options.tls = { ca, insecure, cert, key, resume, server_name, handshake_timeout }, over
// `defaults`.
engine::tls_options read_tls_options(lua_State* L, const std::string& path,
                                     engine::tls_options defaults);

// options.h2 = { max_streams, ping }, over `defaults`.
engine::h2_options read_h2_options(lua_State* L, const std::string& path,
                                   engine::h2_options defaults);

}  // namespace ordeal::scenarios::options_reading
