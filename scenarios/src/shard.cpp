#include "ordeal/scenarios/shard.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "ordeal/engine/config_error.hpp"

namespace ordeal::scenarios {

namespace {

[[noreturn]] void refuse(std::string_view text, std::string_view why) {
  throw engine::config_error("--shard " + std::string(text) + ": " + std::string(why) +
                             " (expected i/N with 1 <= i <= N, e.g. --shard 2/3)");
}

unsigned read_number(std::string_view all, std::string_view part) {
  unsigned v = 0;
  const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
  if (part.empty() || ec != std::errc{} || end != part.data() + part.size())
    refuse(all, "\"" + std::string(part) + "\" is not a whole number");
  return v;
}

std::uint64_t splitmix64(std::uint64_t x) noexcept {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

unsigned share_u(unsigned total, shard s) noexcept {
  return static_cast<unsigned>(shard_share(total, s));
}

}  // namespace

shard parse_shard(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) refuse(text, "no '/'");
  shard s;
  s.index = read_number(text, text.substr(0, slash));
  s.count = read_number(text, text.substr(slash + 1));
  if (s.count == 0) refuse(text, "the shard count must be at least 1");
  if (s.index == 0) refuse(text, "shards are numbered from 1");
  if (s.index > s.count)
    refuse(text, "shard " + std::to_string(s.index) + " of " + std::to_string(s.count) +
                     " does not exist");
  return s;
}

std::uint64_t shard_share(std::uint64_t total, shard s) noexcept {
  // 128 bits: total * i cannot overflow.
  using u128 = unsigned __int128;
  const auto upto = [&](unsigned i) {
    return static_cast<std::uint64_t>(static_cast<u128>(total) * i / s.count);
  };
  return upto(s.index) - upto(s.index - 1);
}

std::uint64_t shard_seed(std::uint64_t master, shard s) noexcept {
  if (s.count == 1) return master;
  return splitmix64(master + s.index * 0x9E3779B97F4A7C15ull);
}

void apply_shard(drill_options& d, shard s) {
  if (s.count == 1) return;
  const double n = s.count;
  std::vector<scenario_spec> kept;
  for (auto sc : d.scenarios) {
    bool runs = true;
    switch (sc.executor) {
      case executor_kind::constant_vus:
      case executor_kind::per_vu_iterations:
        sc.vus = share_u(sc.vus, s);
        runs = sc.vus > 0;
        break;
      case executor_kind::shared_iterations: {
        sc.iterations = shard_share(sc.iterations, s);
        // Every iteration of the share needs a VU to run it, even when the VU share is 0.
        const auto vus = std::max<std::uint64_t>(1, shard_share(sc.vus, s));
        sc.vus = static_cast<unsigned>(std::min<std::uint64_t>(vus, sc.iterations));
        runs = sc.iterations > 0;
        break;
      }
      case executor_kind::ramping_vus: {
        sc.start_vus = share_u(sc.start_vus, s);
        sc.vus = share_u(sc.vus, s);
        unsigned peak = sc.start_vus;
        for (auto& st : sc.stages) {
          st.target = static_cast<double>(
              shard_share(static_cast<std::uint64_t>(std::llround(std::max(0.0, st.target))), s));
          peak = std::max(peak, static_cast<unsigned>(st.target));
        }
        runs = peak > 0;
        break;
      }
      case executor_kind::constant_arrival_rate:
      case executor_kind::ramping_arrival_rate: {
        sc.rate /= n;
        sc.start_rate /= n;
        for (auto& st : sc.stages)
          st.target /= n;
        sc.vus = std::max(1u, share_u(sc.vus, s));
        if (sc.max_vus != 0) sc.max_vus = std::max(sc.vus, share_u(sc.max_vus, s));
        break;
      }
    }
    if (runs) kept.push_back(std::move(sc));
  }
  d.scenarios = std::move(kept);
}

}  // namespace ordeal::scenarios
