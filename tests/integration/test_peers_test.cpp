// The peers HTTP/2 and TLS tests run against, proven with third-party clients (curl, nghttp,
// openssl s_client) before ordeal is trusted to measure anything against them: nginx with TLS,
// HTTP/2 and h2c; nghttpd; the hand-written h2_hostile_server, whose every misbehaviour must
// be what a real client sees.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <string>
#include <system_error>
#include <vector>

#include "h2_hostile_server.hpp"
#include "nghttpd.hpp"
#include "nginx.hpp"
#include "process.hpp"
#include "scratch.hpp"
#include "test_certs.hpp"

using namespace std::chrono_literals;
using ordeal::test::h2_hostile_behaviour;
using ordeal::test::h2_hostile_server;
using ordeal::test::h2_hostile_server_options;
using ordeal::test::h2_invalid_frame;
using ordeal::test::nghttpd_options;
using ordeal::test::nghttpd_server;
using ordeal::test::nginx_options;
using ordeal::test::nginx_server;
using ordeal::test::nginx_tls_options;
using ordeal::test::process_result;

namespace fs = std::filesystem;

namespace {

constexpr const char* curl_binary = "/usr/bin/curl";
constexpr const char* nghttp_binary = "/usr/bin/nghttp";
constexpr const char* openssl_binary = "/usr/bin/openssl";
constexpr const char* h2load_binary = "/usr/bin/h2load";

// scripts/bootstrap installs every peer; a missing one must fail loudly, never pass by testing
// nothing.
void require_binary(const char* path, const char* package) {
  if (::access(path, X_OK) != 0)
    FAIL(path << " is not installed: run scripts/bootstrap (Debian package " << package << ")");
}

void require_clients() {
  require_binary(curl_binary, "curl");
  require_binary(nghttp_binary, "nghttp2-client");
  require_binary(openssl_binary, "openssl");
}

// The test PKI written to a temporary directory, removed on destruction.
class pki_files {
 public:
  pki_files() { pki_.write_to(dir_); }
  pki_files(const pki_files&) = delete;
  pki_files& operator=(const pki_files&) = delete;

  const ordeal::test::test_pki& pki() const noexcept { return pki_; }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  nginx_tls_options nginx_tls(const std::string& identity, bool http2 = true) const {
    return {dir_ / (identity + ".pem"), dir_ / (identity + ".key"), http2, {}};
  }

