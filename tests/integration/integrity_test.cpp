// Data integrity end to end: the real binary runs drills whose options.integrity checks a small
// shop served on 127.0.0.1 by this test (a set of items, a counter, order ids, bank accounts,
// a stock level), with switches that plant the bugs the checkers must catch.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "process.hpp"
#include "recording_server.hpp"
#include "scratch.hpp"

using namespace std::chrono_literals;
namespace json = boost::json;
using ordeal::test::canned_response;
using ordeal::test::process_result;
using ordeal::test::recorded_request;
using ordeal::test::recording_server;
using ordeal::test::temp_dir;

namespace {

constexpr int exit_ok = 0;
constexpr int exit_integrity = 98;
constexpr int exit_invalid_config = 104;

// The system under test. Switches plant one bug each.
class shop {
 public:
  bool lose_a_write = false;       // the 10th item is acknowledged (201) but never stored
  bool leak_money = false;         // the 3rd transfer debits without crediting
  bool reuse_an_order_id = false;  // the 5th order gets the 4th's id again

  canned_response operator()(const recorded_request& q) {
    std::lock_guard lock(mutex_);
    if (q.method == "POST" && q.target == "/items") {
      const auto id = json::parse(q.body).at("id").to_number<std::int64_t>();
      ++item_posts_;
      if (lose_a_write && item_posts_ == 10)
        lost_ = id;
      else
        items_.push_back(id);
      return json_response(201, "{}");
    }
    if (q.target == "/items") {
      json::array ids;
      for (const auto id : items_)
        ids.push_back(id);
      return json_response(200, json::serialize(json::object{{"ids", ids}}));
    }
    if (q.method == "POST" && q.target == "/hit") {
      ++hits_;
      return json_response(200, "{}");
    }
    if (q.target == "/counter")
      return json_response(200, "{\"value\":" + std::to_string(hits_) + "}");
    if (q.method == "POST" && q.target == "/orders") {
      ++orders_;
      const auto id = reuse_an_order_id && orders_ == 5 ? next_order_ - 1 : next_order_++;
      return json_response(201, "{\"id\":" + std::to_string(id) + "}");
    }
    if (q.method == "POST" && q.target == "/transfer") {
      const auto t = json::parse(q.body);
      const auto from = t.at("from").to_number<std::size_t>();
      const auto to = t.at("to").to_number<std::size_t>();
      ++transfers_;
      if (accounts_[from] > 0) {
        --accounts_[from];
        if (!(leak_money && transfers_ == 3)) ++accounts_[to];
      }
      return json_response(200, "{}");
    }
    if (q.target == "/accounts") {
      json::array a;
      for (const auto b : accounts_)
        a.push_back(b);
      return json_response(200, json::serialize(a));
    }
    if (q.target == "/stock") return json_response(200, "{\"n\":3}");
    return json_response(404, "{}");
  }

  std::optional<std::int64_t> lost() {
    std::lock_guard lock(mutex_);
    return lost_;
  }

 private:
  static canned_response json_response(unsigned status, std::string body) {
    canned_response c;
    c.status = status;
    c.headers = {{"Content-Type", "application/json"}};
    c.body = std::move(body);
    return c;
  }

  std::mutex mutex_;
  std::vector<std::int64_t> items_;
  int item_posts_ = 0;
  std::optional<std::int64_t> lost_;
  std::int64_t hits_ = 0;
  int orders_ = 0;
  std::int64_t next_order_ = 1;
  int transfers_ = 0;
  std::vector<std::int64_t> accounts_{25, 25, 25, 25};
};

// Every checker type over the shop: 3 users for 2 s.
const char* shop_drill = R"(
options = {
  scenarios = { s = { executor = "constant-vus", vus = 3, duration = "2s", exec = "go" } },
  integrity = {
    items = { type = "set", read = function() return http.get("/items"):json().ids end },
    hits = { type = "counter", read = function() return http.get("/counter"):json().value end },
    order_ids = { type = "unique" },
    money = { type = "bank", every = "200ms",
              read = function() return http.get("/accounts"):json() end,
              check = function(accounts)
                local t = 0
                for _, b in ipairs(accounts) do t = t + b end
                return t == 100, "total " .. t
              end },
    stock = { type = "invariant", every = "300ms",
              check = function() local s = http.get("/stock"):json(); return s.n >= 0, "n=" .. s.n end },
  },
}
function go()
  local id = vu.id * 100000 + vu.iteration
  local r = http.post("/items", { json = { id = id } })
  integrity.add("items", id, r)
  integrity.add("hits", 1, http.post("/hit"))
  local o = http.post("/orders")
  integrity.add("order_ids", o:json().id, o)
  local from = vu.iteration % 4
  local transfer = { from = from, to = (from + 1) % 4, amount = 1 }
  integrity.add("money", transfer, http.post("/transfer", { json = transfer }))
  sleep(0.02)
end
)";

