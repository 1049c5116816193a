// Distributed runs on one machine: a drill run whole and as three shards (--shard i/3) against
// an in-process `ordeal serve`, the shards merged by `ordeal merge`; totals must match exactly,
// percentiles within the histogram's precision plus run-to-run noise, and thresholds are
// judged on the merged whole.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "ordeal/targets/serve.hpp"
#include "process.hpp"
#include "scratch.hpp"

using namespace std::chrono_literals;
namespace json = boost::json;
using ordeal::test::process_result;

namespace {

constexpr int exit_ok = 0;
constexpr int exit_threshold_failed = 99;
constexpr int exit_invalid_config = 104;

class local_target {
 public:
  local_target() : server_(ordeal::targets::serve_options{.port = 0}) { server_.start(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }

 private:
  ordeal::targets::server server_;
};

const local_target& target() {
  static local_target t;
  return t;
}

// 300 shared iterations over 3 VUs, each one request delayed 5 ms by the server.
std::string drill_text(const std::string& threshold) {
  return R"(
options = {
  scenarios = { load = { executor = "shared-iterations", vus = 3, iterations = 300, exec = "go" } },
  thresholds = { http_reqs = ")" +
         threshold + R"(" },
}
function go()
  local r = http.get("/?delay=5ms")
  check(r, { ["status is 200"] = function(r) return r.status == 200 end })
end
)";
}

process_result ordeal_cmd(std::vector<std::string> args) {
  args.insert(args.begin(), ORDEAL_BINARY);
  return ordeal::test::run_process(std::move(args), 30s);
}

process_result run_drill(const std::string& drill, const std::string& out,
                         std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"run",      drill,          "-q",    "--seed",     "11",
                                "--target", target().url(), "--out", "json=" + out};
  args.insert(args.end(), extra.begin(), extra.end());
  return ordeal_cmd(std::move(args));
}

json::object read_json(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  INFO(path);
  REQUIRE(!text.empty());
  return json::parse(text).as_object();
}

std::uint64_t u64(const json::value& v) {
  return v.to_number<std::uint64_t>();
}

double num(const json::object& o, std::initializer_list<const char*> path) {
  const json::value* v = nullptr;
  const json::object* at = &o;
  for (const char* key : path) {
    v = &at->at(key);
    if (v->is_object()) at = &v->as_object();
  }
  return v->to_number<double>();
}

std::uint64_t iterations(const json::object& result) {
  std::uint64_t n = 0;
  for (const auto& s : result.at("drill").at("scenarios").as_array())
    n += u64(s.at("iterations"));
  return n;
}

// Shards 1/3, 2/3, 3/3 of `drill`, concurrently; returns their result files.
std::vector<std::string> run_shards(const ordeal::test::temp_dir& dir, const std::string& drill,
                                    int expected_exit) {
  std::vector<std::unique_ptr<ordeal::test::child_process>> children;
  std::vector<std::string> files;
  for (int i = 1; i <= 3; ++i) {
    files.push_back(dir.file("shard-" + std::to_string(i) + ".json"));
    children.push_back(std::make_unique<ordeal::test::child_process>(
        std::vector<std::string>{ORDEAL_BINARY, "run", drill, "-q", "--seed", "11", "--target",
                                 target().url(), "--shard", std::to_string(i) + "/3", "--out",
                                 "json=" + files.back()},
        30s));
  }
  for (std::size_t i = 0; i < children.size(); ++i) {
    const auto r = children[i]->wait();
    INFO(r.describe());
    CHECK(r.exited(expected_exit));
    // A shard's own seed is derived: what replays it is the master seed and the shard.
    CHECK(r.out.find("(replay with --seed 11 --shard " + std::to_string(i + 1) + "/3)") !=
          std::string::npos);
  }
  return files;
}

}  // namespace

