#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http_framing.hpp"
#include "toxic.hpp"

namespace ordeal::faults::http {

// Which requests an HTTP fault acts on: `match = {method, path, header = {Name = "glob"}}`.
// What is left out matches every request; what is given must all hold. Globs know one
// wildcard, '*' (any run of bytes).
struct request_match {
  std::string method;  // glob on the method, case-sensitive ("POST"); empty: any
  // Glob on the request target's path ("/pay/*"); with a '?' in it, on path and query
  // ("/search?q=*"). An absolute-form target ("http://host/pay") is matched by its path.
  std::string path;
  // Header name (any case) and a glob its value must match ("*": the header is present).
  // A header sent more than once matches when any of its lines does.
  std::vector<std::pair<std::string, std::string>> headers;

  bool matches(const message_framer& request) const;
};

// The part of a request target that `path` globs are matched against (see request_match).
std::string_view match_subject(std::string_view target, bool with_query) noexcept;

// Reads attribute `name` (a table, or absent) into a request_match; a bad field fails as
// "<where>.<name>.<field>: ...", e.g. "attributes.match.path: ...".
request_match read_match(attribute_reader& attrs, std::string_view name);

}  // namespace ordeal::faults::http
