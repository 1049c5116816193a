#pragma once

// A small well-formedness check for the HTML and SVG ordeal writes: every element closed in
// order (HTML's void elements excepted), no stray '<' or '&' in text. Not a parser: enough to
// catch an unescaped name or a missing close tag.

#include <cctype>
#include <string>
#include <string_view>
#include <vector>

namespace ordeal::reporters::test {

// Empty when well formed; else what is wrong and where.
inline std::string markup_problem(std::string_view text) {
  static constexpr std::string_view void_elements[] = {"meta", "br", "hr", "img", "input", "link"};
  std::vector<std::string> open;
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (c == '&') {
      const auto semi = text.find(';', i);
      if (semi == std::string_view::npos || semi - i > 10)
        return "bare '&' at " + std::to_string(i);
      i = semi + 1;
      continue;
    }
    if (c != '<') {
      ++i;
      continue;
    }
    if (text.substr(i, 2) == "<!") {  // doctype or comment
      const auto end = text.find('>', i);
      if (end == std::string_view::npos) return "unterminated <! at " + std::to_string(i);
      i = end + 1;
      continue;
    }
    const auto end = text.find('>', i);
    if (end == std::string_view::npos) return "unterminated tag at " + std::to_string(i);
    std::string_view tag = text.substr(i + 1, end - i - 1);
    if (tag.find('<') != std::string_view::npos) return "'<' inside a tag at " + std::to_string(i);
    const bool closing = !tag.empty() && tag.front() == '/';
    const bool self_closing = !tag.empty() && tag.back() == '/';
    if (closing) tag.remove_prefix(1);
    const auto name_end = tag.find_first_of(" \t\n/");
    const std::string name(tag.substr(0, name_end));
    if (name.empty() || !std::isalpha(static_cast<unsigned char>(name[0])))
      return "stray '<' at " + std::to_string(i) + ": " + std::string(text.substr(i, 30));
    if (closing) {
      if (open.empty() || open.back() != name)
        return "</" + name + "> at " + std::to_string(i) + " closes " +
               (open.empty() ? std::string("nothing") : "<" + open.back() + ">");
      open.pop_back();
    } else if (!self_closing) {
      bool is_void = false;
      for (const auto v : void_elements)
        is_void = is_void || v == name;
      if (!is_void) open.push_back(name);
      if (name == "style") {  // raw text up to </style>
        const auto close = text.find("</style>", end);
        if (close == std::string_view::npos) return "unterminated <style>";
        i = close;
        continue;
      }
    }
    i = end + 1;
  }
  if (!open.empty()) return "<" + open.back() + "> never closed";
  return {};
}

}  // namespace ordeal::reporters::test
