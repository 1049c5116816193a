#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ordeal::engine {

struct url {
  std::string scheme;  // "http" or "https"
  std::string host;    // without brackets for IPv6
  std::uint16_t port = 0;
  std::string authority;  // for the Host header: host[:port] as given
  std::string target;     // path and query, at least "/"

  bool secure() const noexcept { return scheme == "https"; }
};

// Throws config_error with a clear message for anything that is not an http or https URL.
url parse_url(std::string_view text);

}  // namespace ordeal::engine
