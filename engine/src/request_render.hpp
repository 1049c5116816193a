#pragma once

#include <string>

#include "h2_session.hpp"
#include "ordeal/engine/config.hpp"

namespace ordeal::engine {

// The request bytes, rendered once per worker and shared by all its connections: `copies`
// back-to-back copies so a pipelined batch is one write of a prefix of the buffer.
std::string render_request(const config& c, unsigned copies = 1);

// The same request for HTTP/2: pseudo-headers from the target (a Host header given with -H
// becomes :authority), the other headers lowercased, content-length for a body.
h2_request_headers make_h2_request(const config& c);

}  // namespace ordeal::engine
