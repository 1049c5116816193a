#pragma once

#include <string>

#include "ordeal/engine/config.hpp"

namespace ordeal::engine {

// The request bytes, rendered once per worker and shared by all its connections: `copies`
// back-to-back copies so a pipelined batch is one write of a prefix of the buffer.
std::string render_request(const config& c, unsigned copies = 1);

}  // namespace ordeal::engine
