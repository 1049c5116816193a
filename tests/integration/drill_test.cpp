// Drills end to end: real Lua scripts, real sockets, a real recording server on 127.0.0.1.
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "ordeal/engine/metric_filter.hpp"
#include "ordeal/scenarios/drill_run.hpp"
#include "process.hpp"
#include "recording_server.hpp"

using namespace std::chrono_literals;
using ordeal::engine::outcome;
using ordeal::scenarios::drill_results;
using ordeal::test::canned_response;
using ordeal::test::recorded_request;
using ordeal::test::recording_server;

namespace {

std::filesystem::path write_drill(const std::string& text) {
  static std::atomic<int> n{0};
  const auto dir =
      std::filesystem::temp_directory_path() / ("ordeal-drill-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = dir / ("drill" + std::to_string(n++) + ".lua");
  std::ofstream(path) << text;
  return path;
}

drill_results run_text(const std::string& lua, const recording_server& server, unsigned threads = 1,
                       std::optional<std::uint64_t> seed = 7, bool history = true) {
  ordeal::scenarios::drill_run_options o;
  o.file = write_drill(lua);
  o.threads = threads;
  o.seed = seed;
  o.target = server.url("");
  o.history = history;
  ordeal::engine::run_control control;
  return ordeal::scenarios::run_drill(o, control);
}

ordeal::test::process_result run_binary(const std::string& lua, std::vector<std::string> extra,
                                        std::chrono::milliseconds deadline = 20s) {
  std::vector<std::string> args{ORDEAL_BINARY, "run", write_drill(lua).string(), "-q"};
  args.insert(args.end(), extra.begin(), extra.end());
  return ordeal::test::run_process(args, deadline);
}

// A metric or tag filter, merged over the series it selects (engine::select).
ordeal::engine::metric metric(const drill_results& r, const std::string& filter) {
  auto m = ordeal::engine::select(r.metrics, filter);
  INFO(filter);
  REQUIRE(m);
  return *m;
}

std::uint64_t iterations(const drill_results& r) {
  std::uint64_t n = 0;
  for (const auto& s : r.scenarios)
    n += s.iterations;
  return n;
}

}  // namespace

TEST_CASE("executors run the iterations they promise", "[drill]") {
  recording_server server;
  SECTION("per-vu-iterations: every VU runs exactly its iterations") {
    const auto r = run_text(R"(
options = { scenarios = { s = { executor = "per-vu-iterations", vus = 3, iterations = 4, exec = "go" } } }
function go() http.get("/") end)",
                            server, 2);
    CHECK(iterations(r) == 12);
    CHECK(server.request_count() == 12);
    CHECK(r.http.count(outcome::ok) == 12);
  }
  SECTION("shared-iterations: the total is shared across VUs and threads") {
    const auto r = run_text(R"(
options = { scenarios = { s = { executor = "shared-iterations", vus = 4, iterations = 10, exec = "go" } } }
function go() http.get("/") end)",
                            server, 2);
    CHECK(iterations(r) == 10);
    CHECK(server.request_count() == 10);
  }
  SECTION("constant-vus: that many users for the duration") {
    const auto r = run_text(R"(
options = { scenarios = { s = { executor = "constant-vus", vus = 3, duration = "700ms", exec = "go" } } }
function go() http.get("/") sleep(0.05) end)",
                            server);
    REQUIRE(r.scenarios.size() == 1);
    CHECK(r.scenarios[0].max_vus == 3);
    // 3 users, ~14 iterations each: generous bounds.
    CHECK(iterations(r) >= 15);
    CHECK(iterations(r) <= 60);
    CHECK(r.http.total() == server.request_count());
  }
  SECTION("ramping-vus: the user count follows the stages") {
    const auto r = run_text(R"(
options = { scenarios = { s = { executor = "ramping-vus", start_vus = 0,
            stages = { {"400ms", 4}, {"400ms", 4}, {"200ms", 0} }, exec = "go" } } }
function go() http.get("/") sleep(0.02) end)",
                            server);
    CHECK(r.scenarios[0].max_vus == 4);
    CHECK(iterations(r) > 20);
  }
  SECTION("constant-arrival-rate: iterations start at the rate, whatever they take") {
    const auto r = run_text(R"(
options = { scenarios = { s = { executor = "constant-arrival-rate", rate = 40, time_unit = "1s",
            duration = "1s", preAllocatedVUs = 5, maxVUs = 20, exec = "go" } } }
function go() http.get("/?") end)",
                            server);
    CHECK(iterations(r) >= 38);
    CHECK(iterations(r) <= 41);
    CHECK(r.scenarios[0].dropped == 0);
    CHECK(r.http.open_model);
  }
  SECTION("ramping-arrival-rate: the rate ramps") {
    const auto r = run_text(R"(
options = { scenarios = { s = { executor = "ramping-arrival-rate", start_rate = 0,
            stages = { {"1s", 100} }, max_vus = 10, pre_allocated_vus = 2, exec = "go" } } }
function go() http.get("/") end)",
                            server);
    // The integral of a 0 -> 100/s ramp over 1 s: 50 iterations.
    CHECK(iterations(r) >= 47);
    CHECK(iterations(r) <= 51);
  }
}

