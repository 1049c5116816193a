// `ordeal proxy` and its toxiproxy-compatible control API, driven the way toxiproxy's clients
// drive toxiproxy: the same methods, paths, headers and JSON bodies as its Go client
// (github.com/Shopify/toxiproxy/v2/client) sends. The binary runs as a child process with
// `--api 127.0.0.1:0` and prints the address it bound; traffic goes through the proxies to
// an in-process `ordeal serve`. Every wait is bounded, so a hang fails the test.
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "ordeal/targets/serve.hpp"
#include "process.hpp"
#include "scratch.hpp"

using namespace std::chrono_literals;
namespace net = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
using boost::system::error_code;
using ordeal::test::child_process;
using tcp = net::ip::tcp;

namespace {

constexpr int exit_ok = 0;
constexpr int exit_invalid_config = 104;
constexpr auto io_timeout = 10s;
using response = http::response<http::string_body>;

// One client connection (keep-alive) whose every operation is bounded by io_timeout.
class connection {
 public:
  explicit connection(std::uint16_t port) : port_(port) {}

  error_code connect() {
    const tcp::endpoint to{net::ip::make_address("127.0.0.1"), port_};
    return run([&](auto done) { socket_.async_connect(to, done); });
  }

  void write(std::string_view raw) {
    REQUIRE_FALSE(run([&](auto done) { net::async_write(socket_, net::buffer(raw), done); }));
  }

  response read() {
    http::response_parser<http::string_body> parser;
    parser.body_limit(boost::none);
    const auto ec = run([&](auto done) { http::async_read(socket_, buffer_, parser, done); });
    INFO(ec.message());
    REQUIRE_FALSE(ec);
    return parser.release();
  }

  // True when the server closed the connection (EOF or reset) within the bound.
  bool closed_by_server() {
    http::response_parser<http::string_body> parser;
    const auto ec = run([&](auto done) { http::async_read(socket_, buffer_, parser, done); });
    return ec == http::error::end_of_stream || ec == net::error::connection_reset ||
           ec == net::error::eof;
  }

 private:
  template <class Start>
  error_code run(Start start) {
    std::optional<error_code> result;
    start([&](error_code ec, auto&&...) { result = ec; });
    io_.restart();
    io_.run_for(io_timeout);
    if (!result) {
      socket_.close();  // completes the operation before its captures go out of scope
      io_.restart();
      io_.run();
      FAIL("no answer within " << io_timeout.count() << "s");
    }
    return *result;
  }

  std::uint16_t port_;
  net::io_context io_;
  tcp::socket socket_{io_};
  boost::beast::flat_buffer buffer_;
};

// A request as toxiproxy's Go client writes it (net/http: Host, User-Agent, Content-Length,
// Content-Type: application/json, Accept-Encoding: gzip).
std::string go_client_request(std::string_view method, std::string_view target,
                              std::optional<std::string_view> body, std::uint16_t port) {
  std::string r = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\n";
  r += "Host: 127.0.0.1:" + std::to_string(port) + "\r\n";
  r += "User-Agent: toxiproxy-cli\r\n";
  if (body) r += "Content-Length: " + std::to_string(body->size()) + "\r\n";
  r += "Content-Type: application/json\r\nAccept-Encoding: gzip\r\n\r\n";
  if (body) r += *body;
  return r;
}

// The API's answer, with its body read as JSON when it is some.
struct reply {
  int status = 0;
  std::string body;
  std::string content_type;
  std::string allow;
  bool keep_alive = false;
  json::value doc;
};

reply to_reply(const response& r) {
  reply out;
  out.status = r.result_int();
  out.body = r.body();
  out.content_type = std::string(r[http::field::content_type]);
  out.allow = std::string(r[http::field::allow]);
  out.keep_alive = r.keep_alive();
  error_code ec;
  out.doc = json::parse(out.body, ec);
  return out;
}

// A running `ordeal proxy`, its API on a port it picked and printed.
class proxy_process {
 public:
  explicit proxy_process(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{ORDEAL_BINARY, "proxy", "--api", "127.0.0.1:0"};
    args.insert(args.end(), extra.begin(), extra.end());
    child_ = std::make_unique<child_process>(std::move(args), 90s);
    const std::regex api_line(R"(API on http://127\.0\.0\.1:([0-9]+)/)");
    std::smatch m;
    const bool up =
        child_->wait_until([&](const std::string& out,
                               const std::string&) { return std::regex_search(out, m, api_line); },
                           io_timeout);
    INFO("stdout: " << child_->out() << "\nstderr: " << child_->err());
    REQUIRE(up);
    api_port_ = static_cast<std::uint16_t>(std::stoi(m[1].str()));
    api_ = std::make_unique<connection>(api_port_);
    REQUIRE_FALSE(api_->connect());
  }

