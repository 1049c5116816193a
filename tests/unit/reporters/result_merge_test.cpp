// ordeal merge's core: a shard's result written and read back, shards added bucket by bucket
// and second by wall-clock second, and the inputs a merge must refuse.
#include "ordeal/reporters/result_merge.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "ordeal/engine/config_error.hpp"
#include "ordeal/reporters/metric_threshold.hpp"

namespace json = boost::json;
using namespace std::chrono_literals;
using ordeal::engine::metric_kind;
using ordeal::engine::script_results;
using ordeal::reporters::merge_shards;
using ordeal::reporters::read_shard_result;
using ordeal::reporters::shard_result;
using ordeal::reporters::shard_stamp;

namespace {

const std::string trend_key = "http_req_duration{name:home}";

// A shard whose requests took `latencies_us`, all completed in the load's second `second`.
script_results shard_results(const std::vector<std::uint64_t>& latencies_us, std::size_t second) {
  script_results r;
  r.seed = 99;
  r.http.duration = 2s;
  r.http.wall_time = 2s;
  r.http.threads = 1;
  r.http.series.resize(second + 1);
  auto& m = ordeal::engine::metric_at(r.metrics, trend_key, metric_kind::trend, true);
  auto& reqs = ordeal::engine::metric_at(r.metrics, "http_reqs", metric_kind::counter);
  const auto id = r.timeline.series_id(trend_key, metric_kind::trend, true);
  ordeal::engine::metric per_second;
  per_second.kind = metric_kind::trend;
  per_second.is_time = true;
  for (const auto us : latencies_us) {
    r.http.latency.record(us);
    r.http.outcomes[0] += 1;
    r.http.series[second].outcomes[0] += 1;
    m.add(static_cast<double>(us) / 1000.0);
    per_second.add(static_cast<double>(us) / 1000.0);
    reqs.add(1);
  }
  r.timeline.add(second, ordeal::engine::metric_sample::of(per_second, id));
  r.checks["ok"] = {latencies_us.size(), 1};
  r.scenarios.push_back({"s", "shared-iterations", latencies_us.size(), 0, 0, 0, 1});
  r.operations = latencies_us.size();
  r.attempts = latencies_us.size();
  r.thresholds.push_back({"http_req_duration", "p(50)<1000", "options.thresholds", false, {}, {}});
  r.thresholds.push_back({"http_reqs", "count<4", "options.thresholds", false, {}, {}});
  return r;
}

json::value shard_json(const script_results& r, unsigned index, unsigned count,
                       std::int64_t start_ms, std::uint64_t master = 7) {
  ordeal::reporters::run_info info;
  info.version = "test";
  ordeal::reporters::verdict idem;
  idem.kind = ordeal::reporters::verdict_kind::idempotency;
  idem.name = "idempotency";
  idem.passed = index != 2;
  idem.measured = idem.passed ? "3 keys: consistent" : "1 of 3 keys violated";
  idem.evidence = json::object{{"keys", 3},
                               {"mismatched", idem.passed ? 0 : 1},
                               {"examples", json::array{json::object{{"key", index}}}}};
  return ordeal::reporters::shard_to_json(r, {idem}, info, {index, count, master, start_ms});
}

shard_result read(const json::value& v, const std::string& name = "x.json") {
  return read_shard_result(json::parse(json::serialize(v)), name);
}

void require_refused(const std::function<void()>& f, const std::string& fragment) {
  try {
    f();
    FAIL("accepted; expected an error with \"" << fragment << "\"");
  } catch (const ordeal::engine::config_error& e) {
    INFO(e.what());
    CHECK(std::string(e.what()).find(fragment) != std::string::npos);
  }
}

}  // namespace

TEST_CASE("merge: histograms add bucket by bucket, counters and checks sum", "[merge]") {
  const std::vector<std::uint64_t> a{1000, 2000, 3000}, b{40000, 41000};
  const auto m = merge_shards({read(shard_json(shard_results(a, 0), 1, 2, 1'000'000)),
                               read(shard_json(shard_results(b, 0), 2, 2, 1'000'000))});
  ordeal::engine::histogram whole;
  for (auto v : a)
    whole.record(v);
  for (auto v : b)
    whole.record(v);
  const auto got = m.results.http.latency.sparse();
  const auto want = whole.sparse();
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    CHECK(got[i].index == want[i].index);
    CHECK(got[i].count == want[i].count);
  }
  CHECK(m.results.http.total() == 5);
  const auto& trend = m.results.metrics.at(trend_key);
  CHECK(trend.samples == 5);
  CHECK(trend.values.count() == 5);
  CHECK(trend.sum == Approx(87.0));
  CHECK(trend.min == Approx(1.0));
  CHECK(trend.max == Approx(41.0));
  CHECK(trend.percentile(50) == Approx(3.0).epsilon(0.001));
  CHECK(m.results.metrics.at("http_reqs").sum == 5);
  CHECK(m.results.checks.at("ok") == std::pair<std::uint64_t, std::uint64_t>{5, 2});
  REQUIRE(m.results.scenarios.size() == 1);
  CHECK(m.results.scenarios[0].iterations == 5);
  CHECK(m.results.seed == 7);
  CHECK(m.warnings.empty());
}

