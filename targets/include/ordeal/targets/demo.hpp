#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

// The demo system under test: two services, each its own process (docs/demo.md).
//   payments: charges with idempotency keys, backed by SQLite.
//   shop: accounts and transfers, carts, orders paid through payments, a health check that
//         looks at payments, graceful restart, and switchable planted bugs.
namespace ordeal::targets {

// What both services share: where to listen and how to be managed by a script.
struct demo_service_options {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  // 0 = pick a free port
  unsigned threads = 4;
  std::string pidfile;  // written with the pid once listening; empty: none
  int listen_fd = -1;   // an inherited listening socket (graceful restart); -1: bind
};

struct payments_options : demo_service_options {
  payments_options() { port = 8081; }
  std::string db = ":memory:";  // SQLite file
};

struct shop_options : demo_service_options {
  shop_options() { port = 8080; }
  std::string db = "shop.db";                           // SQLite file, WAL mode
  std::string payments_url = "http://127.0.0.1:18081";  // the fault proxy in drills
  std::vector<std::string> bugs;                        // see shop_bug_names()
  bool drain = true;  // graceful restart drains; false: cut every connection at once
  std::chrono::milliseconds payments_timeout{800};  // per attempt
  unsigned payments_retries = 2;                    // after the first attempt
  // The command line to re-execute on a graceful restart (argv of main, without
  // --listen-fd); the executable is /proc/self/exe.
  std::vector<std::string> argv;
};

// The planted bugs `--bug` accepts, in the order the docs list them.
const std::vector<std::string>& shop_bug_names();

// Run until SIGTERM or SIGINT (exit 0). Both print `listening on http://ADDRESS:PORT/` on
// stdout once accepting. Throw std::invalid_argument for bad options (an unknown bug, a bad
// payments URL) and std::system_error when they cannot listen or open the database.
int run_payments(const payments_options& o);
int run_shop(const shop_options& o);

}  // namespace ordeal::targets
