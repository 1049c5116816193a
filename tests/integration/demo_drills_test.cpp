// The ready-made drills (scenarios/drills/) against the demo system, end to end: real shop and
// payments processes, the real binary running each drill as a user would (shortened through its
// environment settings), and the verdict each drill must reach with the system as built and
// with the planted bug it exists to catch.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "process.hpp"
#include "scratch.hpp"

using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using ordeal::test::child_process;
using ordeal::test::process_result;
using ordeal::test::temp_dir;

namespace {

// The port in the "listening on http://127.0.0.1:PORT/" line a service prints, or 0.
std::uint16_t listening_port(const std::string& out) {
  static const std::regex line("listening on http://127\\.0\\.0\\.1:([0-9]+)/");
  std::smatch m;
  if (!std::regex_search(out, m, line)) return 0;
  return static_cast<std::uint16_t>(std::stoi(m[1]));
}

std::unique_ptr<child_process> start_service(std::vector<std::string> argv, std::uint16_t& port) {
  auto child = std::make_unique<child_process>(std::move(argv), 300s);
  const bool up = child->wait_until(
      [](const std::string& out, const std::string&) { return listening_port(out) != 0; }, 10s);
  INFO(child->err());
  REQUIRE(up);
  port = listening_port(child->out());
  return child;
}

// payments and the shop, the shop calling payments through a port where each drill opens its
// fault proxy. A shop restarted by a drill is another process: the pidfile finds it.
class demo_system {
 public:
  explicit demo_system(std::vector<std::string> shop_flags = {}) : dir_("demo-drills") {
    payments_ = start_service({ORDEAL_BINARY, "payments", "--port", "0"}, payments_port_);
    proxy_port_ = ordeal::test::free_local_port();
    std::vector<std::string> argv{ORDEAL_BINARY, "shop",
                                  "--port",      "0",
                                  "--db",        dir_.file("shop.db"),
                                  "--pidfile",   dir_.file("shop.pid"),
                                  "--payments",  "http://127.0.0.1:" + std::to_string(proxy_port_)};
    argv.insert(argv.end(), shop_flags.begin(), shop_flags.end());
    shop_ = start_service(argv, shop_port_);
  }
  ~demo_system() {
    std::ifstream pidfile(dir_.file("shop.pid"));
    pid_t pid = 0;
    if (pidfile >> pid && pid > 0 && pid != shop_->pid()) ::kill(pid, SIGKILL);
  }

  // Runs a drill of scenarios/drills/ with the system's addresses and `env` (NAME=VALUE).
  process_result run(const std::string& drill, const std::vector<std::string>& env) const {
    std::vector<std::string> args{
        ORDEAL_BINARY, "run", std::string(ORDEAL_SOURCE_DIR) + "/scenarios/drills/" + drill, "-q"};
    const std::vector<std::string> addresses{
        "SHOP=http://127.0.0.1:" + std::to_string(shop_port_),
        "PAYMENTS=http://127.0.0.1:" + std::to_string(payments_port_),
        "PAYMENTS_PROXY=127.0.0.1:" + std::to_string(proxy_port_)};
    for (const auto& e : addresses)
      args.insert(args.end(), {"-e", e});
    for (const auto& e : env)
      args.insert(args.end(), {"-e", e});
    return ordeal::test::run_process(args, 120s);
  }

 private:
  temp_dir dir_;
  std::uint16_t payments_port_ = 0;
  std::uint16_t shop_port_ = 0;
  std::uint16_t proxy_port_ = 0;
  std::unique_ptr<child_process> payments_;
  std::unique_ptr<child_process> shop_;
};

constexpr int exit_ok = 0;
constexpr int exit_threshold = 99;
constexpr int exit_idempotency = 97;
constexpr int exit_integrity = 98;
constexpr int exit_aborted = 108;

}  // namespace

TEST_CASE("demo drills: connection-drops catches a shop that retries payments without its key",
          "[demo_drills]") {
  const std::vector<std::string> env{"DURATION=6s", "FAULT_AT=1s"};
  SECTION("as built: every payment exactly once") {
    const demo_system demo;
    const auto p = demo.run("connection-drops.lua", env);
    INFO(p.describe());
    CHECK(p.exited(exit_ok));
    CHECK_THAT(p.out, Contains("PASS  idempotency"));
  }
  SECTION("non-idempotent-retry: duplicated charges, exit 97") {
    const demo_system demo({"--bug", "non-idempotent-retry"});
    const auto p = demo.run("connection-drops.lua", env);
    INFO(p.describe());
    CHECK(p.exited(exit_idempotency));
    CHECK_THAT(p.out, Contains("duplicated"));
    CHECK_THAT(p.out, Contains("lost replies"));  // the fault that hit the key
  }
}

