// `ordeal wrk` as wrk users meet it: wrk's flags, report and Lua API, run as the real binary
// (a child process with a deadline) against a real server on 127.0.0.1. The server records
// every request it reads, so each script's effect is checked where it lands: on the wire.
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "process.hpp"
#include "recording_server.hpp"

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using ordeal::test::canned_response;
using ordeal::test::child_process;
using ordeal::test::process_result;
using ordeal::test::recorded_request;
using ordeal::test::split_lines;

namespace {

constexpr int exit_ok = 0;
constexpr int exit_invalid_config = 104;
constexpr int exit_aborted_by_signal = 105;
constexpr int exit_script_error = 107;

// A one- or two-second load plus start-up on a loaded two-core machine.
constexpr auto run_deadline = 15s;

// The server every test runs against: ordeal::test::recording_server (it records every
// request it reads) answering
//   POST /login   200 with "X-Auth-Token: tok-<n>", a new token each time
//   /fail...      503
//   anything else 200 "ok"
class target_server {
 public:
  target_server()
      : server_([this](const recorded_request& r) {
          canned_response c;
          if (r.method == "POST" && r.target == "/login")
            c.headers.emplace_back("X-Auth-Token", "tok-" + std::to_string(++tokens_));
          else if (r.target.rfind("/fail", 0) == 0)
            c.status = 503;
          return c;
        }) {}

  std::uint16_t port() const { return server_.port(); }
  std::string url(const std::string& target = "/") const { return server_.url(target); }
  std::uint64_t tokens_issued() const { return tokens_.load(); }

  // Everything read so far, after a moment for requests still on their way in (sent by a
  // client that has just exited).
  std::vector<recorded_request> requests() const {
    std::this_thread::sleep_for(200ms);
    return server_.requests();
  }

 private:
  std::atomic<std::uint64_t> tokens_{0};  // before server_, whose handler uses it
  ordeal::test::recording_server server_;
};

std::string header(const recorded_request& r, std::string_view name) {
  const std::string* value = r.header(name);
  return value != nullptr ? *value : std::string();
}

std::string script(const std::string& name) {
  return (fs::path(__FILE__).parent_path().parent_path() / "scripts" / "wrk" / name).string();
}

process_result run_wrk(std::vector<std::string> args,
                       std::chrono::milliseconds deadline = run_deadline) {
  args.insert(args.begin(), {ORDEAL_BINARY, "wrk"});
  return ordeal::test::run_process(std::move(args), deadline);
}

// "  1234 requests in 1.00s, 1.2MB read": 1234, or -1 when the line is missing.
long long report_requests(const std::string& out) {
  static const std::regex line(R"(^  (\d+) requests in \S+, \S+ read$)");
  std::smatch m;
  for (const auto& l : split_lines(out))
    if (std::regex_match(l, m, line)) return std::stoll(m[1].str());
  return -1;
}

// The first line starting with `prefix`, split on spaces after it.
std::vector<std::string> fields_after(const std::string& out, const std::string& prefix) {
  for (const auto& l : split_lines(out)) {
    if (l.rfind(prefix, 0) != 0) continue;
    std::istringstream in(l.substr(prefix.size()));
    std::vector<std::string> fields;
    for (std::string f; in >> f;)
      fields.push_back(f);
    return fields;
  }
  return {};
}

bool has_line(const std::string& out, const std::string& text) {
  for (const auto& l : split_lines(out))
    if (l == text) return true;
  return false;
}

std::size_t count_target(const std::vector<recorded_request>& seen, const std::string& target) {
  std::size_t n = 0;
  for (const auto& r : seen)
    n += r.target == target;
  return n;
}

// The invalid-configuration contract: exit 104, nothing on stdout, one line "ordeal: ...".
void require_config_error(const process_result& r, const std::string& culprit) {
  INFO(r.describe());
  CHECK(r.exited(exit_invalid_config));
  CHECK(r.out.empty());
  const auto lines = split_lines(r.err);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].rfind("ordeal: ", 0) == 0);
  CHECK(lines[0].find(culprit) != std::string::npos);
}

}  // namespace

