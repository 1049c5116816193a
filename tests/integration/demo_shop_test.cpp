// The demo system under test (`ordeal shop`, `ordeal payments`) as real processes on
// 127.0.0.1, port 0: the endpoints, idempotent replays, each planted bug against the correct
// mode, and graceful restart under load. Every socket operation has a timeout and every
// process (restarted ones too, through their pidfile) is killed at the end.
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "process.hpp"

using namespace std::chrono_literals;
namespace net = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
namespace fs = std::filesystem;
using tcp = net::ip::tcp;
using ordeal::test::child_process;

namespace {

// ---- a small blocking HTTP client (every read and write bounded by SO_RCVTIMEO/SNDTIMEO) --

struct reply {
  int status = 0;  // 0: the request failed (see error)
  std::string body;
  bool replayed = false;  // Idempotent-Replayed: true
  std::string error;
  json::value json() const {
    boost::system::error_code ec;
    auto v = json::parse(body, ec);
    return ec ? json::value() : v;
  }
  std::string describe() const {
    return status ? std::to_string(status) + " " + body : "failed: " + error;
  }
};

class client {
 public:
  explicit client(std::uint16_t port) : port_(port), socket_(ioc_) {}

  reply send(http::verb method, const std::string& target, const std::string& body = "",
             const std::string& key = "") {
    reply r;
    try {
      if (!socket_.is_open()) connect();
      http::request<http::string_body> req{method, target, 11};
      req.set(http::field::host, "127.0.0.1");
      if (!key.empty()) req.set("Idempotency-Key", key);
      if (!body.empty()) {
        req.set(http::field::content_type, "application/json");
        req.body() = body;
      }
      req.prepare_payload();
      http::write(socket_, req);
      http::response<http::string_body> res;
      http::read(socket_, buffer_, res);
      r.status = res.result_int();
      r.body = res.body();
      r.replayed = res["Idempotent-Replayed"] == "true";
      if (!res.keep_alive()) close();
    } catch (const std::exception& e) {
      r.status = 0;
      r.error = e.what();
      close();
    }
    return r;
  }
  reply get(const std::string& target) { return send(http::verb::get, target); }
  reply post(const std::string& target, const std::string& body = "", const std::string& key = "") {
    return send(http::verb::post, target, body, key);
  }

 private:
  void connect() {
    socket_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_));
    const timeval tv{5, 0};
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    buffer_.clear();
  }
  void close() {
    boost::system::error_code ec;
    socket_.close(ec);
    buffer_.clear();
  }

  std::uint16_t port_;
  net::io_context ioc_;
  tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
};

reply get(std::uint16_t port, const std::string& target) {
  return client(port).get(target);
}
reply post(std::uint16_t port, const std::string& target, const std::string& body = "",
           const std::string& key = "") {
  return client(port).post(target, body, key);
}

std::int64_t int_at(const reply& r, const char* field) {
  const auto v = r.json();
  if (!v.is_object() || !v.as_object().contains(field) || !v.as_object().at(field).is_int64()) {
    FAIL("no integer '" << field << "' in " << r.describe());
  }
  return v.as_object().at(field).as_int64();
}

// ---- processes ----------------------------------------------------------------------------