TEST_CASE("an arrival rate beyond max_vus drops iterations and says so", "[drill]") {
  recording_server server([](const recorded_request&) {
    canned_response c;
    c.delay = 200ms;
    return c;
  });
  const auto r = run_text(R"(
options = { scenarios = { s = { executor = "constant-arrival-rate", rate = 30, duration = "1s",
            pre_allocated_vus = 1, max_vus = 2, exec = "go" } } }
function go() http.get("/") end)",
                          server);
  CHECK(r.scenarios[0].dropped > 10);
  CHECK(metric(r, "dropped_iterations").sum == static_cast<double>(r.scenarios[0].dropped));
  // Latency is measured from the intended start: the queueing shows.
  CHECK(r.http.latency.percentile(99) >= 190'000);
}

TEST_CASE("several scenarios run at once, each with its own function and tag", "[drill]") {
  recording_server server;
  const auto r = run_text(R"(
options = { scenarios = {
  a = { executor = "per-vu-iterations", vus = 2, iterations = 3, exec = "fa" },
  b = { executor = "per-vu-iterations", vus = 1, iterations = 5, exec = "fb" } } }
function fa() http.get("/a?s=" .. scenario.name) end
function fb() http.get("/b?s=" .. scenario.name, { name = "bee" }) end)",
                          server);
  std::map<std::string, int> seen;
  for (const auto& q : server.requests())
    ++seen[q.target];
  CHECK(seen["/a?s=a"] == 6);
  CHECK(seen["/b?s=b"] == 5);
  CHECK(metric(r, "http_reqs{name:bee}").sum == 5);
  CHECK(metric(r, "http_reqs{name:/a}").sum == 6);
}

TEST_CASE("requests carry what the script says", "[drill]") {
  recording_server server([](const recorded_request& q) {
    canned_response c;
    c.status = q.method == "POST" ? 201 : 200;
    c.headers = {{"X-Token", "t-42"}, {"Content-Type", "application/json"}};
    c.body = R"({"id": 17, "items": [1, 2]})";
    return c;
  });
  const auto r = run_text(R"(
function default()
  local a = http.post("/carts", { json = { user = vu.id }, name = "cart",
                                   headers = { ["X-Trace"] = "abc" } })
  assert(a.status == 201, "status " .. tostring(a.status))
  assert(a:json().id == 17 and a:json().items[2] == 2)
  assert(a.headers["X-Token"] == "t-42" and a:header("x-token") == "t-42")
  assert(a.ok and a.error == nil and a.attempts == 1)
  assert(a.timings.duration > 0 and a.timings.waiting >= 0)
  http.put("/items/1", "raw body")
  http.patch("/items/1", { form = { b = "2 3", a = "1" } })
  http.del("/items/1")
  http.get("/search", { query = { q = "a b", page = 2 } })
  http.request("OPTIONS", "/any")
  http.post("/pay", { body = "x", idempotency_key = "key-1" })
  local b = http.head("/")
  assert(b.body == "")
end)",
                          server);
  REQUIRE(r.script_errors.empty());
  const auto q = server.requests();
  REQUIRE(q.size() == 8);
  CHECK(q[0].method == "POST");
  CHECK(q[0].target == "/carts");
  CHECK(q[0].body == R"({"user":1})");
  REQUIRE(q[0].header("content-type") != nullptr);
  CHECK(*q[0].header("content-type") == "application/json");
  CHECK(*q[0].header("x-trace") == "abc");
  CHECK((q[1].method == "PUT" && q[1].body == "raw body"));
  CHECK((q[2].method == "PATCH" && q[2].body == "a=1&b=2%203"));
  CHECK(q[3].method == "DELETE");
  CHECK(q[4].target == "/search?page=2&q=a%20b");
  CHECK(q[5].method == "OPTIONS");
  REQUIRE(q[6].header("idempotency-key") != nullptr);
  CHECK(*q[6].header("idempotency-key") == "key-1");
  CHECK(q[7].method == "HEAD");
  CHECK(r.checks.empty());
}

