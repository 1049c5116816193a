// --shard i/N: parsing, the share arithmetic, the seed derivation and the scenarios' cut.
#include "ordeal/scenarios/shard.hpp"

#include <catch2/catch.hpp>
#include <set>

#include "ordeal/engine/config_error.hpp"

using ordeal::scenarios::apply_shard;
using ordeal::scenarios::drill_options;
using ordeal::scenarios::executor_kind;
using ordeal::scenarios::parse_shard;
using ordeal::scenarios::scenario_spec;
using ordeal::scenarios::shard;
using ordeal::scenarios::shard_seed;
using ordeal::scenarios::shard_share;

TEST_CASE("shard: i/N parses and out-of-range shards are refused with the flag named", "[shard]") {
  const auto s = parse_shard("2/3");
  CHECK(s.index == 2);
  CHECK(s.count == 3);
  CHECK(parse_shard("1/1").count == 1);
  for (const char* bad : {"4/3", "0/3", "1/0", "3", "a/3", "1/3x", "/3", "-1/3"}) {
    INFO(bad);
    try {
      parse_shard(bad);
      FAIL("accepted");
    } catch (const ordeal::engine::config_error& e) {
      CHECK(std::string(e.what()).starts_with(std::string("--shard ") + bad + ": "));
    }
  }
}

TEST_CASE("shard: shares of a total sum to it exactly and differ by at most one", "[shard]") {
  for (std::uint64_t total :
       {0ull, 1ull, 2ull, 7ull, 100ull, 300ull, 1001ull, 18446744073709551615ull}) {
    for (unsigned n : {1u, 2u, 3u, 7u, 64u}) {
      std::uint64_t sum = 0, lo = UINT64_MAX, hi = 0;
      for (unsigned i = 1; i <= n; ++i) {
        const auto v = shard_share(total, {i, n});
        sum += v;
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
      INFO(total << " over " << n);
      CHECK(sum == total);
      CHECK(hi - lo <= 1);
    }
  }
  CHECK(shard_share(2, {1, 3}) == 0);
  CHECK(shard_share(2, {2, 3}) == 1);
  CHECK(shard_share(2, {3, 3}) == 1);
}

TEST_CASE("shard: seeds differ per shard, replay the same, and 1/1 keeps the master", "[shard]") {
  std::set<std::uint64_t> seeds;
  for (unsigned i = 1; i <= 8; ++i)
    seeds.insert(shard_seed(42, {i, 8}));
  CHECK(seeds.size() == 8);
  CHECK(shard_seed(42, {3, 8}) == shard_seed(42, {3, 8}));
  CHECK(shard_seed(42, {3, 8}) != shard_seed(43, {3, 8}));
  CHECK(shard_seed(42, {1, 1}) == 42);
}

namespace {

scenario_spec scenario(std::string name, executor_kind k) {
  scenario_spec s;
  s.name = std::move(name);
  s.executor = k;
  return s;
}

}  // namespace

TEST_CASE("shard: every executor gets its share and the shares add up to the whole", "[shard]") {
  drill_options d;
  auto shared = scenario("a_shared", executor_kind::shared_iterations);
  shared.vus = 2;
  shared.iterations = 300;
  auto per_vu = scenario("b_per_vu", executor_kind::per_vu_iterations);
  per_vu.vus = 4;
  per_vu.iterations = 5;
  auto constant = scenario("c_constant", executor_kind::constant_vus);
  constant.vus = 2;
  auto rate = scenario("d_rate", executor_kind::constant_arrival_rate);
  rate.rate = 100;
  rate.vus = 10;
  rate.max_vus = 20;
  auto ramp = scenario("e_ramp", executor_kind::ramping_arrival_rate);
  ramp.start_rate = 10;
  ramp.stages = {{std::chrono::seconds(1), 30}, {std::chrono::seconds(1), 0}};
  ramp.vus = 1;
  auto vus_ramp = scenario("f_vus_ramp", executor_kind::ramping_vus);
  vus_ramp.start_vus = 0;
  vus_ramp.stages = {{std::chrono::seconds(1), 5}};
  d.scenarios = {shared, per_vu, constant, rate, ramp, vus_ramp};

  std::uint64_t shared_iterations = 0, per_vu_total = 0, constant_vus = 0, pre = 0, max = 0,
                ramp_peak = 0;
  double rate_sum = 0, start_rate_sum = 0, stage_sum = 0;
  for (unsigned i = 1; i <= 3; ++i) {
    auto copy = d;
    apply_shard(copy, {i, 3});
    for (const auto& s : copy.scenarios) {
      if (s.name == "a_shared") {
        shared_iterations += s.iterations;
        CHECK(s.vus >= 1);  // shard 1's VU share is 0, yet its iterations need one
        CHECK(s.iterations == 100);
      } else if (s.name == "b_per_vu") {
        per_vu_total += std::uint64_t{s.vus} * s.iterations;
      } else if (s.name == "c_constant") {
        constant_vus += s.vus;
      } else if (s.name == "d_rate") {
        rate_sum += s.rate;
        pre += s.vus;
        max += s.max_vus;
      } else if (s.name == "e_ramp") {
        start_rate_sum += s.start_rate;
        stage_sum += s.stages[0].target;
        CHECK(s.vus == 1);
      } else if (s.name == "f_vus_ramp") {
        ramp_peak += static_cast<std::uint64_t>(s.stages[0].target);
      }
    }
    if (i == 1) {
      // 2 constant VUs over 3 shards: shard 1's share is 0, so the scenario does not run there.
      CHECK(std::none_of(copy.scenarios.begin(), copy.scenarios.end(),
                         [](const auto& s) { return s.name == "c_constant"; }));
    }
  }
  CHECK(shared_iterations == 300);
  CHECK(per_vu_total == 20);
  CHECK(constant_vus == 2);
  CHECK(rate_sum == Approx(100));
  CHECK(pre == 10);
  CHECK(max == 20);
  CHECK(start_rate_sum == Approx(10));
  CHECK(stage_sum == Approx(30));
  CHECK(ramp_peak == 5);
}

TEST_CASE("shard: a single shard leaves the drill as it is", "[shard]") {
  drill_options d;
  auto s = scenario("s", executor_kind::constant_arrival_rate);
  s.rate = 7;
  s.vus = 3;
  d.scenarios = {s};
  apply_shard(d, {1, 1});
  REQUIRE(d.scenarios.size() == 1);
  CHECK(d.scenarios[0].rate == 7);
  CHECK(d.scenarios[0].vus == 3);
}