// A fresh directory for databases and pidfiles, removed at the end.
struct temp_dir {
  fs::path path;
  temp_dir() {
    static std::atomic<int> counter{0};
    path = fs::temp_directory_path() /
           ("ordeal-demo-test-" + std::to_string(getpid()) + "-" + std::to_string(++counter));
    fs::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

// Kills whatever process a pidfile names at the end (the successor of a restarted process).
struct pidfile_killer {
  std::string path;
  ~pidfile_killer() {
    std::ifstream in(path);
    long pid = 0;
    if (in >> pid && pid > 1 && pid != getpid()) ::kill(static_cast<pid_t>(pid), SIGKILL);
  }
};

long read_pid(const std::string& path) {
  std::ifstream in(path);
  long pid = 0;
  in >> pid;
  return pid;
}

struct service {
  std::unique_ptr<child_process> process;
  std::uint16_t port = 0;
};

// Starts `ordeal <args...> --port 0` and waits for its "listening on" line.
service start(std::vector<std::string> args) {
  std::vector<std::string> argv{ORDEAL_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--port");
  argv.push_back("0");
  service s;
  s.process = std::make_unique<child_process>(argv, 60s);
  const bool up =
      s.process->wait_until([](const std::string& out,
                               const std::string&) { return out.find("/\n") != std::string::npos; },
                            10s);
  INFO(s.process->out() << s.process->err());
  REQUIRE(up);
  const std::string& out = s.process->out();
  const std::string prefix = "listening on http://127.0.0.1:";
  const auto at = out.find(prefix);
  REQUIRE(at != std::string::npos);
  s.port = static_cast<std::uint16_t>(std::stoi(out.substr(at + prefix.size())));
  return s;
}

service start_payments() {
  return start({"payments"});
}

std::string url(std::uint16_t port) {
  return "http://127.0.0.1:" + std::to_string(port);
}

// A cart with one item and an order for it; returns the order id.
std::int64_t make_order(std::uint16_t shop, const std::string& key, std::int64_t price = 250) {
  const auto cart = post(shop, "/carts");
  REQUIRE(cart.status == 201);
  const auto cart_id = int_at(cart, "id");
  const auto item = post(shop, "/carts/" + std::to_string(cart_id) + "/items",
                         R"({"sku":"tea","qty":2,"price_cents":)" + std::to_string(price) + "}");
  REQUIRE(item.status == 200);
  const auto order = post(shop, "/orders", R"({"cart_id":)" + std::to_string(cart_id) + "}", key);
  INFO(order.describe());
  REQUIRE(order.status == 201);
  return int_at(order, "id");
}

// Waits until a process exits (without reading to the end of its pipes: a successor holds
// them open).
bool wait_exit(child_process& p, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (p.running()) {
    if (std::chrono::steady_clock::now() > until) return false;
    p.wait_for(50ms);
  }
  return true;
}

// ---- a TCP proxy that loses the response of the first connection ----------------------

class lossy_proxy {
 public:
  explicit lossy_proxy(std::uint16_t upstream) : upstream_(upstream) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(listen_fd_, 16) == 0);
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    threads_.emplace_back([this] { accept_loop(); });
  }
  ~lossy_proxy() {
    stop_ = true;
    for (auto& t : threads_)
      t.join();
    ::close(listen_fd_);
  }
  std::uint16_t port() const { return port_; }

 private:
  void accept_loop() {
    int n = 0;
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) != 1) continue;
      const int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      const int u = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a.sin_port = htons(upstream_);
      if (::connect(u, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(c);
        ::close(u);
        continue;
      }
      const bool drop = n++ == 0;
      threads_.emplace_back([this, c, u, drop] { relay(c, u, drop); });
    }
  }
  void relay(int c, int u, bool drop_response) {
    pollfd fds[2] = {{c, POLLIN, 0}, {u, POLLIN, 0}};
    char buf[16384];
    while (!stop_) {
      if (::poll(fds, 2, 50) <= 0) continue;
      if (fds[0].revents) {
        const auto r = ::read(c, buf, sizeof buf);
        if (r <= 0 || ::write(u, buf, static_cast<std::size_t>(r)) != r) break;
      }
      if (fds[1].revents) {
        const auto r = ::read(u, buf, sizeof buf);
        if (r <= 0) break;
        if (drop_response) {  // payments did it; the shop never hears: reset
          const linger hard{1, 0};
          ::setsockopt(c, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
          break;
        }
        if (::write(c, buf, static_cast<std::size_t>(r)) != r) break;
      }
    }
    ::close(c);
    ::close(u);
  }

  std::uint16_t upstream_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;  // joined in the destructor; only accept_loop adds
};

// ---- load for the restart tests --------------------------------------------------------

struct load_result {
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::string first_failure;
  std::mutex mutex;
};

void keep_sending(std::uint16_t port, std::atomic<bool>& stop, load_result& result) {
  client c(port);
  while (!stop) {
    const auto r = c.get("/accounts");
    if (r.status == 200) {
      ++result.ok;
    } else {
      ++result.failed;
      std::lock_guard lock(result.mutex);
      if (result.first_failure.empty()) result.first_failure = r.describe();
    }
  }
}

struct restart_outcome {
  int ok = 0;
  int failed = 0;
  std::string first_failure;
  bool old_exited = false;
  long old_pid = 0;
  long new_pid = 0;
  bool new_answers = false;
};

restart_outcome restart_under_load(bool drain) {
  temp_dir dir;
  const auto pidfile = dir.file("shop.pid");
  pidfile_killer killer{pidfile};
  std::vector<std::string> args{"shop",      "--db", dir.file("shop.db"), "--payments", url(1),
                                "--pidfile", pidfile};
  if (!drain) args.push_back("--no-drain");
  auto shop = start(args);
  restart_outcome out;
  out.old_pid = read_pid(pidfile);
  std::atomic<bool> stop{false};
  load_result load;
  std::vector<std::thread> clients;
  for (int i = 0; i < 3; ++i)
    clients.emplace_back([&] { keep_sending(shop.port, stop, load); });
  std::this_thread::sleep_for(500ms);
  const auto accepted = post(shop.port, "/admin/restart");
  out.old_exited = accepted.status == 202 && wait_exit(*shop.process, 12s);
  std::this_thread::sleep_for(500ms);
  stop = true;
  for (auto& t : clients)
    t.join();
  out.ok = load.ok;
  out.failed = load.failed;
  out.first_failure = load.first_failure;
  out.new_pid = read_pid(pidfile);
  out.new_answers = get(shop.port, "/accounts").status == 200;
  return out;
}

}  // namespace