struct run {
  process_result p;
  json::object result;  // --out json
  json::array history;  // --out history
};

run run_drill(const temp_dir& dir, recording_server& server, const std::string& drill,
              std::vector<std::string> extra = {}) {
  const std::string file = dir.file("drill.lua");
  const std::string result = dir.file("result.json");
  const std::string history = dir.file("history.json");
  ordeal::test::write_file(file, drill);
  std::vector<std::string> args{
      ORDEAL_BINARY, "run", file,    "--target",       server.url(""), "--seed",
      "3",           "-q",  "--out", "json=" + result, "--out",        "history=" + history};
  args.insert(args.end(), extra.begin(), extra.end());
  run r;
  r.p = ordeal::test::run_process(args, 60s);
  const auto read = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  };
  boost::system::error_code ec;
  auto v = json::parse(read(result), ec);
  if (!ec && v.is_object()) r.result = v.as_object();
  v = json::parse(read(history), ec);
  if (!ec && v.is_array()) r.history = v.as_array();
  return r;
}

const json::object* verdict_named(const json::object& result, const std::string& name) {
  if (const auto* vs = result.if_contains("verdicts"))
    for (const auto& v : vs->as_array())
      if (v.at("name") == json::string_view(name)) return &v.as_object();
  return nullptr;
}

}  // namespace

TEST_CASE("integrity: a correct shop passes every checker", "[integrity]") {
  shop s;
  recording_server server([&s](const recorded_request& q) { return s(q); });
  temp_dir dir("integrity-ok");
  const auto r = run_drill(dir, server, shop_drill);
  INFO(r.p.describe());
  REQUIRE(r.p.exited(exit_ok));
  for (const char* name :
       {"integrity: items (set)", "integrity: hits (counter)", "integrity: order_ids (unique)",
        "integrity: money (bank)", "integrity: stock (invariant)"}) {
    INFO(name);
    const auto* v = verdict_named(r.result, name);
    REQUIRE(v != nullptr);
    CHECK(v->at("kind") == "integrity");
    CHECK(v->at("passed") == true);
  }
  const auto& items = verdict_named(r.result, "integrity: items (set)")->at("evidence");
  CHECK(items.at("counts").at("acknowledged").to_number<int>() > 10);
  CHECK(items.at("counts").at("lost") == 0);
  // The bank and the invariant ran during the load too, on the monitor, not only after it.
  const auto& money = verdict_named(r.result, "integrity: money (bank)")->at("evidence");
  CHECK(money.at("reads").at("during").to_number<int>() >= 2);
  CHECK(money.at("reads").at("final") == 1);
  const auto& stock = verdict_named(r.result, "integrity: stock (invariant)")->at("evidence");
  CHECK(stock.at("reads").at("during").to_number<int>() >= 2);
  // The console lists them with the rest.
  CHECK(r.p.out.find("integrity: items (set)") != std::string::npos);
}

TEST_CASE("integrity: an acknowledged write the shop lost exits 98 naming it", "[integrity]") {
  shop s;
  s.lose_a_write = true;
  recording_server server([&s](const recorded_request& q) { return s(q); });
  temp_dir dir("integrity-lost");
  const auto r = run_drill(dir, server, shop_drill);
  INFO(r.p.describe());
  REQUIRE(r.p.exited(exit_integrity));
  const auto lost = s.lost();
  REQUIRE(lost);
  const auto* v = verdict_named(r.result, "integrity: items (set)");
  REQUIRE(v != nullptr);
  CHECK(v->at("passed") == false);
  const auto& e = v->at("evidence");
  CHECK(e.at("counts").at("lost") == 1);
  CHECK(e.at("lost").as_array().at(0).at("value") == *lost);
  CHECK(e.at("lost").as_array().at(0).at("kind") == "ok");
  // Only the set failed.
  CHECK(verdict_named(r.result, "integrity: hits (counter)")->at("passed") == true);
  // The console says which element, and why the exit code.
  CHECK(r.p.out.find("lost " + std::to_string(*lost)) != std::string::npos);
  CHECK(r.p.out.find("exit code 98") != std::string::npos);
}

