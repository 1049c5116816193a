#pragma once

// Reading drill options from Lua tables: typed values with the path the user wrote
// (options.scenarios.browse.vus), unknown fields with a "did you mean", and a Lua stack that
// is restored however the reading ends. Every failure is an engine::config_error.

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <lua.hpp>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ordeal/engine/config_error.hpp"
#include "ordeal/engine/duration.hpp"

namespace ordeal::scenarios::options_reading {

using engine::config_error;

// Restores the Lua stack however the reading ends (config errors are C++ exceptions).
class stack_guard {
 public:
  explicit stack_guard(lua_State* L) : L_(L), top_(lua_gettop(L)) {}
  ~stack_guard() { lua_settop(L_, top_); }
  stack_guard(const stack_guard&) = delete;
  stack_guard& operator=(const stack_guard&) = delete;

 private:
  lua_State* L_;
  int top_;
};

[[noreturn]] inline void fail(const std::string& path, const std::string& message) {
  throw config_error(path + ": " + message);
}

inline bool is_identifier(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// path + ".name", or path + "[\"my name\"]" when the name is not an identifier.
inline std::string member_path(const std::string& path, std::string_view name) {
  if (is_identifier(name)) return path + "." + std::string(name);
  return path + "[\"" + std::string(name) + "\"]";
}

inline std::string index_path(const std::string& path, lua_Integer i) {
  return path + "[" + std::to_string(i) + "]";
}

// A value as the user wrote it, for "got ..." in messages.
inline std::string describe(lua_State* L, int index) {
  switch (lua_type(L, index)) {
    case LUA_TNIL:
      return "nothing";
    case LUA_TBOOLEAN:
      return lua_toboolean(L, index) ? "true" : "false";
    case LUA_TNUMBER: {
      if (lua_isinteger(L, index)) return std::to_string(lua_tointeger(L, index));
      char buffer[32];
      const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, lua_tonumber(L, index));
      return std::string(buffer, end);
    }
    case LUA_TSTRING: {
      std::size_t size = 0;
      const char* data = lua_tolstring(L, index, &size);
      std::string text(data, std::min<std::size_t>(size, 40));
      return "\"" + text + (size > 40 ? "...\"" : "\"");
    }
    case LUA_TTABLE:
      return "a table";
    default:
      return std::string("a ") + lua_typename(L, lua_type(L, index));
  }
}

[[noreturn]] inline void expected(lua_State* L, int index, const std::string& path,
                                  const std::string& what) {
  fail(path, "expected " + what + ", got " + describe(L, index));
}

inline std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// One accepted field of a table: its snake_case name and up to two other spellings (k6's).
struct field {
  std::string_view name;
  std::string_view alias = {};
  std::string_view alias2 = {};
};

// Checks a table's keys against the accepted fields once, then hands out values by name.
class table_reader {
 public:
  table_reader(lua_State* L, int index, std::string path, std::span<const field> fields)
      : L_(L), index_(lua_absindex(L, index)), path_(std::move(path)), fields_(fields) {
    lua_pushnil(L_);
    while (lua_next(L_, index_) != 0) {
      lua_pop(L_, 1);
      if (lua_type(L_, -1) != LUA_TSTRING) {
        fail(path_, "expected field names as keys, got the key " + describe(L_, -1));
      }
      std::size_t size = 0;
      const char* data = lua_tolstring(L_, -1, &size);
      const std::string key(data, size);
      const field* match = find(key);
      if (match == nullptr) fail(member_path(path_, key), unknown_field_hint(key));
      const auto [it, inserted] = spelling_.emplace(std::string(match->name), key);
      if (!inserted) {
        // snake_case first, whatever order the table iterates in.
        const bool key_first = key == match->name;
        fail(path_, "both " + (key_first ? key : it->second) + " and " +
                        (key_first ? it->second : key) + " are given; they are the same field");
      }
    }
  }

