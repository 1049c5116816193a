#include "../../../scenarios/src/vu_random.hpp"

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <lua.hpp>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "../../../scenarios/src/lua_sandbox.hpp"

using namespace ordeal::scenarios;

namespace {

std::vector<std::uint64_t> first(vu_random r, int n) {
  std::vector<std::uint64_t> values;
  for (int i = 0; i < n; ++i)
    values.push_back(r.next_u64());
  return values;
}

struct random_state {
  lua_state state = make_sandboxed_state({});
  lua_State* L = state.get();
  random_state() { open_random_library(L); }

  std::string run(const std::string& code) {
    if (luaL_dostring(L, code.c_str()) == LUA_OK) return "";
    std::string message = lua_tostring(L, -1);
    lua_pop(L, 1);
    return message;
  }
};

}  // namespace

TEST_CASE("vu_random: streams are reproducible and independent", "[scenarios]") {
  const auto base = first(vu_random(42, "browse", 7), 1000);
  CHECK(first(vu_random(42, "browse", 7), 1000) == base);
  CHECK(first(vu_random(42, "browse", 8), 1000) != base);
  CHECK(first(vu_random(43, "browse", 7), 1000) != base);
  CHECK(first(vu_random(42, "browsf", 7), 1000) != base);
  // Neighbouring users share no values at all in their first thousand draws.
  const auto neighbour = first(vu_random(42, "browse", 8), 1000);
  const std::set<std::uint64_t> a(base.begin(), base.end());
  CHECK(std::none_of(neighbour.begin(), neighbour.end(), [&](auto v) { return a.contains(v); }));
  // Seed 0 and id 0 still give a working, non-degenerate stream.
  const auto zeros = first(vu_random(0, "", 0), 100);
  CHECK(std::set<std::uint64_t>(zeros.begin(), zeros.end()).size() == 100);
}

TEST_CASE("vu_random: distributions have the right shape", "[scenarios]") {
  vu_random r(1, "stats", 0);
  constexpr int n = 100'000;

  double sum = 0;
  double low = 1;
  double high = 0;
  for (int i = 0; i < n; ++i) {
    const double u = r.uniform01();
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
    sum += u;
    low = std::min(low, u);
    high = std::max(high, u);
  }
  CHECK(sum / n == Approx(0.5).epsilon(0.01));
  CHECK(low < 0.001);
  CHECK(high > 0.999);

  sum = 0;
  for (int i = 0; i < n; ++i) {
    const double e = r.exponential(0.5);
    REQUIRE(e >= 0.0);
    sum += e;
  }
  CHECK(sum / n == Approx(0.5).epsilon(0.02));

  sum = 0;
  double squares = 0;
  for (int i = 0; i < n; ++i) {
    const double x = r.normal(10, 2);
    sum += x;
    squares += x * x;
  }
  const double mean = sum / n;
  CHECK(mean == Approx(10).epsilon(0.005));
  CHECK(std::sqrt(squares / n - mean * mean) == Approx(2).epsilon(0.02));

  int hits = 0;
  for (int i = 0; i < n; ++i)
    hits += r.bernoulli(0.3);
  CHECK(hits / double(n) == Approx(0.3).epsilon(0.03));
  for (int i = 0; i < 1000; ++i) {
    REQUIRE_FALSE(r.bernoulli(0));
    REQUIRE(r.bernoulli(1));
  }

  for (int i = 0; i < 1000; ++i) {
    const double x = r.uniform(-3, 5);
    REQUIRE(x >= -3);
    REQUIRE(x < 5);
  }
}

