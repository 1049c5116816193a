#pragma once

#include <string>
#include <string_view>

namespace ordeal::reporters {

// Text safe in XML attributes and content: & < > " ' escaped, tab / newline / carriage return
// as character references (attribute values keep them), characters XML 1.0 forbids and invalid
// UTF-8 replaced by U+FFFD.
std::string xml_escape(std::string_view text);

}  // namespace ordeal::reporters