 private:
  ordeal::test::test_pki pki_ = ordeal::test::make_test_pki();
  ordeal::test::temp_dir scratch_{"peers-pki"};
  const fs::path& dir_ = scratch_.path();
};

// Each client run is bounded well inside the test's budget.
constexpr auto client_deadline = 6s;

// curl's verdict on one URL: "<status> <http version> <body bytes>" on stdout, its error on
// stderr, its exit code.
process_result curl(std::vector<std::string> args) {
  std::vector<std::string> argv{
      curl_binary, "-sS",       "--max-time", "4",
      "-o",        "/dev/null", "-w",         "%{http_code} %{http_version} %{size_download}"};
  argv.insert(argv.end(), args.begin(), args.end());
  return ordeal::test::run_process(std::move(argv), client_deadline);
}

// curl printing the body instead.
process_result curl_body(std::vector<std::string> args) {
  std::vector<std::string> argv{curl_binary, "-sS", "--max-time", "4"};
  argv.insert(argv.end(), args.begin(), args.end());
  return ordeal::test::run_process(std::move(argv), client_deadline);
}

// nghttp -v prints every frame it sends and receives.
process_result nghttp(std::vector<std::string> args) {
  std::vector<std::string> argv{nghttp_binary, "-nv", "--timeout=3"};
  argv.insert(argv.end(), args.begin(), args.end());
  return ordeal::test::run_process(std::move(argv), client_deadline);
}

process_result s_client(std::vector<std::string> args) {
  std::vector<std::string> argv{openssl_binary, "s_client"};
  argv.insert(argv.end(), args.begin(), args.end());
  return ordeal::test::run_process(std::move(argv), client_deadline);
}

bool contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

// nghttp -v's frame lines and errors only: a huge header block would drown everything else.
std::string frame_lines(const process_result& r) {
  std::string lines;
  for (const auto& line : ordeal::test::split_lines(r.out + r.err)) {
    if (contains(line, "frame") || contains(line, "error") || contains(line, "ERROR") ||
        contains(line, "processed"))
      lines += line.substr(0, 200) + "\n";
  }
  return "exit " + std::to_string(r.exit_code) + (r.timed_out ? " (timed out)" : "") + "\n" + lines;
}

std::size_t open_fds() {
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator("/proc/self/fd")) {
    (void)e;
    ++n;
  }
  return n;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// nginx

TEST_CASE("peers: nginx serves HTTP/2 by ALPN and HTTP/1.1 on its TLS listener", "[peers]") {
  require_binary(nginx_server::binary, "nginx-light");
  require_clients();
  const pki_files pki;
  nginx_options o;
  o.tls = pki.nginx_tls("server");
  nginx_server nginx(o);
  REQUIRE(nginx.tls_port() != 0);
  REQUIRE(nginx.tls_port() != nginx.port());

  const auto h2 = curl({"--http2", "--cacert", pki.path("ca.pem"), nginx.tls_url("/any")});
  INFO(h2.describe());
  CHECK(h2.exited(0));
  CHECK(h2.out == "200 2 64");

  const auto h1 = curl({"--http1.1", "--cacert", pki.path("ca.pem"), nginx.tls_url("/any")});
  INFO(h1.describe());
  CHECK(h1.out == "200 1.1 64");

  const auto s503 = curl({"--http2", "--cacert", pki.path("ca.pem"), nginx.tls_url("/status503")});
  INFO(s503.describe());
  CHECK(s503.out.starts_with("503 2 "));

  // The cleartext listener is unchanged.
  const auto plain = curl({nginx.url("/any")});
  INFO(plain.describe());
  CHECK(plain.out == "200 1.1 64");
  CHECK(nginx.access_log_lines_reaching(4, 2s) == 4);
}

TEST_CASE("peers: nginx TLS without http2 negotiates HTTP/1.1 only", "[peers]") {
  require_binary(nginx_server::binary, "nginx-light");
  require_clients();
  const pki_files pki;
  nginx_options o;
  o.tls = pki.nginx_tls("server", /*http2=*/false);
  nginx_server nginx(o);
  const auto r = curl({"--http2", "--cacert", pki.path("ca.pem"), nginx.tls_url("/")});
  INFO(r.describe());
  CHECK(r.out == "200 1.1 64");
}

TEST_CASE("peers: nginx h2c takes prior knowledge only, with a lowered stream limit", "[peers]") {
  require_binary(nginx_server::binary, "nginx-light");
  require_clients();
  nginx_options o;
  o.h2c = true;
  o.http2_max_concurrent_streams = 4;
  o.big_file_bytes = 200 * 1024;
  nginx_server nginx(o);
  REQUIRE(nginx.h2c_port() != 0);

  const auto h2 = curl({"--http2-prior-knowledge", nginx.h2c_url("/x")});
  INFO(h2.describe());
  CHECK(h2.out == "200 2 64");

  // Larger than the initial flow-control window: nginx waits for WINDOW_UPDATEs.
  const auto big = curl({"--http2-prior-knowledge", nginx.h2c_url("/big")});
  INFO(big.describe());
  CHECK(big.out == "200 2 204800");

  // nginx 1.22 treats whatever arrives on an http2 listener as HTTP/2: an HTTP/1.1 request
  // gets SETTINGS and GOAWAY frames back, which curl calls HTTP/0.9.
  const auto h1 = curl({"--http1.1", nginx.h2c_url("/x")});
  INFO(h1.describe());
  CHECK(h1.exit_code != 0);

  const auto v = nghttp({"-m", "8", nginx.h2c_url("/x")});
  INFO(v.describe());
  CHECK(v.exited(0));
  CHECK(contains(v.out, "recv SETTINGS frame"));
  CHECK(contains(v.out, "[SETTINGS_MAX_CONCURRENT_STREAMS(0x03):4]"));
  CHECK(count_of(v.out, "recv (stream_id=") >= 8);  // eight responses, four at a time
}

TEST_CASE("peers: nginx mutual TLS answers 400 without a client certificate", "[peers]") {
  require_binary(nginx_server::binary, "nginx-light");
  require_clients();
  const pki_files pki;
  nginx_options o;
  o.tls = pki.nginx_tls("server");
  o.tls->client_ca = pki.path("ca.pem");
  nginx_server nginx(o);

  const auto with_cert =
      curl({"--http2", "--cacert", pki.path("ca.pem"), "--cert", pki.path("client.pem"), "--key",
            pki.path("client.key"), nginx.tls_url("/")});
  INFO(with_cert.describe());
  CHECK(with_cert.out == "200 2 64");

  const auto without = curl({"--http2", "--cacert", pki.path("ca.pem"), nginx.tls_url("/")});
  INFO(without.describe());
  CHECK(without.out.starts_with("400 2 "));
}

TEST_CASE("peers: nginx resumes TLS sessions", "[peers]") {
  require_binary(nginx_server::binary, "nginx-light");
  require_clients();
  const pki_files pki;
  nginx_options o;
  o.tls = pki.nginx_tls("server");
  nginx_server nginx(o);
  const std::string connect = "127.0.0.1:" + std::to_string(nginx.tls_port());
  const std::string session = pki.path("session.pem");

  // s_client leaves when its stdin ends; a TLS 1.3 ticket arrives after the handshake, so
  // stdin stays open a moment for it to be read.
  const auto s_client_held = [&](const char* version, const char* session_flag) {
    const std::string command = "sleep 0.3 | " + std::string(openssl_binary) +
                                " s_client -connect " + connect + " " + version + " -CAfile " +
                                pki.path("ca.pem") + " " + session_flag + " " + session;
    return ordeal::test::run_process({"/bin/sh", "-c", command}, client_deadline);
  };
  for (const char* version : {"-tls1_2", "-tls1_3"}) {
    const auto first = s_client_held(version, "-sess_out");
    INFO(first.describe());
    CHECK(contains(first.out, "New, TLSv1."));
    CHECK(contains(first.out, "Verify return code: 0 (ok)"));
    const auto second = s_client_held(version, "-sess_in");
    INFO(second.describe());
    CHECK(contains(second.out, "Reused, TLSv1."));
  }
}

TEST_CASE("peers: expired and wrong-host certificates fail verification", "[peers]") {
  require_binary(nginx_server::binary, "nginx-light");
  require_clients();
  const pki_files pki;

  SECTION("expired") {
    nginx_options o;
    o.tls = pki.nginx_tls("expired");
    nginx_server nginx(o);
    const auto r = curl({"--http2", "--cacert", pki.path("ca.pem"), nginx.tls_url("/")});
    INFO(r.describe());
    CHECK(r.exited(60));  // CURLE_PEER_FAILED_VERIFICATION
    CHECK(contains(r.err, "expired"));
    const auto s = s_client({"-connect", "127.0.0.1:" + std::to_string(nginx.tls_port()), "-CAfile",
                             pki.path("ca.pem"), "-verify_return_error"});
    INFO(s.describe());
    CHECK(s.exit_code != 0);
    CHECK(contains(s.out + s.err, "certificate has expired"));
  }
  SECTION("wrong host") {
    nginx_options o;
    o.tls = pki.nginx_tls("wrong-host");
    nginx_server nginx(o);
    const auto r = curl({"--http2", "--cacert", pki.path("ca.pem"), nginx.tls_url("/")});
    INFO(r.describe());
    CHECK(r.exited(60));
    CHECK(contains(r.err, "127.0.0.1"));
    const auto s =
        s_client({"-connect", "127.0.0.1:" + std::to_string(nginx.tls_port()), "-CAfile",
                  pki.path("ca.pem"), "-verify_ip", "127.0.0.1", "-verify_return_error"});
    INFO(s.describe());
    CHECK(s.exit_code != 0);
    CHECK(contains(s.out + s.err, "IP address mismatch"));
  }
  SECTION("the server certificate, for contrast") {
    nginx_options o;
    o.tls = pki.nginx_tls("server");
    nginx_server nginx(o);
    const auto s =
        s_client({"-connect", "127.0.0.1:" + std::to_string(nginx.tls_port()), "-CAfile",
                  pki.path("ca.pem"), "-verify_ip", "127.0.0.1", "-verify_return_error"});
    INFO(s.describe());
    CHECK(s.exited(0));
    CHECK(contains(s.out, "Verify return code: 0 (ok)"));
  }
}

// ---------------------------------------------------------------------------------------------
// nghttpd

TEST_CASE("peers: nghttpd serves HTTP/2 over TLS", "[peers]") {
  require_binary(nghttpd_server::binary, "nghttp2-server");
  require_clients();
  const pki_files pki;
  nghttpd_options o;
  o.tls = {pki.path("server.pem"), pki.path("server.key")};
  nghttpd_server nghttpd(o);
  CHECK(contains(nghttpd.url("/"), "https://127.0.0.1:"));

  const auto index = curl({"--http2", "--cacert", pki.path("ca.pem"), nghttpd.url("/")});
  INFO(index.describe());
  CHECK(index.out == "200 2 64");
  const auto big = curl({"--http2", "--cacert", pki.path("ca.pem"), nghttpd.url("/big")});
  INFO(big.describe());
  CHECK(big.out == "200 2 102400");
  const auto missing = curl({"--http2", "--cacert", pki.path("ca.pem"), nghttpd.url("/nope")});
  INFO(missing.describe());
  CHECK(missing.out.starts_with("404 2 "));
}

TEST_CASE("peers: nghttpd h2c with a lowered stream limit", "[peers]") {
  require_binary(nghttpd_server::binary, "nghttp2-server");
  require_clients();
  nghttpd_options o;
  o.max_concurrent_streams = 4;
  nghttpd_server nghttpd(o);
  CHECK(contains(nghttpd.url("/"), "http://127.0.0.1:"));

  const auto r = curl({"--http2-prior-knowledge", nghttpd.url("/big")});
  INFO(r.describe());
  CHECK(r.out == "200 2 102400");

  const auto v = nghttp({"-m", "8", nghttpd.url("/")});
  INFO(v.describe());
  CHECK(v.exited(0));
  CHECK(contains(v.out, "[SETTINGS_MAX_CONCURRENT_STREAMS(0x03):4]"));
  CHECK(count_of(v.out, "recv (stream_id=") >= 8);
}

// ---------------------------------------------------------------------------------------------
// h2_hostile_server

TEST_CASE("peers: hostile h2 normal answers curl and nghttp, cleartext and TLS", "[peers]") {
  require_clients();
  SECTION("h2c") {
    h2_hostile_server server(h2_hostile_behaviour::normal);
    const auto r = curl_body({"--http2-prior-knowledge", server.url("/")});
    INFO(r.describe());
    CHECK(r.exited(0));
    CHECK(r.out == "hello");
    const auto v = curl({"--http2-prior-knowledge", "-X", "POST", "--data-binary",
                         std::string(100'000, 'u'), server.url("/upload")});
    INFO(v.describe());
    CHECK(v.out == "200 2 5");  // 100 kB uploaded: the server gives the window back
    CHECK(server.requests_received() == 2);
    CHECK(server.requests_answered() == 2);
  }
  SECTION("TLS with ALPN h2") {
    const pki_files pki;
    h2_hostile_server_options o;
    o.tls = pki.pki().server;
    h2_hostile_server server(h2_hostile_behaviour::normal, o);
    CHECK(contains(server.url("/"), "https://"));
    const auto r = curl({"--http2", "--cacert", pki.path("ca.pem"), server.url("/")});
    INFO(r.describe());
    CHECK(r.out == "200 2 5");
    CHECK(server.requests_answered() == 1);
  }
  SECTION("TLS without ALPN") {
    const pki_files pki;
    h2_hostile_server_options o;
    o.tls = pki.pki().server;
    o.alpn.clear();
    h2_hostile_server server(h2_hostile_behaviour::normal, o);
    const auto v = nghttp({server.url("/")});
    INFO(v.describe());
    CHECK(contains(v.err, "HTTP/2 protocol was not selected"));
    // curl falls back to HTTP/1.1, which the server closes on.
    const auto r = curl({"--http2", "--cacert", pki.path("ca.pem"), server.url("/")});
    INFO(r.describe());
    CHECK(r.exit_code != 0);
    CHECK(server.requests_answered() == 0);
  }
}

TEST_CASE("peers: hostile h2 normal announces its stream limit and counts the peak", "[peers]") {
  require_clients();
  require_binary(h2load_binary, "nghttp2-client");
  h2_hostile_server_options o;
  o.max_concurrent_streams = 2;
  o.response_delay = 30ms;  // streams pile up to the limit
  h2_hostile_server server(h2_hostile_behaviour::normal, o);

  const auto v = nghttp({server.url("/")});
  INFO(v.describe());
  CHECK(v.exited(0));
  CHECK(contains(v.out, "[SETTINGS_MAX_CONCURRENT_STREAMS(0x03):2]"));

  // h2load's first requests go with the preface (up to -m), before it has our SETTINGS; every
  // later one waits for a free slot under the limit of 2.
  const auto h = ordeal::test::run_process(
      {h2load_binary, "-n", "20", "-c", "1", "-m", "8", server.url("/")}, client_deadline);
  INFO(h.describe());
  CHECK(h.exited(0));
  CHECK(contains(h.out, "20 succeeded"));
  CHECK(server.requests_answered() == 21);
  CHECK(server.peak_concurrent_streams() >= 1);
  CHECK(server.peak_concurrent_streams() <= 2);
}

TEST_CASE("peers: hostile h2 invalid frames are connection errors to nghttp", "[peers]") {
  require_clients();
  const auto [kind, error] =
      GENERATE(std::pair{h2_invalid_frame::data_on_stream_zero, "PROTOCOL_ERROR"},
               std::pair{h2_invalid_frame::bad_settings_length, "FRAME_SIZE_ERROR"},
               std::pair{h2_invalid_frame::oversized_frame, "FRAME_SIZE_ERROR"},
               std::pair{h2_invalid_frame::bad_hpack, "COMPRESSION_ERROR"});
  h2_hostile_server_options o;
  o.invalid_frame = kind;
  h2_hostile_server server(h2_hostile_behaviour::invalid_frame, o);
  const auto v = nghttp({server.url("/")});
  INFO(v.describe());
  CHECK(contains(v.err, "Some requests were not processed"));
  CHECK(contains(v.out, "send GOAWAY frame"));
  CHECK(contains(v.out, std::string("error_code=") + error));
  const auto c = curl({"--http2-prior-knowledge", server.url("/")});
  INFO(c.describe());
  CHECK(c.exit_code != 0);
  CHECK(server.requests_answered() == 0);
}

TEST_CASE("peers: hostile h2 huge header blocks", "[peers]") {
  require_clients();
  SECTION("40 KiB in 3 frames: well-formed, and nghttp takes it") {
    h2_hostile_server_options o;
    o.huge_headers_bytes = 40 * 1024;  // nghttp itself refuses header lists over 64 KiB
    h2_hostile_server server(h2_hostile_behaviour::huge_headers, o);
    const auto v = nghttp({server.url("/")});
    INFO(frame_lines(v));
    CHECK(v.exited(0));
    // nghttp reports HEADERS and its CONTINUATIONs as one frame, with their total length.
    std::smatch m;
    REQUIRE(std::regex_search(v.out, m, std::regex("recv HEADERS frame <length=([0-9]+)")));
    CHECK(std::stoul(m[1]) >= 40 * 1024);
    CHECK(contains(v.out, "recv (stream_id=13) :status: 200"));
    CHECK(contains(v.out, "recv (stream_id=13) x-huge-9: hhhh"));
    CHECK(server.requests_answered() == 1);
  }
  SECTION("1 MiB: more CONTINUATION frames than libnghttp2 accepts") {
    h2_hostile_server server(h2_hostile_behaviour::huge_headers);
    const auto v = nghttp({server.url("/")});
    INFO(frame_lines(v));
    // Debian's nghttp2 1.52 has the CVE-2024-28182 fix: at most 8 CONTINUATION frames.
    CHECK(contains(v.err, "Too many CONTINUATION frames"));
    CHECK(contains(v.err, "Some requests were not processed"));
    const auto c = curl({"--http2-prior-knowledge", server.url("/")});
    INFO(c.describe());
    CHECK(c.exit_code != 0);  // the same libnghttp2 under curl
  }
}

TEST_CASE("peers: hostile h2 GOAWAY after N requests, new connections served", "[peers]") {
  require_clients();
  h2_hostile_server_options o;
  o.goaway_after_requests = 2;
  h2_hostile_server server(h2_hostile_behaviour::goaway_every_n, o);
  const auto v = nghttp({"-m", "5", server.url("/")});
  INFO(v.describe());
  CHECK(contains(v.out, "recv GOAWAY frame"));
  // nghttp's first request is stream 13 (it spends 3..11 on PRIORITY-only streams).
  CHECK(contains(v.out, "(last_stream_id=15, error_code=NO_ERROR(0x00)"));
  CHECK(contains(v.err, "total=5, processed=2"));
  CHECK(server.requests_answered() == 2);
  CHECK(server.goaways_sent() == 1);

  const auto again = curl_body({"--http2-prior-knowledge", server.url("/")});
  INFO(again.describe());
  CHECK(again.out == "hello");
  CHECK(server.connections_accepted() == 2);
  CHECK(server.requests_answered() == 3);
}

TEST_CASE("peers: hostile h2 zero window blocks request bodies", "[peers]") {
  require_clients();
  h2_hostile_server server(h2_hostile_behaviour::zero_window);
  const auto v = nghttp({server.url("/")});
  INFO(v.describe());
  CHECK(v.exited(0));  // a GET has no body: answered
  CHECK(contains(v.out, "[SETTINGS_INITIAL_WINDOW_SIZE(0x04):0]"));

  // A client may send 65,535 bytes before it sees SETTINGS; past them the body is stuck.
  const auto post = curl({"--http2-prior-knowledge", "--max-time", "1", "--data-binary",
                          std::string(100'000, 'u'), server.url("/")});
  INFO(post.describe());
  CHECK(post.exited(28));  // CURLE_OPERATION_TIMEDOUT: the body never left
  CHECK(server.requests_received() == 2);
  CHECK(server.requests_answered() == 1);
}

TEST_CASE("peers: hostile h2 RST_STREAM answers every request", "[peers]") {
  require_clients();
  SECTION("REFUSED_STREAM") {
    h2_hostile_server server(h2_hostile_behaviour::rst_stream);
    const auto v = nghttp({server.url("/")});
    INFO(v.describe());
    CHECK(contains(v.out, "recv RST_STREAM frame"));
    CHECK(contains(v.out, "error_code=REFUSED_STREAM(0x07)"));
    CHECK(server.streams_reset() >= 1);
  }
  SECTION("INTERNAL_ERROR") {
    h2_hostile_server_options o;
    o.rst_error_code = ordeal::test::h2_internal_error;
    h2_hostile_server server(h2_hostile_behaviour::rst_stream, o);
    const auto c = curl({"--http2-prior-knowledge", server.url("/")});
    INFO(c.describe());
    CHECK(c.exited(92));  // CURLE_HTTP2_STREAM
    CHECK(contains(c.err, "INTERNAL_ERROR"));
    CHECK(server.streams_reset() == 1);
    CHECK(server.requests_answered() == 0);
  }
}

TEST_CASE("peers: hostile h2 garbage instead of a ServerHello", "[peers]") {
  require_clients();
  const pki_files pki;
  h2_hostile_server server(h2_hostile_behaviour::tls_garbage);
  const auto c = curl({"--http2", "--cacert", pki.path("ca.pem"), server.url("/")});
  INFO(c.describe());
  CHECK(c.exited(35));  // CURLE_SSL_CONNECT_ERROR
  const auto s = s_client({"-connect", "127.0.0.1:" + std::to_string(server.port())});
  INFO(s.describe());
  CHECK(s.exit_code != 0);
  CHECK(server.connections_accepted() == 2);
}

TEST_CASE("peers: hostile h2 silent server times clients out, and stops promptly", "[peers]") {
  require_clients();
  const auto fds_before = open_fds();
  {
    const pki_files pki;
    h2_hostile_server_options o;
    o.tls = pki.pki().server;  // never used: silent writes no ServerHello
    h2_hostile_server server(h2_hostile_behaviour::silent, o);
    const auto c =
        curl({"--http2", "--max-time", "1", "--cacert", pki.path("ca.pem"), server.url("/")});
    INFO(c.describe());
    CHECK(c.exited(28));
    const auto p = curl({"--http2-prior-knowledge", "--max-time", "1",
                         "http://127.0.0.1:" + std::to_string(server.port()) + "/"});
    INFO(p.describe());
    CHECK(p.exited(28));
    CHECK(server.requests_received() == 0);

    // A client still connected when the server stops does not hold it up.
    ordeal::test::child_process hanging(
        {curl_binary, "-sS", "--http2-prior-knowledge", "--max-time", "10",
         "http://127.0.0.1:" + std::to_string(server.port()) + "/"},
        10s);
    const auto until = std::chrono::steady_clock::now() + 2s;
    while (server.connections_open() == 0 && std::chrono::steady_clock::now() < until)
      hanging.wait_for(10ms);
    CHECK(server.connections_open() == 1);
    const auto started = std::chrono::steady_clock::now();
    server.stop();
    CHECK(std::chrono::steady_clock::now() - started < 500ms);
    const auto r = hanging.wait();
    INFO(r.describe());
    CHECK(!r.timed_out);
    CHECK(r.exit_code != 0);  // the connection went away under it
  }
  CHECK(open_fds() == fds_before);
}

TEST_CASE("peers: hostile h2 serves many connections at once without leaking", "[peers]") {
  require_clients();
  const auto fds_before = open_fds();
  {
    h2_hostile_server_options o;
    o.response_delay = 50ms;
    h2_hostile_server server(h2_hostile_behaviour::normal, o);
    std::vector<std::unique_ptr<ordeal::test::child_process>> clients;
    for (int i = 0; i < 8; ++i) {
      clients.push_back(std::make_unique<ordeal::test::child_process>(
          std::vector<std::string>{nghttp_binary, "-n", "--timeout=3", "-m", "10", server.url("/")},
          6s));
    }
    for (auto& c : clients) {
      const auto r = c->wait();
      INFO(r.describe());
      CHECK(r.exited(0));
    }
    CHECK(server.connections_accepted() == 8);
    CHECK(server.requests_answered() == 80);
  }
  CHECK(open_fds() == fds_before);
}