TEST_CASE("http.batch sends concurrently and returns responses in order", "[drill]") {
  recording_server server([](const recorded_request& q) {
    canned_response c;
    c.body = q.target;
    c.delay = q.target == "/slow" ? 300ms : 0ms;
    return c;
  });
  const auto r = run_text(R"(
function default()
  local t0 = os.clock()
  local rs = http.batch({ "/slow", { "GET", "/fast" }, { method = "POST", url = "/post", body = "b" } })
  assert(#rs == 3)
  assert(rs[1].body == "/slow" and rs[2].body == "/fast" and rs[3].body == "/post")
end)",
                          server);
  REQUIRE(r.script_errors.empty());
  const auto q = server.requests();
  REQUIRE(q.size() == 3);
  // Out of order completion: the fast ones arrived (and were answered) without waiting, each
  // on its own connection. (Counted from the requests: the start-up reachability probe opens
  // one more connection that carries none.)
  std::set<std::uint64_t> connections;
  for (const auto& one : q)
    connections.insert(one.connection);
  CHECK(connections.size() == 3);
  CHECK(r.http.count(outcome::ok) == 3);
}

TEST_CASE("checks, groups, sleep, env, custom metrics and setup data", "[drill]") {
  recording_server server;
  auto data = std::filesystem::temp_directory_path() / "ordeal-drill-accounts.json";
  std::ofstream(data) << R"([{"name": "ann"}, {"name": "bob"}])";
  std::string lua = R"(
local orders = counter("orders")
local basket = trend("basket")
local ok_rate = rate("paid")
local depth = gauge("depth")
options = { scenarios = { s = { executor = "per-vu-iterations", vus = 2, iterations = 2, exec = "go" } },
            thresholds = { orders = { "count==4" } } }
function setup()
  local accounts = open_json("ACCOUNTS")
  local r = http.get("/setup")
  return { accounts = accounts, status = r.status }
end
function go(data)
  assert(data.status == 200 and data.accounts[2].name == "bob")
  group("shop", function()
    local r = http.get("/")
    check(r, { ["is 200"] = function(r) return r.status == 200 end,
               ["is 404"] = function(r) return r.status == 404 end })
  end)
  local t = os.time()
  sleep("50ms")
  orders:add(1, { kind = "web" })
  basket:add(12.5)
  ok_rate:add(true)
  depth:add(vu.id)
  assert(env.ORDEAL_TEST_VALUE == nil or env.ORDEAL_TEST_VALUE == "x")
end
function teardown(data)
  http.get("/teardown?n=" .. #data.accounts)
end)";
  lua.replace(lua.find("ACCOUNTS"), 8, data.string());
  const auto started = std::chrono::steady_clock::now();
  const auto r = run_text(lua, server);
  const auto took = std::chrono::steady_clock::now() - started;
  REQUIRE(r.script_errors.empty());
  CHECK(r.checks.at("is 200") == std::pair<std::uint64_t, std::uint64_t>{4, 0});
  CHECK(r.checks.at("is 404") == std::pair<std::uint64_t, std::uint64_t>{0, 4});
  CHECK(metric(r, "checks").rate_value() == Approx(0.5));
  CHECK(metric(r, "orders").sum == 4);
  CHECK(metric(r, "orders{kind:web}").sum == 4);
  CHECK(metric(r, "basket").mean() == Approx(12.5));
  CHECK(metric(r, "paid").rate_value() == 1.0);
  CHECK(metric(r, "group_duration{group:shop}").samples == 4);
  CHECK(took >= 100ms);  // two sleeps of 50 ms per VU, in sequence
  const auto q = server.requests();
  REQUIRE(q.size() == 6);
  CHECK(q.front().target == "/setup");
  CHECK(q.back().target == "/teardown?n=2");
}

