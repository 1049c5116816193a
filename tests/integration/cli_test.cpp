// The `ordeal` binary as users and CI scripts meet it: exit codes, the one-line error contract,
// help, the JSON result, thresholds, signals and `ordeal serve`. Every run targets a real
// server on 127.0.0.1 and is a child process with a deadline, so a hang fails the test.
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ordeal/targets/serve.hpp"
#include "process.hpp"

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace json = boost::json;
using ordeal::test::child_process;
using ordeal::test::process_result;
using ordeal::test::split_lines;

namespace {

constexpr int exit_ok = 0;
constexpr int exit_threshold_failed = 99;
constexpr int exit_invalid_config = 104;
constexpr int exit_aborted_by_signal = 105;

// Enough for a one- or two-second load plus start-up on a loaded two-core machine.
constexpr auto run_deadline = 10s;

process_result run_ordeal(std::vector<std::string> args,
                          std::chrono::milliseconds deadline = run_deadline) {
  args.insert(args.begin(), ORDEAL_BINARY);
  return ordeal::test::run_process(std::move(args), deadline);
}

std::unique_ptr<child_process> start_ordeal(std::vector<std::string> args,
                                            std::chrono::milliseconds deadline) {
  args.insert(args.begin(), ORDEAL_BINARY);
  return std::make_unique<child_process>(std::move(args), deadline);
}

// The in-process `ordeal serve`, so tests can read how many responses it handed out.
class local_target {
 public:
  local_target() : server_(ordeal::targets::serve_options{.port = 0}) { server_.start(); }
  std::string url(const std::string& target = "/") const {
    return "http://127.0.0.1:" + std::to_string(server_.port()) + target;
  }
  ordeal::targets::server& server() { return server_; }

 private:
  ordeal::targets::server server_;
};

// A fresh directory for output files, removed with everything in it.
class temp_dir {
 public:
  temp_dir() {
    std::string pattern = (fs::temp_directory_path() / "ordeal-cli-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

json::object read_json(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  INFO(text);
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  REQUIRE_FALSE(ec);
  REQUIRE(v.is_object());
  return v.as_object();
}

std::uint64_t u64(const json::value& v) {
  return json::value_to<std::uint64_t>(v);
}

double number(const json::value& v) {
  return json::value_to<double>(v);
}

std::uint64_t error_sum(const json::object& requests) {
  std::uint64_t sum = 0;
  for (const auto& [name, n] : requests.at("errors").as_object())
    sum += u64(n);
  return sum;
}

// The invalid-configuration contract: exit 104, nothing on stdout, exactly one stderr line
// that starts with "ordeal: " and names what was wrong.
void require_config_error(const process_result& r, const std::string& culprit) {
  INFO(r.describe());
  CHECK(r.exited(exit_invalid_config));
  CHECK(r.out.empty());
  const auto lines = split_lines(r.err);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].rfind("ordeal: ", 0) == 0);
  CHECK(lines[0].find(culprit) != std::string::npos);
}

// "  total           1234" in the console report; -1 when the line is missing.
long long report_total(const std::string& report) {
  static const std::regex total_line(R"(^\s+total\s+(\d+)\s*$)");
  for (const auto& line : split_lines(report)) {
    std::smatch m;
    if (std::regex_match(line, m, total_line)) return std::stoll(m[1].str());
  }
  return -1;
}

bool has_progress_line(const std::string&, const std::string& err) {
  return err.find(" requests, ") != std::string::npos;
}

}  // namespace

TEST_CASE("bad input: exit 104, one stderr line naming the culprit, empty stdout", "[cli]") {
  local_target target;
  const std::string url = target.url();
  const std::uint16_t closed_port = ordeal::test::free_local_port();

  struct bad_case {
    std::string name;
    std::vector<std::string> args;
    std::string culprit;
  };
  // Every case but the URL ones targets a live server and a short duration, so the only
  // thing wrong is the one under test and a missed check ends quickly rather than loading.
  const std::vector<bad_case> cases{
      {"no subcommand", {}, "subcommand"},
      {"no URL", {"run", "-d", "200ms"}, "url"},
      {"scheme ftp", {"run", "ftp://x", "-d", "200ms"}, "\"ftp://x\""},
      {"no host", {"run", "http://", "-d", "200ms"}, "\"http://\""},
      {"port out of range", {"run", "http://127.0.0.1:99999/", "-d", "200ms"}, "99999"},
      {"nothing listening",
       {"run", "http://127.0.0.1:" + std::to_string(closed_port) + "/", "-d", "200ms"},
       "127.0.0.1:" + std::to_string(closed_port)},
      {"unknown flag", {"run", url, "-d", "200ms", "--bogus-flag"}, "--bogus-flag"},
      {"duration not a number", {"run", url, "-d", "abc"}, "\"abc\""},
      {"duration without unit", {"run", url, "-d", "10"}, "\"10\""},
      {"threshold unknown metric", {"run", url, "-d", "200ms", "--threshold", "p98<1s"}, "p98"},
      {"threshold bad value", {"run", url, "-d", "200ms", "--threshold", "p99<abc"}, "abc"},
      {"out unknown format", {"run", url, "-d", "200ms", "--out", "xml=f"}, "xml"},
      {"out unwritable",
       {"run", url, "-d", "200ms", "--out", "json=/nonexistent/dir/f.json"},
       "/nonexistent/dir/f.json"},
      {"stages without target", {"run", url, "--stages", "5s"}, "\"5s\""},
      {"stages target not a number", {"run", url, "--stages", "1s:10,5s:abc"}, "abc"},
      {"stages trailing comma", {"run", url, "--stages", "1s:10,"}, "trailing comma"},
      {"negative header cap", {"run", url, "-d", "200ms", "--max-header-size", "-5"}, "-5"},
      {"negative queue", {"run", url, "-d", "200ms", "--rate", "10", "--queue", "-1"}, "-1"},
      {"body from a directory", {"run", url, "-d", "200ms", "--body", "@/tmp"}, "/tmp"},
      {"load too long", {"run", url, "-d", "100000h"}, "31 days"},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.name) {
      require_config_error(run_ordeal(c.args, 5s), c.culprit);
    }
  }
}

