// The CI regression gate end to end: the real binary produces results against `ordeal serve`
// (a fast and a deliberately slower configuration: the same server, responses delayed by the
// query), then `ordeal compare` and `ordeal run --baseline` judge them.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "ordeal/targets/serve.hpp"
#include "process.hpp"
#include "scratch.hpp"
#include "xml_check.hpp"

using namespace std::chrono_literals;
namespace json = boost::json;
using ordeal::test::process_result;
using ordeal::test::split_lines;

namespace {

constexpr int exit_ok = 0;
constexpr int exit_threshold_failed = 99;
constexpr int exit_invalid_config = 104;

process_result ordeal_cmd(std::vector<std::string> args) {
  args.insert(args.begin(), ORDEAL_BINARY);
  return ordeal::test::run_process(std::move(args), 30s);
}

class target {
 public:
  target() : server_(ordeal::targets::serve_options{.port = 0}) { server_.start(); }
  std::string url(const std::string& path = "/") const {
    return "http://127.0.0.1:" + std::to_string(server_.port()) + path;
  }
  std::uint64_t served() const { return server_.requests_served(); }

 private:
  ordeal::targets::server server_;
};

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

json::object read_json(const std::string& path) {
  const auto text = read_text(path);
  INFO(text);
  return json::parse(text).as_object();
}

// A one-second plain run; the slow configuration delays every response by 20 ms.
void plain_run(const target& t, const std::string& path, const std::string& out) {
  const auto r = ordeal_cmd(
      {"run", t.url(path), "-c", "2", "-t", "1", "-d", "1s", "-q", "--out", "json=" + out});
  INFO(r.describe());
  REQUIRE(r.exited(exit_ok));
}

// The invalid-input contract: 104, nothing on stdout, one stderr line naming the culprit.
void require_config_error(const process_result& r, const std::string& culprit) {
  INFO(r.describe());
  CHECK(r.exited(exit_invalid_config));
  CHECK(r.out.empty());
  const auto lines = split_lines(r.err);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].rfind("ordeal: ", 0) == 0);
  CHECK(lines[0].find(culprit) != std::string::npos);
}

const json::object* verdict_named(const json::object& result, const std::string& name) {
  for (const auto& v : result.at("verdicts").as_array())
    if (v.as_object().at("name").as_string() == name) return &v.as_object();
  return nullptr;
}

std::string drill(const ordeal::test::temp_dir& dir) {
  const auto path = dir.file("drill.lua");
  ordeal::test::write_file(path, R"(
options = { scenarios = { s = { executor = "shared-iterations", vus = 2, iterations = 40 } } }
function default()
  local r = http.get("/" .. (env.QUERY or ""), { name = "home" })
  check(r, { ["status is 200"] = function(r) return r.status == 200 end })
end
)");
  return path;
}

}  // namespace

TEST_CASE("compare: a slower result regresses (99), a faster one does not (0)",
          "[compare][integration]") {
  target t;
  ordeal::test::temp_dir dir("compare");
  const auto fast = dir.file("fast.json");
  const auto slow = dir.file("slow.json");
  plain_run(t, "/", fast);
  plain_run(t, "/?delay=20ms", slow);

  SECTION("slower than the baseline: exit 99 and a table saying which metric") {
    const auto r = ordeal_cmd(
        {"compare", fast, slow, "--max-regression", "p99=10%", "--max-regression", "rps=5%"});
    INFO(r.describe());
    CHECK(r.exited(exit_threshold_failed));
    CHECK(r.err.empty());
    CHECK(r.out.find("baseline comparison: " + fast + " -> " + slow) != std::string::npos);
    bool p99_failed = false, rps_failed = false;
    for (const auto& line : split_lines(r.out)) {
      p99_failed = p99_failed || (line.rfind("  p99 ", 0) == 0 && line.ends_with("FAIL"));
      rps_failed = rps_failed || (line.rfind("  rps ", 0) == 0 && line.ends_with("FAIL"));
    }
    CHECK(p99_failed);
    CHECK(rps_failed);
  }
  SECTION("faster than the baseline: exit 0") {
    const auto r =
        ordeal_cmd({"compare", slow, fast, "--max-regression", "p99=10%", "--max-regression",
                    "rps=5%", "--max-regression", "error_rate=0.5pp"});
    INFO(r.describe());
    CHECK(r.exited(exit_ok));
    CHECK(r.out.find("FAIL") == std::string::npos);
    CHECK(r.out.find("all 3 gated metrics within their tolerance") != std::string::npos);
  }
  SECTION("the default tolerances apply without --max-regression") {
    const auto r = ordeal_cmd({"compare", fast, slow});
    INFO(r.describe());
    CHECK(r.exited(exit_threshold_failed));
    CHECK(r.out.find("+10%") != std::string::npos);
    CHECK(r.out.find("-5%") != std::string::npos);
    CHECK(r.out.find("+0.5pp") != std::string::npos);
  }
  SECTION("the comparison as JUnit") {
    const auto junit = dir.file("compare.xml");
    const auto r = ordeal_cmd(
        {"compare", fast, slow, "--max-regression", "p99=10%", "--out", "junit=" + junit});
    INFO(r.describe());
    CHECK(r.exited(exit_threshold_failed));
    const auto root = ordeal::test::parse_xml(read_text(junit));
    REQUIRE(root.children.size() == 1);
    CHECK(*root.children[0].attribute("failures") == "1");
    CHECK(*root.children[0].children[0].attribute("name") == "regression p99 <= +10%");
  }
}

