// `ordeal run` over TLS and HTTP/2 against real servers: nginx (TLS with HTTP/1.1 and h2 by
// ALPN, cleartext h2c) and nghttpd (h2, h2c), with a throwaway PKI. nginx's access log is an
// independent count of what was answered; certificates that must not verify must not.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "engine_run.hpp"
#include "nghttpd.hpp"
#include "nginx.hpp"
#include "ordeal/engine/config_error.hpp"
#include "ordeal/engine/results.hpp"
#include "process.hpp"
#include "scratch.hpp"
#include "test_certs.hpp"

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using ordeal::engine::config_error;
using ordeal::engine::http_version;
using ordeal::engine::outcome;
using ordeal::test::nghttpd_server;
using ordeal::test::nginx_server;

namespace {

constexpr auto log_settle = 2s;

// The test PKI in a fresh directory, removed at the end of the test.
struct pki_files {
  pki_files() { ordeal::test::make_test_pki().write_to(dir); }
  std::string file(const char* name) const { return scratch.file(name); }
  ordeal::test::temp_dir scratch{"pki"};
  const fs::path& dir = scratch.path();
};

void require_peers() {
  if (!nginx_server::installed())
    FAIL(nginx_server::binary << " is not installed: run scripts/bootstrap (nginx-light)");
  if (!nghttpd_server::installed())
    FAIL(nghttpd_server::binary << " is not installed: run scripts/bootstrap (nghttp2-server)");
}

nginx_server tls_nginx(const pki_files& pki, const char* cert = "server") {
  ordeal::test::nginx_options o;
  o.tls = ordeal::test::nginx_tls_options{};
  o.tls->cert = pki.dir / (std::string(cert) + ".pem");
  o.tls->key = pki.dir / (std::string(cert) + ".key");
  o.h2c = true;
  return nginx_server(o);
}

ordeal::engine::config config_for(const std::string& url, const pki_files& pki) {
  auto c = ordeal::test::local_config(1);
  c.target = ordeal::engine::parse_url(url);
  c.connections = 4;
  c.duration = 1s;
  if (c.target.secure()) c.tls.ca_file = pki.file("ca.pem");
  return c;
}

// Every attempt answered 200, and nginx logged each one.
void check_all_answered(const ordeal::engine::run_results& r, const nginx_server& nginx) {
  INFO("total " << r.total() << ", in flight " << r.in_flight << ", protocol " << r.protocol);
  for (const auto& [reason, n] : r.error_reasons)
    INFO(reason << ": " << n);
  CHECK(r.total() > 100);
  CHECK(r.count(outcome::ok) == r.total());
  const auto sent = r.total() + r.in_flight;
  CHECK(nginx.access_log_lines_reaching(sent, log_settle) == sent);
}

std::string first_reason(const ordeal::engine::run_results& r) {
  return r.error_reasons.empty() ? std::string() : r.error_reasons.begin()->first;
}

}  // namespace

TEST_CASE("tls: HTTP/1.1 over TLS against nginx, verified with the test CA", "[protocol][tls]") {
  require_peers();
  pki_files pki;
  auto nginx = tls_nginx(pki);
  auto c = config_for(nginx.tls_url(), pki);
  c.protocol = http_version::http1;
  REQUIRE_NOTHROW(ordeal::engine::check_reachable(c));
  const auto r = ordeal::test::run_load(c);
  check_all_answered(r, nginx);
  CHECK(r.protocol == "http/1.1");
  CHECK(r.tls);
  CHECK(r.tls_full_handshakes == 4);
  CHECK(r.tls_handshake.count() == 4);
  CHECK(r.connections_opened == 4);
}

TEST_CASE("tls: ALPN picks h2 against nginx by default", "[protocol][tls][h2]") {
  require_peers();
  pki_files pki;
  auto nginx = tls_nginx(pki);
  auto c = config_for(nginx.tls_url(), pki);
  c.h2.max_streams = 8;
  const auto r = ordeal::test::run_load(c);
  check_all_answered(r, nginx);
  CHECK(r.protocol == "h2");
  CHECK(r.connections_opened == 4);
}

