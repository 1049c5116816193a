#include "response_fingerprint.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <charconv>
#include <utility>

namespace ordeal::scenarios {

namespace json = boost::json;

namespace {

[[noreturn]] void path_error(std::size_t at, const std::string& what) {
  throw json_path_error("at character " + std::to_string(at + 1) + ": " + what);
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// A member name after "." or "..": up to the next "." or "[".
std::string dotted_name(std::string_view text, std::size_t& i) {
  const std::size_t start = i;
  while (i < text.size() && text[i] != '.' && text[i] != '[')
    ++i;
  if (i == start) path_error(start, "expected a member name, \"*\" after \".\"");
  return std::string(text.substr(start, i - start));
}

// What follows "[" (at i, just past it): a number, "*" or a quoted name, then "]".
json_path::step bracketed(std::string_view text, std::size_t& i) {
  const std::size_t open = i - 1;
  json_path::step s;
  if (i < text.size() && text[i] == '*') {
    s.what = json_path::step::kind::any;
    ++i;
  } else if (i < text.size() && (text[i] == '\'' || text[i] == '"')) {
    const char quote = text[i++];
    const std::size_t start = i;
    while (i < text.size() && text[i] != quote)
      ++i;
    if (i == text.size()) path_error(start - 1, "unclosed quote");
    s.what = json_path::step::kind::member;
    s.name = std::string(text.substr(start, i - start));
    ++i;
  } else if (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    const auto [end, ec] = std::from_chars(text.data() + i, text.data() + text.size(), s.index);
    if (ec != std::errc{}) path_error(i, "the index is too large");
    s.what = json_path::step::kind::index;
    i = static_cast<std::size_t>(end - text.data());
  } else {
    path_error(i, "expected an index, \"*\" or a quoted name inside [ ]");
  }
  if (i >= text.size() || text[i] != ']') path_error(open, "unclosed \"[\"");
  ++i;
  return s;
}

// Removes what `steps[i..]` names below `v`: members are erased, array elements become null
// (the array keeps its length, and the other paths' indexes keep their meaning).
void remove_at(json::value& v, const std::vector<json_path::step>& steps, std::size_t i) {
  using kind = json_path::step::kind;
  const auto& s = steps[i];
  const bool last = i + 1 == steps.size();
  const auto into = [&](json::value& child) {
    if (last)
      child = nullptr;
    else
      remove_at(child, steps, i + 1);
  };
  switch (s.what) {
    case kind::member:
    case kind::descend:
      if (v.is_object()) {
        auto& o = v.get_object();
        if (auto it = o.find(s.name); it != o.end()) {
          if (last)
            o.erase(it);
          else
            remove_at(it->value(), steps, i + 1);
        }
      }
      if (s.what == kind::descend) {
        if (v.is_object()) {
          for (auto& kv : v.get_object())
            remove_at(kv.value(), steps, i);
        } else if (v.is_array()) {
          for (auto& e : v.get_array())
            remove_at(e, steps, i);
        }
      }
      break;
    case kind::index:
      if (v.is_array() && s.index < v.get_array().size()) into(v.get_array()[s.index]);
      break;
    case kind::any:
      if (v.is_object()) {
        auto& o = v.get_object();
        if (last)
          o.clear();
        else
          for (auto& kv : o)
            remove_at(kv.value(), steps, i + 1);
      } else if (v.is_array()) {
        for (auto& e : v.get_array())
          into(e);
      }
      break;
  }
}

// JSON text with object members sorted by key: two bodies that differ only in member order
// (a server's hash map) are the same answer.
void write_canonical(const json::value& v, std::string& out) {
  switch (v.kind()) {
    case json::kind::object: {
      std::vector<const json::key_value_pair*> members;
      members.reserve(v.get_object().size());
      for (const auto& kv : v.get_object())
        members.push_back(&kv);
      std::sort(members.begin(), members.end(),
                [](const auto* a, const auto* b) { return a->key() < b->key(); });
      out += '{';
      for (std::size_t k = 0; k < members.size(); ++k) {
        if (k) out += ',';
        out += json::serialize(members[k]->key());
        out += ':';
        write_canonical(members[k]->value(), out);
      }
      out += '}';
      break;
    }
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v.get_array()) {
        if (!first) out += ',';
        first = false;
        write_canonical(e, out);
      }
      out += ']';
      break;
    }
    default:
      out += json::serialize(v);
  }
}

bool looks_like_json(const engine::header_list& headers, std::string_view body) {
  for (const auto& [name, value] : headers) {
    if (name.size() == 12 && lower(name) == "content-type") {
      if (lower(value).find("json") != std::string::npos) return true;
      break;
    }
  }
  const auto first = body.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && (body[first] == '{' || body[first] == '[');
}

std::uint64_t fnv1a(std::string_view s) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  return h;
}

}  // namespace

json_path parse_json_path(std::string_view text) {
  using kind = json_path::step::kind;
  if (text.empty() || text[0] != '$')
    path_error(0, "expected the path to start with \"$\" (e.g. \"$.created_at\")");
  json_path p;
  std::size_t i = 1;
  while (i < text.size()) {
    json_path::step s;
    if (text.compare(i, 2, "..") == 0) {
      i += 2;
      if (i < text.size() && text[i] == '*') path_error(i, "\"..*\" would ignore the whole body");
      s.what = kind::descend;
      s.name = dotted_name(text, i);
    } else if (text[i] == '.') {
      ++i;
      if (i < text.size() && text[i] == '*') {
        s.what = kind::any;
        ++i;
      } else {
        s.what = kind::member;
        s.name = dotted_name(text, i);
      }
    } else if (text[i] == '[') {
      ++i;
      s = bracketed(text, i);
    } else {
      path_error(i, std::string("unexpected \"") + text[i] + "\" (expected \".\" or \"[\")");
    }
    p.steps.push_back(std::move(s));
  }
  return p;
}

