// ordeal against a real nginx: nginx's access log is an independent count of the requests it
// answered, so ordeal's totals can be checked against something it did not compute itself.
#include "nginx.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "engine_run.hpp"
#include "ordeal/engine/results.hpp"
#include "process.hpp"

using namespace std::chrono_literals;
using ordeal::engine::outcome;
using ordeal::test::nginx_server;

namespace {

// nginx logs a request just after sending its response; this bounds that race only.
constexpr auto log_settle = 2s;

// scripts/bootstrap installs nginx-light; a missing peer must fail loudly, never pass by
// testing nothing.
void require_nginx() {
  if (!nginx_server::installed())
    FAIL(nginx_server::binary << " is not installed: run scripts/bootstrap (nginx-light)");
}

ordeal::engine::config nginx_config(const nginx_server& nginx, const std::string& target) {
  auto c = ordeal::test::local_config(nginx.port(), target);
  c.connections = 8;
  c.duration = 1s;
  return c;
}

}  // namespace

TEST_CASE("nginx: closed model, nginx logged every request ordeal counted", "[nginx]") {
  require_nginx();
  nginx_server nginx;
  const auto r = ordeal::test::run_load(nginx_config(nginx, "/"));
  const auto sent = r.total() + r.in_flight;
  INFO("total " << r.total() << ", in flight " << r.in_flight);
  CHECK(r.total() > 0);
  CHECK(r.count(outcome::ok) == r.total());
  CHECK(r.status_codes.size() == 1);
  CHECK(r.status_codes.count(200) == 1);
  CHECK(r.bytes_received >= r.count(outcome::ok) * nginx_server::static_file_bytes);
  CHECK(nginx.access_log_lines_reaching(sent, log_settle) == sent);
  INFO(nginx.error_log());
  CHECK(r.connections_opened == 8);  // keep-alive held: no reconnects
}

TEST_CASE("nginx: pipelined requests are each counted once", "[nginx]") {
  require_nginx();
  nginx_server nginx;
  auto c = nginx_config(nginx, "/pipelined");
  c.connections = 4;
  c.pipeline = 4;
  const auto r = ordeal::test::run_load(c);
  const auto sent = r.total() + r.in_flight;
  INFO("total " << r.total() << ", in flight " << r.in_flight);
  CHECK(r.total() > 0);
  CHECK(r.count(outcome::ok) == r.total());
  CHECK(r.unsolicited_responses == 0);
  CHECK(nginx.access_log_lines_reaching(sent, log_settle) == sent);
}

TEST_CASE("nginx: every 503 is a status error", "[nginx]") {
  require_nginx();
  nginx_server nginx;
  const auto r = ordeal::test::run_load(nginx_config(nginx, "/status503"));
  const auto sent = r.total() + r.in_flight;
  INFO("total " << r.total() << ", in flight " << r.in_flight);
  CHECK(r.total() > 0);
  CHECK(r.count(outcome::status) == r.total());
  CHECK(r.count(outcome::ok) == 0);
  REQUIRE(r.status_codes.count(503) == 1);
  CHECK(r.status_codes.at(503) == r.total());
  CHECK(r.error_rate() == 1.0);
  CHECK(nginx.access_log_lines_reaching(sent, log_settle) == sent);
}

TEST_CASE("nginx: the ordeal binary's JSON total matches nginx's access log", "[nginx]") {
  require_nginx();
  nginx_server nginx;
  const auto out = (nginx.prefix() / "result.json").string();
  const auto p = ordeal::test::run_process({ORDEAL_BINARY, "run", nginx.url("/"), "-c", "8", "-t",
                                            "1", "-d", "1s", "-q", "--out", "json=" + out},
                                           10s);
  INFO(p.describe());
  REQUIRE(p.exited(0));
  std::ifstream in(out);
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  INFO(text);
  const auto j = boost::json::parse(text).as_object();
  const auto& requests = j.at("requests").as_object();
  const auto total = boost::json::value_to<std::uint64_t>(requests.at("total"));
  const auto in_flight = boost::json::value_to<std::uint64_t>(requests.at("in_flight"));
  CHECK(total > 0);
  CHECK(boost::json::value_to<std::uint64_t>(requests.at("ok")) == total);
  CHECK(nginx.access_log_lines_reaching(total + in_flight, log_settle) == total + in_flight);
}