TEST_CASE("wrk: wrk's report, and every counted response was a request the server read", "[wrk]") {
  target_server server;
  const auto r = run_wrk({"-t2", "-c4", "-d1s", "--latency", server.url()});
  INFO(r.describe());
  REQUIRE(r.exited(exit_ok));
  const auto lines = split_lines(r.out);
  REQUIRE(lines.size() >= 12);
  CHECK(lines[0] == "Running 1s test @ " + server.url());
  CHECK(lines[1] == "  2 threads and 4 connections");
  CHECK(lines[2] == "  Thread Stats   Avg      Stdev     Max   +/- Stdev");
  CHECK(std::regex_match(lines[3], std::regex(R"(    Latency +\d+\.\d\d(us|ms|s) .*%)")));
  CHECK(std::regex_match(lines[4], std::regex(R"(    Req/Sec +\d+\.\d\dk? .*%)")));
  CHECK(lines[5] == "  Latency Distribution");
  CHECK(lines[6].rfind("     50%", 0) == 0);
  CHECK(lines[9].rfind("     99%", 0) == 0);
  CHECK(std::regex_match(lines[lines.size() - 2], std::regex(R"(Requests/sec: +\d+\.\d\d)")));
  CHECK(std::regex_match(lines.back(), std::regex(R"(Transfer/sec: +\d+\.\d\d[KMG]?B)")));
  CHECK(r.out.find("Socket errors") == std::string::npos);
  CHECK(r.out.find("Non-2xx") == std::string::npos);

  const auto counted = report_requests(r.out);
  const auto seen = server.requests();
  CHECK(counted > 100);
  // Each response ordeal counted answered a request the server read; at most one per
  // connection was still unanswered when the run ended.
  CHECK(seen.size() >= static_cast<std::size_t>(counted));
  CHECK(seen.size() <= static_cast<std::size_t>(counted) + 4);
  for (const auto& s : seen) {
    CHECK(s.method == "GET");
    CHECK(s.target == "/");
    CHECK(header(s, "host") == "127.0.0.1:" + std::to_string(server.port()));
  }
}

TEST_CASE("wrk: -H headers go out, status above 399 is counted as Non-2xx", "[wrk]") {
  target_server server;
  const auto r = run_wrk({"-t1", "-c2", "-d1s", "-H", "X-Api-Key: k-123", server.url("/fail")});
  INFO(r.describe());
  REQUIRE(r.exited(exit_ok));
  const auto counted = report_requests(r.out);
  CHECK(counted > 0);
  CHECK(has_line(r.out, "  Non-2xx or 3xx responses: " + std::to_string(counted)));
  const auto seen = server.requests();
  REQUIRE(!seen.empty());
  for (const auto& s : seen)
    CHECK(header(s, "x-api-key") == "k-123");
}

TEST_CASE("wrk: a token captured in response() is sent on later requests", "[wrk]") {
  target_server server;
  const auto r = run_wrk({"-t1", "-c2", "-d1s", "-s", script("auth_token.lua"), server.url()});
  INFO(r.describe());
  REQUIRE(r.exited(exit_ok));
  CHECK(r.err.empty());
  const auto seen = server.requests();
  const auto tokens = server.tokens_issued();
  // Both connections log in before the first answer can arrive; never again after it.
  CHECK(count_target(seen, "/login") >= 1);
  CHECK(count_target(seen, "/login") <= 2);
  std::size_t authorized = 0;
  for (const auto& s : seen) {
    if (s.target == "/login") {
      CHECK(s.method == "POST");
      CHECK(s.body == "user=ordeal");
      continue;
    }
    CHECK(s.target == "/api/items");
    const auto auth = header(s, "authorization");
    // One of the tokens the server handed out: "tok-1" ... "tok-<tokens>".
    REQUIRE(auth.rfind("Bearer tok-", 0) == 0);
    const auto n = std::stoull(auth.substr(11));
    CHECK(n >= 1);
    CHECK(n <= tokens);
    ++authorized;
  }
  CHECK(authorized > 10);
}