TEST_CASE("demo shop health is 200 when payments is up and 503 when it is down") {
  temp_dir dir;
  auto payments = start_payments();
  auto shop = start({"shop", "--db", dir.file("up.db"), "--payments", url(payments.port)});
  const auto up = get(shop.port, "/health");
  INFO(up.describe());
  CHECK(up.status == 200);
  CHECK(up.body == R"({"status":"ok","payments":"ok"})");

  const auto closed = ordeal::test::free_local_port();
  auto lonely = start({"shop", "--db", dir.file("down.db"), "--payments", url(closed)});
  const auto down = get(lonely.port, "/health");
  INFO(down.describe());
  CHECK(down.status == 503);
  CHECK(down.body.find("degraded") != std::string::npos);
  CHECK(down.body.find("connection refused") != std::string::npos);
}

TEST_CASE("demo shop orders are paid once and a replayed pay makes no second charge") {
  temp_dir dir;
  auto payments = start_payments();
  auto shop = start({"shop", "--db", dir.file("shop.db"), "--payments", url(payments.port)});
  const auto order = make_order(shop.port, "order-1");
  const auto again = post(shop.port, "/orders", R"({"cart_id":1})", "order-1");
  CHECK(again.status == 201);
  CHECK(again.replayed);
  CHECK(int_at(again, "id") == order);

  const auto path = "/orders/" + std::to_string(order) + "/pay";
  const auto paid = post(shop.port, path, "", "pay-1");
  INFO(paid.describe());
  REQUIRE(paid.status == 200);
  CHECK(paid.json().as_object().at("status") == "paid");
  const auto replay = post(shop.port, path, "", "pay-1");
  CHECK(replay.status == 200);
  CHECK(replay.replayed);
  CHECK(replay.body == paid.body);
  const auto other_key = post(shop.port, path, "", "pay-2");
  CHECK(other_key.status == 409);
  CHECK(other_key.body.find("already paid") != std::string::npos);

  const auto charges = get(payments.port, "/charges?reference=pay-1");
  CHECK(int_at(charges, "count") == 1);
  CHECK(get(shop.port, "/orders/" + std::to_string(order)).json().as_object().at("status") ==
        "paid");
  const auto list = get(shop.port, "/orders");
  CHECK(int_at(list, "count") == 1);
}

TEST_CASE("demo shop retries a lost charge response with the same key unless the bug is on") {
  for (const bool bug : {false, true}) {
    DYNAMIC_SECTION((bug ? "with --bug non-idempotent-retry" : "correct")) {
      temp_dir dir;
      auto payments = start_payments();
      lossy_proxy proxy(payments.port);
      std::vector<std::string> args{"shop",
                                    "--db",
                                    dir.file("shop.db"),
                                    "--payments",
                                    url(proxy.port()),
                                    "--payments-timeout",
                                    "3s"};
      if (bug) args.insert(args.end(), {"--bug", "non-idempotent-retry"});
      auto shop = start(args);
      const auto order = make_order(shop.port, "order-k");
      const auto paid = post(shop.port, "/orders/" + std::to_string(order) + "/pay", "", "key-k");
      INFO(paid.describe());
      CHECK(paid.status == 200);
      const auto charges = get(payments.port, "/charges?reference=key-k");
      INFO(charges.describe());
      CHECK(int_at(charges, "count") == (bug ? 2 : 1));
    }
  }
}

TEST_CASE("demo shop transfers keep the total unless the lost-update bug is on") {
  for (const bool bug : {false, true}) {
    DYNAMIC_SECTION((bug ? "with --bug lost-update" : "correct")) {
      temp_dir dir;
      std::vector<std::string> args{"shop", "--db", dir.file("shop.db"), "--payments", url(1)};
      if (bug) args.insert(args.end(), {"--bug", "lost-update"});
      auto shop = start(args);
      for (int i = 0; i < 4; ++i) {
        REQUIRE(post(shop.port, "/accounts", R"({"name":"a","balance_cents":10000})").status ==
                201);
      }
      std::vector<std::thread> threads;
      std::atomic<int> failed{0};
      for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
          client c(shop.port);
          std::mt19937 rng(static_cast<unsigned>(t + 1));
          for (int i = 0; i < 40; ++i) {
            const int from = static_cast<int>(rng() % 4) + 1;
            const int to = from % 4 + 1;
            const auto r = c.post("/transfers", R"({"from":)" + std::to_string(from) + R"(,"to":)" +
                                                    std::to_string(to) + R"(,"amount_cents":)" +
                                                    std::to_string(rng() % 50 + 1) + "}");
            if (r.status != 201 && r.status != 409) ++failed;
          }
        });
      }
      for (auto& t : threads)
        t.join();
      CHECK(failed == 0);
      const auto accounts = get(shop.port, "/accounts");
      INFO(accounts.describe());
      if (bug) {
        CHECK(int_at(accounts, "total_cents") != 40000);
      } else {
        CHECK(int_at(accounts, "total_cents") == 40000);
      }
    }
  }
}