  std::uint16_t api_port() const noexcept { return api_port_; }
  child_process& child() { return *child_; }

  // One request on the API's keep-alive connection.
  reply call(std::string_view method, std::string_view target,
             std::optional<std::string_view> body = std::nullopt) {
    api_->write(go_client_request(method, target, body, api_port_));
    auto r = to_reply(api_->read());
    INFO(method << ' ' << target << " -> " << r.status << ' ' << r.body);
    CHECK(r.keep_alive);
    return r;
  }

 private:
  std::unique_ptr<child_process> child_;
  std::uint16_t api_port_ = 0;
  std::unique_ptr<connection> api_;
};

// The in-process `ordeal serve` the proxies relay to.
class target {
 public:
  target() : server_(ordeal::targets::serve_options{.port = 0}) { server_.start(); }
  std::string address() const { return "127.0.0.1:" + std::to_string(server_.port()); }

 private:
  ordeal::targets::server server_;
};

std::uint16_t port_of(const std::string& address) {
  return static_cast<std::uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)));
}

std::uint16_t listen_port(const reply& r) {
  REQUIRE(r.doc.is_object());
  return port_of(std::string(r.doc.at("listen").as_string()));
}

// One GET / through a proxy on a fresh connection: the target's answer, or the connect error.
struct relayed {
  error_code connect_error;
  int status = 0;
  std::string body;
  std::chrono::milliseconds elapsed{};
};

relayed get_through(std::uint16_t port) {
  relayed out;
  const auto start = std::chrono::steady_clock::now();
  connection c(port);
  out.connect_error = c.connect();
  if (out.connect_error) return out;
  c.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  const auto r = c.read();
  out.status = r.result_int();
  out.body = r.body();
  out.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  return out;
}

// Toxiproxy's error shape: {"error": "...", "status": N}.
void check_error(const reply& r, int status) {
  INFO(r.body);
  CHECK(r.status == status);
  REQUIRE(r.doc.is_object());
  CHECK(r.doc.as_object().size() == 2);
  CHECK(r.doc.at("status").to_number<int>() == status);
  CHECK(!r.doc.at("error").as_string().empty());
}

// What the Go client's CreateProxy sends.
std::string new_proxy_body(const std::string& name, const std::string& upstream,
                           const std::string& listen = "127.0.0.1:0") {
  return R"({"name":")" + name + R"(","listen":")" + listen + R"(","upstream":")" + upstream +
         R"(","enabled":true,"toxics":null})";
}

bool has_event(const json::value& events, std::string_view what, std::string_view fault) {
  for (const auto& e : events.at("events").as_array())
    if (e.at("event") == json::value(what) && e.as_object().if_contains("fault") &&
        e.at("fault") == json::value(fault))
      return true;
  return false;
}

}  // namespace

TEST_CASE("proxy_api: /version answers like toxiproxy 2.7+, JSON with the version", "[proxy_api]") {
  proxy_process p;
  const auto r = p.call("GET", "/version");
  CHECK(r.status == 200);
  CHECK(r.content_type == "application/json;charset=utf-8");
  CHECK(r.body == R"({"version":"ordeal )" ORDEAL_VERSION R"("})"
                  "\n");
}