TEST_CASE("vu_random: integer is inclusive and unbiased", "[scenarios]") {
  vu_random r(9, "ints", 3);
  std::array<int, 6> counts{};
  for (int i = 0; i < 60'000; ++i) {
    const auto v = r.integer(1, 6);
    REQUIRE(v >= 1);
    REQUIRE(v <= 6);
    ++counts[static_cast<std::size_t>(v - 1)];
  }
  for (const int c : counts)
    CHECK(c == Approx(10'000).epsilon(0.05));
  CHECK(r.integer(5, 5) == 5);
  bool saw_low = false;
  bool saw_high = false;
  for (int i = 0; i < 1000; ++i) {
    const auto v = r.integer(-2, 0);
    REQUIRE(v >= -2);
    REQUIRE(v <= 0);
    saw_low |= v == -2;
    saw_high |= v == 0;
  }
  CHECK((saw_low && saw_high));
  // The whole int64 range (the span wraps to 0 internally) gives both signs.
  bool negative = false;
  bool positive = false;
  for (int i = 0; i < 100; ++i) {
    const auto v = r.integer(std::numeric_limits<std::int64_t>::min(),
                             std::numeric_limits<std::int64_t>::max());
    negative |= v < 0;
    positive |= v > 0;
  }
  CHECK((negative && positive));
}

TEST_CASE("vu_random: uuid_v4 is well formed and unique", "[scenarios]") {
  vu_random r(5, "ids", 1);
  const std::regex shape("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = r.uuid_v4();
    REQUIRE(id.size() == 36);
    REQUIRE(std::regex_match(id, shape));
    seen.insert(id);
  }
  CHECK(seen.size() == 1000);
}

TEST_CASE("rand: the Lua library draws from the current generator", "[scenarios]") {
  random_state s;
  CHECK_THAT(s.run("rand.int(1, 2)"), Catch::Matchers::EndsWith("rand is not available here"));
  CHECK_THAT(s.run("math.random()"), Catch::Matchers::EndsWith("rand is not available here"));
  CHECK_THAT(s.run("uuid()"), Catch::Matchers::EndsWith("rand is not available here"));

  vu_random r(7, "lua", 0);
  set_current_random(s.L, &r);
  CHECK(current_random(s.L) == &r);
  CHECK(s.run(R"(
    for i = 1, 1000 do
      local x = rand.int(1, 3) assert(x >= 1 and x <= 3 and math.type(x) == 'integer')
      local u = rand.uniform() assert(u >= 0 and u < 1)
      local v = rand.uniform(2, 3) assert(v >= 2 and v < 3)
      local m = math.random() assert(m >= 0 and m < 1)
      local d = math.random(6) assert(d >= 1 and d <= 6)
      local p = math.random(-1, 1) assert(p >= -1 and p <= 1)
      assert(rand.exponential(2) >= 0)
      assert(type(rand.normal()) == 'number' and type(rand.normal(5, 1)) == 'number')
      assert(rand.chance(1) == true and rand.chance(0) == false)
    end
    assert(math.type(math.random(0)) == 'integer')
    assert(rand.pick({'only'}) == 'only')
    local input = {1, 2, 3, 4, 5, 6, 7, 8}
    local out = rand.shuffle(input)
    assert(out ~= input and #out == 8)
    for i = 1, 8 do assert(input[i] == i) end -- untouched
    local seen = {} for _, v in ipairs(out) do seen[v] = true end
    for i = 1, 8 do assert(seen[i]) end      -- a permutation
    assert(uuid():match('^%x+%-%x+%-4%x+%-[89ab]%x+%-%x+$') and #uuid() == 36)
  )") == "");

  CHECK_THAT(s.run("math.randomseed(1)"),
             Catch::Matchers::EndsWith(
                 "math.randomseed is disabled: the drill's seed drives every random choice"));
  CHECK_THAT(s.run("rand.pick({})"), Catch::Matchers::Contains("cannot pick from an empty table"));
  CHECK_THAT(s.run("rand.int(5, 1)"),
             Catch::Matchers::Contains("rand.int: empty interval [5, 1] (a must be <= b)"));
  CHECK_THAT(s.run("rand.exponential(0)"), Catch::Matchers::Contains("mean must be > 0"));
  CHECK_THAT(s.run("rand.chance(1.5)"),
             Catch::Matchers::Contains("probability must be between 0 and 1"));
  CHECK_THAT(s.run("rand.normal(0, -1)"),
             Catch::Matchers::Contains("standard deviation must be >= 0"));
  CHECK_THAT(s.run("math.random(0.5)"), Catch::Matchers::Contains("number has no integer"));
  CHECK_THAT(s.run("math.random(3, 1)"), Catch::Matchers::Contains("interval is empty"));
  CHECK_THAT(s.run("math.random(1, 2, 3)"), Catch::Matchers::Contains("wrong number of arguments"));

  set_current_random(s.L, nullptr);
  CHECK(current_random(s.L) == nullptr);
  CHECK_THAT(s.run("rand.uniform()"), Catch::Matchers::EndsWith("rand is not available here"));
}

TEST_CASE("rand: the same seed replays the same Lua choices", "[scenarios]") {
  const auto draws = [](std::uint64_t id) {
    random_state s;
    vu_random r(99, "checkout", id);
    set_current_random(s.L, &r);
    REQUIRE(s.run("result = {} for i = 1, 50 do result[i] = rand.int(1, 1000000) .. ':' .. "
                  "math.random(10) .. ':' .. rand.pick({'a','b','c'}) end result = "
                  "table.concat(result, ',')") == "");
    lua_getglobal(s.L, "result");
    std::string text = lua_tostring(s.L, -1);
    lua_pop(s.L, 1);
    return text;
  };
  CHECK(draws(1) == draws(1));
  CHECK(draws(1) != draws(2));
}