TEST_CASE("three shards merged equal one whole run in totals and percentiles", "[shard][merge]") {
  ordeal::test::temp_dir dir("shard-merge");
  // 300 requests in all: the whole run meets it, each shard's 100 alone does not (exit 99).
  const auto drill = dir.file("drill.lua");
  ordeal::test::write_file(drill, drill_text("count>=300"));

  const auto whole_file = dir.file("whole.json");
  const auto whole_run = run_drill(drill, whole_file);
  INFO(whole_run.describe());
  REQUIRE(whole_run.exited(exit_ok));
  const auto whole = read_json(whole_file);

  auto files = run_shards(dir, drill, exit_threshold_failed);
  std::uint64_t seeds[3];
  for (int i = 0; i < 3; ++i) {
    const auto shard = read_json(files[i]);
    const auto& s = shard.at("shard").as_object();
    CHECK(u64(s.at("index")) == static_cast<std::uint64_t>(i + 1));
    CHECK(u64(s.at("count")) == 3);
    CHECK(u64(s.at("master_seed")) == 11);
    CHECK(u64(shard.at("load_started_at_ms")) > 1'600'000'000'000ull);
    CHECK(iterations(shard) == 100);
    seeds[i] = u64(shard.at("seed"));
  }
  CHECK(seeds[0] != seeds[1]);
  CHECK(seeds[1] != seeds[2]);

  const auto merged_file = dir.file("merged.json");
  const auto junit_file = dir.file("merged.xml");
  std::vector<std::string> args{"merge"};
  args.insert(args.end(), files.begin(), files.end());
  args.insert(args.end(), {"--out", "json=" + merged_file, "--out", "junit=" + junit_file});
  const auto merge = ordeal_cmd(args);
  INFO(merge.describe());
  REQUIRE(merge.exited(exit_ok));
  CHECK(merge.out.find("Merged 3 of 3 shards") != std::string::npos);
  CHECK(merge.out.find("http_reqs: count>=300") != std::string::npos);
  const auto merged = read_json(merged_file);

  CHECK(u64(merged.at("requests").at("total")) == 300);
  CHECK(u64(merged.at("requests").at("total")) == u64(whole.at("requests").at("total")));
  CHECK(u64(merged.at("requests").at("ok")) == u64(whole.at("requests").at("ok")));
  CHECK(iterations(merged) == iterations(whole));
  CHECK(u64(merged.at("drill").at("checks").at("status is 200").at("passes")) == 300);
  CHECK(u64(merged.at("drill").at("behaviour").at("operations")) ==
        u64(whole.at("drill").at("behaviour").at("operations")));
  CHECK(u64(merged.at("histograms").at("latency").at("count")) == 300);
  CHECK(num(merged, {"drill", "metrics", "http_reqs", "count"}) == 300);
  CHECK(u64(merged.at("shard").at("count")) == 3);
  CHECK(merged.at("shard").at("merged").as_bool());

  // Percentiles: the histogram's 3 significant digits, plus generous room for two runs of a
  // noisy, shared machine (the server's 5 ms delay dominates both).
  for (const char* p : {"p50", "p90"}) {
    const double a = num(whole, {"latency_ms", p});
    const double b = num(merged, {"latency_ms", p});
    INFO(p << ": whole " << a << " ms, merged " << b << " ms");
    CHECK(b >= 5.0);
    CHECK(std::abs(a - b) <= 0.001 * std::max(a, b) + 0.6 * std::max(a, b) + 2.0);
  }
  std::ifstream junit(junit_file);
  CHECK(junit.good());
}

TEST_CASE("a threshold that fails on the merged whole fails the merge with exit 99",
          "[shard][merge]") {
  ordeal::test::temp_dir dir("shard-merge-fail");
  const auto drill = dir.file("drill.lua");
  ordeal::test::write_file(drill, drill_text("count>300"));
  auto files = run_shards(dir, drill, exit_threshold_failed);
  std::vector<std::string> args{"merge"};
  args.insert(args.end(), files.begin(), files.end());
  const auto merge = ordeal_cmd(args);
  INFO(merge.describe());
  CHECK(merge.exited(exit_threshold_failed));
  CHECK(merge.out.find("http_reqs: count>300") != std::string::npos);

  SECTION("a shard given twice is refused") {
    const auto twice = ordeal_cmd({"merge", files[0], files[1], files[1]});
    INFO(twice.describe());
    CHECK(twice.exited(exit_invalid_config));
    CHECK(twice.err.find("shard 2/3 given twice") != std::string::npos);
  }
  SECTION("a missing shard is a warning, an error with --require-all") {
    const auto part = ordeal_cmd({"merge", files[0], files[2]});
    CHECK(part.err.find("warning: shard 2 of 3 missing") != std::string::npos);
    const auto strict = ordeal_cmd({"merge", files[0], files[2], "--require-all"});
    CHECK(strict.exited(exit_invalid_config));
  }
}

TEST_CASE("bad shard flags and merge inputs exit 104 with one clear line", "[shard][merge]") {
  ordeal::test::temp_dir dir("shard-bad");
  const auto drill = dir.file("drill.lua");
  ordeal::test::write_file(drill, drill_text("count>=1"));
  const auto out = dir.file("r.json");
  SECTION("shard out of range") {
    const auto r = run_drill(drill, out, {"--shard", "4/3"});
    INFO(r.describe());
    CHECK(r.exited(exit_invalid_config));
    CHECK(r.err.find("--shard 4/3: ") != std::string::npos);
  }
  SECTION("sharding a plain run") {
    const auto r = ordeal_cmd({"run", target().url(), "-q", "--shard", "1/2"});
    CHECK(r.exited(exit_invalid_config));
    CHECK(r.err.find("drills") != std::string::npos);
  }
  SECTION("an unreadable file") {
    const auto r = ordeal_cmd({"merge", dir.file("nope.json")});
    CHECK(r.exited(exit_invalid_config));
    CHECK(r.err.find("nope.json: cannot read") != std::string::npos);
  }
  SECTION("an unsharded result") {
    const auto r = run_drill(drill, out);
    REQUIRE(r.exited(exit_ok));
    const auto m = ordeal_cmd({"merge", out});
    CHECK(m.exited(exit_invalid_config));
    CHECK(m.err.find("not a shard's result") != std::string::npos);
  }
}
