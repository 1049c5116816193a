// `--out junit=FILE` from the real binary, for plain runs and drills: well-formed, with the
// attributes CI consumers (GitHub Actions reporters, Jenkins) require and counts that add up.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "ordeal/targets/serve.hpp"
#include "process.hpp"
#include "scratch.hpp"
#include "xml_check.hpp"

using namespace std::chrono_literals;
using ordeal::test::xml_element;

namespace {

ordeal::test::process_result ordeal_cmd(std::vector<std::string> args) {
  args.insert(args.begin(), ORDEAL_BINARY);
  return ordeal::test::run_process(std::move(args), 30s);
}

xml_element read_junit(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  INFO(text);
  // Also through xmllint when Debian's libxml2-utils happens to be installed.
  if (std::system("command -v xmllint >/dev/null 2>&1") == 0)
    CHECK(std::system(("xmllint --noout '" + path + "'").c_str()) == 0);
  return ordeal::test::parse_xml(text);
}

void require_consumable(const xml_element& root) {
  REQUIRE(root.name == "testsuites");
  std::size_t tests = 0, failures = 0;
  for (const auto& s : root.children) {
    REQUIRE(s.name == "testsuite");
    for (const char* a : {"name", "tests", "failures", "errors", "time", "timestamp"})
      REQUIRE(s.attribute(a));
    std::size_t failed = 0;
    for (const auto& c : s.children) {
      REQUIRE(c.name == "testcase");
      for (const char* a : {"name", "classname", "time"})
        REQUIRE(c.attribute(a));
      if (!c.children_named("failure").empty()) ++failed;
    }
    CHECK(std::stoul(*s.attribute("tests")) == s.children.size());
    CHECK(std::stoul(*s.attribute("failures")) == failed);
    CHECK(std::stod(*s.attribute("time")) > 0);  // the run's wall time
    tests += s.children.size();
    failures += failed;
  }
  CHECK(std::stoul(*root.attribute("tests")) == tests);
  CHECK(std::stoul(*root.attribute("failures")) == failures);
}

}  // namespace

TEST_CASE("junit: a plain run's thresholds as testcases", "[junit][integration]") {
  ordeal::targets::server server(ordeal::targets::serve_options{.port = 0});
  server.start();
  ordeal::test::temp_dir dir("junit-run");
  const auto path = dir.file("junit.xml");
  const auto r = ordeal_cmd({"run", "http://127.0.0.1:" + std::to_string(server.port()) + "/", "-c",
                             "2", "-t", "1", "-d", "1s", "-q", "--threshold", "p99<1us",
                             "--threshold", "p99<10s", "--out", "junit=" + path});
  INFO(r.describe());
  CHECK(r.exited(99));
  const auto root = read_junit(path);
  require_consumable(root);
  REQUIRE(root.children.size() == 1);
  const auto& suite = root.children[0];
  CHECK(*suite.attribute("name") == "thresholds");
  REQUIRE(suite.children.size() == 2);
  CHECK(*suite.children[0].attribute("name") == "p99<1us");
  const auto failure = suite.children[0].children_named("failure");
  REQUIRE(failure.size() == 1);
  CHECK(failure[0]->attribute("message")->find("budget p99<1us") != std::string::npos);
  CHECK(suite.children[1].children_named("failure").empty());
}

TEST_CASE("junit: a drill's thresholds and checks, names escaped", "[junit][integration]") {
  ordeal::targets::server server(ordeal::targets::serve_options{.port = 0});
  server.start();
  ordeal::test::temp_dir dir("junit-drill");
  const auto lua = dir.file("drill.lua");
  ordeal::test::write_file(lua, R"(
options = { vus = 2, iterations = 10,
            thresholds = { http_req_failed = { "rate<0.01" }, checks = { "rate>0.99" } } }
function default()
  local r = http.get("/")
  check(r, { ["status is 200"] = function(r) return r.status == 200 end,
             ["<odd> & \"quoted\" name"] = function(r) return r.status == 201 end })
end
)");
  const auto path = dir.file("junit.xml");
  const auto r =
      ordeal_cmd({"run", lua, "-q", "--target", "http://127.0.0.1:" + std::to_string(server.port()),
                  "--out", "junit=" + path});
  INFO(r.describe());
  CHECK(r.exited(99));  // half the checks failed
  const auto root = read_junit(path);
  require_consumable(root);
  CHECK(*root.attribute("name") == "drill.lua");
  REQUIRE(root.children.size() == 2);
  const auto& thresholds = root.children[0];
  CHECK(*thresholds.attribute("name") == "thresholds");
  CHECK(*thresholds.attribute("tests") == "2");
  CHECK(*thresholds.attribute("failures") == "1");
  const auto& checks = root.children[1];
  CHECK(*checks.attribute("name") == "checks");
  REQUIRE(checks.children.size() == 2);
  CHECK(*checks.children[0].attribute("name") == "<odd> & \"quoted\" name");
  CHECK(*checks.children[0].attribute("classname") == "ordeal.checks");
  const auto failed = checks.children[0].children_named("failure");
  REQUIRE(failed.size() == 1);
  CHECK(*failed[0]->attribute("message") == "10 of 10 failed");
  CHECK(checks.children[1].children_named("failure").empty());
}
