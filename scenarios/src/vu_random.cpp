#include "vu_random.hpp"

#include <cmath>
#include <lua.hpp>
#include <numbers>

namespace ordeal::scenarios {
namespace {

constexpr char current_random_key = 0;  // registry key (its address)

// splitmix64's output function: a bijective mix where every input bit affects every output bit.
constexpr std::uint64_t mix64(std::uint64_t z) noexcept {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// GCC and Clang have it on every 64-bit target; __extension__ keeps -Wpedantic quiet.
__extension__ typedef unsigned __int128 uint128;

constexpr std::uint64_t golden_gamma = 0x9e3779b97f4a7c15ULL;

constexpr std::uint64_t fnv1a64(std::string_view s) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace

vu_random::vu_random(std::uint64_t master_seed, std::string_view stream_name,
                     std::uint64_t stream_id) {
  // Chained rather than xor-ed together, so that swapping inputs gives another stream.
  std::uint64_t x = mix64(master_seed + golden_gamma);
  x = mix64(x ^ fnv1a64(stream_name));
  x = mix64(x ^ (stream_id + golden_gamma));
  // Expanding with splitmix64 as xoshiro's authors recommend; it never yields four zeros.
  for (auto& word : s_) {
    x += golden_gamma;
    word = mix64(x);
  }
}

double vu_random::uniform01() noexcept {
  return static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
}

double vu_random::uniform(double a, double b) noexcept {
  return a + (b - a) * uniform01();
}

std::int64_t vu_random::integer(std::int64_t a, std::int64_t b) noexcept {
  const std::uint64_t range = static_cast<std::uint64_t>(b) - static_cast<std::uint64_t>(a) + 1;
  if (range == 0) return static_cast<std::int64_t>(next_u64());  // the whole int64 range
  // Lemire's multiply-and-reject: no modulo bias, rarely more than one draw.
  uint128 m = static_cast<uint128>(next_u64()) * range;
  auto low = static_cast<std::uint64_t>(m);
  if (low < range) {
    const std::uint64_t threshold = (0 - range) % range;
    while (low < threshold) {
      m = static_cast<uint128>(next_u64()) * range;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) +
                                   static_cast<std::uint64_t>(m >> 64));
}

double vu_random::normal(double mean, double sd) noexcept {
  // Box-Muller without caching the second value: each call consumes exactly two draws, which
  // keeps streams easy to reason about when replaying.
  const double u1 = 1.0 - uniform01();  // (0, 1]: log stays finite
  const double u2 = uniform01();
  return mean + sd * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

double vu_random::exponential(double mean) noexcept {
  return -mean * std::log(1.0 - uniform01());
}

bool vu_random::bernoulli(double p) noexcept {
  return uniform01() < p;
}

std::string vu_random::uuid_v4() {
  std::uint8_t bytes[16];
  for (int half = 0; half < 2; ++half) {
    std::uint64_t word = next_u64();
    for (int i = 0; i < 8; ++i, word >>= 8)
      bytes[half * 8 + i] = static_cast<std::uint8_t>(word);
  }
  bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0F) | 0x40);  // version 4
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3F) | 0x80);  // variant 10xx (RFC 4122)
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += hex[bytes[i] >> 4];
    out += hex[bytes[i] & 0x0F];
  }
  return out;
}

void set_current_random(lua_State* L, vu_random* random) {
  if (random == nullptr) {
    lua_pushnil(L);
  } else {
    lua_pushlightuserdata(L, random);
  }
  lua_rawsetp(L, LUA_REGISTRYINDEX, &current_random_key);
}

vu_random* current_random(lua_State* L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &current_random_key);
  auto* random = static_cast<vu_random*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  return random;
}