TEST_CASE("demo drills: dependency-down needs health to say 503", "[demo_drills]") {
  const std::vector<std::string> env{"DURATION=5s", "FAULT_AT=1s"};
  SECTION("as built") {
    const demo_system demo;
    const auto p = demo.run("dependency-down.lua", env);
    INFO(p.describe());
    CHECK(p.exited(exit_ok));
    CHECK_THAT(p.out, Contains("PASS  steady state: health answers 200"));
  }
  SECTION("blind-health: exit 99") {
    const demo_system demo({"--bug", "blind-health"});
    const auto p = demo.run("dependency-down.lua", env);
    INFO(p.describe());
    CHECK(p.exited(exit_threshold));
    CHECK_THAT(p.out, Contains("FAIL  health_degraded: count>0"));
  }
}

TEST_CASE("demo drills: deploy-under-load restarts the shop mid-run", "[demo_drills]") {
  const std::vector<std::string> env{"DURATION=6s", "RESTART_AT=3s"};
  SECTION("draining: zero failed requests, no order lost") {
    const demo_system demo;
    const auto p = demo.run("deploy-under-load.lua", env);
    INFO(p.describe());
    CHECK(p.exited(exit_ok));
    CHECK_THAT(p.out, Contains("PASS  action: restart the shop"));
  }
  SECTION("--no-drain: requests cut, exit 99") {
    const demo_system demo({"--no-drain"});
    const auto p = demo.run("deploy-under-load.lua", env);
    INFO(p.describe());
    CHECK(p.exited(exit_threshold));
    CHECK_THAT(p.out, Contains("FAIL  http_req_failed: rate<=0"));
  }
  SECTION("ack-before-commit: acknowledged orders lost in the restart, exit 98") {
    const demo_system demo({"--bug", "ack-before-commit"});
    const auto p = demo.run("deploy-under-load.lua", env);
    INFO(p.describe());
    CHECK(p.exited(exit_integrity));
    CHECK_THAT(p.out, Contains("FAIL  integrity: orders (set)"));
  }
}

TEST_CASE("demo drills: ci-gate and dependency-slow keep the bank's total", "[demo_drills]") {
  SECTION("ci-gate as built") {
    const demo_system demo;
    const auto p = demo.run("ci-gate.lua", {"DURATION=5s"});
    INFO(p.describe());
    CHECK(p.exited(exit_ok));
  }
  SECTION("ci-gate with lost-update: exit 98") {
    const demo_system demo({"--bug", "lost-update"});
    const auto p = demo.run("ci-gate.lua", {"DURATION=5s"});
    INFO(p.describe());
    CHECK(p.exited(exit_integrity));
    CHECK_THAT(p.out, Contains("FAIL  integrity: money (bank)"));
  }
  SECTION("dependency-slow as built") {
    const demo_system demo;
    const auto p = demo.run("dependency-slow.lua", {"DURATION=6s", "FAULT_AT=1s", "FAULT_FOR=4s"});
    INFO(p.describe());
    CHECK(p.exited(exit_ok));
    CHECK_THAT(p.out, Contains("slow payments"));
  }
}

TEST_CASE("demo drills: retry-storm is bounded by the retry budget", "[demo_drills]") {
  const std::vector<std::string> env{"DURATION=6s", "FAULT_AT=1s", "FAULT_FOR=4s"};
  const demo_system demo;
  const auto bounded = demo.run("retry-storm.lua", env);
  INFO(bounded.describe());
  CHECK(bounded.exited(exit_ok));
  auto unbounded_env = env;
  unbounded_env.push_back("RETRY_BUDGET=off");
  const auto storm = demo.run("retry-storm.lua", unbounded_env);
  INFO(storm.describe());
  CHECK(storm.exited(exit_threshold));
  CHECK_THAT(storm.out, Contains("FAIL  http_req_retries: count<"));
}

TEST_CASE("demo drills: capacity finds a knee, and slow-health stops a drill before it starts",
          "[demo_drills]") {
  SECTION("capacity") {
    const demo_system demo;
    const auto p = demo.run("capacity.lua", {"MAX_RATE=40", "RAMP=6s"});
    INFO(p.describe());
    CHECK(p.exited(exit_ok));
    CHECK_THAT(p.out, Contains("PASS  capacity knee (p99<=250ms, errors<=1%)"));
    CHECK_THAT(p.out, Contains("req/s at "));
  }
  SECTION("slow-health") {
    const demo_system demo({"--bug", "slow-health"});
    const auto p = demo.run("connection-drops.lua", {"DURATION=3s"});
    INFO(p.describe());
    CHECK(p.exited(exit_aborted));
    CHECK_THAT(p.err, Contains("probe \"health answers within 500ms\""));
  }
}