TEST_CASE("help lists the subcommands and every run flag", "[cli]") {
  SECTION("ordeal --help") {
    const auto r = run_ordeal({"--help"});
    INFO(r.describe());
    CHECK(r.exited(exit_ok));
    // The top level lists its subcommands, one per line with its summary.
    static const std::regex run_line(R"(^\s+run\s+\S.*$)");
    static const std::regex serve_line(R"(^\s+serve\s+\S.*$)");
    int subcommands = 0;
    for (const auto& line : split_lines(r.out)) {
      if (std::regex_match(line, run_line) || std::regex_match(line, serve_line)) ++subcommands;
    }
    CHECK(subcommands == 2);
    CHECK(r.out.find("--version") != std::string::npos);
  }
  SECTION("ordeal --version") {
    const auto r = run_ordeal({"--version"});
    INFO(r.describe());
    CHECK(r.exited(exit_ok));
    CHECK(r.out.rfind("ordeal ", 0) == 0);
  }
  SECTION("ordeal run --help") {
    const auto r = run_ordeal({"run", "--help"});
    INFO(r.describe());
    CHECK(r.exited(exit_ok));
    for (const char* flag : {"--connections", "--threads",
                             "--duration",    "--rate",
                             "--arrival",     "--stages",
                             "--queue",       "--pipeline",
                             "--think",       "--method",
                             "--header",      "--body",
                             "--timeout",     "--connect-timeout",
                             "--grace",       "--max-header-size",
                             "--threshold",   "--out",
                             "--seed",        "--quiet"}) {
      INFO(flag);
      CHECK(r.out.find(flag) != std::string::npos);
    }
  }
  SECTION("ordeal serve --help") {
    const auto r = run_ordeal({"serve", "--help"});
    INFO(r.describe());
    CHECK(r.exited(exit_ok));
    for (const char* flag : {"--port", "--address", "--threads", "--stall-every", "--stall-for"}) {
      INFO(flag);
      CHECK(r.out.find(flag) != std::string::npos);
    }
  }
}