const std::vector<std::string_view>& default_volatile_headers() {
  static const std::vector<std::string_view> names = {
      // Framing and connection management: the same answer, sent differently.
      "connection", "keep-alive", "transfer-encoding", "content-length",
      // Per response: when and by whom it was sent.
      "date", "server", "age", "expires", "last-modified", "etag", "via", "set-cookie",
      "retry-after", "server-timing", "x-response-time", "x-runtime",
      "x-envoy-upstream-service-time", "x-served-by", "x-cache", "x-cache-hits", "x-timer",
      "cf-ray",
      // Request and trace ids.
      "x-request-id", "request-id", "x-correlation-id", "x-amzn-requestid", "x-amz-request-id",
      "x-trace-id", "traceparent", "tracestate", "x-b3-traceid", "x-b3-spanid",
      // Rate-limit counters.
      "ratelimit", "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "x-ratelimit-limit",
      "x-ratelimit-remaining", "x-ratelimit-reset",
      // Replay markers: a correct server says it replayed (Stripe's Idempotent-Replayed).
      "idempotent-replayed", "idempotency-replayed", "x-idempotent-replayed",
      "x-idempotency-replayed"};
  return names;
}

bool is_header_name(std::string_view name) {
  if (name == "*") return true;
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

response_fingerprint::response_fingerprint(const idempotency_options& options) {
  for (const auto& h : options.ignore_headers) {
    if (h == "*")
      ignore_all_headers_ = true;
    else
      ignore_headers_.push_back(lower(h));
  }
  for (const auto& p : options.ignore_json)
    ignore_json_.push_back(parse_json_path(p));
}

bool response_fingerprint::ignored_header(std::string_view lower_name) const {
  if (ignore_all_headers_) return true;
  const auto& d = default_volatile_headers();
  return std::find(d.begin(), d.end(), lower_name) != d.end() ||
         std::find(ignore_headers_.begin(), ignore_headers_.end(), lower_name) !=
             ignore_headers_.end();
}

std::string response_fingerprint::canonical(int status, const engine::header_list& headers,
                                            std::string_view body) const {
  std::string out = std::to_string(status);
  out += '\n';
  std::vector<std::pair<std::string, std::string_view>> kept;
  for (const auto& [name, value] : headers) {
    std::string n = lower(name);
    if (!ignored_header(n)) kept.emplace_back(std::move(n), value);
  }
  // Header order carries no meaning; repeated headers keep their own order (stable sort).
  std::stable_sort(kept.begin(), kept.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [name, value] : kept) {
    out += name;
    out += ": ";
    const auto b = value.find_first_not_of(" \t");
    const auto e = value.find_last_not_of(" \t");
    if (b != std::string_view::npos) out += value.substr(b, e - b + 1);
    out += '\n';
  }
  out += '\n';
  if (looks_like_json(headers, body)) {
    json::parse_options opt;
    opt.max_depth = 100;
    boost::system::error_code ec;
    json::value v = json::parse(body, ec, {}, opt);
    if (!ec) {
      for (const auto& p : ignore_json_) {
        if (p.steps.empty())
          v = nullptr;
        else
          remove_at(v, p.steps, 0);
      }
      out += "json ";
      write_canonical(v, out);
      return out;
    }
  }
  out += "bytes ";
  out += body;
  return out;
}

std::uint64_t response_fingerprint::digest(int status, const engine::header_list& headers,
                                           std::string_view body) const {
  const std::uint64_t h = fnv1a(canonical(status, headers, body));
  return h == 0 ? 1 : h;  // 0 means "no response"
}

std::string body_excerpt(std::string_view body, std::size_t max) {
  std::string out;
  out.reserve(std::min(body.size(), max) + 3);
  std::size_t i = 0;
  while (i < body.size()) {
    const auto c = static_cast<unsigned char>(body[i]);
    std::size_t len = c < 0x80             ? 1
                      : (c & 0xE0) == 0xC0 ? 2
                      : (c & 0xF0) == 0xE0 ? 3
                      : (c & 0xF8) == 0xF0 ? 4
                                           : 0;
    bool valid = len != 0 && i + len <= body.size();
    for (std::size_t k = 1; valid && k < len; ++k)
      valid = (static_cast<unsigned char>(body[i + k]) & 0xC0) == 0x80;
    if (valid && len == 2) valid = c >= 0xC2;  // overlong
    if (valid && len == 3) {
      const auto c1 = static_cast<unsigned char>(body[i + 1]);
      valid = !(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 >= 0xA0);  // overlong, surrogate
    }
    if (valid && len == 4) {
      const auto c1 = static_cast<unsigned char>(body[i + 1]);
      valid = c <= 0xF4 && !(c == 0xF0 && c1 < 0x90) && !(c == 0xF4 && c1 >= 0x90);
    }
    if (!valid) len = 1;
    if (out.size() + (valid ? len : 1) > max) break;
    if (valid)
      out.append(body.substr(i, len));
    else
      out += '?';
    i += len;
  }
  if (i < body.size()) out += "...";
  return out;
}

}  // namespace ordeal::scenarios
