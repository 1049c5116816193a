#include "xml_check.hpp"

#include <cstdint>

namespace ordeal::test {

const std::string* xml_element::attribute(std::string_view key) const {
  for (const auto& [k, v] : attributes)
    if (k == key) return &v;
  return nullptr;
}

std::vector<const xml_element*> xml_element::children_named(std::string_view n) const {
  std::vector<const xml_element*> out;
  for (const auto& c : children)
    if (c.name == n) out.push_back(&c);
  return out;
}

namespace {

bool xml_char(std::uint32_t cp) {
  return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
         (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

class parser {
 public:
  explicit parser(std::string_view doc) : doc_(doc) { check_characters(); }

  xml_element document() {
    if (doc_.substr(0, 5) == "<?xml") {
      const auto end = doc_.find("?>");
      if (end == std::string_view::npos) fail("unterminated XML declaration");
      pos_ = end + 2;
    }
    misc();
    if (!starts("<") || starts("</")) fail("expected the root element");
    xml_element root = element();
    misc();
    if (pos_ != doc_.size()) fail("content after the root element");
    return root;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw xml_error("XML not well-formed at byte " + std::to_string(pos_) + ": " + what);
  }

  bool starts(std::string_view s) const { return doc_.substr(pos_, s.size()) == s; }
  bool at_end() const { return pos_ >= doc_.size(); }

  // Every byte is valid UTF-8 and every character one XML allows.
  void check_characters() {
    for (std::size_t i = 0; i < doc_.size();) {
      const auto c = static_cast<unsigned char>(doc_[i]);
      std::size_t n = c < 0x80             ? 1
                      : (c & 0xE0) == 0xC0 ? 2
                      : (c & 0xF0) == 0xE0 ? 3
                      : (c & 0xF8) == 0xF0 ? 4
                                           : 0;
      pos_ = i;
      if (n == 0 || i + n > doc_.size()) fail("invalid UTF-8");
      std::uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
      for (std::size_t k = 1; k < n; ++k) {
        const auto b = static_cast<unsigned char>(doc_[i + k]);
        if ((b & 0xC0) != 0x80) fail("invalid UTF-8");
        cp = (cp << 6) | (b & 0x3F);
      }
      constexpr std::uint32_t lowest[] = {0, 0, 0x80, 0x800, 0x10000};
      if (cp < lowest[n] || (cp >= 0xD800 && cp <= 0xDFFF)) fail("invalid UTF-8");
      if (!xml_char(cp)) fail("a character XML 1.0 does not allow");
      i += n;
    }
    pos_ = 0;
  }

  void spaces() {
    while (!at_end() &&
           (doc_[pos_] == ' ' || doc_[pos_] == '\t' || doc_[pos_] == '\n' || doc_[pos_] == '\r'))
      ++pos_;
  }

  // Whitespace and comments around the root.
  void misc() {
    for (;;) {
      spaces();
      if (starts("<!--")) {
        comment();
      } else if (starts("<?") || starts("<!")) {
        fail("processing instructions and DTDs are not expected");
      } else {
        return;
      }
    }
  }

  void comment() {
    const auto end = doc_.find("-->", pos_ + 4);
    if (end == std::string_view::npos) fail("unterminated comment");
    if (doc_.substr(pos_ + 4, end - pos_ - 4).find("--") != std::string_view::npos)
      fail("\"--\" inside a comment");
    pos_ = end + 3;
  }

  static bool name_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
           static_cast<unsigned char>(c) >= 0x80;
  }
  static bool name_char(char c) {
    return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
  }

  std::string name() {
    if (at_end() || !name_start(doc_[pos_])) fail("expected a name");
    const auto begin = pos_;
    while (!at_end() && name_char(doc_[pos_]))
      ++pos_;
    return std::string(doc_.substr(begin, pos_ - begin));
  }

  // At '&': appends the referenced character.
  void reference(std::string& out) {
    const auto end = doc_.find(';', pos_);
    if (end == std::string_view::npos) fail("'&' without a reference");
    const auto ref = doc_.substr(pos_ + 1, end - pos_ - 1);
    if (ref == "lt") {
      out += '<';
    } else if (ref == "gt") {
      out += '>';
    } else if (ref == "amp") {
      out += '&';
    } else if (ref == "quot") {
      out += '"';
    } else if (ref == "apos") {
      out += '\'';
    } else if (ref.size() > 1 && ref[0] == '#') {
      const bool hex = ref[1] == 'x';
      const auto digits = ref.substr(hex ? 2 : 1);
      if (digits.empty() || digits.size() > 8) fail("bad character reference");
      std::uint32_t cp = 0;
      for (const char c : digits) {
        int d = -1;
        if (c >= '0' && c <= '9') d = c - '0';
        if (hex && c >= 'a' && c <= 'f') d = c - 'a' + 10;
        if (hex && c >= 'A' && c <= 'F') d = c - 'A' + 10;
        if (d < 0) fail("bad character reference");
        cp = cp * (hex ? 16 : 10) + static_cast<std::uint32_t>(d);
      }
      if (!xml_char(cp)) fail("character reference to a character XML does not allow");
      append_utf8(out, cp);
    } else {
      fail("unknown entity &" + std::string(ref) + ";");
    }
    pos_ = end + 1;
  }

  std::string attribute_value() {
    if (at_end() || (doc_[pos_] != '"' && doc_[pos_] != '\'')) fail("expected a quoted value");
    const char quote = doc_[pos_++];
    std::string value;
    for (;;) {
      if (at_end()) fail("unterminated attribute value");
      const char c = doc_[pos_];
      if (c == quote) {
        ++pos_;
        return value;
      }
      if (c == '<') fail("'<' in an attribute value");
      if (c == '&') {
        reference(value);
        continue;
      }
      // Attribute-value normalization: literal whitespace reads as a space.
      value += (c == '\n' || c == '\t' || c == '\r') ? ' ' : c;
      ++pos_;
    }
  }

  xml_element element() {
    ++pos_;  // '<'
    xml_element e;
    e.name = name();
    for (;;) {
      const auto before = pos_;
      spaces();
      if (starts("/>")) {
        pos_ += 2;
        return e;
      }
      if (starts(">")) {
        ++pos_;
        break;
      }
      if (pos_ == before) fail("expected whitespace before an attribute");
      std::string key = name();
      spaces();
      if (!starts("=")) fail("expected '=' after attribute " + key);
      ++pos_;
      spaces();
      std::string value = attribute_value();
      if (e.attribute(key)) fail("duplicate attribute " + key);
      e.attributes.emplace_back(std::move(key), std::move(value));
    }
    // Content.
    for (;;) {
      if (at_end()) fail("unclosed element <" + e.name + ">");
      if (starts("</")) {
        pos_ += 2;
        const std::string closing = name();
        if (closing != e.name) fail("</" + closing + "> closes <" + e.name + ">");
        spaces();
        if (!starts(">")) fail("expected '>'");
        ++pos_;
        return e;
      }
      if (starts("<!--")) {
        comment();
      } else if (starts("<![CDATA[")) {
        const auto end = doc_.find("]]>", pos_);
        if (end == std::string_view::npos) fail("unterminated CDATA");
        e.text.append(doc_.substr(pos_ + 9, end - pos_ - 9));
        pos_ = end + 3;
      } else if (starts("<?") || starts("<!")) {
        fail("unexpected markup");
      } else if (starts("<")) {
        e.children.push_back(element());
      } else if (starts("&")) {
        reference(e.text);
      } else {
        if (starts("]]>")) fail("\"]]>\" in text");
        e.text += doc_[pos_++];
      }
    }
  }

  std::string_view doc_;
  std::size_t pos_ = 0;
};

}  // namespace

xml_element parse_xml(std::string_view document) {
  return parser(document).document();
}

}  // namespace ordeal::test
