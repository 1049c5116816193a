#include "http_match.hpp"

#include <boost/json.hpp>

namespace ordeal::faults::http {

namespace {

bool is_token_char(unsigned char c) noexcept {
  if ((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')) return true;
  for (const char t : std::string_view("!#$%&'*+-.^_`|~"))
    if (c == static_cast<unsigned char>(t)) return true;
  return false;
}

bool is_token(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (const char c : s)
    if (!is_token_char(static_cast<unsigned char>(c))) return false;
  return true;
}

bool has_control(std::string_view s) noexcept {
  for (const char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7f) return true;
  }
  return false;
}

std::string quoted(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

}  // namespace

std::string_view match_subject(std::string_view target, bool with_query) noexcept {
  // Absolute form: "http://host:80/pay?x" is matched as "/pay?x".
  const auto scheme_end = target.find("://");
  if (scheme_end != std::string_view::npos &&
      target.substr(0, scheme_end).find('/') == std::string_view::npos) {
    const auto slash = target.find('/', scheme_end + 3);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  if (!with_query) target = target.substr(0, target.find('?'));
  return target.substr(0, target.find('#'));
}

bool request_match::matches(const message_framer& request) const {
  if (!method.empty() && !glob_match(method, request.method())) return false;
  if (!path.empty() &&
      !glob_match(path, match_subject(request.target(), path.find('?') != std::string::npos)))
    return false;
  for (const auto& [name, glob] : headers) {
    bool found = false;
    for (const auto& f : request.fields())
      found = found || (iequals(f.name, name) && glob_match(glob, f.value));
    if (!found) return false;
  }
  return true;
}

request_match read_match(attribute_reader& attrs, std::string_view name) {
  request_match m;
  const auto* v = attrs.raw(name);
  if (v == nullptr || v->is_null()) return m;
  const std::string n(name);
  if (!v->is_object())
    attrs.fail(n, "expected a table {method = \"POST\", path = \"/pay/*\", header = {...}}");
  for (const auto& [key, value] : v->get_object()) {
    const std::string field = n + "." + std::string(key);
    if (key == "method") {
      if (!value.is_string() || !is_token(value.get_string()))
        attrs.fail(field, "expected a method such as \"POST\" (a glob with '*' allowed)");
      m.method = value.get_string();
    } else if (key == "path") {
      if (!value.is_string()) attrs.fail(field, "expected a path glob such as \"/pay/*\"");
      const std::string_view p = value.get_string();
      if (p.empty() || (p.front() != '/' && p.front() != '*') || has_control(p) ||
          p.find(' ') != std::string_view::npos)
        attrs.fail(field,
                   "expected a path glob starting with \"/\" or \"*\", without spaces, "
                   "got " +
                       quoted(p));
      m.path = p;
    } else if (key == "header" || key == "headers") {
      if (!value.is_object())
        attrs.fail(field,
                   "expected a table of header name = value glob, e.g. "
                   "{[\"X-Tenant\"] = \"acme*\"}");
      for (const auto& [hname, hvalue] : value.get_object()) {
        const std::string hfield = field + "." + std::string(hname);
        if (!is_token(hname)) attrs.fail(hfield, "not a header name");
        if (!hvalue.is_string() || has_control(hvalue.get_string()))
          attrs.fail(hfield, "expected a glob on the header's value (\"*\": present)");
        m.headers.emplace_back(std::string(hname), std::string(hvalue.get_string()));
      }
    } else {
      attrs.fail(field, "unknown field; expected method, path or header");
    }
  }
  return m;
}

}  // namespace ordeal::faults::http