TEST_CASE("retries back off, honour Retry-After, and are recorded per attempt", "[drill]") {
  std::atomic<int> calls{0};
  recording_server server([&](const recorded_request& q) {
    canned_response c;
    const int n = calls++;
    if (q.target == "/flaky" && n % 2 == 0) {
      c.status = 503;
      if (q.header("x-want-retry-after")) c.headers = {{"Retry-After", "1"}};
    }
    return c;
  });
  SECTION("a 503 is retried and the second attempt succeeds") {
    const auto r = run_text(R"(
options = { behaviour = { retry = { attempts = 3, base = "10ms", on = { "5xx" } } } }
function default()
  local r = http.post("/flaky", { idempotency_key = "k1", name = "pay" })
  assert(r.status == 200 and r.attempts == 2 and r.retries == 1)
end)",
                            server);
    REQUIRE(r.script_errors.empty());
    CHECK(r.operations == 1);
    CHECK(r.attempts == 2);
    CHECK(r.amplification() == Approx(2.0));
    REQUIRE(r.history.size() == 2);
    CHECK(r.history[0].kind == ordeal::engine::attempt_kind::first);
    CHECK(r.history[0].verdict == ordeal::engine::attempt_verdict::info);  // 5xx: unknown
    CHECK(r.history[1].kind == ordeal::engine::attempt_kind::retry);
    CHECK(r.history[1].verdict == ordeal::engine::attempt_verdict::ok);
    CHECK(r.history[0].key == "k1");
    CHECK(r.history[1].operation == r.history[0].operation);
    for (const auto& q : server.requests())
      CHECK(*q.header("idempotency-key") == "k1");
  }
  SECTION("Retry-After replaces the backoff") {
    const auto started = std::chrono::steady_clock::now();
    const auto r = run_text(R"(
function default()
  local r = http.get("/flaky", { headers = { ["X-Want-Retry-After"] = "1" },
                                 retry = { attempts = 2, base = "1ms", on = { 503 } } })
  assert(r.status == 200)
end)",
                            server);
    REQUIRE(r.script_errors.empty());
    CHECK(std::chrono::steady_clock::now() - started >= 950ms);
  }
  SECTION("the retry budget bounds a storm") {
    recording_server down([](const recorded_request&) {
      canned_response c;
      c.status = 503;
      return c;
    });
    const auto r = run_text(R"(
options = { scenarios = { s = { executor = "per-vu-iterations", vus = 2, iterations = 20, exec = "go" } },
            behaviour = { retry = { attempts = 5, base = "1ms", max = "2ms", on = { "5xx" }, budget = 0.1 } } }
function go() http.get("/") end)",
                            down);
    CHECK(r.operations == 40);
    // 10% of 40 first attempts plus the allowance of 10: at most 14 retries.
    CHECK(r.retries <= 14);
    CHECK(r.retries_refused > 0);
    CHECK(r.attempts == 40 + r.retries);
  }
}

TEST_CASE("duplicates send the same request again with the same key", "[drill]") {
  recording_server server([](const recorded_request&) {
    canned_response c;
    c.delay = 50ms;
    return c;
  });
  SECTION("sequential") {
    const auto r = run_text(R"(
function default()
  local r = http.post("/pay", { body = "p", idempotency_key = true,
                                duplicate = { probability = 1, mode = "sequential" } })
  assert(r.duplicates == 1 and r.attempts == 2)
end)",
                            server);
    REQUIRE(r.script_errors.empty());
    const auto q = server.requests();
    REQUIRE(q.size() == 2);
    CHECK(*q[0].header("idempotency-key") == *q[1].header("idempotency-key"));
    CHECK(q[1].received - q[0].received >= 45ms);  // the second after the first's answer
    REQUIRE(r.history.size() == 2);
    CHECK(r.history[1].kind == ordeal::engine::attempt_kind::duplicate);
  }
  SECTION("concurrent, on another connection") {
    const auto r = run_text(R"(
options = { behaviour = { duplicate = { probability = 1, mode = "concurrent" } } }
function default() http.post("/pay", { body = "p", idempotency_key = "same" }) end)",
                            server);
    const auto q = server.requests();
    REQUIRE(q.size() == 2);
    CHECK(q[0].connection != q[1].connection);
    auto gap = q[1].received - q[0].received;
    CHECK(gap < 40ms);
    CHECK(r.duplicates == 1);
  }
}

