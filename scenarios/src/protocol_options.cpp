#include "protocol_options.hpp"

namespace ordeal::scenarios::options_reading {

namespace {

constexpr choice<engine::http_version> protocols[] = {{"http/1.1", engine::http_version::http1},
                                                      {"http1", engine::http_version::http1},
                                                      {"h2", engine::http_version::h2}};

constexpr field tls_fields[] = {{"ca", "cacert"},
                                {"insecure"},
                                {"cert"},
                                {"key"},
                                {"resume"},
                                {"server_name", "serverName"},
                                {"handshake_timeout", "handshakeTimeout"}};

constexpr field h2_fields[] = {{"max_streams", "maxStreams"}, {"ping"}};

}  // namespace

engine::http_version read_protocol(lua_State* L, const std::string& path) {
  return read_choice(L, path, "protocol", protocols);
}

engine::tls_options read_tls_options(lua_State* L, const std::string& path,
                                     engine::tls_options out) {
  require_table(L, path);
  table_reader t(L, -1, path, tls_fields);
  const std::string file = "a file name (PEM)";
  if (t.push("ca")) out.ca_file = read_string(L, t.path("ca"), file), lua_pop(L, 1);
  if (t.push("insecure")) out.insecure = read_boolean(L, t.path("insecure")), lua_pop(L, 1);
  if (t.push("cert")) out.cert_file = read_string(L, t.path("cert"), file), lua_pop(L, 1);
  if (t.push("key")) out.key_file = read_string(L, t.path("key"), file), lua_pop(L, 1);
  if (t.push("resume")) out.resume = read_boolean(L, t.path("resume")), lua_pop(L, 1);
  if (t.push("server_name")) {
    out.server_name = read_string(L, t.path("server_name"), "a host name");
    lua_pop(L, 1);
  }
  if (t.push("handshake_timeout")) {
    out.handshake_timeout = read_duration(L, t.path("handshake_timeout"), true);
    lua_pop(L, 1);
  }
  if (out.cert_file.empty() != out.key_file.empty())
    fail(path, "a client certificate needs both cert and key");
  return out;
}

engine::h2_options read_h2_options(lua_State* L, const std::string& path, engine::h2_options out) {
  require_table(L, path);
  table_reader t(L, -1, path, h2_fields);
  if (t.push("max_streams")) {
    out.max_streams = read_count(L, t.path("max_streams"), 1);
    lua_pop(L, 1);
  }
  if (t.push("ping")) out.ping_interval = read_duration(L, t.path("ping"), false), lua_pop(L, 1);
  return out;
}

}  // namespace ordeal::scenarios::options_reading