TEST_CASE("proxy_api: a proxy created as toxiproxy's clients do relays traffic", "[proxy_api]") {
  target t;
  proxy_process p;
  CHECK(p.call("GET", "/proxies").body == "{}");

  const auto created = p.call("POST", "/proxies", new_proxy_body("web", t.address()));
  CHECK(created.status == 201);
  CHECK(created.content_type == "application/json");
  const auto& o = created.doc.as_object();
  CHECK(o.at("name") == "web");
  CHECK(o.at("upstream").as_string() == t.address());
  CHECK(o.at("enabled") == true);
  CHECK(o.at("toxics").as_array().empty());
  const auto port = listen_port(created);
  CHECK(port != 0);

  const auto through = get_through(port);
  REQUIRE_FALSE(through.connect_error);
  CHECK(through.status == 200);
  CHECK(through.body == "ok");

  const auto all = p.call("GET", "/proxies");
  CHECK(all.status == 200);
  CHECK(all.doc.at("web") == created.doc);
  CHECK(p.call("GET", "/proxies/web").doc == created.doc);

  SECTION("a taken name is 409") {
    check_error(p.call("POST", "/proxies", new_proxy_body("web", t.address())), 409);
    CHECK(p.call("GET", "/proxies").doc == all.doc);
  }
  SECTION("unknown proxies, toxics and routes are 404") {
    check_error(p.call("GET", "/proxies/nope"), 404);
    check_error(p.call("GET", "/proxies/nope/toxics"), 404);
    check_error(p.call("POST", "/proxies/nope/toxics", R"({"type":"latency"})"), 404);
    check_error(p.call("GET", "/proxies/web/toxics/nope"), 404);
    check_error(p.call("PATCH", "/proxies/web/toxics/nope", R"({"toxicity":0.5})"), 404);
    check_error(p.call("DELETE", "/proxies/web/toxics/nope"), 404);
    check_error(p.call("PATCH", "/proxies/nope", R"({"enabled":false})"), 404);
    check_error(p.call("DELETE", "/proxies/nope"), 404);
    check_error(p.call("GET", "/nope"), 404);
    check_error(p.call("GET", "/proxies/web/toxics/x/y"), 404);
    check_error(p.call("GET", "/proxies/"), 404);
  }
  SECTION("a wrong method is 405 with Allow") {
    const auto r = p.call("PUT", "/proxies/web");
    check_error(r, 405);
    CHECK(r.allow == "GET, POST, PATCH, DELETE");
    check_error(p.call("GET", "/reset"), 405);
    check_error(p.call("DELETE", "/proxies"), 405);
  }
  SECTION("DELETE removes the proxy: 204, then 404 and connections refused") {
    const auto r = p.call("DELETE", "/proxies/web");
    CHECK(r.status == 204);
    CHECK(r.body.empty());
    check_error(p.call("GET", "/proxies/web"), 404);
    CHECK(p.call("GET", "/proxies").body == "{}");
    CHECK(get_through(port).connect_error == net::error::connection_refused);
  }
}

