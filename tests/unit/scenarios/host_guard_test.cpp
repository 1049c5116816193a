// The blast-radius guard's patterns: names, wildcards, addresses and CIDR ranges.
#include "../../../scenarios/src/host_guard.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "ordeal/engine/config_error.hpp"
#include "ordeal/scenarios/drill.hpp"

using namespace ordeal::scenarios;
using Catch::Matchers::Contains;

TEST_CASE("host guard: the default allows the loopback only", "[scenarios]") {
  const std::vector<std::string> loopback = drill_options{}.allow_hosts;
  CHECK(host_allowed("127.0.0.1", loopback));
  CHECK(host_allowed("127.8.9.10", loopback));
  CHECK(host_allowed("localhost", loopback));
  CHECK(host_allowed("LocalHost", loopback));
  CHECK(host_allowed("::1", loopback));
  CHECK(host_allowed("::ffff:127.0.0.1", loopback));  // IPv4-mapped
  CHECK_FALSE(host_allowed("128.0.0.1", loopback));
  CHECK_FALSE(host_allowed("10.0.0.1", loopback));
  CHECK_FALSE(host_allowed("example.com", loopback));
  CHECK_FALSE(host_allowed("localhost.example.com", loopback));
  CHECK_FALSE(host_allowed("::2", loopback));
}

TEST_CASE("host guard: wildcards, ranges and the explicit opt-out", "[scenarios]") {
  const std::vector<std::string> p{"*.staging.example.com", "10.0.0.0/8", "fd00::/8", "192.0.2.7"};
  CHECK(host_allowed("api.staging.example.com", p));
  CHECK(host_allowed("a.b.STAGING.example.com", p));
  CHECK_FALSE(host_allowed("staging.example.com", p));  // the suffix itself is not under it
  CHECK_FALSE(host_allowed("xstaging.example.com", p));
  CHECK(host_allowed("10.255.0.1", p));
  CHECK_FALSE(host_allowed("11.0.0.1", p));
  CHECK(host_allowed("fd12::1", p));
  CHECK_FALSE(host_allowed("fe80::1", p));
  CHECK(host_allowed("192.0.2.7", p));
  CHECK_FALSE(host_allowed("192.0.2.8", p));
  CHECK(host_allowed("anything.at.all", {"*"}));
  CHECK_FALSE(host_allowed("127.0.0.1", {}));
}

TEST_CASE("host guard: a refusal says what to change", "[scenarios]") {
  CHECK_THROWS_WITH(require_allowed_host("example.com", {"localhost"}, "drill.lua: options.target"),
                    "drill.lua: options.target: host example.com is outside options.allow_hosts "
                    "(localhost): add it there to aim the drill at it");
  CHECK_NOTHROW(require_allowed_host("localhost", {"localhost"}, "x"));
  CHECK_THROWS_WITH(check_host_pattern("fd00::/129", "p"), Contains("expected 0 to 128"));
  CHECK_THROWS_WITH(check_host_pattern("host/8", "p"), Contains("is not a CIDR range"));
  CHECK_NOTHROW(check_host_pattern("*.example.com", "p"));
}

TEST_CASE("host guard: the drill's target, proxies and actions are checked", "[scenarios]") {
  drill_options d;
  d.target = "http://127.0.0.1:8080";
  CHECK_NOTHROW(check_blast_radius(d, "drill.lua"));
  d.proxies =
      boost::json::parse(R"({"db": {"listen": "127.0.0.1:1", "upstream": "db.prod:5432"}})");
  CHECK_THROWS_WITH(check_blast_radius(d, "drill.lua"),
                    Contains("drill.lua: options.proxies.db.upstream: host db.prod is outside"));
  d.allow_hosts.push_back("db.prod");
  CHECK_NOTHROW(check_blast_radius(d, "drill.lua"));
  action_spec a;
  a.name = "restart";
  a.url = "https://ops.example.com/restart";
  d.actions.push_back(a);
  CHECK_THROWS_WITH(check_blast_radius(d, "drill.lua"),
                    Contains("options.actions[\"restart\"].http.url: host ops.example.com"));
  d.actions.back().url = "/restart";  // goes to the target
  CHECK_NOTHROW(check_blast_radius(d, "drill.lua"));
  d.target = "http://[::1]:8080/";
  CHECK_NOTHROW(check_blast_radius(d, "drill.lua"));
  d.target = "http://10.0.0.1/";
  CHECK_THROWS_WITH(check_blast_radius(d, "drill.lua"), Contains("options.target: host 10.0.0.1"));
}