TEST_CASE("integrity: money leaking during the load fails the bank with the read's time",
          "[integrity]") {
  shop s;
  s.leak_money = true;
  recording_server server([&s](const recorded_request& q) { return s(q); });
  temp_dir dir("integrity-bank");
  const auto r = run_drill(dir, server, shop_drill);
  INFO(r.p.describe());
  REQUIRE(r.p.exited(exit_integrity));
  const auto* v = verdict_named(r.result, "integrity: money (bank)");
  REQUIRE(v != nullptr);
  CHECK(v->at("passed") == false);
  const auto& failures = v->at("evidence").at("failures").as_array();
  REQUIRE_FALSE(failures.empty());
  CHECK(failures[0].at("message") == "total 99");
  CHECK(failures[0].at("invoke_us").to_number<std::int64_t>() > 0);
  bool during = false;
  for (const auto& f : failures)
    during = during || f.at("phase") == "during";
  CHECK(during);
}

TEST_CASE("integrity: an id handed out twice fails the unique checker", "[integrity]") {
  shop s;
  s.reuse_an_order_id = true;
  recording_server server([&s](const recorded_request& q) { return s(q); });
  temp_dir dir("integrity-unique");
  const auto r = run_drill(dir, server, shop_drill);
  INFO(r.p.describe());
  REQUIRE(r.p.exited(exit_integrity));
  const auto* v = verdict_named(r.result, "integrity: order_ids (unique)");
  REQUIRE(v != nullptr);
  CHECK(v->at("passed") == false);
  CHECK(v->at("evidence").at("duplicates").as_array().at(0).at("value") == 4);
}

TEST_CASE("integrity: the history is the JSON array elle-cli reads", "[integrity][history]") {
  // elle-cli (a JVM tool built from Clojars) is not available offline: this checks the shape it
  // reads (src/elle_cli/cli.clj: json/read-str of the whole file, keys keywordized, :type and
  // :f as keywords; jepsen.history's op rules) and what its set model would see.
  shop s;
  recording_server server([&s](const recorded_request& q) { return s(q); });
  temp_dir dir("integrity-history");
  const auto r = run_drill(dir, server, shop_drill);
  INFO(r.p.describe());
  REQUIRE(r.p.exited(exit_ok));
  REQUIRE_FALSE(r.history.empty());

  std::map<std::int64_t, bool> pending, crashed;
  std::set<std::string> entries;
  std::int64_t last_time = std::numeric_limits<std::int64_t>::min();
  std::size_t set_adds = 0, set_reads = 0;
  for (std::size_t i = 0; i < r.history.size(); ++i) {
    const auto& o = r.history[i].as_object();
    INFO(json::serialize(o));
    // Jepsen's keys on every line.
    REQUIRE(o.contains("type"));
    REQUIRE(o.contains("f"));
    REQUIRE(o.contains("process"));
    REQUIRE(o.contains("time"));
    CHECK(o.at("index").to_number<std::size_t>() == i);
    const std::string type(o.at("type").as_string());
    CHECK((type == "invoke" || type == "ok" || type == "fail" || type == "info"));
    const auto time = o.at("time").to_number<std::int64_t>();
    CHECK(time >= last_time);
    last_time = time;
    entries.insert(std::string(o.at("entry").as_string()));
    if (!o.at("process").is_number()) continue;  // http attempts, faults: not client ops
    // Client operations: single-threaded processes that never come back after an info.
    const auto p = o.at("process").to_number<std::int64_t>();
    CHECK(o.at("entry") == "integrity");
    if (type == "invoke") {
      CHECK_FALSE(pending[p]);
      CHECK_FALSE(crashed[p]);
      pending[p] = true;
    } else {
      CHECK(pending[p]);
      pending[p] = false;
      crashed[p] = crashed[p] || type == "info";
    }
    // What elle-cli's set model checks: f add/read only, values where Jepsen expects them.
    if (o.at("checker") == "items") {
      CHECK((o.at("f") == "add" || o.at("f") == "read"));
      if (o.at("f") == "add") {
        ++set_adds;
        CHECK(o.at("value").is_number());
      } else if (type == "ok") {
        ++set_reads;
        CHECK(o.at("value").is_array());
      }
    }
  }
  CHECK(entries == std::set<std::string>{"attempt", "integrity"});
  CHECK(set_adds > 20);  // invoke and ok of every add
  CHECK(set_reads == 1);
  // The attempts keep ordeal's fields.
  bool attempt_seen = false;
  for (const auto& line : r.history)
    if (line.at("entry") == "attempt") {
      attempt_seen = true;
      CHECK(line.at("process") == "http");
      CHECK(line.as_object().contains("verdict"));
      CHECK(line.as_object().contains("invoke_us"));
      break;
    }
  CHECK(attempt_seen);
}

