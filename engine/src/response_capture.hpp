#pragma once

#include <string>
#include <string_view>

#include "ordeal/engine/http_client.hpp"

namespace ordeal::engine {

// Splits the bytes of one complete response, exactly as http1_response_parser consumed them
// (interim 1xx responses included), into status, headers and decoded body. The parser has
// already validated the framing; this only cuts it up. `raw` may have been cut short (a body
// over the keep limit): the body is then what was kept. head_request: no body, whatever the
// headers say.
void split_response(std::string_view raw, bool head_request, http_response& out);

// Case-insensitive ASCII comparison of header names.
bool header_name_equals(std::string_view a, std::string_view b) noexcept;

}  // namespace ordeal::engine