TEST_CASE("compare: bad input exits 104 with one line", "[compare][integration]") {
  target t;
  ordeal::test::temp_dir dir("compare-bad");
  const auto good = dir.file("good.json");
  plain_run(t, "/", good);
  const auto not_json = dir.file("not.json");
  ordeal::test::write_file(not_json, "{ \"schema\": ");
  const auto other = dir.file("other.json");
  ordeal::test::write_file(other, R"({"schema": "k6.summary/1", "metrics": {}})");

  SECTION("missing file") {
    require_config_error(ordeal_cmd({"compare", dir.file("missing.json"), good}),
                         "cannot read \"" + dir.file("missing.json") + "\": no such file");
  }
  SECTION("not JSON") {
    require_config_error(ordeal_cmd({"compare", good, not_json}), "is not JSON");
  }
  SECTION("wrong schema") {
    require_config_error(ordeal_cmd({"compare", other, good}),
                         "has schema \"k6.summary/1\", expected \"ordeal.result/1\"");
  }
  SECTION("unknown metric") {
    require_config_error(ordeal_cmd({"compare", good, good, "--max-regression", "p98=10%"}),
                         "unknown metric \"p98\" in --max-regression \"p98=10%\"");
  }
  SECTION("malformed tolerance") {
    require_config_error(ordeal_cmd({"compare", good, good, "--max-regression", "p99=10"}),
                         "invalid tolerance \"10\" in --max-regression \"p99=10\"");
  }
  SECTION("a per-request metric on a plain run") {
    require_config_error(
        ordeal_cmd({"compare", good, good, "--max-regression", "p99{name:pay}=10%"}),
        "not a drill result");
  }
  SECTION("a missing argument") {
    require_config_error(ordeal_cmd({"compare", good}), "result");
  }
}

