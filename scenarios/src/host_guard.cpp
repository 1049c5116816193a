#include "host_guard.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/ip/address.hpp>
#include <cctype>
#include <charconv>
#include <optional>

#include "ordeal/engine/config_error.hpp"

namespace ordeal::scenarios {

namespace {

namespace ip = boost::asio::ip;

std::optional<ip::address> as_address(std::string_view text) {
  boost::system::error_code ec;
  auto a = ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  // An IPv4-mapped IPv6 address is the IPv4 address it maps.
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    return ip::address(ip::make_address_v4(ip::v4_mapped, a.to_v6()));
  return a;
}

struct cidr {
  ip::address network;
  unsigned prefix = 0;
};

// "10.0.0.0/8" -> the range; nullopt when `text` is not a CIDR range at all; throws on a range
// that is malformed.
std::optional<cidr> as_cidr(std::string_view text, const std::string& path) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const auto address = as_address(text.substr(0, slash));
  if (!address) return std::nullopt;
  const std::string_view bits = text.substr(slash + 1);
  unsigned prefix = 0;
  const auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
  const unsigned width = address->is_v4() ? 32 : 128;
  if (bits.empty() || ec != std::errc() || end != bits.data() + bits.size() || prefix > width)
    throw engine::config_error(path + ": \"" + std::string(text) + "\" has a prefix length of \"" +
                               std::string(bits) + "\" (expected 0 to " + std::to_string(width) +
                               ")");
  return cidr{*address, prefix};
}

std::array<unsigned char, 16> bytes_of(const ip::address& a) {
  std::array<unsigned char, 16> out{};
  if (a.is_v4()) {
    const auto b = a.to_v4().to_bytes();
    std::copy(b.begin(), b.end(), out.begin());
  } else {
    out = a.to_v6().to_bytes();
  }
  return out;
}

bool in_range(const ip::address& a, const cidr& range) {
  if (a.is_v4() != range.network.is_v4()) return false;
  const auto x = bytes_of(a);
  const auto n = bytes_of(range.network);
  for (unsigned bit = 0; bit < range.prefix; ++bit) {
    const unsigned byte = bit / 8;
    const unsigned mask = 0x80u >> (bit % 8);
    if ((x[byte] & mask) != (n[byte] & mask)) return false;
  }
  return true;
}

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool matches(std::string_view host, const std::string& pattern) {
  if (pattern == "*") return true;
  if (const auto range = as_cidr(pattern, "options.allow_hosts")) {
    const auto a = as_address(host);
    return a && in_range(*a, *range);
  }
  if (const auto p = as_address(pattern)) {
    const auto a = as_address(host);
    return a && *a == *p;
  }
  if (pattern.size() > 2 && pattern[0] == '*' && pattern[1] == '.') {
    const std::string_view suffix = std::string_view(pattern).substr(1);  // ".example.com"
    return host.size() > suffix.size() &&
           same_name(host.substr(host.size() - suffix.size()), suffix);
  }
  return same_name(host, pattern);
}

}  // namespace

void check_host_pattern(const std::string& pattern, const std::string& path) {
  if (pattern.empty()) throw engine::config_error(path + ": expected a host pattern, got \"\"");
  if (as_cidr(pattern, path)) return;
  if (pattern.find('/') != std::string::npos)
    throw engine::config_error(path + ": \"" + pattern +
                               "\" is not a CIDR range (expected e.g. 10.0.0.0/8 or fd00::/8)");
  if (pattern.find('*') != std::string::npos && pattern != "*" &&
      (pattern.rfind("*.", 0) != 0 || pattern.size() < 3 ||
       pattern.find('*', 1) != std::string::npos))
    throw engine::config_error(path + ": \"" + pattern +
                               "\": a wildcard may only lead the name, as in *.example.com");
}

bool host_allowed(std::string_view host, const std::vector<std::string>& patterns) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& p) { return matches(host, p); });
}

void require_allowed_host(std::string_view host, const std::vector<std::string>& patterns,
                          const std::string& where) {
  if (host_allowed(host, patterns)) return;
  std::string list;
  for (const auto& p : patterns)
    list += (list.empty() ? "" : ", ") + p;
  throw engine::config_error(
      where + ": host " + std::string(host) + " is outside options.allow_hosts (" +
      (list.empty() ? std::string("none") : list) + "): add it there to aim the drill at it");
}

}  // namespace ordeal::scenarios

#include <boost/json.hpp>

#include "ordeal/engine/url.hpp"
#include "ordeal/scenarios/drill.hpp"

namespace ordeal::scenarios {

namespace {

// "127.0.0.1:8081" / "[::1]:8081" / "db:5432" -> the host.
std::string host_of_address(std::string_view address) {
  if (!address.empty() && address.front() == '[') {
    const auto close = address.find(']');
    return std::string(
        address.substr(1, close == std::string_view::npos ? address.npos : close - 1));
  }
  const auto colon = address.rfind(':');
  return std::string(address.substr(0, colon));
}

}  // namespace

void check_blast_radius(const drill_options& d, const std::string& drill_name) {
  const std::string at = drill_name + ": options.";
  if (d.target)
    require_allowed_host(engine::parse_url(*d.target).host, d.allow_hosts, at + "target");
  if (d.proxies.is_object()) {
    for (const auto& [name, proxy] : d.proxies.get_object()) {
      if (!proxy.is_object()) continue;  // the fault layer says what is wrong with it
      const auto* upstream = proxy.get_object().if_contains("upstream");
      if (upstream == nullptr || !upstream->is_string()) continue;
      require_allowed_host(host_of_address(upstream->get_string()), d.allow_hosts,
                           at + "proxies." + std::string(name) + ".upstream");
    }
  }
  const auto check_actions = [&](const std::vector<action_spec>& actions, const char* field) {
    for (std::size_t i = 0; i < actions.size(); ++i) {
      const auto& a = actions[i];
      if (a.is_exec() || a.url.front() == '/') continue;  // a path goes to the target: checked
      require_allowed_host(engine::parse_url(a.url).host, d.allow_hosts,
                           at + field + "[\"" + a.name + "\"].http.url");
    }
  };
  check_actions(d.actions, "actions");
  check_actions(d.rollbacks, "rollbacks");
}

}  // namespace ordeal::scenarios
