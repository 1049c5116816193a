#include "request_render.hpp"

#include <algorithm>
#include <cctype>

namespace ordeal::engine {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

bool has_header(const config& c, std::string_view name) {
  return std::any_of(c.headers.begin(), c.headers.end(),
                     [&](const auto& h) { return iequals(h.first, name); });
}

}  // namespace

std::string render_request(const config& c, unsigned copies) {
  std::string one;
  one += c.method + ' ' + c.target.target + " HTTP/1.1\r\n";
  if (!has_header(c, "host")) one += "Host: " + c.target.authority + "\r\n";
  if (!has_header(c, "user-agent")) one += "User-Agent: ordeal/" ORDEAL_VERSION "\r\n";
  for (const auto& [name, value] : c.headers)
    one += name + ": " + value + "\r\n";
  // POST/PUT/PATCH without a body still say so: some servers answer 411 otherwise.
  const bool needs_length =
      !c.body.empty() || c.method == "POST" || c.method == "PUT" || c.method == "PATCH";
  if (needs_length && !has_header(c, "content-length"))
    one += "Content-Length: " + std::to_string(c.body.size()) + "\r\n";
  one += "\r\n";
  one += c.body;
  std::string all;
  all.reserve(one.size() * copies);
  for (unsigned i = 0; i < copies; ++i)
    all += one;
  return all;
}

h2_request_headers make_h2_request(const config& c) {
  std::string_view authority = c.target.authority;
  for (const auto& [name, value] : c.headers)
    if (iequals(name, "host")) authority = value;
  h2_request_headers h(c.method, c.target.scheme, authority, c.target.target);
  if (!has_header(c, "user-agent")) h.add("user-agent", "ordeal/" ORDEAL_VERSION);
  for (const auto& [name, value] : c.headers)
    if (!iequals(name, "host")) h.add(name, value);
  const bool needs_length =
      !c.body.empty() || c.method == "POST" || c.method == "PUT" || c.method == "PATCH";
  if (needs_length && !has_header(c, "content-length"))
    h.add("content-length", std::to_string(c.body.size()));
  return h;
}

}  // namespace ordeal::engine
