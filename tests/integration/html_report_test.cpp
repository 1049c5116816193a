// The HTML report end to end: the real binary writes it for a drill with a fault and for a
// plain run, and headless Chromium renders it into a screenshot that is checked for size and
// content (not blank, the charts' colours present). Chromium is a test dependency installed by
// scripts/bootstrap: without it the test fails, it does not skip.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "ordeal/targets/serve.hpp"
#include "png_image.hpp"
#include "process.hpp"
#include "scratch.hpp"

using namespace std::chrono_literals;
using ordeal::test::process_result;
using ordeal::test::temp_dir;

namespace {

constexpr int exit_ok = 0;
constexpr int exit_invalid_config = 104;

class local_target {
 public:
  local_target() : server_(ordeal::targets::serve_options{.port = 0}) { server_.start(); }
  std::uint16_t port() const { return server_.port(); }

 private:
  ordeal::targets::server server_;
};

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A 3-second drill through a fault proxy that adds 150 ms of latency from 1 s to 2 s, with a
// hostile request name and a threshold that fails (so the page has a failed verdict).
std::string drill(std::uint16_t proxy_port, std::uint16_t upstream_port) {
  return replace_all(replace_all(R"(
options = {
  target = "http://127.0.0.1:PROXY",
  scenarios = { s = { executor = "constant-vus", vus = 2, duration = "3s", exec = "go" } },
  proxies = { db = { listen = "127.0.0.1:PROXY", upstream = "127.0.0.1:UPSTREAM" } },
  faults = { { at = "1s", duration = "1s", proxy = "db",
               toxic = { name = "slow", type = "latency", latency = "150ms" } } },
  thresholds = { http_req_duration = { "p(99)<50ms" } },
}
function go()
  http.get("/", { name = "<script>alert(1)</script>" })
  sleep(0.02)
end
)",
                                 "PROXY", std::to_string(proxy_port)),
                     "UPSTREAM", std::to_string(upstream_port));
}

// The first chromium on PATH, or empty.
std::string find_chromium() {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (std::size_t at = 0; at <= dirs.size();) {
    const auto end = std::min(dirs.find(':', at), dirs.size());
    for (const char* name : {"chromium", "chromium-browser"}) {
      const auto candidate = std::filesystem::path(dirs.substr(at, end - at)) / name;
      std::error_code ec;
      if (std::filesystem::is_regular_file(candidate, ec)) return candidate.string();
    }
    at = end + 1;
  }
  return {};
}

// Pixels within `tolerance` (per channel) of the colour 0xRRGGBB.
std::size_t pixels_near(const ordeal::test::png_image& img, std::uint32_t rgb, int tolerance) {
  const auto channel = [](std::uint32_t v, int shift) {
    return static_cast<int>((v >> shift) & 0xff);
  };
  std::size_t n = 0;
  for (const auto p : img.pixels)
    if (std::abs(channel(p, 24) - channel(rgb, 16)) <= tolerance &&
        std::abs(channel(p, 16) - channel(rgb, 8)) <= tolerance &&
        std::abs(channel(p, 8) - channel(rgb, 0)) <= tolerance)
      ++n;
  return n;
}

}  // namespace

TEST_CASE("the HTML report of a drill renders in headless Chromium", "[html][chromium]") {
  const std::string chromium = find_chromium();
  INFO("chromium is a test dependency: scripts/bootstrap installs it (Debian package chromium)");
  REQUIRE_FALSE(chromium.empty());

  local_target target;
  temp_dir dir("html-report");
  const std::string html = dir.file("report.html");
  process_result p;
  for (int attempt = 0; attempt < 3; ++attempt) {  // the proxy's port may be taken meanwhile
    const std::uint16_t port = ordeal::test::free_local_port();
    ordeal::test::write_file(dir.file("drill.lua"), drill(port, target.port()));
    p = ordeal::test::run_process(
        {ORDEAL_BINARY, "run", dir.file("drill.lua"), "-q", "--seed", "3", "--out", "html=" + html},
        30s);
    if (!(p.exited(exit_invalid_config) && p.err.find(std::to_string(port)) != std::string::npos))
      break;
  }
  INFO(p.describe());
  REQUIRE(p.exited(99));  // the p(99)<50ms threshold fails: the fault added 150 ms

  const std::string page = read_text(html);
  REQUIRE(page.starts_with("<!DOCTYPE html>"));
  CHECK(page.ends_with("</html>\n"));
  CHECK(page.find("<script") == std::string::npos);  // the request name is escaped
  CHECK(page.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
  CHECK(page.find("class=\"fault-window\"") != std::string::npos);
  CHECK(page.find("db/slow (latency)") != std::string::npos);
  CHECK(page.find("FAILED") != std::string::npos);
  CHECK(page.find("p(99)&lt;50ms") != std::string::npos);

  const std::string png = dir.file("report.png");
  const auto shot = ordeal::test::run_process(
      {chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
       "--no-first-run", "--user-data-dir=" + dir.file("profile"), "--screenshot=" + png,
       "--window-size=1280,2400", "file://" + html},
      90s);
  INFO(shot.describe());
  REQUIRE(shot.exited(0));
  REQUIRE(std::filesystem::exists(png));

  const auto img = ordeal::test::png_image::decode(read_text(png));
  CHECK(img.width == 1280);
  CHECK(img.height == 2400);
  // Not blank: text, tables and charts in many colours over the page's background.
  CHECK(img.distinct_colours() > 100);
  CHECK(img.non_background_share() > 0.05);
  // The charts were drawn: the p99 line (#e15759), the p50 line (#4e79a7) and the shaded
  // fault window (#d62728 at 12% over white, about #fae2e2).
  CHECK(pixels_near(img, 0xe15759, 24) > 50);
  CHECK(pixels_near(img, 0x4e79a7, 24) > 50);
  CHECK(pixels_near(img, 0xfae2e2, 6) > 1000);
}

TEST_CASE("ordeal run URL --out html=FILE writes the page", "[html]") {
  local_target target;
  temp_dir dir("html-run");
  const std::string html = dir.file("run.html");
  const auto p = ordeal::test::run_process(
      {ORDEAL_BINARY, "run", "http://127.0.0.1:" + std::to_string(target.port()) + "/", "-d", "1s",
       "-c", "2", "-t", "1", "-q", "--threshold", "p99<10s", "--out", "html=" + html},
      30s);
  INFO(p.describe());
  REQUIRE(p.exited(exit_ok));
  const std::string page = read_text(html);
  CHECK(page.starts_with("<!DOCTYPE html>"));
  CHECK(page.ends_with("</html>\n"));
  CHECK(page.find("<svg ") != std::string::npos);
  CHECK(page.find("PASSED") != std::string::npos);
  CHECK(page.find("p99&lt;10s") != std::string::npos);
}

TEST_CASE("an html output to a place that cannot be written exits 104 before the run", "[html]") {
  const auto p = ordeal::test::run_process(
      {ORDEAL_BINARY, "run", "http://127.0.0.1:1/", "--out", "html=/nonexistent-dir/report.html"},
      10s);
  INFO(p.describe());
  CHECK(p.exited(exit_invalid_config));
  CHECK(p.err.find("/nonexistent-dir/report.html") != std::string::npos);
}
