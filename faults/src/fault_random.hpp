#pragma once

#include <cstdint>
#include <string_view>

namespace ordeal::faults {

// splitmix64: small, fast and good enough for fault decisions; every stream is seeded from the
// run's master seed mixed with names and numbers, so the same seed and the same connection
// order give the same faults.
class fault_random {
 public:
  explicit fault_random(std::uint64_t seed = 0) noexcept : state_(seed) {}
  std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  bool chance(double p) noexcept { return p >= 1.0 || (p > 0.0 && uniform() < p); }
  double normal() noexcept;  // mean 0, deviation 1 (Box-Muller)

 private:
  std::uint64_t state_;
};

// Mixes a seed with a name or a number (FNV-1a then splitmix's finaliser).
std::uint64_t mix_seed(std::uint64_t seed, std::string_view name) noexcept;
std::uint64_t mix_seed(std::uint64_t seed, std::uint64_t n) noexcept;

}  // namespace ordeal::faults