TEST_CASE("wrk: threads kept from setup() report their own counters in done()", "[wrk]") {
  target_server server;
  const auto r = run_wrk({"-t2", "-c2", "-d1s", "-s", script("thread_counters.lua"), server.url()});
  INFO(r.describe());
  REQUIRE(r.exited(exit_ok));
  const auto counted = report_requests(r.out);
  const auto t1 = fields_after(r.out, "thread 1 responses ");
  const auto t2 = fields_after(r.out, "thread 2 responses ");
  const auto total = fields_after(r.out, "threads total ");
  REQUIRE(t1.size() == 1);
  REQUIRE(t2.size() == 1);
  REQUIRE(total.size() == 3);
  CHECK(std::stoll(t1[0]) > 0);
  CHECK(std::stoll(t2[0]) > 0);
  CHECK(std::stoll(t1[0]) + std::stoll(t2[0]) == counted);
  CHECK(std::stoll(total[0]) == counted);
  CHECK(std::stoll(total[2]) == counted);
}

TEST_CASE("wrk: delay() spaces the requests of a connection", "[wrk]") {
  target_server server;
  const auto r = run_wrk({"-t1", "-c1", "-d1s", "-s", script("random_delay.lua"), server.url()});
  INFO(r.describe());
  REQUIRE(r.exited(exit_ok));
  // 10-30 ms before each request: about 50 in a second, never more than 100.
  const auto counted = report_requests(r.out);
  CHECK(counted >= 20);
  CHECK(counted <= 100);
  const auto seen = server.requests();
  CHECK(seen.size() >= static_cast<std::size_t>(counted));
  CHECK(seen.size() <= static_cast<std::size_t>(counted) + 1);
}

TEST_CASE("wrk: a batch of requests from request() reaches the server in order", "[wrk]") {
  target_server server;
  const auto r = run_wrk({"-t1", "-c2", "-d1s", "-s", script("pipeline.lua"), server.url()});
  INFO(r.describe());
  REQUIRE(r.exited(exit_ok));
  const auto seen = server.requests();
  const auto one = count_target(seen, "/one");
  const auto two = count_target(seen, "/two");
  const auto three = count_target(seen, "/three");
  CHECK(one + two + three == seen.size());
  CHECK(three > 10);
  // Each connection sends /one, /two, /three in turn; the run may end mid-batch.
  CHECK(one >= two);
  CHECK(two >= three);
  CHECK(one <= three + 2);
  const auto counted = report_requests(r.out);
  CHECK(seen.size() >= static_cast<std::size_t>(counted));
  CHECK(seen.size() <= static_cast<std::size_t>(counted) + 2);
}

TEST_CASE("wrk: wrk.method, wrk.body and wrk.headers make a POST", "[wrk]") {
  target_server server;
  const auto r = run_wrk({"-t1", "-c2", "-d1s", "-s", script("post_body.lua"), server.url()});
  INFO(r.describe());
  REQUIRE(r.exited(exit_ok));
  const auto seen = server.requests();
  REQUIRE(seen.size() > 10);
  for (const auto& s : seen) {
    CHECK(s.method == "POST");
    CHECK(s.body == R"({"name":"ordeal","n":1})");
    CHECK(header(s, "content-type") == "application/json");
    CHECK(header(s, "content-length") == "23");
  }
}

TEST_CASE("wrk: done() writes a CSV report to the path given after --", "[wrk]") {
  target_server server;
  const fs::path csv =
      fs::temp_directory_path() / ("ordeal-wrk-" + std::to_string(::getpid()) + ".csv");
  fs::remove(csv);
  const auto r = run_wrk(
      {"-t1", "-c2", "-d1s", "-s", script("csv_report.lua"), server.url(), "--", csv.string()});
  INFO(r.describe());
  REQUIRE(r.exited(exit_ok));
  std::ifstream in(csv);
  REQUIRE(in);
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  fs::remove(csv);
  INFO(text);
  const auto lines = split_lines(text);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == "requests,bytes,errors,p50_us,p99_us,max_us,duration_us");
  std::vector<long long> values;
  std::istringstream row(lines[1]);
  for (std::string v; std::getline(row, v, ',');)
    values.push_back(std::stoll(v));
  REQUIRE(values.size() == 7);
  CHECK(values[0] == report_requests(r.out));
  CHECK(values[1] > 0);
  CHECK(values[2] == 0);
  CHECK(values[3] <= values[4]);
  CHECK(values[4] <= values[5]);
  CHECK(values[6] >= 1'000'000);
}