TEST_CASE("h2c: prior knowledge against nginx, streams multiplexed", "[protocol][h2]") {
  require_peers();
  pki_files pki;
  auto nginx = tls_nginx(pki);
  auto c = config_for(nginx.h2c_url(), pki);
  c.protocol = http_version::h2;
  c.h2.max_streams = 10;
  const auto r = ordeal::test::run_load(c);
  check_all_answered(r, nginx);
  CHECK(r.protocol == "h2c");
  CHECK_FALSE(r.tls);
  CHECK(r.connections_opened == 4);
}

TEST_CASE("h2 and h2c against nghttpd", "[protocol][h2]") {
  require_peers();
  pki_files pki;
  for (const bool tls : {false, true}) {
    INFO((tls ? "h2 over TLS" : "h2c"));
    ordeal::test::nghttpd_options o;
    if (tls)
      o.tls = ordeal::test::nghttpd_tls_options{pki.dir / "server.pem", pki.dir / "server.key"};
    nghttpd_server server(o);
    auto c = config_for(server.url("/index.html"), pki);
    c.protocol = http_version::h2;
    c.h2.max_streams = 4;
    const auto r = ordeal::test::run_load(c);
    INFO(first_reason(r));
    CHECK(r.total() > 100);
    CHECK(r.count(outcome::ok) == r.total());
    CHECK(r.protocol == (tls ? "h2" : "h2c"));
    CHECK(r.bytes_received >= r.total() * nghttpd_server::index_file_bytes);
  }
}

TEST_CASE("h2: a POST body larger than the initial window reaches nghttpd whole",
          "[protocol][h2]") {
  require_peers();
  pki_files pki;
  ordeal::test::nghttpd_options o;
  o.echo_upload = true;
  nghttpd_server server(o);
  auto c = config_for(server.url("/index.html"), pki);
  c.protocol = http_version::h2;
  c.method = "POST";
  c.body = std::string(200 * 1024, 'b');
  c.connections = 2;
  c.h2.max_streams = 2;
  const auto r = ordeal::test::run_load(c);
  INFO(first_reason(r));
  CHECK(r.total() > 10);
  CHECK(r.count(outcome::ok) == r.total());
  // Echoed: every answered request brought its whole body back.
  CHECK(r.bytes_received >= r.count(outcome::ok) * c.body.size());
}

TEST_CASE("tls: certificates that must not verify do not", "[protocol][tls]") {
  require_peers();
  pki_files pki;
  struct bad_case {
    const char* cert;
    bool trust_ca;
    std::string server_name;
    const char* reason;
  };
  for (const auto& bc : {bad_case{"expired", true, "", "certificate expired"},
                         bad_case{"wrong-host", true, "", "hostname mismatch"},
                         bad_case{"server", false, "", "unknown CA"},
                         bad_case{"server", true, "other.example", "hostname mismatch"}}) {
    INFO(bc.cert << " trusted " << bc.trust_ca << " sni " << bc.server_name);
    auto nginx = tls_nginx(pki, bc.cert);
    auto c = config_for(nginx.tls_url(), pki);
    if (!bc.trust_ca) c.tls.ca_file.clear();  // the system store knows no test CA
    c.tls.server_name = bc.server_name;
    // Before the load: one clear line, the run does not start.
    CHECK_THROWS_WITH(ordeal::engine::check_reachable(c), Catch::Contains(bc.reason));
    // In the load (the engine run without the CLI's check): every attempt is a `tls` failure
    // with that reason, and nginx answered nothing.
    c.duration = 300ms;
    c.connections = 2;
    const auto r = ordeal::test::run_load(c);
    CHECK(r.total() > 0);
    CHECK(r.count(outcome::tls) == r.total());
    CHECK(first_reason(r) == std::string("tls: ") + bc.reason);
    CHECK(nginx.access_log_lines() == 0);
    // --insecure: the same server is reachable.
    c.tls.insecure = true;
    c.tls.ca_file.clear();
    c.tls.server_name.clear();
    CHECK_NOTHROW(ordeal::engine::check_reachable(c));
  }
}

