#include "json_pretty.hpp"

#include <charconv>
#include <cmath>
#include <string>

namespace ordeal::reporters::detail {

namespace {

constexpr std::size_t line_width = 160;
// Elements of an array (a second of the series, a threshold, a bucket) are records: one per
// line reads and diffs best, so they may run longer.
constexpr std::size_t row_width = 320;
constexpr std::size_t indent_step = 2;

void append_double(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out += "null";
    return;
  }
  char buffer[32];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, d);
  const std::string_view text(buffer, static_cast<std::size_t>(end - buffer));
  out += text;
  if (text.find_first_of(".eE") == std::string_view::npos) out += ".0";
}

void append_compact(std::string& out, const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null:
      out += "null";
      return;
    case boost::json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      return;
    case boost::json::kind::int64:
      out += std::to_string(v.get_int64());
      return;
    case boost::json::kind::uint64:
      out += std::to_string(v.get_uint64());
      return;
    case boost::json::kind::double_:
      append_double(out, v.get_double());
      return;
    case boost::json::kind::string:
      out += boost::json::serialize(v.get_string());
      return;
    case boost::json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v.get_array()) {
        if (!first) out += ", ";
        first = false;
        append_compact(out, e);
      }
      out += ']';
      return;
    }
    case boost::json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& kv : v.get_object()) {
        if (!first) out += ", ";
        first = false;
        out += boost::json::serialize(kv.key());
        out += ": ";
        append_compact(out, kv.value());
      }
      out += '}';
      return;
    }
  }
}

bool is_empty_container(const boost::json::value& v) {
  return (v.is_array() && v.get_array().empty()) || (v.is_object() && v.get_object().empty());
}

// `column` is where the value starts on its line (after the indent and any key); `width` is
// how far that line may go, the comma that may follow included.
void append_pretty(std::string& out, const boost::json::value& v, std::size_t indent,
                   std::size_t column, std::size_t width) {
  if (!v.is_structured() || is_empty_container(v)) {
    append_compact(out, v);
    return;
  }
  std::string compact;
  append_compact(compact, v);
  if (column + compact.size() + 1 <= width) {
    out += compact;
    return;
  }
  const std::size_t inner = indent + indent_step;
  const std::string pad(inner, ' ');
  bool first = true;
  if (v.is_array()) {
    out += '[';
    for (const auto& e : v.get_array()) {
      out += first ? "\n" : ",\n";
      first = false;
      out += pad;
      append_pretty(out, e, inner, inner, row_width);
    }
    out += '\n' + std::string(indent, ' ') + ']';
    return;
  }
  out += '{';
  for (const auto& kv : v.get_object()) {
    out += first ? "\n" : ",\n";
    first = false;
    out += pad;
    const std::string key = boost::json::serialize(kv.key()) + ": ";
    out += key;
    append_pretty(out, kv.value(), inner, inner + key.size(), line_width);
  }
  out += '\n' + std::string(indent, ' ') + '}';
}

}  // namespace

void write_pretty(std::ostream& out, const boost::json::value& v) {
  std::string text;
  append_pretty(text, v, 0, 0, line_width);
  text += '\n';
  out << text;
}

}  // namespace ordeal::reporters::detail
