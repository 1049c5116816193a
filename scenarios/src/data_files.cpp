#include "data_files.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <lua.hpp>
#include <memory>
#include <set>

#include "lua_json.hpp"

namespace ordeal::scenarios {
namespace {

std::string where_text(std::size_t line, std::size_t column) {
  std::string text = "line " + std::to_string(line);
  if (column > 0) text += ", column " + std::to_string(column);
  return text;
}

struct csv_record {
  std::size_t line;  // where the record starts (1-based)
  std::vector<std::string> fields;
};

class csv_parser {
 public:
  csv_parser(std::string_view text, char separator) : text_(text), separator_(separator) {
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
  }

  std::vector<csv_record> parse() {
    std::vector<csv_record> records;
    while (pos_ < text_.size()) {
      if (line_break_length() > 0) {  // an empty line: skipped
        pos_ += line_break_length();
        ++line_;
        continue;
      }
      csv_record record{line_, {}};
      for (;;) {
        record.fields.push_back(at('"') ? quoted_field() : plain_field());
        if (at(separator_)) {
          ++pos_;
          continue;
        }
        if (const std::size_t n = line_break_length()) {
          pos_ += n;
          ++line_;
        }
        break;  // a line break or the end of the text
      }
      records.push_back(std::move(record));
    }
    return records;
  }

 private:
  bool at(char c) const noexcept { return pos_ < text_.size() && text_[pos_] == c; }

