#pragma once

#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

// Requests and responses of the demo services: JSON in, JSON out, errors as
// {"error": "..."} with a status.
namespace ordeal::targets::demo {

namespace http = boost::beast::http;
namespace json = boost::json;
using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

// Thrown by a handler to answer `status` {"error": message}; the server turns it into a
// response (a bad request is an answer, not a crash).
struct http_error : std::runtime_error {
  http_error(unsigned status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  unsigned status_;
};

response json_response(unsigned status, const json::value& body);
response error_response(unsigned status, std::string_view message);
// A stored response body (idempotent replay), marked as replayed.
response replayed_response(unsigned status, std::string body);

// The body as a JSON object; 400 when it is not one.
json::object parse_object(const request& req);
// Required fields; 400 naming the field when it is missing or of the wrong type.
std::int64_t int_field(const json::object& o, std::string_view name);
std::string string_field(const json::object& o, std::string_view name);

// A request header, empty when absent.
std::string header(const request& req, std::string_view name);

// The path without its query, split: "/orders/7/pay" -> {"orders", "7", "pay"}.
std::vector<std::string> path_segments(std::string_view target);
// A query parameter, percent-decoded; nullopt when absent.
std::optional<std::string> query_param(std::string_view target, std::string_view name);
// A positive id from a path segment; 404 when it is not one.
std::int64_t parse_id(std::string_view segment, std::string_view what);

}  // namespace ordeal::targets::demo