TEST_CASE("abandoned requests reach the server and end as abandoned", "[drill]") {
  recording_server server([](const recorded_request&) {
    canned_response c;
    c.delay = 100ms;
    return c;
  });
  const auto r = run_text(R"(
function default()
  local r = http.get("/", { abandon = { probability = 1, after = "request_sent" } })
  assert(r.error_class == "abandoned" and r.request_sent and r.status == 0)
end)",
                          server);
  REQUIRE(r.script_errors.empty());
  CHECK(r.http.count(outcome::abandoned) == 1);
  CHECK(server.wait_for_requests(1, 2s));
  REQUIRE(r.history.size() == 1);
  CHECK(r.history[0].verdict == ordeal::engine::attempt_verdict::info);
}

TEST_CASE("reorder holds a batch's request back past a later one", "[drill]") {
  recording_server server;
  const auto r = run_text(R"(
function default()
  local rs = http.batch({ "/1", "/2" }, nil)
end
options = { behaviour = { reorder = { probability = 1, delay = "20ms" } } })",
                          server);
  REQUIRE(r.script_errors.empty());
  const auto q = server.requests();
  REQUIRE(q.size() == 2);
  CHECK(q[0].target == "/2");
  CHECK(q[1].target == "/1");
  CHECK(q[1].received - q[0].received >= 15ms);
}

TEST_CASE("a trickled body takes its time", "[drill]") {
  recording_server server;
  const auto started = std::chrono::steady_clock::now();
  const auto r = run_text(R"(
function default()
  http.post("/upload", { body = string.rep("x", 20), trickle = { bytes = 4, every = "30ms" } })
end)",
                          server);
  REQUIRE(server.request_count() == 1);
  CHECK(server.requests()[0].body == std::string(20, 'x'));
  CHECK(server.requests()[0].received - started >= 110ms);
}

TEST_CASE("the same seed sends byte-identical requests, another seed does not", "[drill]") {
  const std::string lua = R"(
options = { scenarios = { s = { executor = "per-vu-iterations", vus = 1, iterations = 20, exec = "go" } } }
function go()
  local item = rand.pick({ "apple", "pear", "fig" })
  local n = rand.int(1, 1000)
  http.post("/buy/" .. item .. "?n=" .. n, { json = { id = uuid(), q = math.random(5) },
            idempotency_key = true })
  if rand.chance(0.3) then http.get("/extra") end
end)";
  auto sequence = [&](std::uint64_t seed) {
    recording_server server;
    run_text(lua, server, 1, seed);
    std::string all;
    for (const auto& q : server.requests()) {
      all += q.method + ' ' + q.target + '\n';
      for (const auto& [k, v] : q.headers)
        if (k != "Host") all += k + ": " + v + '\n';  // each server has its own port
      all += q.body + "\n\n";
    }
    return all;
  };
  const auto a = sequence(42);
  const auto b = sequence(42);
  const auto c = sequence(43);
  CHECK(a.size() > 1000);
  CHECK(a == b);
  CHECK(a != c);
}

TEST_CASE("script errors are counted with their location, the run goes on", "[drill]") {
  recording_server server;
  const auto r = run_text(R"(
options = { scenarios = { s = { executor = "per-vu-iterations", vus = 1, iterations = 5, exec = "go" } } }
function go()
  http.get("/")
  if vu.iteration % 2 == 0 then error("boom") end
  local x = nil
  return x.field
end)",
                          server);
  CHECK(iterations(r) == 5);
  CHECK(server.request_count() == 5);
  REQUIRE(r.script_errors.size() == 2);
  bool boom = false, index = false;
  for (const auto& [m, n] : r.script_errors) {
    if (m.find(":5: boom") != std::string::npos) boom = n == 3;
    if (m.find(":7: attempt to index") != std::string::npos) index = n == 2;
  }
  CHECK(boom);
  CHECK(index);
  CHECK(r.scenarios[0].failed == 5);
}

