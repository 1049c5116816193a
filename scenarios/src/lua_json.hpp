#pragma once

#include <boost/json/value.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

struct lua_State;

namespace ordeal::scenarios {

// Lua <-> JSON, one mapping for json.encode/decode, open_json and request/response bodies:
//   JSON null    <-> json.null (a light userdata sentinel; a nil cannot live in a table)
//   true/false   <-> booleans
//   numbers      <-> integers stay integers, floats stay floats (1.0 encodes as "1.0")
//   strings      <-> strings (encoding requires valid UTF-8)
//   arrays       <-> tables with keys 1..n exactly; decoded arrays carry a marker metatable
//                    (json.array) so that an empty one encodes back to [] rather than {}
//   objects      <-> other tables; keys are strings or integers (written as "3"), emitted in
//                    sorted order so that the same table always encodes to the same text.
// An empty table without the marker encodes as {}; json.array({}) encodes as [].

// Encoding failure; the message names the place, e.g. "value at .user.tags[3] is a function".
class json_encode_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr int max_json_depth = 100;  // nesting levels, both directions

// Pushes the Lua form of `value`. Raises a Lua error only when out of memory or stack.
void push_json(lua_State* L, const boost::json::value& value);

// Converts the Lua value at `index`; throws json_encode_error on cycles, functions and other
// non-data values, keys that are neither strings nor integers, NaN or infinities, invalid
// UTF-8 and nesting deeper than max_json_depth. Never raises a Lua error (bar memory).
boost::json::value convert_to_json(lua_State* L, int index);

// The same, raising a Lua error "<who>: <message>" instead: call it only from a lua_CFunction
// whose own frames hold no objects with destructors (the error longjmps over them).
boost::json::value to_json(lua_State* L, int index, std::string_view who = "json.encode");

// JSON text of `value`; indent > 0 writes one member per line with that many spaces per level.
// Floats keep a fraction or exponent ("1.0"), so decoding gives a float back.
std::string serialize_json(const boost::json::value& value, int indent = 0);

// Pushes json.null / tells whether the value at `index` is it.
void push_json_null(lua_State* L);
bool is_json_null(lua_State* L, int index);

// Registers the global table `json`: encode(value [, {indent = true|n}]), decode(text), null,
// array([table]) (marks a table as an array, so that an empty one encodes as []).
void open_json_library(lua_State* L);

}  // namespace ordeal::scenarios