TEST_CASE("integrity: bad checkers and calls are named where they are written", "[integrity]") {
  recording_server server;
  temp_dir dir("integrity-bad");
  const auto run_text = [&](const std::string& drill) {
    const std::string file = dir.file("drill.lua");
    ordeal::test::write_file(file, drill);
    return ordeal::test::run_process({ORDEAL_BINARY, "run", file, "--target", server.url(""), "-q"},
                                     30s);
  };
  SECTION("an unknown type: 104 before any request") {
    const auto p = run_text(
        "options = { integrity = { items = { type = 'sett', read = function() end } } }\n"
        "function default() end\n");
    INFO(p.describe());
    CHECK(p.exited(exit_invalid_config));
    CHECK(p.err.find("drill.lua: options.integrity.items.type: unknown checker type \"sett\"") !=
          std::string::npos);
    CHECK(server.request_count() == 0);
  }
  SECTION("a hook of the wrong type: 104") {
    const auto p = run_text(
        "options = { integrity = { hits = { type = 'counter', read = '/counter' } } }\n"
        "function default() end\n");
    INFO(p.describe());
    CHECK(p.exited(exit_invalid_config));
    CHECK(p.err.find("options.integrity.hits.read: expected a function") != std::string::npos);
  }
  SECTION("integrity.add with an unknown checker: a script error at its line") {
    const auto p = run_text(
        "options = { integrity = { items = { type = 'set', read = function() return {} end } } }\n"
        "function default()\n"
        "  local r = http.post('/items')\n"
        "  integrity.add('itmes', 1, r)\n"
        "end\n");
    INFO(p.describe());
    CHECK(p.out.find("drill.lua:4: integrity.add: no checker \"itmes\" in options.integrity "
                     "(did you mean items?)") != std::string::npos);
  }
  SECTION("integrity.add without the response") {
    const auto p = run_text(
        "options = { integrity = { ids = { type = 'unique' } } }\n"
        "function default()\n"
        "  integrity.add('ids', 1)\n"
        "end\n");
    INFO(p.describe());
    CHECK(p.out.find("drill.lua:3: integrity.add(checker, value, response): the third argument "
                     "must be the response of the request that did it, got nothing") !=
          std::string::npos);
  }
  SECTION("a counter given a string, an invariant given a value") {
    const auto p = run_text(
        "options = { integrity = { hits = { type = 'counter', read = function() return 0 end },\n"
        "  stock = { type = 'invariant', check = function() return true end } } }\n"
        "function default()\n"
        "  local r = http.get('/')\n"
        "  pcall(integrity.add, 'stock', 1, r)\n"
        "  integrity.add('hits', 'one', r)\n"
        "end\n");
    INFO(p.describe());
    CHECK(p.out.find("drill.lua:6: integrity.add: \"hits\" is a counter: the value must be a "
                     "number") != std::string::npos);
  }
  SECTION("a read that raises is reported, and fails the checker without a final read") {
    const auto p = run_text(
        "options = { integrity = { items = { type = 'set',\n"
        "  read = function() return http.get('/'):json().ids end } } }\n"
        "function default() end\n");
    INFO(p.describe());
    CHECK(p.exited(exit_integrity));
    CHECK(p.out.find("the final read at") != std::string::npos);
    CHECK(p.out.find("read() raised") != std::string::npos);
  }
}

TEST_CASE("integrity: hooks during the load do not hold up the virtual users", "[integrity]") {
  // A check that keeps the monitor busy most of the time: the users run on their own workers
  // and keep their pace (generous bound: a stalled user would manage a handful).
  shop s;
  recording_server server([&s](const recorded_request& q) { return s(q); });
  temp_dir dir("integrity-busy");
  const auto r = run_drill(dir, server, R"(
options = {
  scenarios = { s = { executor = "constant-vus", vus = 2, duration = "2s", exec = "go" } },
  integrity = {
    busy = { type = "invariant", every = "50ms",
             check = function()
               local t = os.clock()
               while os.clock() - t < 0.1 do end
               return http.get("/stock"):json().n >= 0
             end },
  },
}
function go()
  http.get("/stock")
  sleep(0.01)
end
)");
  INFO(r.p.describe());
  REQUIRE(r.p.exited(exit_ok));
  const auto* v = verdict_named(r.result, "integrity: busy (invariant)");
  REQUIRE(v != nullptr);
  CHECK(v->at("evidence").at("reads").at("during").to_number<int>() >= 2);
  const auto& scenarios = r.result.at("drill").at("scenarios").as_array();
  CHECK(scenarios.at(0).at("iterations").to_number<int>() >= 40);
}
