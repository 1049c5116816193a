#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ordeal/engine/http_client.hpp"

namespace ordeal::scenarios {

// One request as a wrk script wrote it on the wire.
struct raw_request {
  std::string method;
  std::string target;  // as in the request line: origin form ("/a?b") or absolute form
  engine::header_list headers;
  std::string body;  // Content-Length bytes
};

// wrk scripts hand over raw request bytes (request(), wrk.format()); the engine's client
// takes requests as fields. Parses `raw` into one or more requests: several concatenated
// requests are a pipelined batch. Accepts CRLF or bare LF line ends, as wrk's parser does.
// Returns an empty string on success, else why the bytes are not a request ("line 3: ...").
// `out` is cleared first.
std::string parse_raw_requests(std::string_view raw, std::vector<raw_request>& out);

}  // namespace ordeal::scenarios