TEST_CASE("tls: session resumption is counted", "[protocol][tls]") {
  require_peers();
  pki_files pki;
  ordeal::test::nginx_options o;
  o.tls = ordeal::test::nginx_tls_options{};
  o.tls->cert = pki.dir / "server.pem";
  o.tls->key = pki.dir / "server.key";
  o.tls->http2 = false;
  o.keepalive_requests = 20;  // nginx closes every connection after 20 requests: reconnects
  nginx_server nginx(o);
  auto c = config_for(nginx.tls_url(), pki);
  c.connections = 2;
  for (const bool resume : {false, true}) {
    INFO("resume " << resume);
    c.tls.resume = resume;
    const auto r = ordeal::test::run_load(c);
    CHECK(r.count(outcome::ok) == r.total());
    CHECK(r.connections_opened > 10);
    // Every connection shook hands, but those the end of the run caught mid-handshake.
    const auto handshakes = r.tls_full_handshakes + r.tls_resumed_handshakes;
    CHECK(handshakes <= r.connections_opened);
    CHECK(handshakes + c.connections >= r.connections_opened);
    if (resume)
      CHECK(r.tls_resumed_handshakes > r.connections_opened / 2);
    else
      CHECK(r.tls_resumed_handshakes == 0);
  }
}

TEST_CASE("tls: a client certificate for mutual TLS", "[protocol][tls]") {
  require_peers();
  pki_files pki;
  ordeal::test::nginx_options o;
  o.tls = ordeal::test::nginx_tls_options{.cert = pki.dir / "server.pem",
                                          .key = pki.dir / "server.key",
                                          .http2 = false,
                                          .client_ca = pki.dir / "ca.pem"};
  nginx_server nginx(o);
  auto c = config_for(nginx.tls_url(), pki);
  c.duration = 300ms;
  const auto without = ordeal::test::run_load(c);
  CHECK(without.total() > 0);
  CHECK(without.status_codes.count(400) == 1);  // nginx: "No required SSL certificate was sent"
  CHECK(without.count(outcome::ok) == 0);
  c.tls.cert_file = pki.file("client.pem");
  c.tls.key_file = pki.file("client.key");
  const auto with = ordeal::test::run_load(c);
  CHECK(with.total() > 0);
  CHECK(with.count(outcome::ok) == with.total());
}

TEST_CASE("tls: a CA file that does not exist is a configuration error", "[protocol][tls]") {
  pki_files pki;
  auto c = config_for("https://127.0.0.1:1/", pki);
  c.tls.ca_file = pki.file("missing.pem");
  CHECK_THROWS_WITH(ordeal::test::run_load(c), Catch::Contains("cannot load CA file"));
  c.tls.ca_file = pki.file("ca.pem");
  c.tls.cert_file = pki.file("client.pem");
  c.tls.key_file = pki.file("server.key");
  CHECK_THROWS_WITH(ordeal::test::run_load(c),
                    Catch::Contains("client key") && Catch::Contains("mismatch"));
}