TEST_CASE("proxy_api: bad input is 400 and changes nothing", "[proxy_api]") {
  target t;
  proxy_process p;
  REQUIRE(p.call("POST", "/proxies", new_proxy_body("web", t.address())).status == 201);
  REQUIRE(p.call("POST", "/proxies/web/toxics",
                 R"({"name":"slow","type":"latency","stream":"downstream","toxicity":1,)"
                 R"("attributes":{"latency":10}})")
              .status == 200);
  const auto before = p.call("GET", "/proxies").doc;

  // Malformed JSON names where it broke.
  auto r = p.call("POST", "/proxies", "{\n \"name\": \"x\",\n \"upstream\": }");
  check_error(r, 400);
  CHECK_THAT(std::string(r.doc.at("error").as_string()), Catch::Contains("line 3"));
  check_error(p.call("POST", "/proxies", ""), 400);
  check_error(p.call("POST", "/proxies", "[]"), 400);
  check_error(p.call("POST", "/proxies", R"({"name":"x"})"), 400);  // no upstream
  check_error(p.call("POST", "/proxies", R"({"name":"x","upstream":"127.0.0.1:1","lisen":"a"})"),
              400);
  check_error(p.call("POST", "/proxies", R"({"name":"x","upstream":"no-port"})"), 400);
  check_error(p.call("POST", "/proxies", std::string(100, '[') + std::string(100, ']')), 400);
  check_error(p.call("POST", "/proxies", R"({"name":"x","upstream":"127.0.0.1:1"} trailing)"), 400);
  // A listen address in use (the API's own) cannot be bound.
  check_error(p.call("POST", "/proxies",
                     new_proxy_body("x", t.address(), "127.0.0.1:" + std::to_string(p.api_port()))),
              400);
  // Updates.
  check_error(p.call("PATCH", "/proxies/web", "{"), 400);
  check_error(p.call("PATCH", "/proxies/web", R"({"enabled":"no"})"), 400);
  check_error(p.call("PATCH", "/proxies/web", R"({"name":"other"})"), 400);
  check_error(p.call("PATCH", "/proxies/web", R"({"http":true})"), 400);
  check_error(p.call("POST", "/proxies/web",
                     R"({"listen":"127.0.0.1:)" + std::to_string(p.api_port()) + R"("})"),
              400);
  // Toxics.
  check_error(p.call("POST", "/proxies/web/toxics", R"({"type":"no_such_toxic"})"), 400);
  check_error(p.call("POST", "/proxies/web/toxics", R"({"type":"latency","stream":"sideways"})"),
              400);
  check_error(p.call("POST", "/proxies/web/toxics",
                     R"({"type":"latency","attributes":{"latency":"soon"}})"),
              400);
  check_error(p.call("POST", "/proxies/web/toxics", R"({"type":"latency","toxicity":2})"), 400);
  check_error(p.call("POST", "/proxies/web/toxics", R"({"type":"latency","name":"slow"})"), 409);
  check_error(p.call("PATCH", "/proxies/web/toxics/slow", R"({"attributes":{"latency":-1}})"), 400);
  check_error(p.call("PATCH", "/proxies/web/toxics/slow", R"({"type":"bandwidth"})"), 400);
  check_error(p.call("PATCH", "/proxies/web/toxics/slow", "null"), 400);
  // Populate is all or nothing: a bad second proxy, or one that cannot be bound, leaves the
  // first uncreated.
  check_error(p.call("POST", "/populate",
                     "[" + new_proxy_body("new1", t.address()) + R"(,{"name":"new2"}])"),
              400);
  check_error(
      p.call("POST", "/populate",
             "[" + new_proxy_body("new1", t.address()) + "," +
                 new_proxy_body("new2", t.address(), "127.0.0.1:" + std::to_string(p.api_port())) +
                 "]"),
      400);
  check_error(p.call("POST", "/populate",
                     "[" + new_proxy_body("new1", t.address()) + "," +
                         new_proxy_body("new1", t.address()) + "]"),
              400);
  check_error(p.call("POST", "/populate", R"({"name":"web"})"), 400);
  // Events' filter.
  check_error(p.call("GET", "/events?since=soon"), 400);
  check_error(p.call("GET", "/events?until=1"), 400);
  check_error(p.call("GET", "/proxies/a%zz"), 400);

  CHECK(p.call("GET", "/proxies").doc == before);
  const auto through = get_through(listen_port(p.call("GET", "/proxies/web")));
  CHECK(through.status == 200);
}

