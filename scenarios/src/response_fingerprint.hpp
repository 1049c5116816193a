#pragma once

// The fingerprint of a response for the idempotency verdict: every completed attempt of one
// idempotency key should say the same thing, less what is allowed to differ between two
// answers (dates, request ids, fields such as "$.created_at").

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "ordeal/engine/http_client.hpp"
#include "ordeal/scenarios/drill.hpp"

namespace ordeal::scenarios {

// A JSON path as options.idempotency.ignore_json takes it, a subset of JSONPath:
//   $            the whole body          .name  ['name']  ["name"]   a member
//   [3]          an element              .*  [*]                     every member or element
//   ..name       the member `name` at any depth below
struct json_path {
  struct step {
    enum class kind : std::uint8_t { member, index, any, descend };
    kind what = kind::member;
    std::string name;       // member, descend
    std::size_t index = 0;  // index
  };
  std::vector<step> steps;  // empty: the whole body
};

// Why a path cannot be read; the message says where ("at character 9: ...").
class json_path_error : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

json_path parse_json_path(std::string_view text);

// Header names left out of every fingerprint (lower case): they differ between two answers of
// a correct server (Date, Server, Content-Length, request ids, replay markers, ...).
const std::vector<std::string_view>& default_volatile_headers();

// Whether `name` is a header name (an RFC 9110 token), or "*" (every header).
bool is_header_name(std::string_view name);

class response_fingerprint {
 public:
  // Throws json_path_error for a path parse_json_path refuses (options are checked before).
  explicit response_fingerprint(const idempotency_options& options);

  // A digest of the status, the headers that are not volatile (names lower-cased, sorted) and
  // the body: a JSON body (by Content-Type, or by its first character) parsed, the ignored
  // paths removed and written with sorted keys; any other body as its bytes. Never 0.
  std::uint64_t digest(int status, const engine::header_list& headers, std::string_view body) const;

  // The canonical text the digest is taken of (for tests and debugging).
  std::string canonical(int status, const engine::header_list& headers,
                        std::string_view body) const;

 private:
  bool ignored_header(std::string_view lower_name) const;

  std::vector<std::string> ignore_headers_;  // lower case
  bool ignore_all_headers_ = false;
  std::vector<json_path> ignore_json_;
};

// The body's first `max` bytes as valid UTF-8 (invalid bytes become '?', a character cut in
// two is left out), with "..." when the body is longer: evidence that a report can print.
std::string body_excerpt(std::string_view body, std::size_t max = 200);

}  // namespace ordeal::scenarios