TEST_CASE("merge: seconds align on the wall clock, not on each shard's start", "[merge]") {
  // Shard 2 started 2.4 s after shard 1: its second 0 is the merged second 2.
  const auto m = merge_shards({read(shard_json(shard_results({1000}, 0), 1, 2, 10'000)),
                               read(shard_json(shard_results({5000, 6000}, 0), 2, 2, 12'400))});
  const auto& series = m.results.http.series;
  REQUIRE(series.size() == 3);
  CHECK(series[0].total() == 1);
  CHECK(series[1].total() == 0);
  CHECK(series[2].total() == 2);
  REQUIRE(m.results.timeline.seconds() == 3);
  const auto second2 =
      m.results.timeline.select(ordeal::engine::metric_filter{"http_req_duration", {}}, 2, 3);
  REQUIRE(second2);
  CHECK(second2->samples == 2);
  // The merged load runs from the first start to the last end: 2.4 s + 2 s.
  CHECK(m.results.http.duration == 4400ms);
  CHECK(m.stamp.load_started_ms == 10'000);
}

TEST_CASE("merge: thresholds are judged on the merged whole", "[merge]") {
  const auto m = merge_shards({read(shard_json(shard_results({1000, 2000}, 0), 1, 2, 0)),
                               read(shard_json(shard_results({3000, 4000}, 0), 2, 2, 0))});
  const auto ts = ordeal::reporters::parse_metric_thresholds(m.results.thresholds);
  const auto vs = ordeal::reporters::threshold_verdicts(ts, m.results);
  REQUIRE(vs.size() == 2);
  // Each shard counted 2 requests (count<4 held on each); the whole counted 4.
  for (const auto& v : vs) {
    INFO(v.name << " " << v.measured);
    CHECK(v.passed == (v.name.find("count") == std::string::npos));
  }
}

TEST_CASE("merge: idempotency counts sum and examples concatenate", "[merge]") {
  const auto m = merge_shards({read(shard_json(shard_results({1000}, 0), 1, 2, 0)),
                               read(shard_json(shard_results({1000}, 0), 2, 2, 0))});
  REQUIRE(m.carried.size() == 1);
  const auto& v = m.carried[0];
  CHECK_FALSE(v.passed);
  CHECK(v.measured.starts_with("1 of 6 keys violated"));
  const auto& e = v.evidence.as_object();
  CHECK(e.at("keys").to_number<int>() == 6);
  CHECK(e.at("mismatched").to_number<int>() == 1);
  CHECK(e.at("examples").as_array().size() == 2);
}

TEST_CASE("merge: bad inputs are refused with the file named", "[merge]") {
  const auto r = shard_results({1000}, 0);
  SECTION("wrong schema") {
    auto v = shard_json(r, 1, 2, 0);
    v.as_object()["schema"] = "something/9";
    require_refused([&] { read(v, "a.json"); }, "a.json: not an ordeal.result/1 result");
  }
  SECTION("not a shard") {
    auto v = shard_json(r, 1, 2, 0);
    v.as_object()["shard"] = nullptr;
    require_refused([&] { read(v, "a.json"); }, "a.json: not a shard's result");
  }
  SECTION("a merged result") {
    require_refused([&] { read(shard_json(r, 0, 2, 0), "m.json"); }, "already a merged result");
  }
  SECTION("truncated state") {
    auto v = shard_json(r, 1, 2, 0);
    v.as_object()["merge_state"].as_object().erase("http");
    require_refused([&] { read(v, "a.json"); }, "a.json: no \"merge_state.http\"");
  }
  SECTION("mixed shard counts") {
    require_refused(
        [&] {
          merge_shards({read(shard_json(r, 1, 2, 0), "a"), read(shard_json(r, 2, 3, 0), "b")});
        },
        "mixed shard counts: a is shard 1/2, b is shard 2/3");
  }
  SECTION("different master seeds") {
    require_refused(
        [&] {
          merge_shards(
              {read(shard_json(r, 1, 2, 0, 1), "a"), read(shard_json(r, 2, 2, 0, 2), "b")});
        },
        "different runs");
  }
  SECTION("a shard twice") {
    require_refused(
        [&] {
          merge_shards({read(shard_json(r, 2, 3, 0), "a"), read(shard_json(r, 2, 3, 0), "b")});
        },
        "shard 2/3 given twice: a and b");
  }
  SECTION("a missing shard: a warning, or an error when all are required") {
    const auto m = merge_shards({read(shard_json(r, 1, 3, 0)), read(shard_json(r, 3, 3, 0))});
    REQUIRE(m.warnings.size() == 1);
    CHECK(m.warnings[0].starts_with("shard 2 of 3 missing"));
    require_refused(
        [&] {
          merge_shards({read(shard_json(r, 1, 3, 0)), read(shard_json(r, 3, 3, 0))}, true);
        },
        "shard 2 of 3 missing");
  }
  SECTION("nothing") {
    require_refused([&] { merge_shards({}); }, "nothing to merge");
  }
}
