#include "ordeal/engine/url.hpp"

#include <cctype>
#include <charconv>

#include "ordeal/engine/config_error.hpp"

namespace ordeal::engine {
namespace {

[[noreturn]] void bad(std::string_view text, std::string_view why) {
  throw config_error("invalid URL \"" + std::string(text) + "\": " + std::string(why));
}

}  // namespace

url parse_url(std::string_view text) {
  url u;
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) bad(text, "expected http[s]://host[:port]/path");
  u.scheme = std::string(text.substr(0, scheme_end));
  for (auto& ch : u.scheme)
    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (u.scheme != "http" && u.scheme != "https")
    bad(text, "unsupported scheme \"" + u.scheme + "\" (use http:// or https://)");

  std::string_view rest = text.substr(scheme_end + 3);
  const auto path_start = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path_start);
  std::string_view target = path_start == std::string_view::npos ? "" : rest.substr(path_start);
  if (const auto hash = target.find('#'); hash != std::string_view::npos)
    target = target.substr(0, hash);
  if (authority.empty()) bad(text, "missing host");
  if (authority.find('@') != std::string_view::npos) bad(text, "user information is not supported");
  for (const char ch : std::string_view(text))
    if (static_cast<unsigned char>(ch) <= 0x20 || ch == 0x7f)
      bad(text, "contains spaces or control characters");

  std::string_view host = authority;
  std::string_view port;
  bool has_port = false;
  if (authority.front() == '[') {  // IPv6 literal
    const auto close = authority.find(']');
    if (close == std::string_view::npos) bad(text, "unterminated IPv6 address");
    host = authority.substr(1, close - 1);
    const auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') bad(text, "unexpected characters after the IPv6 address");
      port = after.substr(1);
      has_port = true;
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    has_port = true;
  }
  if (host.empty()) bad(text, "missing host");
  u.host = std::string(host);
  u.port = u.secure() ? 443 : 80;
  if (has_port) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value == 0 ||
        value > 65535)
      bad(text, "invalid port \"" + std::string(port) + "\" (1-65535)");
    u.port = static_cast<std::uint16_t>(value);
  }
  u.authority = std::string(authority);
  u.target = target.empty() ? "/" : std::string(target);
  if (u.target.front() == '?') u.target.insert(0, "/");
  return u;
}

}  // namespace ordeal::engine