TEST_CASE("wrk: values set with thread:set in setup() shape each thread's requests", "[wrk]") {
  target_server server;
  const auto r = run_wrk({"-t2", "-c2", "-d1s", "-s", script("setup_set_get.lua"), server.url()});
  INFO(r.describe());
  REQUIRE(r.exited(exit_ok));
  CHECK(r.err.empty());
  const auto seen = server.requests();
  std::size_t t1 = 0, t2 = 0;
  for (const auto& s : seen) {
    if (s.target == "/t1") {
      CHECK(header(s, "x-thread") == "1");
      ++t1;
    } else {
      CHECK(s.target == "/t2");
      CHECK(header(s, "x-thread") == "2");
      ++t2;
    }
  }
  CHECK(t1 > 0);
  CHECK(t2 > 0);
}

TEST_CASE("wrk: wrk.thread:stop() ends the thread, and the run with it", "[wrk]") {
  target_server server;
  const auto r = run_wrk({"-t1", "-c1", "-d10s", "-s", script("stop_after.lua"), server.url()});
  INFO(r.describe());
  REQUIRE(r.exited(exit_ok));
  CHECK(r.elapsed < 5s);
  CHECK(report_requests(r.out) == 5);
  CHECK(server.requests().size() == 5);
}

TEST_CASE("wrk: init(args) gets the URL at 0 and the arguments after --", "[wrk]") {
  target_server server;
  const auto r = run_wrk({"-t1", "-c1", "-d200ms", "-s", script("init_args.lua"), server.url(),
                          "--", "alpha", "beta"});
  INFO(r.describe());
  REQUIRE(r.exited(exit_ok));
  CHECK(has_line(r.out, "init: 2 args: alpha beta | url " + server.url()));
}

TEST_CASE("wrk: wrk.lookup, wrk.connect and thread.addr", "[wrk]") {
  target_server server;
  const auto closed = ordeal::test::free_local_port();
  const auto r = run_wrk({"-t1", "-c1", "-d200ms", "-s", script("lookup_connect.lua"), server.url(),
                          "--", std::to_string(closed)});
  INFO(r.describe());
  REQUIRE(r.exited(exit_ok));
  CHECK(r.err.empty());
  const std::string addr = "127.0.0.1:" + std::to_string(server.port());
  CHECK(has_line(r.out, "thread addr " + addr));
  CHECK(has_line(r.out, "lookup " + addr + " connect true"));
  CHECK(has_line(r.out, "closed 127.0.0.1:" + std::to_string(closed) + " connect false"));
  CHECK(report_requests(r.out) > 0);
}

TEST_CASE("wrk: done() gets the summary and the latency and requests stats", "[wrk]") {
  target_server server;
  const auto r = run_wrk({"-t1", "-c2", "-d1s", "-s", script("latency_summary.lua"), server.url()});
  INFO(r.describe());
  REQUIRE(r.exited(exit_ok));
  const auto counted = report_requests(r.out);
  const auto summary = fields_after(r.out, "summary ");
  const auto errors = fields_after(r.out, "errors ");
  const auto latency = fields_after(r.out, "latency min ");
  const auto counted_latency = fields_after(r.out, "latency counted ");
  const auto requests = fields_after(r.out, "requests mean ");
  REQUIRE(summary.size() == 6);
  REQUIRE(errors.size() == 10);
  REQUIRE(latency.size() == 9);
  REQUIRE(counted_latency.size() == 1);
  REQUIRE(requests.size() == 3);
  CHECK(std::stoll(summary[1]) >= 1'000'000);  // duration_us
  CHECK(std::stoll(summary[3]) == counted);
  // Every response is the same: the bytes are a whole number of them.
  const long long bytes = std::stoll(summary[5]);
  CHECK(bytes > counted * 2);
  CHECK(bytes % counted == 0);
  for (std::size_t i = 1; i < errors.size(); i += 2)
    CHECK(errors[i] == "0");
  // min p50 p90 p99 max, in µs, ascending.
  const long long min = std::stoll(latency[0]);
  const long long p50 = std::stoll(latency[2]);
  const long long p90 = std::stoll(latency[4]);
  const long long p99 = std::stoll(latency[6]);
  const long long max = std::stoll(latency[8]);
  CHECK(min > 0);
  CHECK(min <= p50);
  CHECK(p50 <= p90);
  CHECK(p90 <= p99);
  CHECK(p99 <= max);
  // latency(i) walks every distinct value with its count: one per response here.
  CHECK(std::stoll(counted_latency[0]) == counted);
  CHECK(std::stod(requests[0]) > 0);
}