  bool has(std::string_view name) const { return spelling_.contains(std::string(name)); }

  // Pushes the field's value and returns true, or pushes nothing and returns false.
  bool push(std::string_view name) {
    const auto it = spelling_.find(std::string(name));
    if (it == spelling_.end()) return false;
    lua_pushlstring(L_, it->second.data(), it->second.size());
    lua_rawget(L_, index_);
    return true;
  }

  // The field's path as the user spelled it (the snake_case name when absent).
  std::string path(std::string_view name) const {
    const auto it = spelling_.find(std::string(name));
    return member_path(path_, it == spelling_.end() ? name : std::string_view(it->second));
  }
  const std::string& table_path() const { return path_; }

 private:
  const field* find(std::string_view key) const {
    for (const field& f : fields_) {
      if (key == f.name || (!f.alias.empty() && key == f.alias) ||
          (!f.alias2.empty() && key == f.alias2)) {
        return &f;
      }
    }
    return nullptr;
  }

  std::string unknown_field_hint(std::string_view key) const {
    std::string_view best;
    std::size_t best_distance = std::numeric_limits<std::size_t>::max();
    for (const field& f : fields_) {
      for (const std::string_view spelling : {f.name, f.alias, f.alias2}) {
        if (spelling.empty()) continue;
        const std::size_t d = edit_distance(key, spelling);
        if (d < best_distance) best_distance = d, best = spelling;
      }
    }
    const auto shared_prefix = [&](std::string_view spelling) {
      std::size_t n = 0;
      while (n < key.size() && n < spelling.size() &&
             std::tolower(static_cast<unsigned char>(key[n])) ==
                 std::tolower(static_cast<unsigned char>(spelling[n]))) {
        ++n;
      }
      return n;
    };
    // Close by edits ("vu" for vus), or the same start ("retries" for retry).
    if ((best_distance <= std::max<std::size_t>(2, key.size() / 3) && best_distance < key.size()) ||
        (shared_prefix(best) >= 4 && best_distance <= key.size() / 2)) {
      return "unknown field (did you mean " + std::string(best) + "?)";
    }
    std::string list;
    for (const field& f : fields_)
      list += (list.empty() ? "" : ", ") + std::string(f.name);
    return "unknown field (expected one of " + list + ")";
  }