namespace {

vu_random& need_random(lua_State* L) {
  vu_random* random = current_random(L);
  if (random == nullptr) luaL_error(L, "rand is not available here");
  return *random;
}

int rand_uniform(lua_State* L) {
  vu_random& random = need_random(L);
  if (lua_gettop(L) == 0) {
    lua_pushnumber(L, random.uniform01());
    return 1;
  }
  const double a = luaL_checknumber(L, 1);
  const double b = luaL_checknumber(L, 2);
  if (!(a <= b))
    return luaL_error(L, "rand.uniform: empty interval [%f, %f) (a must be <= b)", a, b);
  lua_pushnumber(L, random.uniform(a, b));
  return 1;
}

int rand_int(lua_State* L) {
  vu_random& random = need_random(L);
  const lua_Integer a = luaL_checkinteger(L, 1);
  const lua_Integer b = luaL_checkinteger(L, 2);
  if (a > b) return luaL_error(L, "rand.int: empty interval [%I, %I] (a must be <= b)", a, b);
  lua_pushinteger(L, random.integer(a, b));
  return 1;
}

int rand_normal(lua_State* L) {
  vu_random& random = need_random(L);
  const double mean = luaL_optnumber(L, 1, 0.0);
  const double sd = luaL_optnumber(L, 2, 1.0);
  luaL_argcheck(L, sd >= 0 && std::isfinite(sd), 2, "standard deviation must be >= 0");
  lua_pushnumber(L, random.normal(mean, sd));
  return 1;
}

int rand_exponential(lua_State* L) {
  vu_random& random = need_random(L);
  const double mean = luaL_checknumber(L, 1);
  luaL_argcheck(L, mean > 0 && std::isfinite(mean), 1, "mean must be > 0");
  lua_pushnumber(L, random.exponential(mean));
  return 1;
}

int rand_pick(lua_State* L) {
  vu_random& random = need_random(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  const auto n = static_cast<lua_Integer>(lua_rawlen(L, 1));
  luaL_argcheck(L, n > 0, 1, "cannot pick from an empty table");
  lua_rawgeti(L, 1, random.integer(1, n));
  return 1;
}

int rand_shuffle(lua_State* L) {
  vu_random& random = need_random(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  const auto n = static_cast<lua_Integer>(lua_rawlen(L, 1));
  lua_createtable(L, static_cast<int>(n), 0);
  for (lua_Integer i = 1; i <= n; ++i) {
    lua_rawgeti(L, 1, i);
    lua_rawseti(L, 2, i);
  }
  // Fisher-Yates on the copy; the argument is left as it was.
  for (lua_Integer i = n; i > 1; --i) {
    const lua_Integer j = random.integer(1, i);
    lua_rawgeti(L, 2, i);
    lua_rawgeti(L, 2, j);
    lua_rawseti(L, 2, i);
    lua_rawseti(L, 2, j);
  }
  return 1;
}

int rand_chance(lua_State* L) {
  vu_random& random = need_random(L);
  const double p = luaL_checknumber(L, 1);
  luaL_argcheck(L, p >= 0 && p <= 1, 1, "probability must be between 0 and 1");
  lua_pushboolean(L, random.bernoulli(p));
  return 1;
}

int uuid(lua_State* L) {
  vu_random& random = need_random(L);
  char text[37];
  {
    const std::string id = random.uuid_v4();
    id.copy(text, 36);
  }
  text[36] = '\0';
  lua_pushlstring(L, text, 36);
  return 1;
}

// Lua 5.4's math.random contract, drawn from the virtual user's stream.
int math_random(lua_State* L) {
  vu_random& random = need_random(L);
  lua_Integer low = 1;
  lua_Integer up = 0;
  switch (lua_gettop(L)) {
    case 0:
      lua_pushnumber(L, random.uniform01());
      return 1;
    case 1:
      up = luaL_checkinteger(L, 1);
      if (up == 0) {  // math.random(0): an integer with all bits random
        lua_pushinteger(L, static_cast<lua_Integer>(random.next_u64()));
        return 1;
      }
      break;
    case 2:
      low = luaL_checkinteger(L, 1);
      up = luaL_checkinteger(L, 2);
      break;
    default:
      return luaL_error(L, "wrong number of arguments");
  }
  luaL_argcheck(L, low <= up, 1, "interval is empty");
  lua_pushinteger(L, random.integer(low, up));
  return 1;
}

int math_randomseed(lua_State* L) {
  return luaL_error(L, "math.randomseed is disabled: the drill's seed drives every random choice");
}

}  // namespace

void open_random_library(lua_State* L) {
  static constexpr luaL_Reg functions[] = {
      {"uniform", rand_uniform},         {"int", rand_int},   {"normal", rand_normal},
      {"exponential", rand_exponential}, {"pick", rand_pick}, {"shuffle", rand_shuffle},
      {"chance", rand_chance},           {nullptr, nullptr}};
  luaL_newlib(L, functions);
  lua_setglobal(L, "rand");
  lua_register(L, "uuid", uuid);
  if (lua_getglobal(L, LUA_MATHLIBNAME) == LUA_TTABLE) {
    lua_pushcfunction(L, math_random);
    lua_setfield(L, -2, "random");
    lua_pushcfunction(L, math_randomseed);
    lua_setfield(L, -2, "randomseed");
  }
  lua_pop(L, 1);
}

}  // namespace ordeal::scenarios
