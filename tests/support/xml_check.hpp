#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ordeal::test {

// A tiny, strict XML 1.0 well-formedness check for the reports ordeal writes (JUnit), so tests
// need no XML library: the optional declaration, elements, attributes, text, comments, CDATA,
// the five predefined entities and character references. Rejects what a conforming parser
// rejects in that subset: unbalanced or mismatched tags, a duplicate attribute, '<' or a bare
// '&' where they cannot be, an unknown entity, invalid UTF-8, characters XML forbids, text or a
// second element outside the root. DTDs and processing instructions besides the declaration
// are refused (ordeal writes none).
struct xml_element {
  std::string name;
  std::vector<std::pair<std::string, std::string>> attributes;  // values with references resolved
  std::string text;                                             // all text content, resolved
  std::vector<xml_element> children;

  // nullptr when absent.
  const std::string* attribute(std::string_view key) const;
  std::vector<const xml_element*> children_named(std::string_view n) const;
};

struct xml_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The root element. Throws xml_error naming the byte offset and what is wrong.
xml_element parse_xml(std::string_view document);

}  // namespace ordeal::test