TEST_CASE("proxy_api: a latency toxic is added, listed, updated and removed", "[proxy_api]") {
  target t;
  proxy_process p;
  const auto port = listen_port(p.call("POST", "/proxies", new_proxy_body("web", t.address())));

  // The Go client's AddToxic: toxiproxy answers 200 with the toxic.
  auto r = p.call("POST", "/proxies/web/toxics",
                  R"({"name":"latency_down","type":"latency","stream":"downstream",)"
                  R"("toxicity":1,"attributes":{"latency":400}})");
  CHECK(r.status == 200);
  CHECK(r.doc.at("name") == "latency_down");
  CHECK(r.doc.at("type") == "latency");
  CHECK(r.doc.at("stream") == "downstream");
  CHECK(r.doc.at("toxicity").to_number<double>() == 1.0);
  CHECK(r.doc.at("attributes").at("latency").to_number<double>() == 400);

  const auto slow = get_through(port);
  REQUIRE_FALSE(slow.connect_error);
  CHECK(slow.status == 200);
  CHECK(slow.elapsed >= 390ms);

  auto list = p.call("GET", "/proxies/web/toxics");
  CHECK(list.status == 200);
  REQUIRE(list.doc.as_array().size() == 1);
  CHECK(list.doc.as_array()[0] == r.doc);
  CHECK(p.call("GET", "/proxies/web/toxics/latency_down").doc == r.doc);
  CHECK(p.call("GET", "/proxies/web").doc.at("toxics") == list.doc);

  // A name left empty (the Go client's default) becomes <type>_<stream>, as toxiproxy.
  r = p.call("POST", "/proxies/web/toxics",
             R"({"name":"","type":"latency","stream":"upstream","toxicity":1,)"
             R"("attributes":{"latency":0}})");
  CHECK(r.status == 200);
  CHECK(r.doc.at("name") == "latency_upstream");

  // The Go client's UpdateToxic: PATCH {"attributes": ..., "toxicity": ...}, merged.
  r = p.call("PATCH", "/proxies/web/toxics/latency_down",
             R"({"attributes":{"jitter":0,"latency":50},"toxicity":0.5})");
  CHECK(r.status == 200);
  CHECK(r.doc.at("attributes").at("latency").to_number<double>() == 50);
  CHECK(r.doc.at("toxicity").to_number<double>() == 0.5);
  CHECK(p.call("GET", "/proxies/web/toxics/latency_down").doc == r.doc);
  // Toxiproxy's older clients update with POST; a toxic sent back whole changes nothing.
  auto same = p.call("POST", "/proxies/web/toxics/latency_down", json::serialize(r.doc));
  CHECK(same.status == 200);
  CHECK(same.doc == r.doc);

  r = p.call("DELETE", "/proxies/web/toxics/latency_down");
  CHECK(r.status == 204);
  CHECK(r.body.empty());
  check_error(p.call("GET", "/proxies/web/toxics/latency_down"), 404);
  list = p.call("GET", "/proxies/web/toxics");
  REQUIRE(list.doc.as_array().size() == 1);
  CHECK(list.doc.as_array()[0].at("name") == "latency_upstream");

  // The fault record: the toxic began, hit the connection, was updated and removed.
  const auto events = p.call("GET", "/events");
  CHECK(events.status == 200);
  INFO(events.body);
  CHECK(events.doc.at("dropped").to_number<std::uint64_t>() == 0);
  CHECK(has_event(events.doc, "start", "latency_down"));
  CHECK(has_event(events.doc, "hit", "latency_down"));
  CHECK(has_event(events.doc, "stop", "latency_down"));
  const auto& all = events.doc.at("events").as_array();
  REQUIRE_FALSE(all.empty());
  for (const auto& e : all) {
    CHECK(e.at("proxy") == "web");
    CHECK(e.as_object().contains("at_us"));
  }
  const auto last_at = all.back().at("at_us").to_number<std::int64_t>();
  const auto later = p.call("GET", "/events?since=" + std::to_string(last_at));
  CHECK(later.status == 200);
  CHECK(!later.doc.at("events").as_array().empty());
  CHECK(later.doc.at("events").as_array().size() <= all.size());
  const auto future = p.call("GET", "/events?since=" + std::to_string(last_at + 3'600'000'000));
  CHECK(future.doc.at("events").as_array().empty());
}

TEST_CASE("proxy_api: a disabled proxy refuses connections until enabled again", "[proxy_api]") {
  target t;
  proxy_process p;
  const auto created = p.call("POST", "/proxies", new_proxy_body("web", t.address()));
  const auto port = listen_port(created);
  REQUIRE(p.call("POST", "/proxies/web/toxics",
                 R"({"name":"lag","type":"latency","toxicity":1,"attributes":{"latency":1}})")
              .status == 200);
  const auto current = p.call("GET", "/proxies/web").doc;

  SECTION("PATCH {\"enabled\": false}") {
    const auto r = p.call("PATCH", "/proxies/web", R"({"enabled":false})");
    CHECK(r.status == 200);
    CHECK(r.doc.at("enabled") == false);
  }
  SECTION("the Go client's Disable(): the whole proxy posted back, its toxics included") {
    auto body = current.as_object();
    body["enabled"] = false;
    const auto r = p.call("POST", "/proxies/web", json::serialize(body));
    CHECK(r.status == 200);
    CHECK(r.doc.at("enabled") == false);
    CHECK(r.doc.at("toxics") == current.at("toxics"));
  }
  CHECK(p.call("GET", "/proxies/web").doc.at("enabled") == false);
  CHECK(get_through(port).connect_error == net::error::connection_refused);

  const auto r = p.call("PATCH", "/proxies/web", R"({"enabled":true})");
  CHECK(r.status == 200);
  CHECK(r.doc == current);  // same port, same toxics
  const auto through = get_through(port);
  REQUIRE_FALSE(through.connect_error);
  CHECK(through.status == 200);
}

TEST_CASE("proxy_api: populate creates or updates, reset lifts every fault", "[proxy_api]") {
  target t;
  proxy_process p;
  // The Go client's Populate: an array of proxies; toxiproxy answers 201 {"proxies": [...]}.
  const std::string body =
      "[" + new_proxy_body("a", t.address()) + "," + new_proxy_body("b", t.address()) + "]";
  auto r = p.call("POST", "/populate", body);
  CHECK(r.status == 201);
  const auto& listed = r.doc.at("proxies").as_array();
  REQUIRE(listed.size() == 2);
  CHECK(listed[0].at("name") == "a");
  CHECK(listed[1].at("name") == "b");
  const auto first = r.doc;
  for (const auto& proxy : listed) {
    const auto through = get_through(port_of(std::string(proxy.at("listen").as_string())));
    CHECK(through.status == 200);
  }

  // The same file again: nothing moves (port 0 is the port it already has).
  r = p.call("POST", "/populate", body);
  CHECK(r.status == 201);
  CHECK(r.doc == first);

  // Updated in place: b disabled and its upstream changed, a kept with its toxic.
  REQUIRE(p.call("POST", "/proxies/a/toxics", R"({"type":"latency","attributes":{"latency":1}})")
              .status == 200);
  r = p.call("POST", "/populate", R"([{"name":"b","upstream":"127.0.0.1:1","enabled":false}])");
  CHECK(r.status == 201);
  REQUIRE(r.doc.at("proxies").as_array().size() == 1);
  CHECK(r.doc.at("proxies").as_array()[0].at("enabled") == false);
  CHECK(r.doc.at("proxies").as_array()[0].at("upstream") == "127.0.0.1:1");
  CHECK(p.call("GET", "/proxies/a/toxics").doc.as_array().size() == 1);
  CHECK(p.call("GET", "/proxies").doc.as_object().size() == 2);

  // Reset: every proxy enabled, every toxic gone.
  r = p.call("POST", "/reset", "");
  CHECK(r.status == 204);
  CHECK(r.body.empty());
  const auto after = p.call("GET", "/proxies").doc;
  CHECK(after.at("a").at("toxics").as_array().empty());
  CHECK(after.at("b").at("enabled") == true);
  CHECK(after.at("a").at("listen") == first.at("proxies").as_array()[0].at("listen"));
  CHECK(get_through(port_of(std::string(after.at("a").at("listen").as_string()))).status == 200);
}

TEST_CASE("proxy_api: HTTP hygiene (keep-alive, limits, garbage, browsers)", "[proxy_api]") {
  proxy_process p;
  connection c(p.api_port());
  REQUIRE_FALSE(c.connect());

  SECTION("keep-alive: several requests on one connection, HTTP/1.0 closes") {
    for (int i = 0; i < 3; ++i) {
      c.write(go_client_request("GET", "/version", std::nullopt, p.api_port()));
      CHECK(c.read().result_int() == 200);
    }
    c.write("GET /proxies HTTP/1.0\r\n\r\n");
    const auto r = c.read();
    CHECK(r.result_int() == 200);
    CHECK_FALSE(r.keep_alive());
    CHECK(c.closed_by_server());
  }
  SECTION("a body over 1 MiB is 413, and the connection closes") {
    c.write("POST /proxies HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n{\"name\":");
    const auto r = to_reply(c.read());
    check_error(r, 413);
    CHECK(c.closed_by_server());
  }
  SECTION("a header over 16 KiB is 431") {
    c.write("GET /version HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n");
    check_error(to_reply(c.read()), 431);
    CHECK(c.closed_by_server());
  }
  SECTION("garbage is 400, and the connection closes") {
    c.write("HELLO THERE\r\n\r\n");
    check_error(to_reply(c.read()), 400);
    CHECK(c.closed_by_server());
  }
  SECTION("Expect: 100-continue gets its interim answer (curl sends it)") {
    c.write(
        "POST /populate HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n");
    const auto interim = c.read();
    CHECK(interim.result_int() == 100);
    c.write("[]");
    const auto r = to_reply(c.read());
    CHECK(r.status == 201);
    CHECK(r.doc == json::parse(R"({"proxies":[]})"));
  }
  SECTION("browsers are refused (403), as toxiproxy does") {
    c.write("GET /proxies HTTP/1.1\r\nHost: x\r\nUser-Agent: Mozilla/5.0 (X11)\r\n\r\n");
    check_error(to_reply(c.read()), 403);
  }
  SECTION("the process still answers after all that") {
    c.write("\r\n\r\n\x01\x02\xff garbage\r\n\r\n");
    check_error(to_reply(c.read()), 400);
    CHECK(c.closed_by_server());
    CHECK(p.call("GET", "/version").status == 200);
  }
}

TEST_CASE("proxy_api: ordeal proxy --config reads toxiproxy's config file, with ordeal's toxics",
          "[proxy_api]") {
  target t;
  ordeal::test::temp_dir dir("proxy-config");
  const auto file = dir.file("toxiproxy.doc");
  ordeal::test::write_file(file, R"([
  {"name": "web", "listen": "127.0.0.1:0", "upstream": ")" +
                                     t.address() + R"(", "enabled": true,
   "toxics": [{"name": "lag", "type": "latency", "attributes": {"latency": 300}}]},
  {"name": "spare", "listen": "127.0.0.1:0", "upstream": ")" +
                                     t.address() + R"(", "enabled": false}
])");
  proxy_process p({"--config", file, "--seed", "7"});
  const auto out = p.child().out();
  CHECK_THAT(out, Catch::Contains("ordeal proxy: web listening on 127.0.0.1:"));
  CHECK_THAT(out, Catch::Contains(" with lag"));
  CHECK_THAT(out, Catch::Contains("ordeal proxy: spare listening on"));
  CHECK_THAT(out, Catch::Contains("(disabled)"));

  const auto all = p.call("GET", "/proxies").doc;
  CHECK(all.at("spare").at("enabled") == false);
  const auto& toxics = all.at("web").at("toxics").as_array();
  REQUIRE(toxics.size() == 1);
  CHECK(toxics[0].at("name") == "lag");
  const auto through = get_through(port_of(std::string(all.at("web").at("listen").as_string())));
  CHECK(through.status == 200);
  CHECK(through.elapsed >= 290ms);

  const auto done = p.child().stop(SIGTERM, 10s);
  INFO(done.describe());
  CHECK(done.exited(exit_ok));
  CHECK_THAT(done.out, Catch::Contains("ordeal proxy: stopped"));
}

TEST_CASE("proxy_api: ordeal proxy with a bad config or address says one line and exits 104",
          "[proxy_api]") {
  ordeal::test::temp_dir dir("proxy-bad-config");
  const auto run = [](std::vector<std::string> args) {
    args.insert(args.begin(), {ORDEAL_BINARY, "proxy"});
    return ordeal::test::run_process(std::move(args), 10s);
  };
  const auto one_line_104 = [](const ordeal::test::process_result& r, const std::string& text) {
    INFO(r.describe());
    CHECK(r.exited(exit_invalid_config));
    CHECK(ordeal::test::split_lines(r.err).size() == 1);
    CHECK_THAT(r.err, Catch::Contains(text));
  };

  const auto syntax = dir.file("syntax.doc");
  ordeal::test::write_file(syntax, "[\n  {\"name\": \"a\",\n   \"upstream\": 127.0.0.1}\n]\n");
  one_line_104(run({"--config", syntax}), syntax + ":3:");

  const auto shape = dir.file("shape.doc");
  ordeal::test::write_file(
      shape, R"([{"name": "a", "upstream": "127.0.0.1:1"}, {"name": "b", "upstrem": "x"}])");
  one_line_104(run({"--config", shape}), shape + ": [1].upstrem");

  const auto attribute = dir.file("attribute.doc");
  ordeal::test::write_file(attribute,
                           R"([{"name": "a", "upstream": "127.0.0.1:1",
           "toxics": [{"type": "latency", "attributes": {"latncy": 5}}]}])");
  one_line_104(run({"--config", attribute}), attribute + ": [0].toxics[0]");

  one_line_104(run({"--config", dir.file("missing.doc")}), "cannot read");
  one_line_104(run({"--api", "nonsense"}), "--api");
  one_line_104(run({"--no-api"}), "--no-api");
}