TEST_CASE("cli: https and h2 end to end, with the protocol in the JSON result", "[protocol][cli]") {
  require_peers();
  pki_files pki;
  auto nginx = tls_nginx(pki);
  const auto json_path = pki.dir / "result.json";
  auto r = ordeal::test::run_process(
      {ORDEAL_BINARY, "run", nginx.tls_url(), "--http2", "-m", "4", "-c", "2", "-t", "1", "-d",
       "1s", "-q", "--cacert", pki.file("ca.pem"), "--out", "json=" + json_path.string()},
      15s);
  INFO(r.describe());
  REQUIRE(r.exited(0));
  std::ifstream in(json_path);
  const auto doc =
      boost::json::parse(std::string(std::istreambuf_iterator<char>(in), {})).as_object();
  CHECK(doc.at("protocol").as_string() == "h2");
  CHECK(doc.at("tls").as_object().at("full_handshakes").as_int64() == 2);
  CHECK(doc.at("phases_ms").as_object().contains("tls_handshake"));
  CHECK(doc.at("requests").as_object().at("ok").as_int64() > 0);

  // Unknown CA: exit 104 and the reason, before any load.
  r = ordeal::test::run_process(
      {ORDEAL_BINARY, "run", nginx.tls_url(), "-c", "1", "-d", "1s", "-q"}, 15s);
  CHECK(r.exited(104));
  CHECK_THAT(r.err, Catch::Contains("unknown CA") && Catch::Contains("--cacert"));
  // --insecure warns.
  r = ordeal::test::run_process(
      {ORDEAL_BINARY, "run", nginx.tls_url(), "-c", "1", "-d", "300ms", "-q", "--insecure"}, 15s);
  CHECK(r.exited(0));
  CHECK_THAT(r.err, Catch::Contains("warning: --insecure"));
  // Flags that contradict each other or the URL.
  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{nginx.tls_url(), "--h2c"},
        std::vector<std::string>{nginx.h2c_url(), "--cacert", pki.file("ca.pem")},
        std::vector<std::string>{nginx.tls_url(), "--http2", "--http1.1"},
        std::vector<std::string>{nginx.url(), "-m", "10"}}) {
    std::vector<std::string> args{ORDEAL_BINARY, "run"};
    args.insert(args.end(), bad.begin(), bad.end());
    r = ordeal::test::run_process(args, 15s);
    INFO(r.describe());
    CHECK(r.exited(104));
  }
}

TEST_CASE("cli: ordeal wrk over https, unverified as wrk is", "[protocol][cli]") {
  require_peers();
  pki_files pki;
  auto nginx = tls_nginx(pki);
  const auto r =
      ordeal::test::run_process({ORDEAL_BINARY, "wrk", "-t1", "-c2", "-d1s", nginx.tls_url()}, 15s);
  INFO(r.describe());
  REQUIRE(r.exited(0));
  CHECK_THAT(r.out, Catch::Contains("requests in"));
  CHECK_THAT(r.out, !Catch::Contains("Non-2xx") && !Catch::Contains("Socket errors"));
  CHECK(nginx.access_log_lines() > 0);
}

TEST_CASE("drill: https requests with options.tls, and the tls class when it fails",
          "[protocol][tls][drill]") {
  require_peers();
  pki_files pki;
  auto nginx = tls_nginx(pki);
  const auto drill = pki.dir / "tls.lua";
  std::ofstream(drill)
      << "options = { vus = 2, iterations = 10, tls = { ca = \"" << pki.file("ca.pem") << "\" } }\n"
      << "function default()\n"
      << "  local r = http.get(\"" << nginx.tls_url() << "\")\n"
      << "  check(r, { ok = function(r) return r.status == 200 end })\n"
      << "  check(r, { timed = function(r) return r.timings.tls_handshaking >= 0 end })\n"
      << "end\n";
  const auto json_path = pki.dir / "drill.json";
  auto r = ordeal::test::run_process(
      {ORDEAL_BINARY, "run", drill.string(), "-q", "--out", "json=" + json_path.string()}, 20s);
  INFO(r.describe());
  REQUIRE(r.exited(0));
  CHECK_THAT(r.out, Catch::Contains("pass  ok: 10/10"));
  CHECK_THAT(r.out, Catch::Contains("tls handshake"));
  // Trusting nothing: every request is a tls failure (the URL is absolute, so no probe first).
  std::ofstream(drill)
      << "options = { vus = 1, iterations = 3 }\n"
      << "function default()\n"
      << "  local r = http.get(\"" << nginx.tls_url() << "\")\n"
      << "  check(r, { tls = function(r) return r.error_class == 'tls' end })\n"
      << "  check(r, { why = function(r) return r.error:find('unknown CA') ~= nil end })\n"
      << "end\n";
  r = ordeal::test::run_process({ORDEAL_BINARY, "run", drill.string(), "-q"}, 20s);
  INFO(r.describe());
  CHECK_THAT(r.out, Catch::Contains("pass  tls: 3/3") && Catch::Contains("pass  why: 3/3"));
}