  lua_State* L_;
  int index_;
  std::string path_;
  std::span<const field> fields_;
  std::map<std::string, std::string> spelling_;  // field name -> key as written
};

// --- Values (at the top of the stack) -----------------------------------------------------

inline std::uint64_t read_whole(lua_State* L, const std::string& path, std::uint64_t min,
                                std::uint64_t max = std::numeric_limits<unsigned>::max()) {
  const std::string what = "a whole number >= " + std::to_string(min);
  if (lua_type(L, -1) != LUA_TNUMBER) expected(L, -1, path, what);
  lua_Integer value = 0;
  if (lua_isinteger(L, -1)) {
    value = lua_tointeger(L, -1);
  } else {
    const double d = lua_tonumber(L, -1);
    if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 9e18) {
      expected(L, -1, path, what);
    }
    value = static_cast<lua_Integer>(d);
  }
  if (value < 0 || static_cast<std::uint64_t>(value) < min) expected(L, -1, path, what);
  if (static_cast<std::uint64_t>(value) > max) {
    expected(L, -1, path,
             "a whole number between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return static_cast<std::uint64_t>(value);
}

inline unsigned read_count(lua_State* L, const std::string& path, unsigned min) {
  return static_cast<unsigned>(read_whole(L, path, min));
}

// A finite number; `positive` refuses 0 as well as negatives.
inline double read_number(lua_State* L, const std::string& path, bool positive) {
  const std::string what = positive ? "a number > 0" : "a number >= 0";
  if (lua_type(L, -1) != LUA_TNUMBER) expected(L, -1, path, what);
  const double d = lua_tonumber(L, -1);
  if (!std::isfinite(d) || d < 0 || (positive && d == 0)) expected(L, -1, path, what);
  return d;
}

inline double read_probability(lua_State* L, const std::string& path) {
  const std::string what = "a probability between 0 and 1";
  if (lua_type(L, -1) != LUA_TNUMBER) expected(L, -1, path, what);
  const double p = lua_tonumber(L, -1);
  if (!(p >= 0 && p <= 1)) expected(L, -1, path, what);
  return p;
}

inline std::chrono::nanoseconds read_duration(lua_State* L, const std::string& path,
                                              bool positive) {
  std::chrono::nanoseconds d{};
  if (lua_type(L, -1) == LUA_TSTRING) {
    try {
      d = engine::parse_duration(lua_tostring(L, -1));
    } catch (const config_error& e) {
      fail(path, e.what());
    }
  } else if (lua_type(L, -1) == LUA_TNUMBER) {
    const double seconds = lua_tonumber(L, -1);
    if (!std::isfinite(seconds) || seconds < 0 || seconds > 1e9) {
      expected(L, -1, path, "a duration such as \"30s\" or a number of seconds >= 0");
    }
    d = std::chrono::nanoseconds(std::llround(seconds * 1e9));
  } else {
    expected(L, -1, path, "a duration such as \"30s\" or a number of seconds");
  }
  if (positive && d.count() == 0) expected(L, -1, path, "a duration > 0");
  return d;
}

inline std::string read_string(lua_State* L, const std::string& path, const std::string& what) {
  if (lua_type(L, -1) != LUA_TSTRING) expected(L, -1, path, what);
  std::size_t size = 0;
  const char* data = lua_tolstring(L, -1, &size);
  if (size == 0) expected(L, -1, path, what);
  return std::string(data, size);
}

inline bool read_boolean(lua_State* L, const std::string& path) {
  if (lua_type(L, -1) != LUA_TBOOLEAN) expected(L, -1, path, "true or false");
  return lua_toboolean(L, -1);
}

inline void require_table(lua_State* L, const std::string& path) {
  if (lua_type(L, -1) != LUA_TTABLE) expected(L, -1, path, "a table");
}

template <typename E>
struct choice {
  std::string_view name;
  E value;
};

// One of a fixed set of words: `unknown <noun> "x" (expected a, b, c)`.
template <typename E, std::size_t N>
E read_choice(lua_State* L, const std::string& path, std::string_view noun,
              const choice<E> (&choices)[N]) {
  std::string list;
  for (const auto& c : choices)
    list += (list.empty() ? "" : ", ") + std::string(c.name);
  if (lua_type(L, -1) != LUA_TSTRING) expected(L, -1, path, "one of " + list);
  const std::string_view word = lua_tostring(L, -1);
  for (const auto& c : choices) {
    if (c.name == word) return c.value;
  }
  fail(path, "unknown " + std::string(noun) + " " + describe(L, -1) + " (expected " + list + ")");
}

// Calls `each(path)` with every element of the array at the top pushed, after checking that
// the table is a non-empty array.
template <typename F>
inline void for_each_element(lua_State* L, const std::string& path, std::string_view what, F each) {
  require_table(L, path);
  const int table = lua_gettop(L);
  const auto n = static_cast<lua_Integer>(lua_rawlen(L, table));
  lua_Integer keys = 0;
  lua_pushnil(L);
  while (lua_next(L, table) != 0) {
    lua_pop(L, 1);
    ++keys;
  }
  if (keys != n) fail(path, "expected an array of " + std::string(what) + " (keys 1..n)");
  if (n == 0) fail(path, "expected at least one of " + std::string(what) + ", got an empty table");
  for (lua_Integer i = 1; i <= n; ++i) {
    lua_rawgeti(L, table, i);
    each(index_path(path, i));
    lua_pop(L, 1);
  }
}

}  // namespace ordeal::scenarios::options_reading