TEST_CASE("demo shop keeps acknowledged orders across a restart unless ack-before-commit") {
  for (const bool bug : {false, true}) {
    DYNAMIC_SECTION((bug ? "with --bug ack-before-commit" : "correct")) {
      temp_dir dir;
      std::vector<std::string> args{"shop", "--db", dir.file("shop.db"), "--payments", url(1)};
      if (bug) args.insert(args.end(), {"--bug", "ack-before-commit"});
      std::set<std::int64_t> acknowledged;
      {
        auto shop = start(args);
        const auto cart = post(shop.port, "/carts");
        REQUIRE(cart.status == 201);
        client c(shop.port);
        for (int i = 0; i < 30; ++i) {
          const auto r = c.post("/orders", R"({"cart_id":1})", "o-" + std::to_string(i));
          REQUIRE(r.status == 201);
          acknowledged.insert(int_at(r, "id"));
        }
        const auto ended = shop.process->stop(SIGTERM, 5s);
        INFO(ended.describe());
        CHECK(ended.exited(0));
      }
      auto shop = start(args);
      const auto list = get(shop.port, "/orders");
      INFO(list.describe());
      std::set<std::int64_t> kept;
      const auto body = list.json();  // the loop below must not iterate a temporary
      for (const auto& id : body.as_object().at("ids").as_array())
        kept.insert(id.as_int64());
      if (bug) {
        CHECK(kept.size() < acknowledged.size());
      } else {
        CHECK(kept == acknowledged);
      }
    }
  }
}

TEST_CASE("demo shop graceful restart under load fails no request") {
  const auto out = restart_under_load(true);
  INFO("ok " << out.ok << ", failed " << out.failed << ": " << out.first_failure);
  CHECK(out.old_exited);
  CHECK(out.new_pid != out.old_pid);
  CHECK(out.new_answers);
  CHECK(out.ok > 0);
  CHECK(out.failed == 0);
}

TEST_CASE("demo shop restart with no-drain cuts connections") {
  const auto out = restart_under_load(false);
  INFO("ok " << out.ok << ", failed " << out.failed << ": " << out.first_failure);
  CHECK(out.old_exited);
  CHECK(out.new_pid != out.old_pid);
  CHECK(out.new_answers);
  CHECK(out.failed > 0);
}

TEST_CASE("demo shop and payments answer bad input with 400 and a message") {
  temp_dir dir;
  auto payments = start_payments();
  auto shop = start({"shop", "--db", dir.file("shop.db"), "--payments", url(payments.port)});
  const auto malformed = post(shop.port, "/accounts", "{not json");
  CHECK(malformed.status == 400);
  CHECK(malformed.body.find("malformed JSON") != std::string::npos);
  const auto missing = post(shop.port, "/accounts", R"({"name":"x"})");
  CHECK(missing.status == 400);
  CHECK(missing.body.find("balance_cents") != std::string::npos);
  const auto no_key = post(shop.port, "/orders", R"({"cart_id":1})");
  CHECK(no_key.status == 400);
  CHECK(no_key.body.find("Idempotency-Key") != std::string::npos);
  CHECK(get(shop.port, "/orders/nope").status == 404);
  CHECK(get(shop.port, "/accounts/999").status == 404);
  const auto charge_no_key =
      post(payments.port, "/charges", R"({"order_id":1,"amount_cents":5,"reference":"r"})");
  CHECK(charge_no_key.status == 400);
  const auto charge_bad = post(payments.port, "/charges", R"({"order_id":1})", "k");
  CHECK(charge_bad.status == 400);
  CHECK(charge_bad.body.find("amount_cents") != std::string::npos);
  CHECK(get(shop.port, "/health").status == 200);  // still up
}

TEST_CASE("demo shop refuses an unknown bug with exit 104 and the list of bugs") {
  const auto r = ordeal::test::run_process(
      {ORDEAL_BINARY, "shop", "--port", "0", "--db", ":memory:", "--bug", "no-such-bug"});
  INFO(r.describe());
  CHECK(r.exited(104));
  CHECK(r.err.find("lost-update") != std::string::npos);
}
