// --metrics HOST:PORT end to end: the real binary serves Prometheus' text format while the load
// runs; scrapes over a real socket see the counters grow. Port 0 picks a port, printed on
// stderr. A bad address is refused before the load (exit 104).
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ordeal/targets/serve.hpp"
#include "process.hpp"
#include "scratch.hpp"

using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace http = boost::beast::http;
using ordeal::test::child_process;
using ordeal::test::temp_dir;

namespace {

constexpr int exit_ok = 0;
constexpr int exit_invalid_config = 104;

class local_target {
 public:
  local_target() : server_(ordeal::targets::serve_options{.port = 0}) { server_.start(); }
  std::uint16_t port() const { return server_.port(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port()) + "/"; }

 private:
  ordeal::targets::server server_;
};

struct scrape_result {
  int status = 0;
  std::string content_type;
  std::string allow;
  std::string body;
};

scrape_result scrape(std::uint16_t port, http::verb method = http::verb::get,
                     const std::string& path = "/metrics") {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), port});
  http::request<http::string_body> req{method, path, 11};
  req.set(http::field::host, "127.0.0.1");
  req.prepare_payload();
  http::write(socket, req);
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(socket, buffer, res);
  return {static_cast<int>(res.result_int()), std::string(res[http::field::content_type]),
          std::string(res[http::field::allow]), res.body()};
}

// The sum of every series of `family` (with or without labels); -1 when there is none.
double sum_of(const std::string& exposition, const std::string& family) {
  double sum = -1;
  std::istringstream in(exposition);
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with(family)) continue;
    const char next = line.size() > family.size() ? line[family.size()] : '\0';
    if (next != ' ' && next != '{') continue;
    sum = std::max(sum, 0.0) + std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

// The port from "ordeal: metrics on http://127.0.0.1:PORT/metrics".
std::uint16_t announced_port(child_process& p) {
  static const std::regex announced(R"(metrics on http://127\.0\.0\.1:([0-9]+)/metrics\n)");
  std::smatch m;
  const bool said =
      p.wait_until([&](const std::string&,
                       const std::string& err) { return std::regex_search(err, m, announced); },
                   10s);
  INFO(p.err());
  REQUIRE(said);
  std::regex_search(p.err(), m, announced);
  return static_cast<std::uint16_t>(std::stoi(m[1]));
}

// Scrapes until ordeal_http_reqs_total is above zero, then again a second or more later:
// it must have grown in between (the load is running).
void check_counters_grow(child_process& p, std::uint16_t port) {
  double first = -1;
  scrape_result r;
  for (int i = 0; i < 40 && first <= 0; ++i) {
    p.wait_for(100ms);
    r = scrape(port);
    first = sum_of(r.body, "ordeal_http_reqs_total");
  }
  INFO(r.body);
  REQUIRE(first > 0);
  CHECK(r.status == 200);
  CHECK(r.content_type == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(r.body.find("\nordeal_up 1\n") != std::string::npos);
  CHECK(r.body.find("# TYPE ordeal_http_reqs_total counter\n") != std::string::npos);
  p.wait_for(1200ms);
  const auto again = scrape(port);
  INFO(again.body);
  CHECK(sum_of(again.body, "ordeal_http_reqs_total") > first);

  // Other paths and methods.
  CHECK(scrape(port, http::verb::get, "/").status == 404);
  CHECK(scrape(port, http::verb::get, "/metricsx").status == 404);
  const auto post = scrape(port, http::verb::post);
  CHECK(post.status == 405);
  CHECK(post.allow == "GET, HEAD");
  CHECK(scrape(port, http::verb::get, "/metrics?x=1").status == 200);
}

}  // namespace

TEST_CASE("a drill serves live Prometheus metrics on --metrics", "[metrics]") {
  local_target target;
  temp_dir dir("metrics-drill");
  ordeal::test::write_file(dir.file("drill.lua"), R"(
options = {
  scenarios = { s = { executor = "constant-vus", vus = 2, duration = "4s", exec = "go" } },
}
function go()
  http.get("/", { name = "home" })
  sleep(0.01)
end
)");
  child_process p({ORDEAL_BINARY, "run", dir.file("drill.lua"), "-q", "--target", target.url(),
                   "--metrics", "127.0.0.1:0"},
                  30s);
  const auto port = announced_port(p);
  check_counters_grow(p, port);
  const auto body = scrape(port).body;
  INFO(body);
  // The drill's tags are labels; durations are a summary in seconds.
  CHECK(body.find("ordeal_http_reqs_total{method=\"GET\",name=\"home\"") != std::string::npos);
  CHECK(body.find("# TYPE ordeal_http_req_duration_seconds summary") != std::string::npos);
  CHECK(body.find("quantile=\"0.99\"") != std::string::npos);
  const auto done = p.wait();
  INFO(done.describe());
  CHECK(done.exited(exit_ok));
}

TEST_CASE("a plain run serves live Prometheus metrics on --metrics", "[metrics]") {
  local_target target;
  child_process p({ORDEAL_BINARY, "run", target.url(), "-d", "4s", "-c", "2", "-t", "1", "-q",
                   "--metrics", "127.0.0.1:0"},
                  30s);
  const auto port = announced_port(p);
  check_counters_grow(p, port);
  const auto done = p.wait();
  INFO(done.describe());
  CHECK(done.exited(exit_ok));
}

TEST_CASE("a bad --metrics address exits 104 before the load", "[metrics]") {
  local_target target;
  // A port that is taken.
  asio::io_context io;
  asio::ip::tcp::acceptor taken(io, {asio::ip::make_address("127.0.0.1"), 0});
  const std::string taken_address = "127.0.0.1:" + std::to_string(taken.local_endpoint().port());

  for (const std::string address :
       {std::string("nonsense"), std::string("127.0.0.1:"), std::string("127.0.0.1:99999"),
        std::string(":9464"), std::string("127.0.0.1:http"), taken_address}) {
    for (const bool drill : {false, true}) {
      temp_dir dir("metrics-bad");
      std::vector<std::string> args{ORDEAL_BINARY, "run"};
      if (drill) {
        ordeal::test::write_file(dir.file("d.lua"), "function default() http.get('/') end\n");
        args.insert(args.end(), {dir.file("d.lua"), "--target", target.url()});
      } else {
        args.insert(args.end(), {target.url(), "-d", "5s"});
      }
      args.insert(args.end(), {"--metrics", address});
      const auto p = ordeal::test::run_process(args, 20s);
      INFO(address << (drill ? " (drill)" : " (url)"));
      INFO(p.describe());
      CHECK(p.exited(exit_invalid_config));
      CHECK(p.err.find("--metrics \"" + address + "\"") != std::string::npos);
      CHECK(p.out.empty());
      CHECK(p.elapsed < 4s);
    }
  }
}