TEST_CASE("a short closed-model run writes a consistent JSON result", "[cli]") {
  local_target target;
  temp_dir dir;
  const auto out = dir.file("result.json");
  const auto r = run_ordeal(
      {"run", target.url(), "-c", "4", "-t", "1", "-d", "1s", "--out", "json=" + out, "-q"});
  INFO(r.describe());
  REQUIRE(r.exited(exit_ok));
  CHECK(r.err.empty());  // -q: no progress lines
  CHECK(report_total(r.out) > 0);

  const auto j = read_json(out);
  CHECK(j.at("schema").as_string() == "ordeal.result/1");
  CHECK(j.at("model").as_string() == "closed");
  CHECK(j.at("interrupted").as_bool() == false);
  const auto& requests = j.at("requests").as_object();
  const auto total = u64(requests.at("total"));
  const auto ok = u64(requests.at("ok"));
  const auto in_flight = u64(requests.at("in_flight"));
  CHECK(total > 0);
  CHECK(total == ok + error_sum(requests));
  CHECK(ok == total);  // a healthy local target: nothing should fail
  CHECK(report_total(r.out) == static_cast<long long>(total));
  CHECK(number(j.at("rps")) > 0);
  CHECK(number(j.at("duration_s")) > 0.5);
  const auto& latency = j.at("latency_ms").as_object();
  for (const char* key : {"min", "mean", "p50", "p90", "p99", "p99_9", "max"}) {
    INFO(key);
    REQUIRE(latency.contains(key));
    CHECK(latency.at(key).is_number());
  }
  CHECK(number(latency.at("p50")) <= number(latency.at("p99")));
  CHECK(number(latency.at("p99")) <= number(latency.at("max")));
  CHECK_FALSE(j.contains("latency_uncorrected_ms"));  // closed model: one latency only
  CHECK(j.at("thresholds").as_array().empty());

  // Every request ordeal sent reached the server, and nothing else did (the reachability
  // probe opens a connection but sends no request).
  CHECK(target.server().requests_served() == total + in_flight);
}

TEST_CASE("thresholds decide the exit code and are reported with their measured value", "[cli]") {
  local_target target;
  SECTION("an impossible budget fails: exit 99") {
    temp_dir dir;
    const auto out = dir.file("result.json");
    const auto r = run_ordeal({"run", target.url(), "-c", "2", "-t", "1", "-d", "1s", "-q",
                               "--threshold", "p99<1us", "--out", "json=" + out});
    INFO(r.describe());
    CHECK(r.exited(exit_threshold_failed));
    static const std::regex failed_line(R"(^\s*FAIL\s+p99<1us\s+measured\s+\S+.*$)");
    bool found = false;
    for (const auto& line : split_lines(r.out))
      found = found || std::regex_match(line, failed_line);
    CHECK(found);
    CHECK(r.out.find("PASS") == std::string::npos);

    const auto j = read_json(out);
    const auto& thresholds = j.at("thresholds").as_array();
    REQUIRE(thresholds.size() == 1);
    const auto& t = thresholds[0].as_object();
    CHECK(t.at("expr").as_string() == "p99<1us");
    CHECK(t.at("passed").as_bool() == false);
    CHECK_FALSE(t.at("measured").as_string().empty());
  }
  SECTION("generous budgets pass: exit 0") {
    const auto r = run_ordeal({"run", target.url(), "-c", "2", "-t", "1", "-d", "1s", "-q",
                               "--threshold", "p99<10s", "--threshold", "error_rate<1%"});
    INFO(r.describe());
    CHECK(r.exited(exit_ok));
    CHECK(r.out.find("FAIL") == std::string::npos);
    static const std::regex passed_line(
        R"(^\s*PASS\s+(p99<10s|error_rate<1%)\s+measured\s+\S+.*$)");
    int passed = 0;
    for (const auto& line : split_lines(r.out))
      passed += std::regex_match(line, passed_line) ? 1 : 0;
    CHECK(passed == 2);
  }
}