TEST_CASE("bad drills fail at load with file:line and exit 107 or 104", "[drill]") {
  recording_server server;
  const std::string target = server.url("");
  SECTION("syntax error") {
    const auto p = run_binary("function default()\n  http.get('/'\nend\n", {"--target", target});
    INFO(p.describe());
    CHECK(p.exited(107));
    CHECK(p.err.find(".lua:3:") != std::string::npos);
  }
  SECTION("missing exec function") {
    const auto p = run_binary(
        "options = {\n  scenarios = {\n    s = { executor = 'per-vu-iterations', exec = 'nope' },\n"
        "  },\n}\n",
        {"--target", target});
    INFO(p.describe());
    CHECK(p.exited(107));
    CHECK(p.err.find(".lua:3: the exec function \"nope\" is not defined") != std::string::npos);
  }
  SECTION("an error in setup") {
    const auto p =
        run_binary("function setup()\n  error('no accounts')\nend\nfunction default() end\n",
                   {"--target", target});
    INFO(p.describe());
    CHECK(p.exited(107));
    CHECK(p.err.find(":2: no accounts") != std::string::npos);
  }
  SECTION("bad options") {
    const auto p = run_binary(
        "options = { scenarios = { s = { executor = 'constant-vu', vus = 1, duration = '1s' } } }\n"
        "function default() end\n",
        {"--target", target});
    INFO(p.describe());
    CHECK(p.exited(104));
    CHECK(p.err.find("constant-vu") != std::string::npos);
  }
  SECTION("a runaway loop is stopped with a clear message, the run ends") {
    const auto p =
        run_binary("function default()\n  while true do end\nend\n", {"--target", target});
    INFO(p.describe());
    CHECK(p.exited(0));
    CHECK(p.out.find("without yielding") != std::string::npos);
  }
  SECTION("the sandbox refuses os.execute unless --allow-exec") {
    const auto p =
        run_binary("function default()\n  os.execute('true')\nend\n", {"--target", target});
    INFO(p.describe());
    CHECK(p.out.find("os.execute is disabled") != std::string::npos);
  }
  SECTION("a failed threshold exits 99") {
    const auto p = run_binary(
        "options = { thresholds = { http_req_duration = { 'p(99)<0.001' } } }\n"
        "function default() http.get('/') end\n",
        {"--target", target});
    INFO(p.describe());
    CHECK(p.exited(99));
    CHECK(p.out.find("FAIL") != std::string::npos);
  }
  SECTION("a bad threshold is refused before the run") {
    const auto p = run_binary(
        "options = { thresholds = { http_req_duration = { 'p99<1s' } } }\n"
        "function default() http.get('/') end\n",
        {"--target", target});
    INFO(p.describe());
    CHECK(p.exited(104));
    CHECK(server.request_count() == 0);
  }
}

TEST_CASE("the CLI writes the drill's JSON result and history", "[drill]") {
  recording_server server;
  const auto dir = std::filesystem::temp_directory_path();
  const auto json = dir / ("ordeal-drill-" + std::to_string(::getpid()) + ".json");
  const auto history = dir / ("ordeal-drill-" + std::to_string(::getpid()) + ".jsonl");
  const auto p = run_binary(
      "function default()\n  http.post('/pay', { idempotency_key = 'abc', name = 'pay' })\nend\n",
      {"--target", server.url(""), "--seed", "9", "--out", "json=" + json.string(), "--out",
       "history=" + history.string()});
  INFO(p.describe());
  REQUIRE(p.exited(0));
  std::ifstream j(json);
  const std::string text((std::istreambuf_iterator<char>(j)), std::istreambuf_iterator<char>());
  CHECK(text.find("\"drill\"") != std::string::npos);
  CHECK(text.find("\"seed\": 9") != std::string::npos);
  std::ifstream h(history);
  std::string line;
  REQUIRE(std::getline(h, line));
  CHECK(line == "[");  // one JSON array (elle-cli's shape), one operation per line
  REQUIRE(std::getline(h, line));
  CHECK(line.find("\"key\":\"abc\"") != std::string::npos);
  CHECK(line.find("\"kind\":\"first\"") != std::string::npos);
  CHECK(line.find("\"verdict\":\"ok\"") != std::string::npos);
}

