#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

struct lua_State;

namespace ordeal::scenarios {

// The deterministic generator behind every random choice of a virtual user (xoshiro256**).
// One stream per (drill seed, scenario, virtual user): streams are independent of each other
// and of how many there are, so a seed replays each user's choices exactly, whatever the
// thread count or scheduling. Never seeded from the clock or std::random_device.
class vu_random {
 public:
  // The state is derived by hashing all three (FNV-1a of the name, mixed with the others
  // through splitmix64), so nearby ids and similar names still give unrelated streams.
  vu_random(std::uint64_t master_seed, std::string_view stream_name, std::uint64_t stream_id);

  std::uint64_t next_u64() noexcept {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  double uniform01() noexcept;                                    // [0, 1), 53 random bits
  double uniform(double a, double b) noexcept;                    // [a, b)
  std::int64_t integer(std::int64_t a, std::int64_t b) noexcept;  // [a, b], unbiased; a <= b
  double normal(double mean, double sd) noexcept;
  double exponential(double mean) noexcept;  // mean > 0
  bool bernoulli(double p) noexcept;         // true with probability p
  std::string uuid_v4();                     // "xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx"

  // UniformRandomBitGenerator, for std::shuffle and the <random> distributions.
  using result_type = std::uint64_t;
  static constexpr result_type min() noexcept { return 0; }
  static constexpr result_type max() noexcept { return std::numeric_limits<result_type>::max(); }
  result_type operator()() noexcept { return next_u64(); }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept {
    return (x << k) | (x >> (64 - k));
  }
  std::array<std::uint64_t, 4> s_{};
};

// The generator the Lua functions below use; the runtime sets it before resuming each virtual
// user (nullptr clears it). Kept in the registry: several states may live on several threads.
void set_current_random(lua_State* L, vu_random* random);
vu_random* current_random(lua_State* L);  // nullptr when none is set

// Registers the global table `rand` (uniform([a, b]), int(a, b), normal([mean [, sd]]),
// exponential(mean), pick(array), shuffle(array), chance(p)), the global uuid(), and replaces
// math.random (same contract as Lua 5.4's, drawn from the current generator) and
// math.randomseed (an error: the drill's seed drives every random choice). Each raises
// "rand is not available here" when no generator is set.
void open_random_library(lua_State* L);

}  // namespace ordeal::scenarios