TEST_CASE("open model via --rate sends the configured number of requests", "[cli]") {
  local_target target;
  temp_dir dir;
  const auto out = dir.file("result.json");
  const auto r = run_ordeal({"run", target.url(), "--rate", "200", "-c", "10", "-t", "1", "-d",
                             "2s", "-q", "--out", "json=" + out});
  INFO(r.describe());
  REQUIRE(r.exited(exit_ok));
  const auto j = read_json(out);
  CHECK(j.at("model").as_string() == "open");
  CHECK(number(j.at("target_rate")) == 200.0);
  REQUIRE(j.contains("latency_uncorrected_ms"));
  CHECK(j.at("latency_uncorrected_ms").as_object().at("p99").is_number());
  const auto total = u64(j.at("requests").as_object().at("total"));
  INFO("total " << total);
  CHECK(total >= 380);
  CHECK(total <= 420);
  CHECK(u64(j.at("requests").as_object().at("ok")) == total);
}

TEST_CASE("error statuses are counted, and only a threshold turns them into a failure", "[cli]") {
  local_target target;
  const auto url = target.url("/?status=503");
  SECTION("no threshold: exit 0, every attempt a status error") {
    temp_dir dir;
    const auto out = dir.file("result.json");
    const auto r =
        run_ordeal({"run", url, "-c", "2", "-t", "1", "-d", "1s", "-q", "--out", "json=" + out});
    INFO(r.describe());
    CHECK(r.exited(exit_ok));
    const auto j = read_json(out);
    const auto& requests = j.at("requests").as_object();
    const auto total = u64(requests.at("total"));
    CHECK(total > 0);
    CHECK(u64(requests.at("ok")) == 0);
    CHECK(u64(requests.at("errors").as_object().at("status")) == total);
    const auto& codes = requests.at("status_codes").as_object();
    REQUIRE(codes.contains("503"));
    CHECK(u64(codes.at("503")) == total);
    CHECK(number(j.at("error_rate")) == 1.0);
  }
  SECTION("error_rate<1%: exit 99") {
    const auto r = run_ordeal(
        {"run", url, "-c", "2", "-t", "1", "-d", "1s", "-q", "--threshold", "error_rate<1%"});
    INFO(r.describe());
    CHECK(r.exited(exit_threshold_failed));
    CHECK(r.out.find("FAIL") != std::string::npos);
  }
}

TEST_CASE("SIGINT stops the run, reports what happened and exits 105", "[cli]") {
  local_target target;
  temp_dir dir;
  const auto out = dir.file("result.json");
  auto p = start_ordeal(
      {"run", target.url(), "-c", "2", "-t", "1", "-d", "30s", "--out", "json=" + out}, 15s);
  // The first progress line (about a second in) proves the signal handlers are installed
  // and requests are flowing.
  REQUIRE(p->wait_until(has_progress_line, 5s));
  p->wait_for(500ms);
  const auto signalled = child_process::clock::now();
  p->send_signal(SIGINT);
  const auto r = p->wait();
  const auto after_signal = child_process::clock::now() - signalled;
  INFO(r.describe());
  CHECK(r.exited(exit_aborted_by_signal));
  CHECK(after_signal < 5s);
  CHECK(r.out.find("interrupted") != std::string::npos);
  CHECK(report_total(r.out) > 0);

  const auto j = read_json(out);
  CHECK(j.at("interrupted").as_bool() == true);
  CHECK(u64(j.at("requests").as_object().at("total")) > 0);
  CHECK(number(j.at("duration_s")) < 10.0);  // stopped early, not after 30 s
}

TEST_CASE("a second SIGINT exits at once without waiting for the grace period", "[cli]") {
  local_target target;
  // Every response takes 5 s and the grace period would wait for them: only the second
  // signal can make the exit quick.
  auto p = start_ordeal({"run", target.url("/?delay=5s"), "-c", "2", "-t", "1", "-d", "30s",
                         "--grace", "10s", "--timeout", "20s"},
                        15s);
  REQUIRE(p->wait_until(has_progress_line, 5s));
  p->send_signal(SIGINT);
  // The first signal alone waits for the slow in-flight responses.
  p->wait_for(300ms);
  CHECK(p->running());
  const auto second = child_process::clock::now();
  p->send_signal(SIGINT);
  const auto r = p->wait();
  const auto after_second = child_process::clock::now() - second;
  INFO(r.describe());
  CHECK(r.exited(exit_aborted_by_signal));
  CHECK(after_second < 2s);
}

