#include "lua_json.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <lua.hpp>
#include <utility>
#include <vector>

namespace ordeal::scenarios {
namespace {

// Registry keys (their addresses) and the null sentinel's address.
constexpr char array_marker_key = 0;
constexpr char null_sentinel = 0;

// Pushes the metatable that marks a table as a JSON array, creating it on first use.
void push_array_marker(lua_State* L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &array_marker_key) == LUA_TTABLE) return;
  lua_pop(L, 1);
  lua_createtable(L, 0, 0);
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &array_marker_key);
}

bool has_array_marker(lua_State* L, int index) {
  if (!lua_getmetatable(L, index)) return false;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &array_marker_key);
  const bool marked = lua_rawequal(L, -1, -2);
  lua_pop(L, 2);
  return marked;
}

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t extra = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= s.size()) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8.
    static constexpr std::uint32_t min_for_length[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min_for_length[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

bool is_identifier(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

class encoder {
 public:
  explicit encoder(lua_State* L) : L_(L) {}

  boost::json::value encode(int index, int depth) {
    switch (lua_type(L_, index)) {
      case LUA_TNIL:
        return nullptr;
      case LUA_TBOOLEAN:
        return static_cast<bool>(lua_toboolean(L_, index));
      case LUA_TNUMBER:
        return encode_number(index);
      case LUA_TSTRING: {
        std::size_t size = 0;
        const char* data = lua_tolstring(L_, index, &size);
        if (!valid_utf8({data, size})) fail("is a string that is not valid UTF-8");
        return boost::json::string(std::string_view(data, size));
      }
      case LUA_TLIGHTUSERDATA:
        if (lua_touserdata(L_, index) == &null_sentinel) return nullptr;
        fail("is a light userdata (only json.null encodes as null)");
      case LUA_TTABLE:
        return encode_table(index, depth);
      default:
        fail(std::string("is a ") + lua_typename(L_, lua_type(L_, index)));
    }
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw json_encode_error(path_.empty() ? "value " + what : "value at " + path_ + " " + what);
  }

  boost::json::value encode_number(int index) {
    if (lua_isinteger(L_, index)) return static_cast<std::int64_t>(lua_tointeger(L_, index));
    const double d = lua_tonumber(L_, index);
    if (std::isnan(d)) fail("is NaN (not a number), which JSON cannot represent");
    if (std::isinf(d)) fail("is infinite, which JSON cannot represent");
    return d;
  }

  struct key {
    std::string name;  // as written in JSON
    bool integer;      // the Lua key is an integer (name is its decimal form)
  };

  boost::json::value encode_table(int index, int depth) {
    index = lua_absindex(L_, index);
    if (depth > max_json_depth) {
      fail("is nested more than " + std::to_string(max_json_depth) + " levels deep");
    }
    const void* self = lua_topointer(L_, index);
    if (std::find(open_.begin(), open_.end(), self) != open_.end()) {
      fail("is a table that contains itself (a cycle)");
    }
    if (!lua_checkstack(L_, 4)) fail("is nested too deeply for the Lua stack");

    std::vector<key> keys;
    lua_Integer max_integer = 0;
    bool positive_integers_only = true;
    lua_pushnil(L_);
    while (lua_next(L_, index) != 0) {
      lua_pop(L_, 1);  // the value; keep the key for lua_next
      if (lua_type(L_, -1) == LUA_TSTRING) {
        std::size_t size = 0;
        const char* data = lua_tolstring(L_, -1, &size);
        if (!valid_utf8({data, size})) {
          lua_pop(L_, 1);
          fail("has a key that is not valid UTF-8");
        }
        keys.push_back({std::string(data, size), false});
        positive_integers_only = false;
      } else if (lua_isinteger(L_, -1)) {
        const lua_Integer i = lua_tointeger(L_, -1);
        keys.push_back({std::to_string(i), true});
        if (i < 1) positive_integers_only = false;
        max_integer = std::max(max_integer, i);
      } else {
        const std::string type = lua_type(L_, -1) == LUA_TNUMBER
                                     ? std::string("non-integer number")
                                     : std::string(lua_typename(L_, lua_type(L_, -1)));
        lua_pop(L_, 1);
        fail("has a " + type + " key (JSON keys must be strings or integers)");
      }
    }

    // Distinct positive integers, as many as the largest: exactly 1..n.
    const bool sequence =
        positive_integers_only && max_integer == static_cast<lua_Integer>(keys.size());
    const bool marked = has_array_marker(L_, index);
    if (marked && !sequence && !keys.empty()) {
      fail("is marked as a JSON array (json.array) but its keys are not exactly 1..n");
    }

    open_.push_back(self);
    const std::size_t path_size = path_.size();
    boost::json::value result;
    if (marked || (sequence && !keys.empty())) {
      boost::json::array& array = result.emplace_array();
      array.reserve(keys.size());
      for (lua_Integer i = 1; i <= max_integer; ++i) {
        path_ += '[';
        path_ += std::to_string(i);
        path_ += ']';
        lua_rawgeti(L_, index, i);
        array.push_back(encode(-1, depth + 1));
        lua_pop(L_, 1);
        path_.resize(path_size);
      }
    } else {
      // Sorted, so that one table always gives one text (Lua's order changes run to run).
      std::sort(keys.begin(), keys.end(),
                [](const key& a, const key& b) { return a.name < b.name; });
      for (std::size_t k = 1; k < keys.size(); ++k) {
        if (keys[k].name == keys[k - 1].name) {
          fail("has both " + keys[k].name + " and \"" + keys[k].name +
               "\" as keys, which are the same JSON key");
        }
      }
      boost::json::object& object = result.emplace_object();
      object.reserve(keys.size());
      for (const key& k : keys) {
        if (!k.integer && is_identifier(k.name)) {
          path_ += '.';
          path_ += k.name;
        } else {
          path_ += k.integer ? "[" + k.name + "]" : "[\"" + k.name + "\"]";
        }
        if (k.integer) {
          lua_pushinteger(L_, std::stoll(k.name));
        } else {
          lua_pushlstring(L_, k.name.data(), k.name.size());
        }
        lua_rawget(L_, index);
        object.emplace(k.name, encode(-1, depth + 1));
        lua_pop(L_, 1);
        path_.resize(path_size);
      }
    }
    open_.pop_back();
    return result;
  }

  lua_State* L_;
  std::vector<const void*> open_;  // tables on the path from the root: a repeat is a cycle
  std::string path_;               // ".user.tags[3]"; empty at the root
};

void write_string(std::string& out, std::string_view s) {
  out += '"';
  for (const char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          static constexpr char hex[] = "0123456789abcdef";
          out += "\\u00";
          out += hex[(c >> 4) & 0xF];
          out += hex[c & 0xF];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void write_double(std::string& out, double d) {
  char buffer[32];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, d);
  std::string_view text(buffer, static_cast<std::size_t>(end - buffer));
  out += text;
  // Shortest form of 1.0 is "1": keep it a float for whoever decodes it.
  if (text.find_first_of(".eE") == std::string_view::npos) out += ".0";
}

void newline(std::string& out, int indent, int depth) {
  if (indent <= 0) return;
  out += '\n';
  out.append(static_cast<std::size_t>(indent * depth), ' ');
}

void write_value(std::string& out, const boost::json::value& v, int indent, int depth) {
  switch (v.kind()) {
    case boost::json::kind::null:
      out += "null";
      break;
    case boost::json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      break;
    case boost::json::kind::int64:
      out += std::to_string(v.get_int64());
      break;
    case boost::json::kind::uint64:
      out += std::to_string(v.get_uint64());
      break;
    case boost::json::kind::double_:
      write_double(out, v.get_double());
      break;
    case boost::json::kind::string:
      write_string(out, v.get_string());
      break;
    case boost::json::kind::array: {
      const auto& array = v.get_array();
      out += '[';
      for (std::size_t i = 0; i < array.size(); ++i) {
        if (i > 0) out += ',';
        newline(out, indent, depth + 1);
        write_value(out, array[i], indent, depth + 1);
      }
      if (!array.empty()) newline(out, indent, depth);
      out += ']';
      break;
    }
    case boost::json::kind::object: {
      const auto& object = v.get_object();
      out += '{';
      bool first = true;
      for (const auto& member : object) {
        if (!first) out += ',';
        first = false;
        newline(out, indent, depth + 1);
        write_string(out, member.key());
        out += indent > 0 ? ": " : ":";
        write_value(out, member.value(), indent, depth + 1);
      }
      if (!object.empty()) newline(out, indent, depth);
      out += '}';
      break;
    }
  }
}

// Raises the error message at the top of the stack, prefixed with the script position.
int raise_here(lua_State* L) {
  luaL_where(L, 1);
  lua_insert(L, -2);
  lua_concat(L, 2);
  return lua_error(L);
}

// The C++ work of json.encode / json.decode: pushes the result, or the error message and
// returns false. Kept apart from the lua_CFunctions so that no C++ object is alive when they
// raise (lua_error longjmps).
bool encode_onto_stack(lua_State* L, int indent) {
  try {
    const std::string text = serialize_json(convert_to_json(L, 1), indent);
    lua_pushlstring(L, text.data(), text.size());
    return true;
  } catch (const std::exception& e) {
    lua_pushfstring(L, "json.encode: %s", e.what());
    return false;
  }
}

bool decode_onto_stack(lua_State* L, std::string_view text) {
  boost::json::parse_options options;
  options.max_depth = max_json_depth;
  boost::json::parser parser({}, options);
  boost::system::error_code ec;
  const std::size_t consumed = parser.write(text.data(), text.size(), ec);
  if (ec) {
    const std::string message = ec.message();
    lua_pushfstring(L, "json.decode: %s at offset %I", message.c_str(),
                    static_cast<lua_Integer>(consumed));
    return false;
  }
  push_json(L, parser.release());
  return true;
}

int json_encode(lua_State* L) {
  luaL_checkany(L, 1);
  int indent = 0;
  if (!lua_isnoneornil(L, 2)) {
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_pushnil(L);
    while (lua_next(L, 2) != 0) {
      if (lua_type(L, -2) != LUA_TSTRING || std::strcmp(lua_tostring(L, -2), "indent") != 0) {
        return luaL_error(L, "json.encode: unknown option %s (expected indent)",
                          luaL_tolstring(L, -2, nullptr));
      }
      if (lua_isboolean(L, -1)) {
        indent = lua_toboolean(L, -1) ? 2 : 0;
      } else if (lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 0 && lua_tointeger(L, -1) <= 16) {
        indent = static_cast<int>(lua_tointeger(L, -1));
      } else {
        return luaL_error(L, "json.encode: option indent must be true, false or 0..16 spaces");
      }
      lua_pop(L, 1);
    }
  }
  lua_settop(L, 1);
  if (!encode_onto_stack(L, indent)) return raise_here(L);
  return 1;
}

int json_decode(lua_State* L) {
  std::size_t size = 0;
  const char* text = luaL_checklstring(L, 1, &size);
  if (!decode_onto_stack(L, std::string_view(text, size))) return raise_here(L);
  return 1;
}

int json_array(lua_State* L) {
  if (lua_isnoneornil(L, 1)) {
    lua_settop(L, 0);
    lua_createtable(L, 0, 0);
  } else {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    if (lua_getmetatable(L, 1)) {
      if (!has_array_marker(L, 1)) {
        return luaL_error(L, "json.array: the table already has a metatable");
      }
      lua_pop(L, 1);
    }
  }
  push_array_marker(L);
  lua_setmetatable(L, 1);
  return 1;
}

}  // namespace

void push_json_null(lua_State* L) {
  lua_pushlightuserdata(L, const_cast<char*>(&null_sentinel));
}

bool is_json_null(lua_State* L, int index) {
  return lua_type(L, index) == LUA_TLIGHTUSERDATA && lua_touserdata(L, index) == &null_sentinel;
}

void push_json(lua_State* L, const boost::json::value& value) {
  luaL_checkstack(L, 3, "JSON nested too deeply");
  switch (value.kind()) {
    case boost::json::kind::null:
      push_json_null(L);
      break;
    case boost::json::kind::bool_:
      lua_pushboolean(L, value.get_bool());
      break;
    case boost::json::kind::int64:
      lua_pushinteger(L, value.get_int64());
      break;
    case boost::json::kind::uint64:
      // Past Lua's integers: the nearest float, as Lua itself does with such literals.
      if (value.get_uint64() <= static_cast<std::uint64_t>(LUA_MAXINTEGER)) {
        lua_pushinteger(L, static_cast<lua_Integer>(value.get_uint64()));
      } else {
        lua_pushnumber(L, static_cast<lua_Number>(value.get_uint64()));
      }
      break;
    case boost::json::kind::double_:
      lua_pushnumber(L, value.get_double());
      break;
    case boost::json::kind::string: {
      const auto& s = value.get_string();
      lua_pushlstring(L, s.data(), s.size());
      break;
    }
    case boost::json::kind::array: {
      const auto& array = value.get_array();
      lua_createtable(L, static_cast<int>(std::min<std::size_t>(array.size(), INT32_MAX)), 0);
      lua_Integer i = 0;
      for (const auto& element : array) {
        push_json(L, element);
        lua_rawseti(L, -2, ++i);
      }
      push_array_marker(L);
      lua_setmetatable(L, -2);
      break;
    }
    case boost::json::kind::object: {
      const auto& object = value.get_object();
      lua_createtable(L, 0, static_cast<int>(std::min<std::size_t>(object.size(), INT32_MAX)));
      for (const auto& member : object) {
        lua_pushlstring(L, member.key().data(), member.key().size());
        push_json(L, member.value());
        lua_rawset(L, -3);
      }
      break;
    }
  }
}

boost::json::value convert_to_json(lua_State* L, int index) {
  const int top = lua_gettop(L);
  try {
    encoder e(L);
    boost::json::value result = e.encode(lua_absindex(L, index), 1);
    lua_settop(L, top);
    return result;
  } catch (...) {
    lua_settop(L, top);
    throw;
  }
}

boost::json::value to_json(lua_State* L, int index, std::string_view who) {
  {
    try {
      return convert_to_json(L, index);
    } catch (const std::exception& e) {
      lua_pushlstring(L, who.data(), who.size());
      lua_pushfstring(L, ": %s", e.what());
      lua_concat(L, 2);
    }
  }
  raise_here(L);
  return nullptr;  // not reached: lua_error does not return
}

std::string serialize_json(const boost::json::value& value, int indent) {
  std::string out;
  write_value(out, value, indent, 0);
  return out;
}

void open_json_library(lua_State* L) {
  static constexpr luaL_Reg functions[] = {
      {"encode", json_encode}, {"decode", json_decode}, {"array", json_array}, {nullptr, nullptr}};
  luaL_newlib(L, functions);
  push_json_null(L);
  lua_setfield(L, -2, "null");
  lua_setglobal(L, "json");
}

}  // namespace ordeal::scenarios
