// fault_server::active_faults: what the progress line shows while a drill's faults are on.
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "ordeal/faults/fault_server.hpp"

using namespace ordeal::faults;

namespace {

toxic_spec toxic(std::string name, std::string type) {
  toxic_spec t;
  t.name = std::move(name);
  t.type = std::move(type);
  if (t.type == "latency") t.attributes["latency"] = 10;
  return t;
}

}  // namespace

TEST_CASE("fault_server: active faults come and go with their toxics", "[faults]") {
  fault_server server(1);
  CHECK(server.active_faults().empty());
  server.add_proxy({"db", "127.0.0.1:0", "127.0.0.1:9", true, false});
  server.add_proxy({"cache", "127.0.0.1:0", "127.0.0.1:9", true, false});
  CHECK(server.active_faults().empty());  // proxies alone are no fault

  server.add_toxic("db", toxic("slow", "latency"));
  server.add_toxic("cache", toxic("gone", "down"));
  auto active = server.active_faults();
  CHECK(std::find(active.begin(), active.end(), "db/slow") != active.end());
  CHECK(std::find(active.begin(), active.end(), "cache/gone") != active.end());

  server.remove_toxic("db", "slow");
  active = server.active_faults();
  CHECK(std::find(active.begin(), active.end(), "db/slow") == active.end());

  server.rollback();
  CHECK(server.active_faults().empty());
}