TEST_CASE("options.max_connections caps a worker's connections to the target", "[drill]") {
  recording_server server([](const recorded_request&) {
    canned_response c;
    c.delay = 20ms;
    return c;
  });
  const auto r = run_text(R"(
options = { max_connections = 1,
            scenarios = { s = { executor = "per-vu-iterations", vus = 4, iterations = 3, exec = "go" } } }
function go() http.get("/") end)",
                          server);
  CHECK(r.http.count(outcome::ok) == 12);
  std::set<std::uint64_t> connections;
  for (const auto& q : server.requests())
    connections.insert(q.connection);
  CHECK(connections.size() == 1);
  // Requests waited for the one connection, and their latency shows it.
  CHECK(r.http.latency.percentile(90) >= 50'000);
}

TEST_CASE("ramping-vus: a user let go and taken back while its iteration ends starts once",
          "[drill]") {
  // The target flips between 0 and 40 users every tick; iterations end around the flips. An
  // iteration that ends while its user is parked posts its next step; a tick that takes the
  // user back before that step runs must not start a second iteration on the same coroutine.
  recording_server server([](const recorded_request&) {
    canned_response c;
    c.delay = 9ms;
    return c;
  });
  const auto started = std::chrono::steady_clock::now();
  const auto r = run_text(R"(
local stages = {}
for i = 1, 60 do
  stages[#stages + 1] = { "1ms", 40 }
  stages[#stages + 1] = { "9ms", 40 }
  stages[#stages + 1] = { "1ms", 0 }
  stages[#stages + 1] = { "9ms", 0 }
end
options = { scenarios = { s = { executor = "ramping-vus", start_vus = 0, stages = stages,
            graceful_stop = "10s", exec = "go" } } }
function go()
  local r = http.get("/")
  if r == nil or r.status ~= 200 then error("resumed without its response") end
  local t = os.clock()
  while os.clock() - t < 0.0005 do end
end)",
                          server);
  const auto took = std::chrono::steady_clock::now() - started;
  std::string errors;
  for (const auto& [message, n] : r.script_errors)
    errors += message + " x" + std::to_string(n) + "\n";
  INFO(errors);
  CHECK(r.script_errors.empty());
  CHECK(r.scenarios[0].interrupted == 0);
  CHECK(iterations(r) == r.http.total());
  CHECK(took < 4s);
}

TEST_CASE("an arrival rate with fewer users than threads drops nothing it could run", "[drill]") {
  // max_vus = 1 on 2 threads: one worker has the user, so every arrival must go to it, not be
  // dealt half to a worker that has none and drops them all.
  recording_server server;
  const auto r = run_text(R"(
options = { scenarios = { s = { executor = "constant-arrival-rate", rate = 20, time_unit = "1s",
            duration = "1s", pre_allocated_vus = 1, max_vus = 1, exec = "go" } } }
function go() http.get("/") end)",
                          server, 2);
  CHECK(r.scenarios[0].dropped == 0);
  CHECK(iterations(r) >= 18);
}

TEST_CASE("request tables are read raw: a hostile __index cannot jump over the request",
          "[drill]") {
  recording_server server;
  const auto r = run_text(R"(
local trap = { __index = function() error("trap") end, __len = function() error("trap") end }
function default()
  local res = http.get("/", setmetatable({ name = "trapped" }, trap))
  assert(res.status == 200)
  local rs = http.batch(setmetatable({ "/a", setmetatable({ "GET", "/b" }, trap) }, trap))
  assert(#rs == 2 and rs[2].status == 200)
end)",
                          server);
  CHECK(r.script_errors.empty());
  CHECK(server.request_count() == 3);
  CHECK(metric(r, "http_reqs{name:trapped}").sum == 1);
}