  // 2 for CRLF, 1 for LF, 0 when not at a line break.
  std::size_t line_break_length() const noexcept {
    if (at('\n')) return 1;
    if (at('\r') && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') return 2;
    return 0;
  }

  std::string plain_field() {
    const std::size_t start = pos_;
    while (pos_ < text_.size() && !at(separator_) && line_break_length() == 0)
      ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }

  std::string quoted_field() {
    const std::size_t start_line = line_;
    ++pos_;  // the opening quote
    std::string field;
    for (;;) {
      const std::size_t quote = text_.find('"', pos_);
      if (quote == std::string_view::npos) {
        throw data_parse_error(start_line, 0, "unterminated quoted field");
      }
      const std::string_view piece = text_.substr(pos_, quote - pos_);
      line_ += static_cast<std::size_t>(std::count(piece.begin(), piece.end(), '\n'));
      field += piece;
      pos_ = quote + 1;
      if (at('"')) {  // a doubled quote stands for one
        field += '"';
        ++pos_;
        continue;
      }
      break;
    }
    if (pos_ < text_.size() && !at(separator_) && line_break_length() == 0) {
      throw data_parse_error(line_, 0,
                             std::string("unexpected character '") + text_[pos_] +
                                 "' after a closing quote (a quote inside a quoted field is "
                                 "written \"\")");
    }
    return field;
  }

  std::string_view text_;
  char separator_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
};

void line_and_column(std::string_view text, std::size_t offset, std::size_t& line,
                     std::size_t& column) {
  offset = std::min(offset, text.size());
  const std::string_view before = text.substr(0, offset);
  line = 1 + static_cast<std::size_t>(std::count(before.begin(), before.end(), '\n'));
  const std::size_t last_break = before.rfind('\n');
  column = offset - (last_break == std::string_view::npos ? 0 : last_break + 1) + 1;
}

boost::json::value parse_json_text(std::string_view text) {
  boost::json::parse_options options;
  options.max_depth = max_json_depth;
  boost::json::parser parser({}, options);
  boost::system::error_code ec;
  const std::size_t consumed = parser.write(text.data(), text.size(), ec);
  if (ec) {
    std::size_t line = 0;
    std::size_t column = 0;
    line_and_column(text, consumed, line, column);
    throw data_parse_error(line, column, ec.message());
  }
  return parser.release();
}

std::filesystem::path resolve(const std::filesystem::path& base_dir, std::string_view name) {
  std::error_code ec;
  std::filesystem::path full =
      std::filesystem::absolute(base_dir / std::filesystem::path(name), ec);
  if (ec) full = base_dir / std::filesystem::path(name);
  return full.lexically_normal();
}

// Pushes `<function>("<name>")<place>: <message>` for the error being handled.
void push_error(lua_State* L, const char* function, const char* name) {
  try {
    throw;
  } catch (const data_parse_error& e) {
    if (e.column() > 0) {
      lua_pushfstring(L, "%s(\"%s\"):%I:%I: %s", function, name, static_cast<lua_Integer>(e.line()),
                      static_cast<lua_Integer>(e.column()), e.reason().c_str());
    } else {
      lua_pushfstring(L, "%s(\"%s\"):%I: %s", function, name, static_cast<lua_Integer>(e.line()),
                      e.reason().c_str());
    }
  } catch (const std::exception& e) {
    lua_pushfstring(L, "%s(\"%s\"): %s", function, name, e.what());
  }
}

int raise_here(lua_State* L) {
  luaL_where(L, 1);
  lua_insert(L, -2);
  lua_concat(L, 2);
  return lua_error(L);
}

const char* base_dir_of(lua_State* L) {
  return lua_tostring(L, lua_upvalueindex(1));
}

// The C++ halves of open_json / open_csv: push the result, or the message and return false,
// so that no C++ object is alive when the lua_CFunction raises.
bool open_json_onto_stack(lua_State* L, const char* name) {
  try {
    push_json(L, read_json_file(resolve(base_dir_of(L), name)));
    return true;
  } catch (const std::exception&) {
    push_error(L, "open_json", name);
    return false;
  }
}

bool open_csv_onto_stack(lua_State* L, const char* name, bool header, char separator) {
  try {
    const std::string text = read_text_file(resolve(base_dir_of(L), name));
    const std::vector<csv_record> records = csv_parser(text, separator).parse();
    if (!header) {
      lua_createtable(L, static_cast<int>(records.size()), 0);
      lua_Integer row = 0;
      for (const csv_record& record : records) {
        lua_createtable(L, static_cast<int>(record.fields.size()), 0);
        lua_Integer column = 0;
        for (const std::string& field : record.fields) {
          lua_pushlstring(L, field.data(), field.size());
          lua_rawseti(L, -2, ++column);
        }
        lua_rawseti(L, -2, ++row);
      }
      return true;
    }
    if (records.empty()) {
      lua_createtable(L, 0, 0);
      return true;
    }
    const csv_record& names = records.front();
    std::set<std::string_view> seen;
    for (const std::string& column : names.fields) {
      if (!seen.insert(column).second) {
        throw data_parse_error(names.line, 0, "duplicate column name \"" + column + "\"");
      }
    }
    lua_createtable(L, static_cast<int>(records.size() - 1), 0);
    for (std::size_t r = 1; r < records.size(); ++r) {
      const csv_record& record = records[r];
      if (record.fields.size() != names.fields.size()) {
        throw data_parse_error(record.line, 0,
                               "the record has " + std::to_string(record.fields.size()) +
                                   " fields but the header has " +
                                   std::to_string(names.fields.size()) + " columns");
      }
      lua_createtable(L, 0, static_cast<int>(names.fields.size()));
      for (std::size_t c = 0; c < names.fields.size(); ++c) {
        lua_pushlstring(L, names.fields[c].data(), names.fields[c].size());
        lua_pushlstring(L, record.fields[c].data(), record.fields[c].size());
        lua_rawset(L, -3);
      }
      lua_rawseti(L, -2, static_cast<lua_Integer>(r));
    }
    return true;
  } catch (const std::exception&) {
    push_error(L, "open_csv", name);
    return false;
  }
}

int lua_open_json(lua_State* L) {
  const char* name = luaL_checkstring(L, 1);
  if (!open_json_onto_stack(L, name)) return raise_here(L);
  return 1;
}

int lua_open_csv(lua_State* L) {
  const char* name = luaL_checkstring(L, 1);
  bool header = true;
  char separator = ',';
  if (!lua_isnoneornil(L, 2)) {
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_pushnil(L);
    while (lua_next(L, 2) != 0) {
      const char* option = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "";
      if (std::strcmp(option, "header") == 0) {
        luaL_argexpected(L, lua_isboolean(L, -1), 2, "header = true or false");
        header = lua_toboolean(L, -1);
      } else if (std::strcmp(option, "separator") == 0) {
        std::size_t size = 0;
        const char* text = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &size) : nullptr;
        if (text == nullptr || size != 1 || *text == '"' || *text == '\n' || *text == '\r') {
          return luaL_error(L,
                            "open_csv(\"%s\"): separator must be one character other than a "
                            "quote or a line break",
                            name);
        }
        separator = *text;
      } else {
        return luaL_error(L, "open_csv(\"%s\"): unknown option %s (expected header, separator)",
                          name, luaL_tolstring(L, -2, nullptr));
      }
      lua_pop(L, 1);
    }
  }
  if (!open_csv_onto_stack(L, name, header, separator)) return raise_here(L);
  return 1;
}

}  // namespace

data_parse_error::data_parse_error(std::size_t line, std::size_t column, std::string reason)
    : std::runtime_error(where_text(line, column) + ": " + reason),
      line_(line),
      column_(column),
      reason_(std::move(reason)) {}

std::string read_text_file(const std::filesystem::path& path) {
  const auto fail = [&](int error) {
    throw std::runtime_error("cannot open " + path.string() + ": " + std::strerror(error));
  };
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  if (!file) fail(errno);
  std::string text;
  char buffer[65536];
  for (;;) {
    const std::size_t n = std::fread(buffer, 1, sizeof buffer, file.get());
    text.append(buffer, n);
    if (n < sizeof buffer) break;
  }
  if (std::ferror(file.get())) fail(errno);  // e.g. EISDIR: fopen accepts a directory
  return text;
}

boost::json::value read_json_file(const std::filesystem::path& path) {
  return parse_json_text(read_text_file(path));
}

std::vector<std::vector<std::string>> parse_csv(std::string_view text, char separator) {
  std::vector<std::vector<std::string>> rows;
  for (csv_record& record : csv_parser(text, separator).parse()) {
    rows.push_back(std::move(record.fields));
  }
  return rows;
}

void open_data_library(lua_State* L, std::filesystem::path base_dir) {
  const std::string base = base_dir.string();
  lua_pushlstring(L, base.data(), base.size());
  lua_pushcclosure(L, lua_open_json, 1);
  lua_setglobal(L, "open_json");
  lua_pushlstring(L, base.data(), base.size());
  lua_pushcclosure(L, lua_open_csv, 1);
  lua_setglobal(L, "open_csv");
}

}  // namespace ordeal::scenarios