TEST_CASE("run --baseline: the comparison is printed and becomes verdicts",
          "[compare][integration]") {
  target t;
  ordeal::test::temp_dir dir("baseline");
  const auto fast = dir.file("fast.json");
  plain_run(t, "/", fast);

  SECTION("a slower run: exit 99, in the console, the JSON and JUnit") {
    const auto result = dir.file("result.json");
    const auto junit = dir.file("junit.xml");
    const auto r = ordeal_cmd({"run", t.url("/?delay=20ms"), "-c", "2", "-t", "1", "-d", "1s", "-q",
                               "--baseline", fast, "--max-regression", "p99=10%", "--threshold",
                               "p99<10s", "--out", "json=" + result, "--out", "junit=" + junit});
    INFO(r.describe());
    CHECK(r.exited(exit_threshold_failed));
    CHECK(r.out.find("baseline comparison: " + fast + " -> this run") != std::string::npos);
    const auto j = read_json(result);
    const auto* v = verdict_named(j, "regression p99 <= +10%");
    REQUIRE(v);
    CHECK(v->at("passed").as_bool() == false);
    CHECK(v->at("kind").as_string() == "threshold");
    CHECK_FALSE(v->at("reasons").as_array().empty());
    // The threshold is there too, passed; both in the "thresholds" member.
    REQUIRE(verdict_named(j, "p99<10s"));
    CHECK(j.at("thresholds").as_array().size() == 2);
    const auto root = ordeal::test::parse_xml(read_text(junit));
    REQUIRE(root.children.size() == 1);
    CHECK(*root.children[0].attribute("tests") == "2");
    CHECK(*root.children[0].attribute("failures") == "1");
  }
  SECTION("a run at least as fast: exit 0") {
    const auto slow = dir.file("slow.json");
    plain_run(t, "/?delay=20ms", slow);
    const auto r = ordeal_cmd({"run", t.url("/"), "-c", "2", "-t", "1", "-d", "1s", "-q",
                               "--baseline", slow, "--max-regression", "p99=10%"});
    INFO(r.describe());
    CHECK(r.exited(exit_ok));
    CHECK(r.out.find("baseline comparison") != std::string::npos);
  }
  SECTION("a bad baseline fails before the run") {
    const auto before = t.served();
    const auto bad = dir.file("bad.json");
    ordeal::test::write_file(bad, "[]");
    require_config_error(ordeal_cmd({"run", t.url("/"), "-d", "1s", "-q", "--baseline", bad}),
                         "not an ordeal result");
    require_config_error(
        ordeal_cmd({"run", t.url("/"), "-d", "1s", "-q", "--max-regression", "p99=10%"}),
        "--max-regression needs --baseline");
    require_config_error(ordeal_cmd({"run", t.url("/"), "-d", "1s", "-q", "--baseline", fast,
                                     "--max-regression", "p99=fast"}),
                         "invalid tolerance");
    CHECK(t.served() == before);
  }
}

TEST_CASE("drill --baseline: per request name, regression 99, none 0", "[compare][integration]") {
  target t;
  ordeal::test::temp_dir dir("drill-baseline");
  const auto lua = drill(dir);
  const auto fast = dir.file("fast.json");
  const auto slow = dir.file("slow.json");
  const auto junit = dir.file("junit.xml");
  auto r = ordeal_cmd({"run", lua, "-q", "--target", t.url(""), "--out", "json=" + fast});
  INFO(r.describe());
  REQUIRE(r.exited(exit_ok));

  r = ordeal_cmd({"run", lua, "-q", "--target", t.url(""), "-e", "QUERY=?delay=20ms", "--baseline",
                  fast, "--max-regression", "p99{name:home}=50%", "--out", "json=" + slow, "--out",
                  "junit=" + junit});
  INFO(r.describe());
  CHECK(r.exited(exit_threshold_failed));
  // The comparison, then the verdicts, and the exit line last.
  const auto table = r.out.find("baseline comparison: " + fast + " -> this run");
  const auto verdicts = r.out.find("\nverdicts\n");
  CHECK(table != std::string::npos);
  CHECK(verdicts != std::string::npos);
  CHECK(table < verdicts);
  const auto lines = split_lines(r.out);
  REQUIRE_FALSE(lines.empty());
  CHECK(lines.back().find("exit code 99: a threshold failed: regression p99{name:home} <= +50%") !=
        std::string::npos);

  const auto j = read_json(slow);
  const auto* v = verdict_named(j, "regression p99{name:home} <= +50%");
  REQUIRE(v);
  CHECK(v->at("passed").as_bool() == false);
  // JUnit: the regression among the thresholds, the drill's check in its own suite.
  const auto root = ordeal::test::parse_xml(read_text(junit));
  REQUIRE(root.children.size() == 2);
  CHECK(*root.children[0].attribute("name") == "thresholds");
  CHECK(*root.children[0].attribute("failures") == "1");
  CHECK(*root.children[1].attribute("name") == "checks");
  CHECK(*root.children[1].children[0].attribute("name") == "status is 200");
  CHECK(root.children[1].children[0].children_named("failure").empty());

  // The same files through `ordeal compare`: the slow one regressed, the fast one did not.
  r = ordeal_cmd({"compare", fast, slow, "--max-regression", "p99{name:home}=50%"});
  INFO(r.describe());
  CHECK(r.exited(exit_threshold_failed));
  r = ordeal_cmd({"compare", slow, fast, "--max-regression", "p99{name:home}=50%"});
  INFO(r.describe());
  CHECK(r.exited(exit_ok));
  // A request name the baseline lacks is a bad gate, refused before the run.
  require_config_error(ordeal_cmd({"run", lua, "-q", "--target", t.url(""), "--baseline", fast,
                                   "--max-regression", "p99{name:pay}=10%"}),
                       "no request named \"pay\"");
}