TEST_CASE("wrk: an error in a hook is counted and reported once, the run goes on", "[wrk]") {
  target_server server;
  const auto r = run_wrk({"-t1", "-c2", "-d1s", "-s", script("hook_error.lua"), server.url()});
  INFO(r.describe());
  REQUIRE(r.exited(exit_ok));
  const auto counted = report_requests(r.out);
  CHECK(counted > 10);
  const auto lines = split_lines(r.err);
  REQUIRE(lines.size() == 1);
  std::smatch m;
  REQUIRE(std::regex_match(lines[0], m,
                           std::regex(R"(ordeal: script error \((\d+) times\): response\(\): )"
                                      R"(.*hook_error\.lua:3: boom)")));
  CHECK(std::stoll(m[1].str()) == counted);
}

TEST_CASE("wrk: a script that does not load exits 107 with file:line", "[wrk]") {
  target_server server;
  const auto r = run_wrk({"-t1", "-c1", "-d1s", "-s", script("syntax_error.lua"), server.url()});
  INFO(r.describe());
  CHECK(r.exited(exit_script_error));
  CHECK(r.out.empty());
  const auto lines = split_lines(r.err);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].rfind("ordeal: ", 0) == 0);
  CHECK(lines[0].find("syntax_error.lua:4:") != std::string::npos);
  CHECK(server.requests().empty());
}

TEST_CASE("wrk: bad flags and URLs exit 104 with one line", "[wrk]") {
  target_server server;
  const auto closed = ordeal::test::free_local_port();
  SECTION("connections") {
    require_config_error(run_wrk({"-c", "many", server.url()}), "many");
  }
  SECTION("duration") {
    require_config_error(run_wrk({"-d", "soon", server.url()}), "soon");
  }
  SECTION("fewer connections than threads") {
    require_config_error(run_wrk({"-t3", "-c2", server.url()}), "connections must be >= threads");
  }
  SECTION("header") {
    require_config_error(run_wrk({"-H", "NoColon", "-d1s", server.url()}), "NoColon");
  }
  SECTION("URL") {
    require_config_error(run_wrk({"-d1s", "ftp://example.com/"}), "ftp");
  }
  SECTION("nothing listening") {
    const std::string where = "127.0.0.1:" + std::to_string(closed);
    require_config_error(run_wrk({"-d1s", "http://" + where + "/"}), where);
  }
  SECTION("unknown flag") {
    require_config_error(run_wrk({"--no-such-flag", server.url()}), "--no-such-flag");
  }
  CHECK(server.requests().empty());
}

TEST_CASE("wrk: -R sends at the given rate", "[wrk]") {
  target_server server;
  const auto r = run_wrk({"-t1", "-c2", "-d1s", "-R", "200", server.url()});
  INFO(r.describe());
  REQUIRE(r.exited(exit_ok));
  // 200 requests/s for one second, spread over both connections.
  const auto counted = report_requests(r.out);
  CHECK(counted >= 170);
  CHECK(counted <= 205);
}

TEST_CASE("wrk: SIGINT ends the run early with the report, exit 105", "[wrk]") {
  target_server server;
  auto p = std::make_unique<child_process>(
      std::vector<std::string>{ORDEAL_BINARY, "wrk", "-t1", "-c2", "-d30s", server.url()}, 15s);
  REQUIRE(p->wait_until(
      [](const std::string& out, const std::string&) {
        return out.find("connections\n") != std::string::npos;
      },
      5s));
  p->wait_for(300ms);
  const auto signalled = child_process::clock::now();
  p->send_signal(SIGINT);
  const auto r = p->wait();
  INFO(r.describe());
  CHECK(r.exited(exit_aborted_by_signal));
  CHECK(child_process::clock::now() - signalled < 3s);
  CHECK(report_requests(r.out) > 0);
}
