#include "fault_random.hpp"

#include <cmath>

namespace ordeal::faults {

double fault_random::normal() noexcept {
  const double u1 = 1.0 - uniform();  // (0, 1]: log(0) is not a number
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

std::uint64_t mix_seed(std::uint64_t seed, std::uint64_t n) noexcept {
  fault_random r(seed ^ (n * 0x9e3779b97f4a7c15ULL));
  return r.next();
}

std::uint64_t mix_seed(std::uint64_t seed, std::string_view name) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const unsigned char c : name) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return mix_seed(seed, h);
}

}  // namespace ordeal::faults
