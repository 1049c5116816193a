#include "json_io.hpp"

#include <charconv>
#include <vector>

namespace ordeal::targets::demo {

response json_response(unsigned status, const json::value& body) {
  response res{static_cast<http::status>(status), 11};
  res.set(http::field::content_type, "application/json");
  res.body() = json::serialize(body);
  return res;
}

response error_response(unsigned status, std::string_view message) {
  return json_response(status, json::object{{"error", message}});
}

response replayed_response(unsigned status, std::string body) {
  response res{static_cast<http::status>(status), 11};
  res.set(http::field::content_type, "application/json");
  res.set("Idempotent-Replayed", "true");
  res.body() = std::move(body);
  return res;
}

json::object parse_object(const request& req) {
  boost::system::error_code ec;
  json::value v = json::parse(req.body(), ec);
  if (ec) throw http_error(400, "malformed JSON body: " + ec.message());
  if (!v.is_object()) throw http_error(400, "the body must be a JSON object");
  return std::move(v.as_object());
}

std::int64_t int_field(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  if (!v) throw http_error(400, "missing field '" + std::string(name) + "'");
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64() && v->as_uint64() <= INT64_MAX)
    return static_cast<std::int64_t>(v->as_uint64());
  throw http_error(400, "field '" + std::string(name) + "' must be an integer");
}

std::string string_field(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  if (!v) throw http_error(400, "missing field '" + std::string(name) + "'");
  if (!v->is_string()) throw http_error(400, "field '" + std::string(name) + "' must be a string");
  return std::string(v->as_string());
}

std::string header(const request& req, std::string_view name) {
  auto it = req.find(name);
  return it == req.end() ? std::string() : std::string(it->value());
}

std::vector<std::string> path_segments(std::string_view target) {
  target = target.substr(0, target.find('?'));
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < target.size()) {
    std::size_t j = target.find('/', i);
    if (j == std::string_view::npos) j = target.size();
    if (j > i) out.emplace_back(target.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 &&
               hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> query_param(std::string_view target, std::string_view name) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (percent_decode(pair.substr(0, eq)) == name) {
      return eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

std::int64_t parse_id(std::string_view segment, std::string_view what) {
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(segment.data(), segment.data() + segment.size(), id);
  if (ec != std::errc() || end != segment.data() + segment.size() || id <= 0) {
    throw http_error(404, std::string(what) + " '" + std::string(segment) + "' not found");
  }
  return id;
}

}  // namespace ordeal::targets::demo