TEST_CASE("ordeal serve: listens on the port it prints, answers, stops on SIGTERM", "[cli]") {
  auto p = start_ordeal({"serve", "--port", "0"}, 15s);
  static const std::regex listening(
      R"(ordeal serve: listening on http://127\.0\.0\.1:(\d+)/ \(Ctrl-C to stop\)\n)");
  std::smatch m;
  const bool up =
      p->wait_until([&](const std::string& out,
                        const std::string&) { return std::regex_search(out, m, listening); },
                    5s);
  INFO("stdout: " << p->out() << "\nstderr: " << p->err());
  REQUIRE(up);
  const auto port = static_cast<std::uint16_t>(std::stoi(m[1].str()));
  REQUIRE(port != 0);

  // A small blocking client; the stream's own timeout bounds every step.
  namespace net = boost::asio;
  namespace beast = boost::beast;
  namespace http = beast::http;
  net::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(5s);
  stream.connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  const auto get = [&](const std::string& target) {
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    stream.expires_after(5s);
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    return res;
  };
  const auto plain = get("/hello");
  CHECK(plain.result_int() == 200);
  CHECK(plain.body() == "ok");
  const auto shaped = get("/x?status=503&size=10");
  CHECK(shaped.result_int() == 503);
  CHECK(shaped.body().size() == 10);
  beast::error_code ignored;
  stream.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  stream.close();

  const auto r = p->stop(SIGTERM, 5s);
  INFO(r.describe());
  CHECK(r.exited(exit_ok));
  CHECK(r.out.find("stopped after 2 responses") != std::string::npos);
}

TEST_CASE("ordeal serve on a busy port: exit 104 with one line", "[cli]") {
  // Hold the port for the whole test so ordeal cannot get it.
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd, 1) == 0);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  const auto port = std::to_string(ntohs(addr.sin_port));

  const auto r = run_ordeal({"serve", "--port", port}, 5s);
  ::close(fd);
  require_config_error(r, port);
}

TEST_CASE("cli: the open-file limit is raised to the hard limit", "[cli]") {
  rlimit saved{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &saved) == 0);
  if (saved.rlim_max <= 256) {
    SUCCEED("the hard limit leaves nothing to raise");
    return;
  }
  rlimit low = saved;
  low.rlim_cur = 256;
  REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);
  // The child inherits the lowered soft limit; ordeal must lift it on its own.
  child_process serve(
      {ORDEAL_BINARY, "serve", "-p", std::to_string(ordeal::test::free_local_port())}, 10s);
  REQUIRE(setrlimit(RLIMIT_NOFILE, &saved) == 0);
  serve.wait_for(300ms);
  std::ifstream limits("/proc/" + std::to_string(serve.pid()) + "/limits");
  std::string line, soft;
  while (std::getline(limits, line))
    if (line.rfind("Max open files", 0) == 0) {
      std::istringstream fields(line.substr(14));
      fields >> soft;
    }
  serve.stop(SIGKILL, 1s);
  CHECK(soft == (saved.rlim_max == RLIM_INFINITY ? std::string("unlimited")
                                                 : std::to_string(saved.rlim_max)));
}

TEST_CASE("cli: a drill whose target does not answer fails at once with 104", "[cli]") {
  const auto dir = fs::temp_directory_path() / ("ordeal-cli-drill-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto drill = dir / "unreachable.lua";
  std::ofstream(drill) << "options = { scenarios = { s = { executor = 'constant-vus', vus = 2, "
                          "duration = '30s', exec = 'go' } } }\n"
                          "function go() http.get('/') end\n";
  const auto port = ordeal::test::free_local_port();
  const auto r = run_ordeal(
      {"run", drill.string(), "-q", "--target", "http://127.0.0.1:" + std::to_string(port)}, 10s);
  INFO(r.describe());
  CHECK(r.exited(104));
  CHECK(r.err.find("cannot connect to 127.0.0.1:" + std::to_string(port)) != std::string::npos);
  CHECK(r.elapsed < 5s);
  fs::remove_all(dir);
}
