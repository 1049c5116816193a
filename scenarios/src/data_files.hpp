#pragma once

#include <boost/json/value.hpp>
#include <cstddef>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct lua_State;

namespace ordeal::scenarios {

// A syntax error in a data file, at a 1-based line (and column, when known; 0 otherwise).
// what() is "line 3: unterminated quoted field" or "line 3, column 14: syntax error".
class data_parse_error : public std::runtime_error {
 public:
  data_parse_error(std::size_t line, std::size_t column, std::string reason);
  std::size_t line() const noexcept { return line_; }
  std::size_t column() const noexcept { return column_; }
  const std::string& reason() const noexcept { return reason_; }

 private:
  std::size_t line_;
  std::size_t column_;
  std::string reason_;
};

// The whole file; throws std::runtime_error "cannot open <path>: <strerror>".
std::string read_text_file(const std::filesystem::path& path);

// Throws std::runtime_error when the file cannot be read, data_parse_error on bad JSON.
boost::json::value read_json_file(const std::filesystem::path& path);

// RFC 4180: fields separated by `separator`, records by CRLF or LF; a field in double quotes
// may hold separators, line breaks and doubled quotes (""). A trailing line break ends the
// last record rather than starting an empty one; empty lines are skipped; a UTF-8 byte order
// mark is ignored. Records may differ in length (see open_csv for the header rule). Throws
// data_parse_error for an unterminated quoted field or text after a closing quote.
std::vector<std::vector<std::string>> parse_csv(std::string_view text, char separator = ',');

// Registers the globals open_json(path) and open_csv(path [, {header = true, separator = ","}]),
// paths relative to base_dir. open_csv with header (the default) returns an array of tables
// keyed by the first record's column names, and a record whose field count differs from the
// header's is an error naming its line; without header, an array of arrays. All values are
// strings. Errors read like `open_csv("users.csv"):3: unterminated quoted field`.
void open_data_library(lua_State* L, std::filesystem::path base_dir);

}  // namespace ordeal::scenarios
